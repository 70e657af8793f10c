"""The gRPC server the engine talks to: Pulumi's provider server, with user errors as one line.

Pulumi's server (`pulumi.provider.experimental.server`, 3.272) re-raises every exception as
`<message>:` followed by its Python stack, which the engine prints in full. A FlexorchError is a
problem the user can fix, so it goes back as its own text only; anything else is a bug and
keeps its stack.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import grpc.aio
from pulumi.errors import RunError
from pulumi.provider.experimental.provider import Provider
from pulumi.provider.experimental.server import ProviderServicer
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import provider_pb2_grpc
from pulumi.runtime.settings import reset_options

from flexorch import __version__
from flexorch.errors import FlexorchError

Handler = Callable[[Any, Any, Any], Awaitable[Any]]


def user_error(error: BaseException | None) -> Exception | None:
    """The user error `error` is, or was raised while handling (Pulumi wraps it).

    A FlexorchError, or the RunError the component raises for bad args (its lines).
    """
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, FlexorchError | RunError):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def one_line(handler: Handler) -> Handler:
    """`handler`, answering a user error with its text alone (gRPC status UNKNOWN)."""

    @functools.wraps(handler)
    async def wrapper(self: Any, request: Any, context: Any) -> Any:
        try:
            return await handler(self, request, context)
        except Exception as error:
            found = user_error(error)
            if found is None:
                raise
            await context.abort(grpc.StatusCode.UNKNOWN, str(found))

    return wrapper


class Servicer(ProviderServicer):
    """Pulumi's provider servicer, whose resource operations report user errors as one line."""


for _name in (
    "CheckConfig", "Configure", "Check", "Diff", "Create", "Read", "Update", "Delete", "Construct",
):  # fmt: skip
    setattr(Servicer, _name, one_line(getattr(ProviderServicer, _name)))


async def serve(provider: Provider, engine: str, args: list[str]) -> None:
    """Serve `provider` on a free local port and tell the engine which (the plugin handshake).

    The providers' warnings and notes (`pulumi.log`) go to the engine's log service, so the
    CLI shows them as it did for the dynamic providers; a plugin's stderr it does not show.
    """
    if engine:
        reset_options(engine_address=engine)
    server = grpc.aio.server(options=_GRPC_CHANNEL_OPTIONS)
    servicer = Servicer(args, __version__, provider, engine_address=engine)
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
    port = server.add_insecure_port(address="127.0.0.1:0")
    await server.start()
    sys.stdout.buffer.write(f"{port}\n".encode())
    sys.stdout.buffer.flush()
    await server.wait_for_termination()


def main(argv: list[str] | None = None) -> None:
    """`pulumi-resource-flexorch ENGINE_ADDRESS [flags]`: how the engine starts a plugin."""
    from flexorch.provider.provider import FlexorchProvider

    args = sys.argv[1:] if argv is None else argv
    engine = next((arg for arg in args if not arg.startswith("-")), "")
    try:
        asyncio.run(serve(FlexorchProvider(), engine, args))
    except KeyboardInterrupt:
        pass
