"""The provider: each request dispatched by type token to the resource's existing provider.

The server is asyncio, and the providers call Twilio synchronously: each operation runs on a
pool of `WORKERS` threads, so one slow request never holds up the others (issue 23's experiment:
40 creates of 200 ms took 9.3 s on the loop, 2.7 s off it; tests/test_real_provider.py runs 32
at once).
One process serves one provider configuration (the engine starts one per provider resource).

The engine calls `check` one resource at a time, so a check that waits for Twilio holds up every
resource registered after it: a snapshot's check, which only looks its reference up, runs in
the background instead, and its create or update (run in parallel, at preview too) reports
what it found. 7 look-ups of a stack from scratch then overlap instead of queuing.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

from pulumi.dynamic import CheckResult
from pulumi.provider.experimental import provider as api
from typing_extensions import override

from flexorch.errors import FlexorchError
from flexorch.provider.registry import PROVIDERS
from flexorch.provider.schema import COMPONENT, load
from flexorch.provider.values import Props, plain, settled, to_input, to_properties, to_props
from flexorch.resources.base import HOST_WORKERS, TwilioProvider
from flexorch.resources.resource import camel
from flexorch.twilio_facts import PROVIDER_CREDENTIALS, SECRET_CREDENTIALS

T = TypeVar("T")

# Twilio calls in flight at once; the engine's default --parallel is 4 per CPU.
WORKERS = HOST_WORKERS


def plain_text(key: str) -> str:
    """The problem line for the provider's `key` given in plain text: state would hold it so."""
    return (
        f"flexorch:{key}: is not a secret, so state would hold it in plain text; run "
        f"`pulumi config set --secret flexorch:{key}` (for a provider resource, pass a secret)"
    )


# DiffResponse.DiffChanges of Pulumi's provider protocol (provider.proto).
DIFF_NONE, DIFF_SOME = 1, 2

# Where a dynamic provider kept its pickled self in each resource's state (pulumi.dynamic).
PICKLE = "__provider"


def resource_type(urn: str) -> str:
    """The type token in `urn`, without its parents' types.

    `request.type` of the SDK's requests keeps them (`flexorch:index:CustomMessaging$
    flexorch:index:Workflow` for a component's child), so it cannot be looked up as is.
    """
    return urn.split("::")[-2].split("$")[-1] if "::" in urn else ""


