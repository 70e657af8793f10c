"""Twilio's official OpenAPI specs, as the sandbox and the contract tests use them.

The specs ship in the npm package `@twilio-alpha/mcp` (`twilio-oai/spec/json`). flexorch serves
every product on one base URL, so the products it talks to are merged into one document (their
paths do not overlap), and form bodies get the encoding OpenAPI 3 implies but Prism 5 does not
apply (stoplightio/prism#2473): `style: form, explode: true` for arrays, so the repeated keys
the Twilio SDKs send (`WebhookFilters=a&WebhookFilters=b`) validate.
"""

from __future__ import annotations

import copy
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from flexorch.errors import FlexorchError

SPECS_ENV = "FLEXORCH_TWILIO_SPECS"
PRODUCTS = (
    "twilio_taskrouter_v1",
    "twilio_chat_v2",
    "twilio_api_v2010",
    "twilio_flex_v1",
    "twilio_proxy_v1",
    "twilio_studio_v2",
)
FORM = "application/x-www-form-urlencoded"


def specs_dir() -> Path:
    """Where the spec files are: $FLEXORCH_TWILIO_SPECS, else the project's node_modules."""
    if os.environ.get(SPECS_ENV):
        return Path(os.environ[SPECS_ENV])
    root = Path(__file__).resolve().parents[2]
    return root / "node_modules" / "@twilio-alpha" / "mcp" / "twilio-oai" / "spec" / "json"


@cache
def load(product: str) -> dict[str, Any]:
    """One product's spec, parsed (cached: they are large)."""
    path = specs_dir() / f"{product}.json"
    try:
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FlexorchError(
            f"{path}: Twilio's OpenAPI specs are missing; run `npm ci` in the project root "
            f"(they come with @twilio-alpha/mcp) or point {SPECS_ENV} at them"
        ) from None
    return document


def explode_form_arrays(spec: dict[str, Any]) -> dict[str, Any]:
    """Add `style: form, explode: true` encoding for every array in every form body."""
    for item in spec.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get(FORM)
            if not body:
                continue
            properties = body.get("schema", {}).get("properties", {})
            encoding = body.setdefault("encoding", {})
            for name, schema in properties.items():
                if schema.get("type") == "array":
                    encoding.setdefault(name, {"style": "form", "explode": True})
    return spec


def merged(products: tuple[str, ...] = PRODUCTS) -> dict[str, Any]:
    """One OpenAPI document with the paths and components of all `products`.

    Raises:
        ValueError: if two products define the same path or schema differently.
    """
    out: dict[str, Any] = {
        "openapi": "3.0.1",
        "info": {"title": "Twilio (flexorch sandbox)", "version": "1.0.0"},
        "paths": {},
        "components": {"schemas": {}, "securitySchemes": {}},
        "security": [{"accountSid_authToken": []}],
    }
    for product in products:
        spec = explode_form_arrays(copy.deepcopy(load(product)))
        for path, item in spec["paths"].items():
            if path in out["paths"]:
                raise ValueError(f"{product} redefines {path}")
            # Servers are per product upstream; here everything is on one base URL.
            item.pop("servers", None)
            out["paths"][path] = item
        for section, entries in spec.get("components", {}).items():
            target = out["components"].setdefault(section, {})
            for name, value in entries.items():
                if name in target and target[name] != value:
                    raise ValueError(f"{product} redefines components.{section}.{name}")
                target[name] = value
    return out


def write_merged(path: Path, products: tuple[str, ...] = PRODUCTS) -> Path:
    """Write the merged, patched spec where Prism can read it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(merged(products)), encoding="utf-8")
    return path
