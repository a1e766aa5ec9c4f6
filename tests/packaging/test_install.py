"""The project's own build: an SPDX licence, a bounded setuptools, no deprecation warnings.

``pip install -e .`` builds with the newest setuptools that ``[build-system]``
allows, in an isolated environment fetched from the package index; the build
test does the same (``pip wheel``, on a copy of the sources so the work tree
gets no ``build/`` folder) and reads what it printed and the wheel's metadata.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def _pyproject() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def test_setuptools_is_bounded_on_both_sides() -> None:
    build = _pyproject()["build-system"]
    assert isinstance(build, dict)
    [setuptools] = [Requirement(r) for r in build["requires"] if r.startswith("setuptools")]
    # 77 is the first release that takes an SPDX `license` string and `license-files`
    assert not setuptools.specifier.contains("76.9")
    assert setuptools.specifier.contains("77.0")
    assert not setuptools.specifier.contains("999"), "no upper bound: a future major could break"


def test_licence_is_an_spdx_expression_with_its_file() -> None:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    assert project["license"] == "MIT"
    for name in project["license-files"]:
        assert (ROOT / name).read_text(encoding="utf-8").startswith("MIT License")


@pytest.mark.slow
def test_wheel_builds_without_deprecation_warnings(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "explorer", source / "explorer", ignore=shutil.ignore_patterns("__pycache__")
    )
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(tmp_path), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    # -v shows the backend's output: the licence table printed this warning thrice
    assert "DeprecationWarning" not in output, output[-3000:]
    [wheel] = tmp_path.glob("botstate_explorer-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
        headers = HeaderParser().parsestr(archive.read(metadata).decode())
        [licence] = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        assert archive.read(licence).startswith(b"MIT License")
    assert headers["License-Expression"] == "MIT"
    assert headers.get_all("License-File") == ["LICENSE"]
    assert headers["License"] is None  # the deprecated free-text field is gone
