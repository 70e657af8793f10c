"""Build hooks (everything else is in pyproject.toml): ship `flexorch-legacy.pth`.

The file lands at the root of site-packages, for a wheel and for an editable install alike, and
imports `flexorch._legacy` at interpreter start so that states written by releases that shipped
the package as `stack` still unpickle their providers (see flexorch/_legacy.py). A `.pth` is
run by `site` in name order, after `__editable__.flexorch-*.pth` has put flexorch on the path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.editable_wheel import editable_wheel

PTH_NAME = "flexorch-legacy.pth"
PTH_TEXT = "import flexorch._legacy\n"


class BuildPyWithPth(build_py):
    """Also writes the `.pth` at the top of build_lib, which becomes the wheel's root."""

    def run(self) -> None:
        """Build the packages, then the `.pth` beside them (not in editable mode: see below)."""
        super().run()
        if not self.editable_mode:
            Path(self.build_lib, PTH_NAME).write_text(PTH_TEXT)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        """The built files, the `.pth` included."""
        outputs: list[str] = super().get_outputs(include_bytecode)
        if not self.editable_mode:
            outputs.append(str(Path(self.build_lib, PTH_NAME)))
        return outputs


class EditableWheelWithPth(editable_wheel):
    """An editable wheel carries the `.pth` too (setuptools keeps only its own finder there).

    Whatever is in the unpacked wheel folder goes into the wheel as is; its root is installed
    into site-packages. `_run_build_commands` is setuptools' own step that fills that folder
    (setuptools is pinned in `[build-system] requires`).
    """

    def _run_build_commands(
        self, dist_name: str, unpacked_wheel: Any, build_lib: Any, tmp_dir: Any
    ) -> tuple[list[str], dict[str, str]]:
        result: tuple[list[str], dict[str, str]] = super()._run_build_commands(
            dist_name, unpacked_wheel, build_lib, tmp_dir
        )
        Path(unpacked_wheel, PTH_NAME).write_text(PTH_TEXT)
        return result


setup(cmdclass={"build_py": BuildPyWithPth, "editable_wheel": EditableWheelWithPth})
