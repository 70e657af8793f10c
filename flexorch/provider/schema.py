"""The provider's Pulumi package schema: what YAML, `pulumi import` and SDK generators read.

It ships as `schema.json`, written by `scripts/regenerate-schema` from the resources as the
component declares them (so it names exactly the properties they send) and from the config
model (the component's inputs are the `flexorch:` namespace); tests/test_real_provider.py
checks that it still matches. https://www.pulumi.com/docs/iac/extending-pulumi/schema/
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from flexorch import __version__
from flexorch.resources.resource import PACKAGE, camel, token

SCHEMA_FILE = "schema.json"
ANY = {"$ref": "pulumi.json#/Any"}
COMPONENT = token("CustomMessaging")
# Types of the component's inputs are named after the config model's, with this prefix: a
# resource and a type of one name would make clashing classes in the generated SDKs.
TYPE_PREFIX = "Messaging"

CREDENTIALS = {
    "accountSid": {"type": "string", "description": "The Twilio account SID (AC...)."},
    "authToken": {"type": "string", "secret": True, "description": "The account's auth token."},
    "apiKey": {"type": "string", "description": "An API key SID (SK...), with apiSecret."},
    "apiSecret": {"type": "string", "secret": True, "description": "The API key's secret."},
}

COMPONENT_OUTPUTS = {
    "workspaceSid": {"type": "string", "description": "The Flex workspace (WS...)."},
    "workflowSid": {"type": "string", "description": "The contact_uri Workflow (WW...)."},
    "taskChannelSids": {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "description": "Each managed task channel's SID, by unique name.",
    },
    "numbers": {
        "type": "array",
        "items": {"type": "string"},
        "description": "The managed numbers, as E.164.",
    },
}


def load() -> str:
    """The schema shipped with the package, as the engine's GetSchema returns it."""
    return (resources.files(__package__) / SCHEMA_FILE).read_text(encoding="utf-8")


def _sample_type(value: Any) -> dict[str, Any]:
    """A property's type from a value a resource declared (unknown or None: any)."""
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, list | tuple):
        items = {json.dumps(_sample_type(item), sort_keys=True) for item in value}
        return {"type": "array", "items": json.loads(items.pop()) if len(items) == 1 else ANY}
    return dict(ANY)


def _resource(samples: Iterable[Mapping[str, Any]], inputs: Iterable[str]) -> dict[str, Any]:
    """A custom resource from the props it was declared with: known values are inputs."""
    types: dict[str, dict[str, Any]] = {}
    given = {camel(name) for name in inputs}
    for props in samples:
        for name, value in props.items():
            key = camel(name)
            if value is not None:
                given.add(key)
                found = _sample_type(value)
                if types.get(key, found) != found:
                    found = dict(ANY)
                types[key] = found
            types.setdefault(key, dict(ANY))
    ordered = dict(sorted(types.items()))
    return {
        "inputProperties": {k: v for k, v in ordered.items() if k in given},
        "properties": ordered,
    }


def _component_type(value: Mapping[str, Any]) -> dict[str, Any]:
    """A config model property (pydantic's JSON schema) as a Pulumi schema type."""
    options = [v for v in value.get("anyOf", [value]) if v.get("type") != "null"]
    if len(options) != 1:
        return dict(ANY)
    option = options[0]
    out: dict[str, Any]
    if "$ref" in option:
        out = {"$ref": "#/types/" + token(TYPE_PREFIX + option["$ref"].rsplit("/", 1)[-1])}
    elif option.get("type") == "array":
        out = {"type": "array", "items": _component_type(option.get("items", {}))}
    elif option.get("type") in ("string", "integer", "number", "boolean"):
        out = {"type": option["type"]}
    else:
        out = dict(ANY)
    if value.get("description"):
        out["description"] = value["description"]
    return out


def _object(model: Mapping[str, Any]) -> dict[str, Any]:
    properties = {k: _component_type(v) for k, v in model.get("properties", {}).items()}
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if model.get("required"):
        out["required"] = list(model["required"])
    if model.get("description"):
        out["description"] = model["description"]
    return out


def build(
    declared: Mapping[str, tuple[Iterable[Mapping[str, Any]], Iterable[str]]],
) -> dict[str, Any]:
    """The schema, from each custom resource's declarations (token -> props seen, its inputs)."""
    from flexorch.config import StackConfig  # the config model: only to build, never to serve

    config = StackConfig.model_json_schema(by_alias=True, mode="validation")
    component = _object(config)
    resources_ = {tok: _resource(*declared[tok]) for tok in sorted(declared)}
    resources_[COMPONENT] = {
        "isComponent": True,
        "description": "Everything one Flex account needs for custom messaging orchestration.",
        "inputProperties": component["properties"],
        "requiredInputs": component.get("required", []),
        "properties": COMPONENT_OUTPUTS,
        "required": sorted(COMPONENT_OUTPUTS),
    }
    return {
        "name": PACKAGE,
        "displayName": "flexorch",
        "version": __version__,
        "description": "Twilio Flex custom messaging orchestration as code.",
        # Python's SDK is this distribution: code `pulumi import` prints runs as it is.
        "language": {"python": {"packageName": PACKAGE}},
        "config": {"variables": CREDENTIALS},
        "provider": {"inputProperties": CREDENTIALS, "properties": CREDENTIALS},
        "resources": resources_,
        "types": {
            token(TYPE_PREFIX + name): _object(model)
            for name, model in sorted(config.get("$defs", {}).items())
        },
    }
