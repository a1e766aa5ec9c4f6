"""ls / get / set / rm: output forms, conditional writes, read-only, clear errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from explorer.cli.context import escape_key, unescape_key
from tests.cli.conftest import Run, one_error_line


@pytest.fixture
def demo(cli: Run, store: str) -> str:
    assert cli("demo", store, "--users", "40", "--conversations", "20").code == 0
    return store


def test_ls_prints_kind_tab_key_sorted_without_header(cli: Run, demo: str) -> None:
    result = cli("ls", demo)
    assert result.code == 0
    lines = result.out.splitlines()
    assert all(line.count("\t") == 1 for line in lines)
    kinds = {line.split("\t")[0] for line in lines}
    assert kinds == {"user", "conversation", "private", "other"}
    assert "user\tslack/users/U0TAB\\tID:T01" in lines  # a tab in a key is escaped
    assert "other\tweird key?#*\\\\with chars" in lines  # a backslash is doubled
    assert "user\twebchat/users/Zoë 🚀 space" in lines  # unicode and spaces as they are
    keys = [unescape_key(line.split("\t", 1)[1]) for line in lines]
    assert keys == sorted(keys)


def test_ls_prefix_and_json(cli: Run, demo: str) -> None:
    result = cli("ls", demo, "msteams:COPILOT/", "--json")
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert rows
    assert all(r["key"].startswith("msteams:COPILOT/") for r in rows)
    user = next(r for r in rows if r["kind"] == "user" and "agent" not in r)
    assert user["channel"] == "msteams:COPILOT"
    assert user["key"].rstrip("/").endswith("/users/" + user["user"])
    assert {"dialect", "name", "size", "etag", "last_modified"} <= user.keys()
    agent = next(r for r in rows if "agent" in r)
    assert agent["agent"].startswith("28:")
    tab = json.loads(cli("ls", demo, "slack/users/U0TAB", "--json").out)
    assert tab["key"] == "slack/users/U0TAB\tID:T01"


def test_get_set_get_round_trip_and_etags(cli: Run, store: str, tmp_path: Path) -> None:
    doc = {"UserProfile": {"name": "Ada", "tags": ["a", "ü"], "n": None}, "count": 2}
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc))
    first = cli("set", store, "msteams/users/u1", str(path))
    assert first.code == 0
    etag1 = first.out.strip()
    assert etag1
    got = cli("get", store, "msteams/users/u1")
    assert json.loads(got.out) == doc
    assert got.out.startswith("{\n  ")  # pretty
    with_etag = json.loads(cli("get", store, "msteams/users/u1", "--etag").out)
    assert with_etag["e_tag"] == etag1
    second = cli("set", store, "msteams/users/u1", "-", "--if-match", etag1, stdin=b'{"count": 3}')
    assert second.code == 0
    assert second.out.strip() != etag1
    stale = cli("set", store, "msteams/users/u1", "-", "--if-match", etag1, stdin=b'{"count": 4}')
    assert stale.code == 4
    assert "changed by someone else" in one_error_line(stale)
    assert "msteams/users/u1" in stale.err
    assert json.loads(cli("get", store, "msteams/users/u1").out) == {"count": 3}


def test_get_etag_output_fed_back_to_set_is_conditional(cli: Run, store: str) -> None:
    cli("set", store, "k", "-", stdin=b'{"v": 1}')
    printed = cli("get", store, "k", "--etag").out.encode()
    cli("set", store, "k", "-", stdin=b'{"v": "someone else"}')
    result = cli("set", store, "k", "-", stdin=printed)
    assert result.code == 4
    assert json.loads(cli("get", store, "k").out) == {"v": "someone else"}
    forced = cli("set", store, "k", "-", "--if-match", "*", stdin=printed)
    assert forced.code == 0
    assert json.loads(cli("get", store, "k").out) == {"v": 1}  # e_tag is not stored


def test_rm_missing_conflict_and_success(cli: Run, store: str) -> None:
    cli("set", store, "k", "-", stdin=b"{}")
    missing = cli("rm", store, "nope")
    assert missing.code == 3
    assert "'nope'" in one_error_line(missing)
    assert cli("rm", store, "k", "--if-match", "bogus-etag").code == 4
    assert cli("rm", store, "k").code == 0
    assert cli("get", store, "k").code == 3


def test_get_missing_key_and_missing_store_are_clear_errors(
    cli: Run, store: str, tmp_path: Path
) -> None:
    cli("set", store, "present", "-", stdin=b"{}")
    result = cli("get", store, "msteams/users/absent")
    assert result.code == 3
    assert "msteams/users/absent" in one_error_line(result)
    nowhere = cli("ls", f"sqlite:{tmp_path / 'typo.db'}")
    assert nowhere.code != 0
    one_error_line(nowhere)
    assert not (tmp_path / "typo.db").exists()  # reading never creates a store
    bad_url = cli("ls", "nonsense")
    assert bad_url.code == 2
    assert "store URL" in one_error_line(bad_url)


def test_read_only_refuses_every_change(cli: Run, store: str, data_dir: Path) -> None:
    cli("set", store, "k", "-", stdin=b'{"v": 1}')
    for argv in (
        ("set", store, "k", "-", "--read-only"),
        ("rm", store, "k", "--read-only"),
        ("revert", store, "k", "--read-only"),
        ("demo", store, "--read-only", "--users", "1", "--conversations", "1"),
    ):
        result = cli(*argv, stdin=b'{"v": 2}')
        assert result.code == 5, argv
        assert "read-only" in one_error_line(result)
    assert json.loads(cli("get", store, "k").out) == {"v": 1}
    outcomes = [
        json.loads(line)["outcome"] for line in (data_dir / "audit.jsonl").read_text().splitlines()
    ]
    assert outcomes.count("ReadOnlyError") >= 3


def test_global_options_after_subcommand_and_insecure_warning(cli: Run, store: str) -> None:
    result = cli("set", store, "k", "-", "--insecure", "--profile", "prod-eu", stdin=b"{}")
    assert result.code == 0
    assert "TLS certificate checks are OFF" in result.err
    audit = cli("audit", "--key", "k", "--json")
    assert json.loads(audit.out.splitlines()[-1])["profile"] == "prod-eu"


def test_escaped_key_argument_matches_ls_output(cli: Run, store: str) -> None:
    key = "c/users/a\tb\\c\x1b"
    cli("set", store, key, "-", stdin=b'{"v": 1}')
    printed = cli("ls", store).out.strip().split("\t", 1)[1]
    assert printed == escape_key(key)
    assert "\x1b" not in printed
    assert json.loads(cli("get", store, printed, "--escaped").out) == {"v": 1}


def test_usage_errors_are_one_line_exit_2(cli: Run) -> None:
    for argv in (
        ("bogus",),
        ("ls",),
        ("get", "sqlite:x.db"),
        ("revert", "sqlite:x", "k", "--to", "x"),
    ):
        result = cli(*argv)
        assert result.code == 2, argv
        one_error_line(result)


def test_get_raw_and_redact(cli: Run, store: str) -> None:
    body = b'{"UserProfile": {"name": "Ada", "email": "ada@example.com"}, "turn": 1}'
    cli("set", store, "k", "-", stdin=body)
    redacted = json.loads(cli("get", store, "k", "--redact").out)
    assert redacted["UserProfile"]["name"] != "Ada"
    assert "ada@example.com" not in json.dumps(redacted)
    assert redacted["turn"] == 1
    raw = cli("get", store, "k", "--raw").out
    assert json.loads(raw) == json.loads(body)
