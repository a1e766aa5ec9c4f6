"""``forget STORE USER_ID`` and ``revert STORE --operation ID`` on SQLite, Blob and Cosmos."""

from __future__ import annotations

import io
import json
import shlex
import sys
from pathlib import Path

import pytest

from explorer.workspace.audit import AuditLog
from explorer.workspace.profiles import Profile, ProfileStore
from tests.cli.conftest import Run, one_error_line, raw_of_all
from tests.support.keyrings import memory_keyring
from tests.support.support_stores import (
    DECOYS,
    HOLDS_USER,
    USER,
    Place,
)


def test_forget_dry_run_then_forget_then_revert(cli: Run, place: Place, data_dir: Path) -> None:
    before = raw_of_all(cli, place)
    dry = cli("forget", place.url, USER, "--dry-run", *place.options)
    assert dry.code == 0, dry.err
    planned = [line.split("\t")[1] for line in dry.out.splitlines()]
    assert len(planned) == len(HOLDS_USER)
    assert "nothing was deleted" in dry.err
    assert raw_of_all(cli, place) == before

    done = cli("forget", place.url, USER, "--yes", *place.options)
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    assert lines[: len(planned)] == dry.out.splitlines()
    operation = lines[-2].split("(operation ")[1].rstrip(")")
    assert lines[-2] == f"deleted {len(HOLDS_USER)} items (operation {operation})"
    assert lines[-1] == f"botstate-explorer revert {shlex.quote(place.url)} --operation {operation}"
    after = raw_of_all(cli, place)
    assert set(after) == set(before) - set(planned)
    assert len([k for k in after if k.rstrip("/") in {d.rstrip("/") for d in DECOYS}]) == len(
        DECOYS
    )
    audit = [e for e in AuditLog(data_dir / "audit.jsonl").iter_entries() if e.operation]
    assert sorted(e.key for e in audit) == sorted(planned)

    undo = cli("revert", place.url, "--operation", operation, *place.options)
    assert undo.code == 0, undo.err
    assert undo.out.splitlines()[0].startswith(f"restored {len(HOLDS_USER)} items (operation op-")
    assert raw_of_all(cli, place) == before  # every stored form exactly


def test_forget_without_a_terminal_needs_yes(cli: Run, place: Place) -> None:
    result = cli("forget", place.url, USER, *place.options, stdin=b"y\n")
    assert result.code == 2
    assert "needs --yes when not run from a terminal" in one_error_line_of(result.err)
    assert len(cli("user", place.url, USER, *place.options).out.splitlines()) == len(HOLDS_USER)


def one_error_line_of(err: str) -> str:
    return next(line for line in err.splitlines() if "error:" in line)


def test_forget_refuses_a_read_only_store(cli: Run, place: Place) -> None:
    result = cli("forget", place.url, USER, "--yes", "--read-only", *place.options)
    assert result.code == 5
    assert "read-only" in result.err
    assert len(cli("user", place.url, USER, *place.options).out.splitlines()) == len(HOLDS_USER)
    dry = cli("forget", place.url, USER, "--dry-run", "--read-only", *place.options)
    assert dry.code == 0  # a dry run writes nothing, so it works on read-only stores


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "deleted"), [("y\n", True), ("n\n", False), ("\n", False)])
def test_forget_asks_on_a_terminal(
    cli: Run, store: str, monkeypatch: pytest.MonkeyPatch, answer: str, deleted: bool
) -> None:
    key = f"msteams/users/{USER}"
    assert cli("set", store, key, "-", stdin=b'{"a": 1}').code == 0
    monkeypatch.setattr(sys, "stdin", _Terminal(answer))
    result = cli("forget", store, USER)
    assert "Delete these 1 items (backed up; revertable)? [y/N]" in result.err
    assert result.code == (0 if deleted else 1)
    assert (cli("get", store, key).code == 3) is deleted


def test_forget_through_a_production_connection(cli: Run, data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "prod.db"
    key = f"webchat/users/{USER}"
    assert cli("set", f"sqlite:{path}", key, "-", stdin=b'{"a": 1}').code == 0
    with memory_keyring():
        ProfileStore(data_dir / "connections.json").save(
            Profile("contoso", "sqlite", "prod", {"path": str(path)})
        )
        refused = cli("forget", "@contoso", USER, "--yes")
        assert refused.code == 5
        assert "production" in one_error_line(refused)
        assert cli("forget", "@contoso", USER, "--dry-run").code == 0
        unlocked = cli("forget", "@contoso", USER, "--yes", "--unlock")
        assert unlocked.code == 0, unlocked.err
        assert unlocked.out.splitlines()[-1].startswith("botstate-explorer revert @contoso ")
        assert cli("get", f"sqlite:{path}", key).code == 3
        operation = unlocked.out.splitlines()[-1].split()[-1]
        assert cli("revert", "@contoso", "--operation", operation).code == 5
        assert cli("revert", "@contoso", "--operation", operation, "--unlock").code == 0
    assert cli("get", f"sqlite:{path}", key).code == 0


def test_revert_of_an_operation_leaves_later_changes_and_says_so(cli: Run, store: str) -> None:
    keys = [f"msteams/users/{USER}", f"webchat/users/{USER}"]
    for key in keys:
        assert cli("set", store, key, "-", stdin=b'{"a": 1}').code == 0
    done = cli("forget", store, USER, "--yes")
    operation = done.out.splitlines()[-1].split()[-1]
    assert cli("set", store, keys[0], "-", stdin=b'{"new": 2}').code == 0
    undo = cli("revert", store, "--operation", operation)
    assert undo.code == 4
    assert f"conflict: {keys[0]}: " in undo.err
    assert "created again since the operation deleted it" in undo.err
    assert undo.out.splitlines()[0].startswith("restored 1 items (operation op-")
    assert undo.out.splitlines()[0].endswith("; 1 left as they are (see above)")
    assert json.loads(cli("get", store, keys[0]).out) == {"new": 2}
    assert json.loads(cli("get", store, keys[1]).out) == {"a": 1}
    audited = cli("audit", "--operation", operation, "--json")
    rows = [json.loads(line) for line in audited.out.splitlines()]
    assert sorted((r["key"], r["action"], r["operation"]) for r in rows) == [
        (key, "forget", operation) for key in sorted(keys)
    ]


def test_revert_usage(cli: Run, store: str) -> None:
    assert cli("revert", store).code == 2
    assert cli("revert", store, "k", "--operation", "op-1").code == 2
    missing = cli("revert", store, "--operation", "op-nope")
    assert missing.code == 3
    assert "no operation 'op-nope'" in one_error_line(missing)


def test_forget_nothing(cli: Run, store: str) -> None:
    result = cli("forget", store, USER, "--yes")
    assert result.code == 0
    assert result.out == ""
    assert "nothing to forget" in result.err
