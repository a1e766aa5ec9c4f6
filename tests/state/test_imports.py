"""explorer.state imports only the standard library and the lower layers.

The botbuilder-python venv imports it with only the project on PYTHONPATH, so
a third-party import here would break every bot that uses it.
"""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
before = set(sys.modules)
import explorer.state, explorer.state.dialogs, explorer.state.keys
new = sorted(set(sys.modules) - before)
print(json.dumps(new))
"""


def test_state_imports_only_stdlib_core_and_storage() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(done.stdout)
    allowed_ours = ("explorer", "explorer.core", "explorer.storage", "explorer.state")
    foreign = [
        name
        for name in loaded
        if name.split(".")[0] not in sys.stdlib_module_names
        and not (name == "explorer" or name.startswith(tuple(p + "." for p in allowed_ours)))
    ]
    assert foreign == []
    assert "explorer.state.bot_state" in loaded
    assert not [n for n in loaded if n.startswith(("explorer.ui", "explorer.cli"))]
