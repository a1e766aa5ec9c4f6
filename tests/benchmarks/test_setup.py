"""The benchmark runner (like the fixtures and ``.ci/test``) installs the emulators itself.

``tests.support.node_packages.ensure`` runs ``npm ci`` when a pinned package is
missing or at another version, and not otherwise. Here ``npm`` is a stand-in
script on ``PATH`` that records its arguments and "installs" the pins.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.support import node_packages

PINS = {"azurite": "3.35.0", "@vercel/cosmosdb-server": "1.0.1"}

FAKE_NPM = """#!{python}
import json, pathlib, sys
folder = pathlib.Path(sys.argv[sys.argv.index("--prefix") + 1])
with open(folder / "calls.log", "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
for name, version in json.loads((folder / "package.json").read_text())["dependencies"].items():
    target = folder / "node_modules" / name
    target.mkdir(parents=True, exist_ok=True)
    (target / "package.json").write_text(json.dumps({{"version": version}}))
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    node = tmp_path / "node"
    node.mkdir()
    (node / "package.json").write_text(json.dumps({"dependencies": PINS}))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(FAKE_NPM.format(python=sys.executable))
    npm.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(node_packages, "FOLDER", node)
    monkeypatch.setattr(node_packages, "MODULES", node / "node_modules")
    return node


def _install(folder: Path, name: str, version: str) -> None:
    target = folder / "node_modules" / name
    target.mkdir(parents=True, exist_ok=True)
    (target / "package.json").write_text(json.dumps({"version": version}))


def _calls(folder: Path) -> list[str]:
    log = folder / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def test_a_fresh_clone_gets_npm_ci_once(folder: Path) -> None:
    assert node_packages.stale() == ["azurite@3.35.0", "@vercel/cosmosdb-server@1.0.1"]
    node_packages.ensure()
    node_packages.ensure()  # now up to date: npm is not run again
    [call] = _calls(folder)
    assert call.startswith(f"ci --prefix {folder}")
    assert node_packages.stale() == []


def test_another_installed_version_is_reinstalled(folder: Path) -> None:
    _install(folder, "azurite", "3.35.0")
    _install(folder, "@vercel/cosmosdb-server", "1.0.0")
    assert node_packages.stale() == ["@vercel/cosmosdb-server@1.0.1"]
    node_packages.ensure()
    assert len(_calls(folder)) == 1
    assert node_packages.stale() == []


def test_up_to_date_packages_need_no_npm(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, version in PINS.items():
        _install(folder, name, version)
    monkeypatch.setenv("PATH", "")
    node_packages.ensure()  # no npm on PATH, and none needed
    assert _calls(folder) == []


def test_no_npm_says_what_to_install(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")

    class SetupError(RuntimeError):
        pass

    with pytest.raises(SetupError, match=r"install Node\.js 20"):
        node_packages.ensure(SetupError)
