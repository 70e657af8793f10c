"""A stateful fake of the Twilio REST products flexorch uses, driven by Twilio's own specs.

Every collection in the specs works the same way, so one generic store serves them all: the
path templates say where a resource lives, the response schemas name its list key, its fields
and its SID prefix, and form fields map to them (`SmsUrl` -> `sms_url`). Contract checking is
not done here: the sandbox puts Prism in front of this (see `server.py`).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from flexorch.sandbox import specs
from flexorch.twilio_facts import (
    CONVERSATION_TIMER_MINIMUMS,
    TASKROUTER_EVENTS,
    duration_seconds,
    filter_events,
    known_worker_problem,
)

PAGING = {"PageSize", "Page", "PageToken"}
# Conversations' ParticipantConversations is a view of its conversations and participants (the
# account's, or one service's), not a collection with records of its own.
CONVERSATIONS = "/conversations.twilio.com/v1/Services/{ChatServiceSid}/Conversations"
PARTICIPANTS = CONVERSATIONS + "/{ConversationSid}/Participants"
PARTICIPANT_CONVERSATIONS = re.compile(
    r"/conversations\.twilio\.com/v1(/Services/(?P<service>[^/]+))?/ParticipantConversations$"
)
# TaskRouter answers 400 (code 20001, "Queue named X already exists for workspace WS...") to a
# second queue of one name; TaskChannel unique names are unique in a workspace the same way. An
# address has at most one Address Configuration (Conversations' docs: "a unique address"); the
# wording of that refusal is the fake's own.
UNIQUE_UNDER_PARENT = {
    "TaskQueues": ("friendly_name", "Queue named {name} already exists for workspace {parent}"),
    "TaskChannels": (
        "unique_name",
        "TaskChannel named {name} already exists for workspace {parent}",
    ),
    "Addresses": ("address", "An Address Configuration for {name} already exists"),
}
# A Messaging Service's PhoneNumbers link one of the account's numbers (`PhoneNumberSid`) to the
# service under the number's own SID. Twilio refuses a number already in a service: error 21712,
# "A Twilio phone number or short code can only be associated with one Messaging Service at a
# time" (https://www.twilio.com/docs/api/errors/21712).
NUMBERS = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json"
SERVICE_NUMBERS = "/messaging.twilio.com/v1/Services/{ServiceSid}/PhoneNumbers"
# Conversations' account defaults: the spec says each timer's minimum ("1 minute", "10
# minutes"); Twilio's answer to a shorter one is not documented, the wording here is the fake's.
CONVERSATIONS_CONFIGURATION = "/conversations.twilio.com/v1/Configuration"
TIMER_FIELDS = {"DefaultInactiveTimer": "inactive", "DefaultClosedTimer": "closed"}
# A Workflow's Configuration is a JSON document; TaskRouter refuses one it cannot read, and a
# target whose known-worker keys it cannot use (twilio_facts.known_worker_problem). The wording
# of those refusals is the fake's own.
WORKFLOWS = "/Workflows"
# A workspace's event callback: a URL Twilio can call, and an EventsFilter of the event types its
# Events reference lists. Twilio's answer to an unknown type is not documented; the fake refuses
# it (its wording), so a test passes here only with documented names. An empty filter is stored
# as none (null), the way the spec's examples show a workspace without one.
WORKSPACES = "/v1/Workspaces"
ONE_SERVICE = (
    "A Twilio phone number or short code can only be associated with one Messaging Service at "
    "a time"
)


def snake(name: str) -> str:
    """`PreWebhookRetryCount` -> `pre_webhook_retry_count`."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


@dataclass
class Collection:
    """One kind of resource: where it lives and what it looks like."""

    template: str
    item_template: str
    list_key: str
    schema: dict[str, Any]
    prefix: str
    params: tuple[str, ...]
    regex: re.Pattern[str]
    item_regex: re.Pattern[str]


