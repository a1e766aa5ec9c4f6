"""The real console entry (``python -m explorer``) in subprocesses: a few whole journeys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from explorer.workspace.demo import demo_items
from tests.cli.conftest import ROOT, Run, one_error_line


def test_demo_ls_get_in_separate_processes(cli_process: Run, tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'demo.db'}"
    assert cli_process("demo", store).code == 0
    listed = cli_process("ls", store)
    assert listed.code == 0
    assert len(listed.out.splitlines()) == len(demo_items())
    key = next(
        line.split("\t")[1] for line in listed.out.splitlines() if line.startswith("private")
    )
    got = cli_process("get", store, key, "--etag")
    assert got.code == 0
    assert "e_tag" in json.loads(got.out)


def test_set_set_revert_across_processes_is_exact(cli_process: Run, tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 's.db'}"
    first = b'{"a": {"py/object": "m.C", "x": [1, 2]}, "ok": true}'
    assert cli_process("set", store, "webchat/users/u|1", "-", stdin=first).code == 0
    before = cli_process("get", store, "webchat/users/u|1", "--raw").out
    assert cli_process("set", store, "webchat/users/u|1", "-", stdin=b'{"b": 2}').code == 0
    assert cli_process("revert", store, "webchat/users/u|1").code == 0
    assert cli_process("get", store, "webchat/users/u|1", "--raw").out == before
    audit = cli_process("audit", "--json", "--key", "webchat/users/u|1")
    assert [json.loads(x)["action"] for x in audit.out.splitlines()] == [
        "create",
        "write",
        "revert",
    ]


def test_raw_bytes_and_errors_through_the_real_entry(cli_process: Run, tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 's.db'}"
    dump = tmp_path / "d.jsonl"
    dump.write_text(json.dumps({"key": "bin", "body_base64": "/wD+AQ=="}) + "\n")
    assert cli_process("import", store, str(dump)).code == 0
    raw = subprocess.run(
        [sys.executable, "-m", "explorer", "get", store, "bin", "--raw"],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    assert raw.stdout == b"\xff\x00\xfe\x01"
    decoded = cli_process("get", store, "bin")
    assert decoded.code == 6
    assert "not UTF-8" in one_error_line(decoded)
    missing = cli_process("get", store, "absent")
    assert missing.code == 3
    one_error_line(missing)
    usage = cli_process("frobnicate")
    assert usage.code == 2
    one_error_line(usage)


def test_cli_imports_neither_qt_nor_azure_and_survives_a_closed_pipe(
    cli_process: Run, tmp_path: Path
) -> None:
    store = f"sqlite:{tmp_path / 'demo.db'}"
    cli_process("demo", store)
    probe = (
        "import sys; from explorer.main import main; rc = main(['ls', sys.argv[1]]);"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'qasync', 'azure')];"
        "print(bad, rc, file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, store],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    assert done.stderr.decode().strip() == "[] 0"
    # `ls | head -1`, `export - | head -1` (372 kB: more than a pipe holds): the reader
    # goes away; no traceback, no error
    for command in ("ls", "export"):
        tail = " -" if command == "export" else ""
        shell = subprocess.run(
            f'"{sys.executable}" -m explorer {command} "{store}"{tail} | head -1',
            shell=True,
            capture_output=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
        )
        assert len(shell.stdout.splitlines()) == 1
        assert b"Traceback" not in shell.stderr
        assert b"Error" not in shell.stderr


def test_unicode_keys_print_as_utf8_whatever_the_locale(cli_process: Run, tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 's.db'}"
    assert cli_process("set", store, "webchat/users/Zoë 🚀", "-", stdin=b"{}").code == 0
    done = subprocess.run(
        [sys.executable, "-m", "explorer", "ls", store],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "latin-1"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("utf-8") == "user\twebchat/users/Zoë 🚀\n"
