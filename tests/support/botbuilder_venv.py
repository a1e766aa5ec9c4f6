"""The botbuilder-python 4.17.1 peer, in its own venv (it pins old Azure SDKs).

``python -m tests.support.botbuilder_venv`` creates ``.cache/botbuilder-venv``
if needed and prints its interpreter. Tests and benchmarks call ``ensure()``,
or ``run(...)`` to run a script with it and ``last_json(stdout)`` to read what
the script printed last.

A bot that uses OUR Blob or Cosmos storage needs the Azure SDKs this project
requires, not the old ones botbuilder-azure pins in that venv (our backends do
not run on azure-storage-blob 12.7 / azure-cosmos 4.7); a real bot on our
storages has no botbuilder-azure at all. ``azure_overlay()`` gives a folder that,
put on ``PYTHONPATH``, lends such a process this interpreter's
``azure.storage.blob`` and ``azure.cosmos`` (``azure`` is a namespace package in
both venvs, so the rest, azure-core included, still comes from the bot's venv).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import venv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".cache" / "botbuilder-venv"
REQUIREMENTS = [
    "botbuilder-core==4.17.1",
    "botbuilder-dialogs==4.17.1",
    "botbuilder-azure==4.17.1",
    # StorageBaseTests: botbuilder's own storage conformance suite (brings pytest 8.3)
    "botbuilder-testing==4.17.1",
    "aiohttp",
    "six",
]
_MARKER = VENV / ".installed"


def python() -> Path:
    return VENV / "bin" / "python"


def ensure() -> Path:
    """Create the venv once; return its python. Raises if pip fails.

    The venv is stale when a pin here is missing from its marker file (the pins
    it was last installed with): pip then installs them all. The marker keeps
    the union of old and new pins, so worktrees with fewer pins sharing the venv
    do not reinstall in turn; pins are only ever added (never removed) here.
    """
    installed = _MARKER.read_text().splitlines() if _MARKER.exists() else []
    if set(REQUIREMENTS) <= set(installed) and python().exists():
        return python()
    wanted = "\n".join(dict.fromkeys([*installed, *REQUIREMENTS]))
    if not python().exists():
        venv.create(VENV, with_pip=True)
    subprocess.run(
        [str(python()), "-m", "pip", "install", "-q", "--disable-pip-version-check", *REQUIREMENTS],
        check=True,
    )
    _MARKER.write_text(wanted)
    return python()


#: the packages ``azure_overlay`` lends, as folders below ``azure``
_OVERLAID = ("storage/blob", "cosmos")


def azure_overlay() -> Path:
    """A folder holding ``azure/storage/blob`` and ``azure/cosmos`` links to this venv's.

    Made once per venv under the temp folder (each process builds it aside and
    renames it into place, so concurrent callers never see half of it).
    """
    sources = {}
    for package in _OVERLAID:
        spec = importlib.util.find_spec("azure." + package.replace("/", "."))
        assert spec is not None, package
        assert spec.submodule_search_locations, package
        sources[package] = Path(next(iter(spec.submodule_search_locations)))
    digest = hashlib.sha256(repr(sorted(sources.items())).encode()).hexdigest()[:16]
    overlay = Path(tempfile.gettempdir()) / f"botstate-azure-overlay-{digest}"
    if overlay.is_dir():
        return overlay
    staging = Path(tempfile.mkdtemp(prefix=overlay.name + ".", dir=overlay.parent))
    for package, source in sources.items():
        link = staging / "azure" / package
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(source, target_is_directory=True)
    try:
        staging.rename(overlay)
    except OSError:  # another process put it in place first
        if not overlay.is_dir():
            raise
    return overlay


def run(
    *args: str | Path,
    pythonpath: Path | Sequence[Path] | None = None,
    cwd: Path | None = None,
    stdin: str | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run the venv's python with ``args`` (a script and its arguments, or ``-c CODE ...``).

    ``pythonpath``: set as ``PYTHONPATH`` (the repository ``ROOT`` to import our
    packages, a folder of the script's own modules, ``azure_overlay()``; several
    in order); ``None`` keeps the environment as it is. ``stdin`` is fed as text. Fails (an
    ``AssertionError`` carrying its stderr) when the script does not exit 0;
    ``subprocess.TimeoutExpired`` after ``timeout`` seconds.
    """
    if isinstance(pythonpath, Path):
        pythonpath = [pythonpath]
    env = None
    if pythonpath is not None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, pythonpath))}
    done = subprocess.run(
        [str(ensure()), *map(str, args)],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def last_json(stdout: str) -> dict[str, Any]:
    """The JSON object on the last line of ``stdout`` (earlier lines: the libraries' chatter)."""
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return result


if __name__ == "__main__":
    print(ensure())
    sys.exit(0)
