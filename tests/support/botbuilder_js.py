"""The botbuilder-js 4.23.3 peer (``BlobsStorage``), installed on demand with npm.

``tests/support/botbuilder-js/package.json`` (+ lock file) pins it; ``ensure()``
runs ``npm ci`` there once (about ten seconds) and returns the command that runs
``bot.js``. Raises ``RuntimeError`` with npm's output if node or npm fail.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent / "botbuilder-js"
BOT = HERE / "bot.js"
_MARKER = HERE / "node_modules" / ".installed-lock"


def ensure() -> list[str]:
    """Install the pinned packages if needed; return ``[node, bot.js]``."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise RuntimeError("node and npm must be on PATH for the botbuilder-js peer (Node.js 20)")
    lock = (HERE / "package-lock.json").read_text()
    if not (_MARKER.exists() and _MARKER.read_text() == lock):
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"npm ci for the botbuilder-js peer failed:\n{done.stderr[-2000:]}")
        _MARKER.write_text(lock)
    return [node, str(BOT)]


if __name__ == "__main__":
    print(" ".join(ensure()))