class FlexorchProvider(api.Provider):
    """Serves every flexorch resource by type token; Twilio calls run off the event loop."""

    def __init__(
        self,
        providers: Mapping[str, type[TwilioProvider]] = PROVIDERS,
        workers: int = WORKERS,
    ) -> None:
        """`providers`: the type token -> provider registry (tests pass their own)."""
        self._providers = providers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="flexorch")
        self._credentials: dict[str, Any] = {}
        # Snapshot checks still running, by URN: their create or update reports what they find.
        self._checks: dict[str, asyncio.Future[CheckResult]] = {}

    def _config_get(self, key: str) -> Any:
        """`twilio:accountSid` and its kin, as `Credentials.find` asks, from this config."""
        return self._credentials.get(key.removeprefix("twilio:"))

    def _provider(self, urn: str) -> TwilioProvider:
        """The provider of the resource `urn`, reading credentials from this config."""
        type_ = resource_type(urn)
        found = self._providers.get(type_)
        if found is None:
            served = ", ".join(sorted(self._providers))
            raise FlexorchError(
                f"{urn}: {type_} is not a flexorch resource type; this provider serves {served}"
            )
        return found().using(self._config_get)

    async def _run(self, call: Callable[..., T], *args: Any) -> T:
        """`call(*args)` on the pool: the Twilio SDK blocks."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(call, *args))

    @override
    async def get_schema(self, request: api.GetSchemaRequest) -> api.GetSchemaResponse:
        return api.GetSchemaResponse(schema=load())

    @override
    async def configure(self, request: api.ConfigureRequest) -> api.ConfigureResponse:
        """Keep the credentials; every other key of the namespace is the program's, not ours.

        Preview support only so that a moved dynamic resource keeps its outputs at preview
        (`update`): create and update at preview answer what the engine itself would for a
        provider without it (the inputs) and make no Twilio request, so none can happen
        before `up`; an update at preview only asks the provider what it would refuse
        (`preview_update`, from state alone). Secrets arrive marked (and stay secret in what
        is returned); resources and outputs arrive as plain values, which is all the
        providers take.
        A token or API secret that arrives unmarked (`pulumi config set --plaintext`) is
        refused before the engine records the provider: state would hold it in plain text.
        CheckConfig cannot tell, the engine sends it no secret marks (Pulumi 3.274).
        """
        for key in SECRET_CREDENTIALS:  # the schema marks them secret
            value = request.args.get(key)
            if value is not None and isinstance(value.value, str) and not value.is_secret:
                raise FlexorchError(plain_text(key))
        self._credentials = {
            key: plain(value) for key, value in request.args.items() if key in PROVIDER_CREDENTIALS
        }
        return api.ConfigureResponse(accept_secrets=True, supports_preview=True)

    async def _checked(self, urn: str) -> None:
        """What the background check of `urn` found wrong, as the operation's error."""
        pending = self._checks.pop(urn, None)
        result = await pending if pending is not None else None
        if result is not None and result.failures:
            raise FlexorchError([failure.reason for failure in result.failures])

    @override
    async def diff_config(self, request: api.DiffRequest) -> api.DiffResponse:
        """A provider resource changes when its credentials do, and only then.

        Left to the engine, every input counts, and the `version` a generated SDK (the
        TypeScript one) gives the component is in its provider resource's inputs on later runs
        but not in what the first `up` recorded: each later preview would plan an update of it.
        """
        olds, news = request.old_state, request.new_inputs
        changed = [
            key
            for key in PROVIDER_CREDENTIALS
            if (plain(olds[key]) if key in olds else None)
            != (plain(news[key]) if key in news else None)
        ]
        # pulumi 3.272's server copies `changes` into DiffConfig's answer as is, where the
        # protocol wants DiffChanges (DIFF_NONE 1, DIFF_SOME 2; a bool False would be 0,
        # unknown, and the engine would compare every input again), and it fails on any
        # `detailed_diff` entry (it reads `inputDiff`), so `diffs` alone names the changes.
        changes = DIFF_SOME if changed else DIFF_NONE
        return api.DiffResponse(changes=cast(bool, changes), diffs=changed)

    @override
    async def check(self, request: api.CheckRequest) -> api.CheckResponse:
        provider = self._provider(request.urn)
        olds, news = to_props(request.old_inputs), to_props(request.new_inputs)
        if provider.check_only_validates:
            self._checks[request.urn] = asyncio.ensure_future(
                self._run(provider.check, olds.values, news.values)
            )
            return api.CheckResponse(inputs=to_properties(news.values, news.secret), failures=[])
        result = await self._run(provider.check, olds.values, news.values)
        return api.CheckResponse(
            inputs=to_properties(result.inputs or {}, news.secret),
            failures=[api.CheckFailure(camel(f.property), f.reason) for f in result.failures or []],
        )

    @override
    async def diff(self, request: api.DiffRequest) -> api.DiffResponse:
        """What changed; for a resource a dynamic provider left, also its pickle's removal.

        Reported as no change, the engine would keep that state, pickle and all, for good.
        """
        provider = self._provider(request.urn)
        olds, news = to_props(request.old_state), to_props(request.new_inputs)
        result = await self._run(provider.diff, request.resource_id, olds.values, news.values)
        replaces = list(result.replaces or [])
        changed = [*provider.changed(olds.values, news.values), *replaces]
        detailed = {
            camel(key): api.PropertyDiff(
                api.PropertyDiffKind.UPDATE_REPLACE
                if key in replaces
                else api.PropertyDiffKind.UPDATE,
                input_diff=True,
            )
            for key in changed
        }
        moving = PICKLE in request.old_state
        if moving:
            detailed[PICKLE] = api.PropertyDiff(api.PropertyDiffKind.DELETE, input_diff=True)
        return api.DiffResponse(
            changes=True if moving else result.changes,
            replaces=[camel(key) for key in replaces],
            stables=[camel(key) for key in result.stables or []],
            delete_before_replace=bool(result.delete_before_replace),
            diffs=list(detailed),
            detailed_diff=detailed,
        )

    @override
    async def create(self, request: api.CreateRequest) -> api.CreateResponse:
        provider = self._provider(request.urn)
        await self._checked(request.urn)
        props = to_props(request.properties)
        if request.preview:
            return api.CreateResponse("", to_properties(props.values, props.secret))
        result = await self._run(provider.create, props.values)
        return api.CreateResponse(str(result.id), to_properties(result.outs or {}, props.secret))

    @override
    async def read(self, request: api.ReadRequest) -> api.ReadResponse:
        """Refresh: what Twilio has now; the inputs that produce it, for the next diff.

        An empty id (an owned object Twilio no longer has) tells the engine it is gone. With
        no state at all it is `pulumi import` (or `import_`): the provider finds the object
        from its id alone, and what it returns becomes the resource's inputs and outputs.
        """
        provider = self._provider(request.urn)
        inputs, state = to_props(request.inputs), to_props(request.properties)
        props = Props({**inputs.values, **state.values}, inputs.secret | state.secret)
        if props.values:
            result = await self._run(provider.read, request.resource_id, props.values)
        else:
            result = await self._run(provider.import_, request.resource_id)
        if not result.id:
            return api.ReadResponse(resource_id="")
        outs = result.outs or {}
        read_inputs = {**inputs.values, **{k: outs[k] for k in provider.inputs if k in outs}}
        return api.ReadResponse(
            resource_id=str(result.id),
            properties=to_properties(outs, props.secret),
            inputs=to_properties(read_inputs, props.secret),
        )

    @override
    async def update(self, request: api.UpdateRequest) -> api.UpdateResponse:
        """The provider's update; a dynamic resource's move alone is its state without the pickle.

        The move changes nothing in Twilio, so it makes no request (`to_props` drops the
        pickle) and its outputs are known at preview too: were they unknown, every resource
        fed by them (a workspace's SID) would preview as replaced. With a real change as
        well, the provider's own update does what it needs, at `up`; at preview it says
        only what that update would refuse (the guard's drift, judged by the new inputs).
        """
        provider = self._provider(request.urn)
        await self._checked(request.urn)
        olds, news = to_props(request.olds), to_props(request.news)
        secret = olds.secret | news.secret
        if PICKLE in request.olds and not provider.changed(olds.values, news.values):
            return api.UpdateResponse(to_properties(olds.values, secret))
        if request.preview:
            provider.preview_update(olds.values, news.values)
            return api.UpdateResponse(to_properties(news.values, news.secret))
        result = await self._run(provider.update, request.resource_id, olds.values, news.values)
        return api.UpdateResponse(to_properties(result.outs or {}, secret))

    @override
    async def construct(self, request: api.ConstructRequest) -> api.ConstructResponse:
        """`flexorch:index:CustomMessaging` for any Pulumi language: the Python component, here.

        Its children are this provider's resources, served by the provider given in the
        request's options, else by one for the stack's credentials (`flexorch:*`, else
        `twilio:*`; `Provider.from_stack_config`), which Construct receives whole (CRUD calls
        see only `flexorch:*`).
        """
        # Here, not at the top: the component and its config model are the slowest imports,
        # and every operation of every stack waits for the provider to start.
        from flexorch.component import CustomMessaging

        if request.resource_type != COMPONENT:
            raise FlexorchError(
                f"{request.resource_type} is not a flexorch component; this provider "
                f"constructs {COMPONENT}"
            )
        args = {key: to_input(value) for key, value in request.inputs.items()}
        component = CustomMessaging(request.name, args, request.options)
        outputs = {
            "workspaceSid": component.workspace_sid,
            "workflowSid": component.workflow_sid,
            "taskChannelSids": component.task_channel_sids,
            "numbers": component.numbers,
        }
        state = {key: await settled(output) for key, output in outputs.items()}
        return api.ConstructResponse(
            urn=str(await component.urn.future()),
            state={key: value for key, value in state.items() if value is not None},
            state_dependencies={},
        )

    @override
    async def delete(self, request: api.DeleteRequest) -> None:
        provider = self._provider(request.urn)
        await self._run(provider.delete, request.resource_id, to_props(request.properties).values)
