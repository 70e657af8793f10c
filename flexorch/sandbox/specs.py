"""Twilio's official OpenAPI specs, as the sandbox and the contract tests use them.

The products flexorch talks to (TaskRouter, Chat, the 2010 API, Flex, Proxy, Studio) ship inside
the package as one merged document, `twilio-specs.json.gz`, built from the npm package
`@twilio-alpha/mcp` by `scripts/build-specs` (which also adds the form-array encoding Prism 5
needs, stoplightio/prism#2473). At run time only that file is read: no Node, no node_modules.
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
