"""Old states' pickled providers still load: `stack.providers.X` resolves to `flexorch.resources.X`.

Releases up to 0.1 shipped the package as `stack`, so every resource a stack deployed then holds
its provider in state as a dill pickle *by reference* to `stack.providers.<module>.<Class>`
(a `STACK_GLOBAL` of that module and class name, then `NEWOBJ` with no arguments and no state).
`pulumi destroy` and `pulumi refresh` unpickle it in the dynamic provider host
(`python -u -m pulumi.dynamic`), which imports nothing of flexorch's first. The wheel does not
install a top-level `stack` package (a user's own `stack` keeps working), so `flexorch-legacy.pth`
in site-packages imports this module at interpreter start, which appends one finder to
`sys.meta_path`. Being last, it is only asked about a name that no real module provides:

- `stack.providers` and `stack.providers.<X>`: served whenever asked (a user's own `stack`
  package without `providers` included); `<X>` is the very module `flexorch.resources.<X>`, so
  the unpickled object is an instance of today's class.
- `stack` itself (an empty stand-in package): only inside the dynamic provider host, so that
  `import stack` elsewhere still fails as it should when there is none.

Importing this module costs little: `sys` and importlib's machinery, loaded at start anyway.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import types
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    import importlib.abc

LEGACY = "stack"
LEGACY_PROVIDERS = "stack.providers"
TARGET_PROVIDERS = "flexorch.resources"
PROVIDER_HOST = "pulumi.dynamic.__main__"


def in_provider_host() -> bool:
    """Whether this process is Pulumi's dynamic provider host (`python -m pulumi.dynamic`)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return getattr(spec, "name", None) == PROVIDER_HOST


class LegacyFinder:
    """Finds (and loads) the pre-rename module names old pickles reference; see the module doc.

    A meta path finder and loader by protocol; not derived from `importlib.abc`, whose import
    (tempfile, shutil, ...) would cost every interpreter start more than all of this.
    """

    def __init__(self, *, provider_host_only: bool = True) -> None:
        """`provider_host_only=False` serves `stack` in any process (tests)."""
        self.provider_host_only = provider_host_only
        self._loader = cast("importlib.abc.Loader", self)  # a loader by protocol

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        """A spec for `stack`, `stack.providers` or `stack.providers.<X>`, else None."""
        if fullname == LEGACY:
            if self.provider_host_only and not in_provider_host():
                return None
            return importlib.machinery.ModuleSpec(fullname, self._loader, is_package=True)
        if fullname == LEGACY_PROVIDERS:
            return importlib.machinery.ModuleSpec(fullname, self._loader, is_package=True)
        if fullname.startswith(LEGACY_PROVIDERS + "."):
            rest = fullname[len(LEGACY_PROVIDERS) + 1 :]
            from importlib.util import find_spec  # only now: not every start needs it

            if "." in rest or find_spec(f"{TARGET_PROVIDERS}.{rest}") is None:
                return None
            return importlib.machinery.ModuleSpec(fullname, self._loader)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        """The default module (the stand-in packages; replaced below for provider modules)."""
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        """Stand-in packages stay empty; a provider module becomes the real flexorch module."""
        name = module.__name__
        if name in (LEGACY, LEGACY_PROVIDERS):
            module.__path__ = []
            module.__doc__ = f"Stand-in for the pre-0.2 `{name}` package ({__name__})."
            return
        real = importlib.import_module(TARGET_PROVIDERS + name[len(LEGACY_PROVIDERS) :])
        # The import system returns whatever sys.modules holds once exec_module is done, so
        # `stack.providers.X` *is* `flexorch.resources.X` (one module, one class).
        sys.modules[name] = real


def install() -> None:
    """Append the finder to `sys.meta_path` once (what `flexorch-legacy.pth` runs)."""
    if not any(isinstance(finder, LegacyFinder) for finder in sys.meta_path):
        sys.meta_path.append(LegacyFinder())


install()
