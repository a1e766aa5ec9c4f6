"""Hostile jsonpickle payloads (``py/reduce`` of ``os.system``) through every CLI path.

The payload would create a marker file if anything decoded it with jsonpickle
(the peer test proves it is live: botbuilder-python's own decoder runs it).
Every path of ours treats it as plain JSON: the marker never appears, nothing
crashes, the tags are shown and written back unchanged.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.cli.conftest import Run
from tests.support import botbuilder_venv


def _payload(marker: Path) -> dict[str, object]:
    command = f"touch {marker}"
    reduce = {"py/reduce": [{"py/function": "os.system"}, {"py/tuple": [command]}]}
    return {
        "UserProfile": {"py/object": "bots.Profile", "name": "x", "hook": reduce},
        "DialogState": {
            "py/object": "botbuilder.dialogs.dialog_state.DialogState",
            "_dialog_stack": [{"py/object": "builtins.eval", "id": "d", "state": reduce}],
        },
        "top": reduce,
        "py/reduce": [{"py/function": "os.system"}, {"py/tuple": [command]}],
        "py/object": "subprocess.Popen",
    }


@pytest.mark.peer
def test_the_payload_is_live_under_jsonpickle(tmp_path: Path) -> None:
    marker = tmp_path / "pwned-by-jsonpickle"
    python = botbuilder_venv.ensure()
    code = "import jsonpickle, sys; jsonpickle.decode(sys.stdin.read())"
    subprocess.run([str(python), "-c", code], input=json.dumps(_payload(marker)).encode(),
                   check=False, timeout=120)  # fmt: skip
    assert marker.exists()  # so the assertions below would catch an unpickling path


def test_no_cli_path_executes_the_payload(cli: Run, store: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    doc = _payload(marker)
    body = json.dumps(doc).encode()
    source = tmp_path / "hostile.json"
    source.write_bytes(body)
    key = "msteams/users/hostile"
    results = [
        cli("set", store, key, str(source)),
        cli("set", store, "stdin/key", "-", stdin=body),
        cli("get", store, key),
        cli("get", store, key, "--etag"),
        cli("get", store, key, "--redact"),
        cli("get", store, key, "--raw"),
        cli("ls", store),
        cli("ls", store, "--json"),
        cli("export", store, str(tmp_path / "dump.jsonl")),
        cli("import", f"sqlite:{tmp_path / 'copy.db'}", str(tmp_path / "dump.jsonl")),
        cli("set", store, key, "-", stdin=b'{"clean": true}'),
        cli("history", store, key, "--json"),
        cli("revert", store, key),
        cli("audit", "--json"),
        cli("rm", store, key),
        cli("revert", store, key),
    ]
    assert [r.code for r in results] == [0] * len(results), [r.err for r in results]
    assert not marker.exists()
    assert all("Traceback" not in r.err for r in results)
    shown = json.loads(cli("get", store, key).out)
    assert shown == doc  # tags shown as plain members, exactly
    assert json.loads(cli("get", f"sqlite:{tmp_path / 'copy.db'}", key).out) == doc
    assert not marker.exists()