def _regex(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{([A-Za-z]+)\\\}", r"(?P<\1>[^/]+?)", re.escape(template))
    return re.compile(pattern + "$")


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _collections(spec: dict[str, Any]) -> list[Collection]:
    found = []
    for template, item in spec["paths"].items():
        get = item.get("get", {})
        schema = (
            get.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
        ).get("schema", {})
        lists = [
            (key, value)
            for key, value in schema.get("properties", {}).items()
            if value.get("type") == "array" and "$ref" in value.get("items", {})
        ]
        if len(lists) != 1:
            continue
        key, value = lists[0]
        record = _resolve(spec, value["items"])
        pattern = record.get("properties", {}).get("sid", {}).get("pattern", "")
        prefix = pattern[1:3] if pattern.startswith("^") else ""
        base = template.removesuffix(".json")
        item_template = base + "/{Sid}" + (".json" if template.endswith(".json") else "")
        if item_template not in spec["paths"]:
            continue
        params = tuple(re.findall(r"\{([A-Za-z]+)\}", template))
        found.append(
            Collection(
                template,
                item_template,
                key,
                record,
                prefix,
                params,
                _regex(template),
                _regex(item_template),
            )  # fmt: skip
        )
    # Literal segments win over parameters (`TaskQueues/Statistics` is not a queue SID).
    found.sort(key=lambda c: len(c.params))
    return found


@dataclass
class Singleton:
    """A resource that exists once per parent (a service's webhook configuration): fetch, update."""

    template: str
    schema: dict[str, Any]
    params: tuple[str, ...]
    regex: re.Pattern[str]


def _singletons(spec: dict[str, Any], collections: list[Collection]) -> list[Singleton]:
    taken = {c.template for c in collections} | {c.item_template for c in collections}
    found = []
    for template, item in spec["paths"].items():
        if template in taken or template.endswith("}") or not {"get", "post"} <= set(item):
            continue
        content = item["get"].get("responses", {}).get("200", {}).get("content", {})
        schema = _resolve(spec, content.get("application/json", {}).get("schema", {}))
        properties = schema.get("properties", {})
        if not properties or "meta" in properties or "end" in properties:
            continue
        params = tuple(re.findall(r"\{([A-Za-z]+)\}", template))
        found.append(Singleton(template, schema, params, _regex(template)))
    return found


@cache
def _indexed() -> tuple[dict[str, Any], list[Collection], list[Singleton]]:
    """The merged spec, its collections and singletons (read-only, shared by every fake)."""
    spec = specs.merged()
    collections = _collections(spec)
    return spec, collections, _singletons(spec, collections)


def new_sid(prefix: str) -> str:
    """A SID of the right prefix."""
    return prefix + secrets.token_hex(16)


@dataclass
class Request:
    """One request as the fake saw it."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    form: Mapping[str, list[str]]
    auth: str | None = None


@dataclass
class FakeTwilio:
    """The account's state and the request handler; thread-safe."""

    account_sid: str
    auth_token: str
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        """Index the collections and singletons of the merged spec."""
        self.spec, self.collections, self.singletons = _indexed()

    # --- state -------------------------------------------------------------------------

    def collection(self, template: str) -> Collection:
        """The collection at a path template, e.g. `/v1/Workspaces/{WorkspaceSid}/Workflows`."""
        for c in self.collections:
            if c.template == template:
                return c
        raise KeyError(template)

    def add(
        self, template: str, parents: Mapping[str, str] | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Seed a record directly (scenarios use this); returns it."""
        with self.lock:
            return self._create(self.collection(template), dict(parents or {}), fields)

    def singleton(self, template: str, **parents: str) -> dict[str, Any]:
        """The record of a singleton under `parents` (created with defaults on first use)."""
        with self.lock:
            found = next(s for s in self.singletons if s.template == template)
            return self._singleton_record(found, parents)

    def _singleton_record(self, s: Singleton, parents: Mapping[str, str]) -> dict[str, Any]:
        path = _fill(s.template, {**parents, "AccountSid": self.account_sid})
        stored = self.records.setdefault(s.template, {})
        if path not in stored:
            properties = s.schema.get("properties", {})
            record = {name: self._empty(schema) for name, schema in properties.items()}
            record.update({snake(k): v for k, v in parents.items() if k != "AccountSid"})
            if "account_sid" in properties:
                record["account_sid"] = self.account_sid
            if "url" in properties:
                record["url"] = specs.public_url(path)
            stored[path] = record
        return stored[path]

    def all(self, template: str) -> list[dict[str, Any]]:
        """Every record of a collection, across parents."""
        with self.lock:
            return list(self.records.get(template, {}).values())

    def find(self, template: str, **match: Any) -> dict[str, Any]:
        """The one record whose fields equal `match` (tests and scenarios)."""
        found = [r for r in self.all(template) if all(r.get(k) == v for k, v in match.items())]
        if len(found) != 1:
            raise LookupError(f"{len(found)} records in {template} match {match}")
        return found[0]

    def _empty(self, schema: dict[str, Any]) -> Any:
        """A schema-valid value for a field nobody set: null where allowed, else a default."""
        if schema.get("nullable"):
            return None
        schema = _resolve(self.spec, schema)
        if schema.get("nullable"):
            return None
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type", "")
        if kind == "string":
            return "https://sandbox.flexorch.local/" if schema.get("format") == "uri" else ""
        return {"integer": 0, "number": 0, "boolean": False, "array": [], "object": {}}.get(kind)

    def _timestamp(self, schema: dict[str, Any]) -> str:
        now = datetime.now(UTC).replace(microsecond=0)
        if schema.get("format") == "date-time-rfc-2822":
            return format_datetime(now)
        return now.isoformat().replace("+00:00", "Z")

    def _create(
        self, c: Collection, parents: dict[str, str], fields: dict[str, Any]
    ) -> dict[str, Any]:
        properties = c.schema.get("properties", {})
        record: dict[str, Any] = {name: self._empty(schema) for name, schema in properties.items()}
        sid = fields.pop("sid", None) or new_sid(c.prefix)
        record.update({snake(k): v for k, v in parents.items()})
        if "account_sid" in properties:
            record["account_sid"] = self.account_sid
        for stamp in ("date_created", "date_updated"):
            if stamp in properties:
                record[stamp] = self._timestamp(properties[stamp])
        record.update(fields)
        record["sid"] = sid
        path_values = {**parents, "Sid": sid, "AccountSid": self.account_sid}
        if "url" in properties:
            record["url"] = specs.public_url(_fill(c.item_template, path_values))
        if "uri" in properties:
            record["uri"] = _fill(c.item_template, path_values)
        self.records.setdefault(c.template, {})[sid] = record
        return record

    # --- requests ----------------------------------------------------------------------

    def handle(self, request: Request) -> tuple[int, dict[str, Any] | None]:
        """Answer one request as Twilio would: (status, JSON body or None)."""
        if not self._authorised(request.auth):
            return 401, _error(20003, "Authenticate", 401)
        with self.lock:
            view = PARTICIPANT_CONVERSATIONS.match(request.path)
            if view and request.method == "GET":
                rows = self._participant_conversations(view["service"], request.query)
                return 200, self._page(request.path, "conversations", rows, request.query)
            for single in self.singletons:
                matched = single.regex.match(request.path)
                if matched:
                    return self._single(single, matched.groupdict(), request)
            for c in self.collections:
                item = c.item_regex.match(request.path)
                if item and item.group("Sid") in self.records.get(c.template, {}):
                    return self._item(c, item.groupdict(), request)
                if item and request.path.rsplit("/", 1)[-1].removesuffix(".json")[:2] == c.prefix:
                    return 404, _not_found(request.path)
                whole = c.regex.match(request.path)
                if whole:
                    return self._collection(c, whole.groupdict(), request)
        return 404, _not_found(request.path)

    def _participant_conversations(
        self, service: str | None, query: Mapping[str, list[str]]
    ) -> list[dict[str, Any]]:
        """The conversations a participant (an address or an identity) is in: a view, no store."""
        address, identity = query.get("Address", [None])[-1], query.get("Identity", [None])[-1]
        conversations = self.records.get(CONVERSATIONS, {})
        rows = []
        for p in self.records.get(PARTICIPANTS, {}).values():
            bound = (p.get("messaging_binding") or {}).get("address")
            c = conversations.get(p.get("conversation_sid") or "")
            if c is None or (service and p.get("chat_service_sid") != service):
                continue
            if (address is not None and bound != address) or (
                identity is not None and p.get("identity") != identity
            ):
                continue
            rows.append({
                "account_sid": self.account_sid, "chat_service_sid": c.get("chat_service_sid"),
                "participant_sid": p["sid"], "participant_user_sid": None,
                "participant_identity": p.get("identity"),
                "participant_messaging_binding": p.get("messaging_binding"),
                "conversation_sid": c["sid"], "conversation_unique_name": c.get("unique_name"),
                "conversation_friendly_name": c.get("friendly_name"),
                "conversation_attributes": c.get("attributes"),
                "conversation_date_created": c.get("date_created"),
                "conversation_date_updated": c.get("date_updated"),
                "conversation_created_by": "system", "conversation_state": c.get("state"),
                "conversation_timers": c.get("timers"), "links": None,
            })  # fmt: skip
        return rows

    def _page(
        self, path: str, key: str, rows: list[dict[str, Any]], query: Mapping[str, list[str]]
    ) -> dict[str, Any]:
        """One page of `rows` as the v1 products answer a list (`meta` with its page URLs)."""
        size = int(query.get("PageSize", ["50"])[-1])
        page = int(query.get("Page", ["0"])[-1])
        more = (page + 1) * size < len(rows)
        return {
            key: rows[page * size : (page + 1) * size],
            "meta": {
                "first_page_url": specs.public_url(f"{path}?PageSize={size}&Page=0"),
                "key": key,
                "next_page_url": specs.public_url(f"{path}?PageSize={size}&Page={page + 1}")
                if more
                else None,
                "page": page,
                "page_size": size,
                "previous_page_url": None,
                "url": specs.public_url(f"{path}?PageSize={size}&Page={page}"),
            },
        }

    def _authorised(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == self.account_sid and password == self.auth_token

    def _fields(
        self, template: str, schema: dict[str, Any], form: Mapping[str, list[str]]
    ) -> dict[str, Any]:
        """The form as record fields; `AutoCreation.Enabled` becomes auto_creation.enabled."""
        properties = schema.get("properties", {})
        sent = self._request_properties(template)
        fields: dict[str, Any] = {}
        for name, values in form.items():
            if "." in name:
                head, _, rest = name.partition(".")
                nested = fields.setdefault(snake(head), {})
                if isinstance(nested, dict):
                    kind = _resolve(self.spec, sent.get(name, {}))
                    nested[snake(rest.replace(".", "_"))] = _cast(kind, values)
                continue
            key = snake(name)
            if key in properties:
                fields[key] = _cast(properties[key], values)
        return fields

    def _request_properties(self, template: str) -> dict[str, Any]:
        """The form fields a POST to `template` may carry, as the spec types them."""
        operation = self.spec["paths"].get(template, {}).get("post", {})
        content = operation.get("requestBody", {}).get("content", {})
        form = content.get("application/x-www-form-urlencoded", {})
        properties: dict[str, Any] = form.get("schema", {}).get("properties", {})
        return properties

    def _single(
        self, s: Singleton, parents: dict[str, str], request: Request
    ) -> tuple[int, dict[str, Any] | None]:
        if not self._parents_exist(s.template, parents):
            return 404, _not_found(request.path)
        record = self._singleton_record(s, parents)
        if request.method == "GET":
            return 200, record
        if request.method != "POST":
            return 405, _error(20004, "Method not allowed", 405)
        refused = _short_timer(request.form) if s.template == CONVERSATIONS_CONFIGURATION else ""
        if refused:
            return 400, _error(20001, refused, 400)
        try:
            _merge(record, self._fields(s.template, s.schema, request.form))
        except ValueError as bad:
            return 400, _error(20001, str(bad), 400)
        return 200, record

    def _parents_exist(self, template: str, parents: Mapping[str, str]) -> bool:
        """Whether every parent in a path exists: Twilio answers 404 under a deleted one.

        `/v2/Services/{ServiceSid}/Channels/{ChannelSid}/Webhooks` needs the service in
        `/v2/Services` and the channel in `/v2/Services/{ServiceSid}/Channels`.
        """
        for name, sid in parents.items():
            if name == "AccountSid":
                continue
            collection = template[: template.index("/{" + name + "}")]
            if sid not in self.records.get(collection, {}):
                return False
        return True

    def _collection(
        self, c: Collection, parents: dict[str, str], request: Request
    ) -> tuple[int, dict[str, Any] | None]:
        parents = {k: v for k, v in parents.items() if k != "AccountSid"}
        if not self._parents_exist(c.template, parents):
            return 404, _not_found(request.path)
        if request.method == "POST" and c.template == SERVICE_NUMBERS:
            return self._link_number(c, parents, request.form)
        if request.method == "POST":
            refused = _refused(c.template, request.form)
            if refused:
                return 400, _error(20001, refused, 400)
            try:
                fields = self._fields(c.template, c.schema, request.form)
            except ValueError as bad:
                return 400, _error(20001, str(bad), 400)
            taken = self._taken(c, parents, fields)
            if taken:
                return 400, _error(20001, taken, 400)
            return 201, self._create(c, parents, fields)
        if request.method != "GET":
            return 405, _error(20004, "Method not allowed", 405)
        wanted = {snake(k): v[-1] for k, v in request.query.items() if k not in PAGING}
        properties = c.schema.get("properties", {})
        rows = [
            r
            for r in self.records.get(c.template, {}).values()
            if all(r.get(snake(k)) == v for k, v in parents.items())
            and all(k not in properties or _matches(r.get(k), v) for k, v in wanted.items())
        ]
        size = int(request.query.get("PageSize", ["50"])[-1])
        page = int(request.query.get("Page", ["0"])[-1])
        chunk = rows[page * size : (page + 1) * size]
        more = (page + 1) * size < len(rows)
        base = _fill(c.template, {**parents, "AccountSid": self.account_sid})
        next_uri = f"{base}?PageSize={size}&Page={page + 1}" if more else None
        if c.template.endswith(".json"):
            return 200, {
                c.list_key: chunk,
                "end": page * size + max(len(chunk) - 1, 0),
                # Twilio's spec types these as absolute URIs (the SDK does not read them).
                "first_page_uri": specs.public_url(f"{base}?PageSize={size}&Page=0"),
                "next_page_uri": next_uri,
                "page": page,
                "page_size": size,
                "previous_page_uri": None,
                "start": page * size,
                "uri": specs.public_url(f"{base}?PageSize={size}&Page={page}"),
            }
        return 200, self._page(base, c.list_key, rows, request.query)

    def _link_number(
        self, c: Collection, parents: dict[str, str], form: Mapping[str, list[str]]
    ) -> tuple[int, dict[str, Any] | None]:
        """Add one of the account's numbers to a Messaging Service, as Twilio does."""
        sid = (form.get("PhoneNumberSid") or [""])[-1]
        number = self.records.get(NUMBERS, {}).get(sid)
        if number is None:
            # The fake's own wording: Twilio's answer to an unknown number is not documented.
            return 400, _error(21710, f"Phone Number {sid} not found in this account", 400)
        if sid in self.records.get(SERVICE_NUMBERS, {}):
            return 400, _error(21712, ONE_SERVICE, 400)
        fields = {
            "sid": sid,
            "phone_number": number["phone_number"],
            "country_code": "US",
            "capabilities": ["SMS", "MMS", "Voice"],
        }
        return 201, self._create(c, parents, fields)

    def _taken(self, c: Collection, parents: dict[str, str], fields: dict[str, Any]) -> str:
        """What Twilio refuses to create twice under one parent, as its error message."""
        unique = UNIQUE_UNDER_PARENT.get(c.template.rsplit("/", 1)[-1])
        if unique is None or fields.get(unique[0]) is None:
            return ""
        key, message = unique
        name = fields[key]
        for record in self.records.get(c.template, {}).values():
            same_parent = all(record.get(snake(k)) == v for k, v in parents.items())
            if same_parent and record.get(key) == name:
                parent = parents.get("WorkspaceSid")
                return message.format(name=name, parent=parent) + f" for account {self.account_sid}"
        return ""

    def _item(
        self, c: Collection, path: dict[str, str], request: Request
    ) -> tuple[int, dict[str, Any] | None]:
        records = self.records[c.template]
        sid = path["Sid"]
        # Twilio answers 404 for an object asked for under a parent (workspace, service) that
        # does not hold it: `pulumi import` finds a Workflow's workspace that way.
        parents = {snake(k): v for k, v in path.items() if k not in ("Sid", "AccountSid")}
        if any(key in records[sid] and records[sid][key] != v for key, v in parents.items()):
            return 404, _not_found(request.path)
        if request.method == "GET":
            return 200, records[sid]
        if request.method == "POST":
            refused = _refused(c.template, request.form)
            if refused:
                return 400, _error(20001, refused, 400)
            try:
                _merge(records[sid], self._fields(c.item_template, c.schema, request.form))
            except ValueError as bad:
                return 400, _error(20001, str(bad), 400)
            if c.template == WORKSPACES and records[sid].get("events_filter") == "":
                records[sid]["events_filter"] = None
            if "date_updated" in records[sid]:
                records[sid]["date_updated"] = self._timestamp(
                    c.schema["properties"]["date_updated"]
                )
            return 200, records[sid]
        if request.method == "DELETE":
            del records[sid]
            return 204, None
        return 405, _error(20004, "Method not allowed", 405)


def _refused(template: str, form: Mapping[str, list[str]]) -> str:
    """Why TaskRouter refuses a workspace's or a Workflow's settings; "" when it takes them."""
    return (_bad_callback(form) if template == WORKSPACES else "") or _bad_workflow(template, form)


def _bad_workflow(template: str, form: Mapping[str, list[str]]) -> str:
    """Why TaskRouter refuses a Workflow's Configuration: not JSON, or a target it cannot use."""
    if not template.endswith(WORKFLOWS) or "Configuration" not in form:
        return ""
    text = form["Configuration"][-1]
    try:
        document = json.loads(text)
    except ValueError:
        return f"Configuration is not a JSON document: {text[:40]!r}"
    routing = document.get("task_routing") if isinstance(document, dict) else None
    filters = routing.get("filters") if isinstance(routing, dict) else None
    for rule in filters if isinstance(filters, list) else []:
        targets = rule.get("targets") if isinstance(rule, dict) else None
        for target in targets if isinstance(targets, list) else []:
            problem = known_worker_problem(target)
            if problem:
                return f"Invalid Workflow Configuration: {problem}"
    return ""


def _short_timer(form: Mapping[str, list[str]]) -> str:
    """Why Twilio refuses a Conversations timer: not a duration, or below its minimum."""
    for name, which in TIMER_FIELDS.items():
        if not form.get(name):
            continue
        value = form[name][-1]
        seconds = duration_seconds(value)
        minimum = CONVERSATION_TIMER_MINIMUMS[which]
        if seconds is None or seconds < minimum:
            return f"Invalid {name}: {value!r}; an ISO 8601 duration of at least {minimum} seconds"
    return ""


def _bad_callback(form: Mapping[str, list[str]]) -> str:
    """Why Twilio refuses a workspace's event callback: a URL it cannot call, an unknown event."""
    url = (form.get("EventCallbackUrl") or [""])[-1]
    parts = urlsplit(url)
    if url and (parts.scheme not in ("http", "https") or not parts.hostname):
        return f"Invalid EventCallbackUrl: {url!r} is not an absolute http(s) URL"
    for event in filter_events((form.get("EventsFilter") or [""])[-1]):
        if event not in TASKROUTER_EVENTS:
            return f"Invalid EventsFilter: {event!r} is not a TaskRouter event type"
    return ""


def _merge(record: dict[str, Any], fields: Mapping[str, Any]) -> None:
    """An update: nested objects (auto_creation) keep the keys the request did not name."""
    for key, value in fields.items():
        if isinstance(value, dict) and isinstance(record.get(key), dict):
            record[key] = {**record[key], **value}
        else:
            record[key] = value


def _fill(template: str, values: Mapping[str, str]) -> str:
    return re.sub(r"\{([A-Za-z]+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def _cast(schema: dict[str, Any], values: list[str]) -> Any:
    """A form value as the JSON type the spec gives it; Twilio refuses what does not parse."""
    kind = schema.get("type")
    if kind == "array":
        # A lone empty value is how a form clears a list (an empty list sends no key at all).
        return [v for v in values if v != ""]
    value = values[-1]
    if kind == "integer":
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"Invalid integer value: {value!r}") from None
    if kind == "boolean":
        if value.lower() not in ("true", "false"):
            raise ValueError(f"Invalid boolean value: {value!r}")
        return value.lower() == "true"
    return value


def _matches(actual: Any, wanted: str) -> bool:
    if isinstance(actual, bool):
        return str(actual).lower() == wanted.lower()
    return str(actual) == wanted


def _not_found(path: str) -> dict[str, Any]:
    return _error(20404, f"The requested resource {specs.unmounted(path)} was not found", 404)


def _error(code: int, message: str, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
