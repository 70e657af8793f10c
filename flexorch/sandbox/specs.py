"""Twilio's official OpenAPI specs, as the sandbox and the contract tests use them.

The products flexorch talks to (TaskRouter, Chat, the 2010 API, Flex, Proxy, Studio, Conversations)
ship inside the package as one merged document, `twilio-specs.json.gz`, built from the npm package
`@twilio-alpha/mcp` by `scripts/build-specs` (which also adds the form-array encoding Prism 5
needs, stoplightio/prism#2473). At run time only that file is read: no Node, no node_modules.

Conversations shares paths with Flex (`/v1/Configuration`) and Proxy (`/v1/Services`), so its
paths are mounted under its host (`/conversations.twilio.com/v1/...`); a server that receives a
request with that `Host` serves it from there (`mounted_path`).
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from flexorch.errors import FlexorchError

SPEC_FILE = "twilio-specs.json.gz"


@cache
def document_bytes() -> bytes:
    """The merged spec as JSON bytes (decompressed once per process)."""
    shipped = resources.files(__package__).joinpath(SPEC_FILE)
    try:
        return gzip.decompress(shipped.read_bytes())
    except FileNotFoundError:
        raise FlexorchError(
            f"{shipped}: Twilio's OpenAPI specs are missing from the flexorch package; "
            "reinstall flexorch (in a checkout: scripts/build-specs)"
        ) from None


def merged() -> dict[str, Any]:
    """The merged, patched OpenAPI document (a fresh copy the caller may change)."""
    document: dict[str, Any] = json.loads(document_bytes())
    return document


def write_merged(path: Path) -> Path:
    """Write the merged, patched spec where Prism can read it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(document_bytes())
    return path


@cache
def mounts() -> dict[str, str]:
    """Host -> path prefix of the products mounted under their host."""
    found: dict[str, str] = json.loads(document_bytes()).get("x-flexorch-mounts", {})
    return found


def mounted_path(host: str | None, target: str) -> str:
    """Where a request for `target` (path and query) sent with `host` lives in the document."""
    prefix = mounts().get((host or "").split(":", 1)[0].lower(), "")
    return prefix + target


def unmounted(path: str) -> str:
    """A document path as clients write it: `/conversations.twilio.com/v1/X` -> `/v1/X`."""
    for prefix in mounts().values():
        if path.startswith(prefix + "/"):
            return path.removeprefix(prefix)
    return path


def public_url(path: str) -> str:
    """The absolute URL a client follows to `path` (a next page): a mounted product's own host."""
    for host, prefix in mounts().items():
        if path.startswith(prefix + "/"):
            return f"https://{host}{path.removeprefix(prefix)}"
    return f"https://sandbox.flexorch.local{path}"
