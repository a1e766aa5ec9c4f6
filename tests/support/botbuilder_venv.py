"""The botbuilder-python 4.17.1 peer, in its own venv (it pins old Azure SDKs).

``python -m tests.support.botbuilder_venv`` creates ``.cache/botbuilder-venv``
if needed and prints its interpreter. Tests and benchmarks call ``ensure()``.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".cache" / "botbuilder-venv"
REQUIREMENTS = [
    "botbuilder-core==4.17.1",
    "botbuilder-dialogs==4.17.1",
    "botbuilder-azure==4.17.1",
    "aiohttp",
    "six",
]
_MARKER = VENV / ".installed"


def python() -> Path:
    return VENV / "bin" / "python"


def ensure() -> Path:
    """Create the venv once; return its python. Raises if pip fails."""
    wanted = "\n".join(REQUIREMENTS)
    if _MARKER.exists() and _MARKER.read_text() == wanted:
        return python()
    if not python().exists():
        venv.create(VENV, with_pip=True)
    subprocess.run(
        [str(python()), "-m", "pip", "install", "-q", "--disable-pip-version-check", *REQUIREMENTS],
        check=True,
    )
    _MARKER.write_text(wanted)
    return python()


if __name__ == "__main__":
    print(ensure())
    sys.exit(0)
