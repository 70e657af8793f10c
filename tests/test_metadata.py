"""The wheel's metadata as PyPI and `pip show` present it: links, classifiers, licence."""

from __future__ import annotations

import tomllib
from typing import Any

from helpers import ROOT


def project() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_the_metadata_links_the_project() -> None:
    # Each becomes a `Project-URL: <name>, <url>` line of the wheel's METADATA.
    assert project()["urls"] == {
        "Homepage": "https://github.com/flexorch/flexorch",
        "Documentation": "https://github.com/flexorch/flexorch#readme",
        "Repository": "https://github.com/flexorch/flexorch",
        "Issues": "https://github.com/flexorch/flexorch/issues",
        "Changelog": "https://github.com/flexorch/flexorch/releases",
    }


def test_the_classifiers_say_what_flexorch_is() -> None:
    assert project()["classifiers"] == [
        "Development Status :: 4 - Beta",
        "Environment :: Console",
        "Intended Audience :: Developers",
        "Intended Audience :: System Administrators",
        "Operating System :: OS Independent",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Topic :: Communications :: Chat",
        "Topic :: Software Development :: Build Tools",
        "Topic :: System :: Systems Administration",
        "Typing :: Typed",
    ]


def test_the_licence_is_an_spdx_expression_and_no_classifier() -> None:
    # PEP 639: `License-Expression: MIT`; setuptools >= 77 refuses the build if a
    # `License ::` classifier stands beside it.
    assert (project()["license"], project()["license-files"]) == ("MIT", ["LICENSE"])
    assert not [c for c in project()["classifiers"] if c.startswith("License ::")]


def test_the_python_classifiers_match_requires_python() -> None:
    versions = [
        c.rsplit(" :: ", 1)[1]
        for c in project()["classifiers"]
        if c.startswith("Programming Language :: Python :: 3.")
    ]
    assert project()["requires-python"] == f">={versions[0]}"
