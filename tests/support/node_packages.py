"""The emulators' npm packages (Azurite, cosmosdb-server), pinned in ``tests/support/node``.

``ensure(error)`` installs them with ``npm ci --prefix tests/support/node``
(the registry's packages at the versions of ``package-lock.json``) when a
package that ``package.json`` pins is missing or installed at another version,
and does nothing otherwise; it is cheap (two small files read), so every
emulator start calls it: the test fixtures, the benchmarks and ``.ci/test``
(``python -m tests.support.node_packages``) set the emulators up the same way.
A failed install raises ``error`` with npm's last lines.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "node"
MODULES = FOLDER / "node_modules"
_LOCK = threading.Lock()


def stale() -> list[str]:
    """The pinned packages that are missing or installed at another version, as ``name@pin``."""
    pinned: dict[str, str] = json.loads((FOLDER / "package.json").read_text())["dependencies"]
    wrong = []
    for name, version in pinned.items():
        installed = MODULES / name / "package.json"
        try:
            found = json.loads(installed.read_text()).get("version")
        except (OSError, ValueError):
            found = None
        if found != version:
            wrong.append(f"{name}@{version}")
    return wrong


def ensure(error: type[Exception] = RuntimeError, *, timeout: float = 900) -> None:
    """Run ``npm ci`` in ``tests/support/node`` if a pinned package is missing or stale."""
    with _LOCK:
        missing = stale()
        if not missing:
            return
        npm = shutil.which("npm")
        if npm is None:
            raise error(f"npm is not on PATH; install Node.js 20 (with npm) to get {missing}")
        print(f"# installing {', '.join(missing)} with npm ci (first run)", file=sys.stderr)
        argv = [npm, "ci", "--prefix", str(FOLDER), "--no-audit", "--no-fund", "--loglevel=error"]
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise error(f"`npm ci` in {FOLDER} did not finish within {timeout:.0f}s") from None
        if done.returncode != 0 or stale():
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
            raise error(f"`npm ci` in {FOLDER} failed (exit {done.returncode}):\n{tail}")


if __name__ == "__main__":
    ensure()
    sys.exit(0)
