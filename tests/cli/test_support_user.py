"""``user STORE USER_ID``: one user's items on SQLite, Blob (python and js names), Cosmos."""

from __future__ import annotations

import json
from pathlib import Path

from explorer.workspace.profiles import Profile, ProfileStore
from tests.cli.conftest import Run
from tests.support.keyrings import memory_keyring
from tests.support.support_stores import (
    HOLDS_USER,
    USER,
    VALUE_ONLY,
    Place,
    bare,
)


def test_user_lists_kind_and_key_like_ls(cli: Run, place: Place) -> None:
    result = cli("user", place.url, USER, *place.options)
    assert result.code == 0, result.err
    rows = [line.split("\t") for line in result.out.splitlines()]
    assert {bare(key) for _, key in rows} == {bare(k) for k in HOLDS_USER}
    assert len(rows) == len(HOLDS_USER)
    assert sorted(kind for kind, _ in rows) == ["private", "private", "user", "user", "user"]
    assert f"{len(HOLDS_USER)} items for {USER}" in result.err
    assert "listed" in result.err


def test_user_json_and_values(cli: Run, place: Place) -> None:
    result = cli("user", place.url, USER, "--json", "--in-values", "--read-only", *place.options)
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in result.out.splitlines()]
    by_key = {bare(r["key"]): r for r in rows}
    assert set(by_key) == {bare(k) for k in HOLDS_USER} | {VALUE_ONLY}
    assert by_key[VALUE_ONLY]["match"] == "value"
    private = by_key["msteams/conversations/a:1XyZ-9Qrs_tUv/users/29:1AbC"]
    assert private == {
        "key": private["key"],
        "kind": "private",
        "channel": "msteams",
        "conversation": "a:1XyZ-9Qrs_tUv",
        "match": "key",
    }
    assert by_key[f"msteams/28:bot-app-id/users/{USER}"]["agent"] == "28:bot-app-id"
    assert "full scan" in result.err
    text = cli("user", place.url, USER, "--in-values", *place.options)
    assert f"user\t{place.stored(VALUE_ONLY)}\tvalue" in text.out.splitlines()


def test_user_on_a_production_connection(cli: Run, data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "prod.db"
    url = f"sqlite:{path}"
    assert cli("set", url, f"msteams/users/{USER}", "-", stdin=b'{"a": 1}').code == 0
    with memory_keyring():
        ProfileStore(data_dir / "connections.json").save(
            Profile("contoso", "sqlite", "prod", {"path": str(path)})
        )
        result = cli("user", "@contoso", USER)
    assert result.code == 0, result.err
    assert result.out == f"user\tmsteams/users/{USER}\n"


def test_user_with_no_items_says_so(cli: Run, store: str) -> None:
    assert cli("set", store, "msteams/users/29:1AbCD", "-", stdin=b"{}").code == 0
    result = cli("user", store, USER)
    assert result.code == 0
    assert result.out == ""
    assert f"0 items for {USER}" in result.err


def test_export_user_writes_exactly_what_user_lists(cli: Run, place: Place, tmp_path: Path) -> None:
    listed = cli("user", place.url, USER, "--json", *place.options)
    keys = {json.loads(line)["key"] for line in listed.out.splitlines()}
    dump = tmp_path / "ada.jsonl"
    result = cli("export", place.url, str(dump), "--user", USER, *place.options)
    assert result.code == 0, result.err
    assert f"exported {len(HOLDS_USER)} items of user {USER}" in result.err
    lines = [json.loads(line) for line in dump.read_text("utf-8").splitlines()]
    assert {line["key"] for line in lines} == keys
    for line in lines:  # the stored form exactly, as a whole-store export has it
        raw = cli("get", place.url, line["key"], "--raw", *place.options).out
        assert line["body"] == raw
    copy = f"sqlite:{tmp_path / 'copy.db'}"
    assert cli("import", copy, str(dump)).code == 0
    again = cli("user", copy, USER)
    assert {row.split("\t")[1] for row in again.out.splitlines()} == keys


def test_user_skip_private_scans_no_conversation(cli: Run, place: Place) -> None:
    result = cli("user", place.url, USER, "--skip-private", *place.options)
    assert result.code == 0, result.err
    rows = [line.split("\t") for line in result.out.splitlines()]
    users = {bare(k) for k in HOLDS_USER if "/conversations/" not in k}
    assert {bare(key) for _, key in rows} == users
    assert [kind for kind, _ in rows] == ["user", "user", "user"]
    assert "private conversation state not looked for" in result.err
