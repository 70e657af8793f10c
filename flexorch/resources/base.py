"""What flexorch's dynamic providers share: credentials, the client, normalised diffs, snapshots.

Pulumi pickles the provider object into each resource's state, so providers keep nothing but
what `configure()` hands them inside the provider process (never pickled), and ask
`make_client` for the process's client inside each method.
https://www.pulumi.com/docs/iac/concepts/resources/dynamic-providers/
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN
from twilio.rest import Client
from typing_extensions import override

from flexorch import twilio_client
from flexorch.errors import FlexorchError
from flexorch.resources.resource import TwilioResource, token
from flexorch.twilio_client import CreateOutcomeUnknown, Credentials

F = TypeVar("F", bound=Callable[..., Any])


_IN_PROVIDER_HOST = False


def user_errors(method: F) -> F:
    """In the provider host, show a FlexorchError as its one line, not a traceback.

    The dynamic provider host reports `traceback.format_exc()`, which honours
    `sys.tracebacklimit`: 0 leaves just `Type: message`. Other exceptions are bugs and keep
    their full traceback. Only the host process (where `configure` ran) is touched: the limit
    is process-wide and would also hide stacks Pulumi's own program runtime reads.
    """

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except FlexorchError:
            if _IN_PROVIDER_HOST:
                sys.tracebacklimit = 0
            raise
        except Exception:
            sys.__dict__.pop("tracebacklimit", None)
            raise

    return wrapper  # type: ignore[return-value]


# Operations the provider host serves at once; the engine's default --parallel is 4 per CPU.
HOST_WORKERS = 32


def widen_host_pool(workers: int = HOST_WORKERS) -> bool:
    """Let the dynamic provider host serve `workers` operations at once instead of 4.

    Pulumi's host (`pulumi/dynamic/__main__.py`, 3.272) serves gRPC from a
    `ThreadPoolExecutor(max_workers=4)` made in its `main()` and offers no setting, so the
    engine's parallel steps queue behind 4 threads (4 requests in flight to Twilio). `configure`
    runs on one of that pool's threads: the pool holding the current thread is raised in place
    (an executor starts threads up to `_max_workers` as work arrives). Anything unexpected
    leaves it as it was; the bench measures the requests in flight.
    """
    import gc
    from concurrent.futures import ThreadPoolExecutor

    me = threading.current_thread()
    for candidate in gc.get_objects():
        if isinstance(candidate, ThreadPoolExecutor) and me in getattr(candidate, "_threads", ()):
            if getattr(candidate, "_max_workers", workers) < workers:
                candidate._max_workers = workers
                return True
    return False


def _equal(a: Any, b: Any) -> bool:
    return bool(a == b)


class TwilioProvider(ResourceProvider):
    """Base of flexorch's providers; subclasses name their inputs and how each compares."""

    kind: ClassVar[str] = "resource"
    # Input name -> comparison; inputs not listed compare with ==.
    comparisons: ClassVar[Mapping[str, Callable[[Any, Any], bool]]] = {}
    inputs: ClassVar[tuple[str, ...]] = ()
    replace_on: ClassVar[tuple[str, ...]] = ()
    # `check` only looks a reference up (its inputs come back as given): the real provider may
    # run it in the background and report its failures at create or update.
    check_only_validates: ClassVar[bool] = False
    # How credentials are found (`twilio:*` keys): set by `configure`, or `using`.
    _config_get: Callable[[str], Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Every operation a subclass defines reports user errors as one line."""
        super().__init_subclass__(**kwargs)
        for name in ("check", "diff", "create", "read", "update", "delete", "preview_update"):
            if name in vars(cls):
                setattr(cls, name, user_errors(vars(cls)[name]))

    def configure(self, req: ConfigureRequest) -> None:
        """Keep the stack config's lookup; runs in the provider process only, never pickled."""
        global _IN_PROVIDER_HOST
        if not _IN_PROVIDER_HOST:
            _IN_PROVIDER_HOST = True
            widen_host_pool()
        self._config_get = req.config.get

    def using(self, config_get: Callable[[str], Any]) -> TwilioProvider:
        """This provider, finding credentials through `config_get` (keys `twilio:*`).

        What `configure` keeps in the dynamic provider host; the real provider
        (`flexorch.provider`) hands over its own config this way, with no host to adjust.
        """
        self._config_get = config_get
        return self

    def client(self) -> Client:
        """The process's client for the stack config's (or the TWILIO_* environment's) account."""
        get = getattr(self, "_config_get", lambda _key: None)
        return twilio_client.make_client(Credentials.find(get))

    def label(self, props: dict[str, Any]) -> str:
        """How errors name the resource."""
        return self.kind

    def import_(self, id_: str) -> ReadResult:
        """A read with no state (`pulumi import`): the object `id_`, its inputs in its outputs.

        The engine takes the inputs that produce the outputs as the resource's inputs, so a
        program declaring the same object previews with no change. Only what a program can
        declare on its own is imported; the rest of the component is adopted by its config.
        """
        raise FlexorchError(
            f"{token(self.kind)} {id_}: cannot be imported; `pulumi import` takes "
            "flexorch:index:Workflow (WW...) and flexorch:index:TaskChannel (TC...) by SID, and "
            "the component adopts the workspace, queues, chat service and numbers by its config"
        )

    def looked_up(
        self,
        olds: dict[str, Any],
        news: dict[str, Any],
        look_up: Callable[[dict[str, Any]], Any],
        reference: str,
        annotating: tuple[str, ...] = (),
    ) -> CheckResult:
        """`check` of a new or changed reference: `look_up` it, so preview fails before a write.

        A bad reference fails under the input `reference`; an unchanged one costs no request.
        Inputs in `annotating` only annotate what is found (e.g. the handler URL, to tell
        whether a number already points at it): one still unknown (an Output of another
        resource) neither holds the look-up back nor reaches it.
        """
        # A workspace the engine has no SID for yet is found from the config's reference.
        needed = dict(news)
        if known(news.get("workspace_lookup")):
            needed.pop("workspace_sid", None)
        unknown = {key: None for key in annotating if not known(news.get(key))}
        for key in unknown:
            needed.pop(key, None)
        if (olds and not self.changed(olds, news)) or not known(needed):
            return CheckResult(news, [])
        try:
            look_up({**news, **unknown})
        except FlexorchError as error:
            return CheckResult(news, [CheckFailure(reference, str(error))])
        return CheckResult(news, [])

    def changed(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        """The inputs whose normalised values differ."""
        out = []
        for key in self.inputs:
            same = self.comparisons.get(key, _equal)
            if not same(olds.get(key), news.get(key)):
                out.append(key)
        return out

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Compare normalised inputs only: no API call, so an unchanged stack costs nothing."""
        changes = self.changed(olds, news)
        replaces = [key for key in changes if key in self.replace_on]
        return DiffResult(changes=bool(changes), replaces=replaces, delete_before_replace=True)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """A change that needs no API call (only a label moved): carry the outputs over."""
        return UpdateResult(self.carry(olds, news))

    def preview_update(self, olds: dict[str, Any], news: dict[str, Any]) -> None:
        """At preview, raise a FlexorchError for what `update(olds, news)` would refuse.

        The engine previews an update without running it, so a refusal that only the new
        inputs can judge (the guard's, of drift a refresh found) is said here. No API call:
        `olds` are the state's outputs, refreshed or not. Most resources refuse nothing.
        """

    def carry(
        self, olds: Mapping[str, Any], news: Mapping[str, Any], **values: Any
    ) -> dict[str, Any]:
        """The previous outputs with the new inputs and the given values on top."""
        result = {k: v for k, v in olds.items() if not k.startswith("__")}
        result.update({key: news.get(key) for key in self.inputs})
        result.update(values)
        return result

    def refreshed(self, props: Mapping[str, Any], **live: Any) -> dict[str, Any]:
        """A refresh's outputs: everything state recorded, with what Twilio holds now on top.

        `read` can ask Twilio again only for live values; what was recorded at adoption (the
        settings destroy puts back, what a snapshot saw) exists nowhere else. Dropping it made
        destroy after a refresh delete an adopted Workflow instead of restoring it.
        """
        return self.carry(props, props, **live)

    def outs(self, props: Mapping[str, Any], **values: Any) -> dict[str, Any]:
        """Every input plus the given outputs (diff and update see outputs as `olds`)."""
        result = {key: props.get(key) for key in self.inputs}
        result.update(values)
        return result


_ADOPTED_GONE_FIX = (
    "remove its sid / adopt key from the stack config (a new one is then created), or restore it"
)


def gone(label: str, id_: str, adopted: bool, fix: str = _ADOPTED_GONE_FIX) -> ReadResult:
    """A refresh's answer for an object deleted outside flexorch (Twilio answered 404).

    Owned: an empty id tells the engine it is gone, so `up --refresh` creates it again.
    Adopted: it was not ours to re-create, so that is one line naming it and `fix`.
    """
    if adopted:
        raise FlexorchError(
            f"{label}: {id_} was adopted by this stack but no longer exists in Twilio; {fix}"
        )
    return ReadResult("", {})


def form_fields(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """The Twilio form field names of SDK keyword arguments (`sms_url` -> `SmsUrl`), for errors."""
    return tuple("".join(part.title() for part in key.split("_")) for key in settings)


def pick_one(found: list[Any], label: str, what: str, key: str) -> Any:
    """The single match of a look-up by name, or a user error saying how to disambiguate."""
    if len(found) == 1:
        return found[0]
    if not found:
        raise FlexorchError(
            f"{label}: no {what} has that name; check flexorch:{key} or use its SID"
        )
    sids = ", ".join(item.sid for item in found)
    raise FlexorchError(
        f"{label}: {len(found)} {what}s have that name ({sids}); set flexorch:{key}"
    )


def known(value: Any) -> bool:
    """False while the engine still computes (part of) the value: a preview of a new stack."""
    if isinstance(value, Mapping):
        return all(known(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(known(v) for v in value)
    return not isinstance(value, Unknown) and bool(value != UNKNOWN)


def warn(message: str) -> None:
    """A warning the engine shows with the resource's step (the provider host's stderr)."""
    pulumi.log.warn(message)


def note(message: str) -> None:
    """What a step changed beyond its own object, in the engine's diagnostics of `up`."""
    pulumi.log.info(message)


def restoring(opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """Options of a resource whose delete puts Twilio back: it is always replaced delete-first.

    Replaced create-first, the old resource's delete would undo what the new one just did (a
    Flex Flow re-enabled while state says disabled). `diff` asks for delete-first, but the
    engine skips `diff` for `pulumi up --replace URN` (pulumi's step_generator.go: a targeted
    replace "blames the id"), so the resource option says it too.
    """
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(delete_before_replace=True))


# The inputs that take over an existing object instead of creating one (`sid` / `adopt`).
ADOPTION_KEYS = ("adopt_sid", "adopt_by_name")


class AdoptingProvider(TwilioProvider):
    """A writer that creates its object or adopts an existing one (config `sid` / `adopt`).

    Changing the adoption keys replaces the object only when they now name another one. When
    they name the object already held (`adopt: true` set on one the stack made, or `sid` moved
    to `adopt`), it is an update that keeps what was recorded when it was first taken over:
    a replacement would delete the very object the new snapshot just recorded.
    """

    def same_name(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
        """Whether adopting by name would find the object already held."""
        raise NotImplementedError

    def names_another(self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
        """Whether the new adoption keys point away from the object `id_` held now."""
        if news.get("adopt_sid"):
            return bool(news["adopt_sid"] != id_)
        if news.get("adopt_by_name"):
            return not self.same_name(olds, news)
        # No longer adopted: an adopted object goes back as it was and a new one is made; one
        # the stack made stays.
        return bool(olds.get("adopted_previous"))

    @override
    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = super().diff(id_, olds, news)
        adoption = [key for key in ADOPTION_KEYS if key in self.changed(olds, news)]
        if not adoption or not self.names_another(id_, olds, news):
            return result
        return DiffResult(
            changes=True, replaces=[*(result.replaces or []), *adoption], delete_before_replace=True
        )

    def check_same_object(self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
        """Whether an update has settings to write; if its adoption keys changed, check them.

        They must still name `id_` (diff replaces otherwise, so only a Console rename gets
        here); a change of only those keys writes nothing.
        """
        changes = self.changed(olds, news)
        if not {key for key in ADOPTION_KEYS if key in changes}:
            return True
        label = self.label(dict(news))
        found = (news.get("adopted") or {}).get("sid")
        if found and found != id_:
            raise FlexorchError(
                f"{label}: the adoption keys now find {found}, but this stack holds {id_}; "
                "use its sid to adopt it (the one held is then put back or deleted)"
            )
        adopts = news.get("adopt_sid") or news.get("adopt_by_name")
        if adopts and not olds.get("adopted_previous"):
            warn(
                f"{label}: {id_} was made by this stack, so adopting it changes nothing: "
                "destroy still deletes it"
            )
        return bool(set(changes) - set(ADOPTION_KEYS))


class SnapshotProvider(TwilioProvider):
    """A step that only reads: what flexorch will change, recorded before anything changes it.

    The writing resource takes the snapshot's outputs as inputs, so it runs after the snapshot
    is in state: a crash or a lost answer after a write can never make flexorch record its own
    values as the ones from before. A bad reference fails here, before any write, and at
    preview too (`check` looks a new one up). Destroy forgets it; refresh keeps what it recorded.
    """

    check_only_validates = True

    def look_up(self, props: dict[str, Any]) -> dict[str, Any]:
        """The outputs to record (they must include `sid`); a FlexorchError for a bad reference."""
        raise NotImplementedError

    # The input a failed look-up is reported under.
    reference: ClassVar[str] = ""

    @override
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return self.looked_up(olds, news, self.look_up, self.reference or self.inputs[0])

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        found = self.look_up(props)
        return CreateResult(str(found["sid"] or self.kind), self.outs(props, **found))

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """What was recorded stays: the writer's own refresh reports what Twilio has now."""
        return ReadResult(id_, props)

    @override
    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """A snapshot changed nothing, so there is nothing to undo."""


class AdoptionSnapshotProvider(SnapshotProvider):
    """The snapshot of an object a config adopts by SID or by name (`sid` / `adopt`).

    Its adoption keys changing is an update, not a replacement: when they still name the
    object recorded (`sid` moved to `adopt`), the record from before flexorch is kept, since a
    look-up now would only see flexorch's own settings.
    """

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        found = self.look_up(news)
        if found["sid"] and found["sid"] == olds.get("sid"):
            found = {"sid": olds["sid"], "previous": olds.get("previous")}
        return UpdateResult(self.carry(olds, news, **found))


class AdoptionSnapshot(TwilioResource):
    """The record of an object a config adopts, which destroy puts back.

    Its SID ("" when adopting by name found none, so one is created) and its settings from before.
    """

    sid: pulumi.Output[str]
    previous: pulumi.Output[dict[str, Any] | None]

    def recorded(self) -> pulumi.Output[dict[str, Any]]:
        """What the adopting resource needs of the snapshot, as one input."""
        return pulumi.Output.all(sid=self.sid, previous=self.previous)


def create_resolved(label: str, create: Callable[[], Any], find: Callable[[], Any]) -> Any:
    """`create()`, resolving a lost answer by `find()` (a look-up by name) instead of repeating.

    Found: Twilio applied the create, so that object is taken over. Not found: it was not
    applied, so it is sent once more.
    """
    for attempt in (1, 2):
        try:
            return create()
        except CreateOutcomeUnknown as lost:
            found = find()
            if found is not None:
                warn(f"{label}: {lost}; found {found.sid}, created by it, and took it over")
                return found
            if attempt == 2:
                raise FlexorchError(f"{label}: {lost}, twice; run again") from None
    raise AssertionError("unreachable")  # pragma: no cover
