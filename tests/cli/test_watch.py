"""``watch`` on SQLite: the watcher is one process, the writer (this test) another.

A change, a delete and a re-create each give one line (JSON or text), Ctrl+C
ends the watch with status 0, and bad options are usage errors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from explorer.storage.sqlite import SqliteStorage
from tests.cli.conftest import Run, one_error_line
from tests.support.watch_process import WatchProcess

KEY = "msteams/users/29:1AbC"
CONV = "webchat/conversations/c1|livechat/"


def _write(path: Path, changes: dict[str, object]) -> None:
    async def go() -> None:
        async with SqliteStorage(path) as store:
            await store.write(changes)  # type: ignore[arg-type]

    asyncio.run(go())


def _delete(path: Path, key: str) -> None:
    async def go() -> None:
        async with SqliteStorage(path) as store:
            await store.delete([key])

    asyncio.run(go())


@pytest.fixture
def watches(data_dir: Path) -> Iterator[list[WatchProcess]]:
    started: list[WatchProcess] = []
    yield started
    for watch in started:
        watch.stop()


def test_json_lines_for_a_change_a_delete_and_a_recreate(
    tmp_path: Path, data_dir: Path, watches: list[WatchProcess]
) -> None:
    db = tmp_path / "state.db"
    _write(db, {KEY: {"prefs": {"lang": "en"}, "visits": 1}})
    watch = WatchProcess([f"sqlite:{db}", KEY, "--interval", "0.1", "--json"], data_dir)
    watches.append(watch)
    assert "(etag " in watch.wait_err("watching")

    _write(db, {KEY: {"prefs": {"lang": "fr"}, "visits": 1}})
    changed = watch.json_line()
    assert set(changed) == {"time", "key", "change", "etag", "paths"}
    assert (changed["key"], changed["change"], changed["paths"]) == (KEY, "changed", ["prefs.lang"])
    assert changed["etag"]

    _delete(db, KEY)
    deleted = watch.json_line()
    assert (deleted["change"], deleted["etag"]) == ("deleted", None)
    assert deleted["paths"] == ["prefs", "visits"]

    _write(db, {KEY: {"prefs": {"lang": "de"}}})
    created = watch.json_line()
    assert (created["change"], created["paths"]) == ("created", ["prefs"])
    assert created["etag"] not in (None, changed["etag"])

    assert watch.interrupt() == 0  # Ctrl+C is how a watch ends: not an error
    assert watch.out.empty()  # exactly one line per change
    assert "Traceback" not in "\n".join(watch.err_lines)


def test_text_lines_and_private_states_of_a_conversation(
    tmp_path: Path, data_dir: Path, watches: list[WatchProcess]
) -> None:
    db = tmp_path / "state.db"
    _write(db, {CONV: {"DialogState": {"dialogStack": []}}})
    watch = WatchProcess([f"sqlite:{db}", CONV, "--interval", "0.1", "--with-private"], data_dir)
    watches.append(watch)
    watch.wait_err("watching")
    private = "webchat/conversations/c1|livechat/users/dl_1\t/"
    _write(db, {private: {"step": 1}})  # found when the prefix is listed again
    when, change, key, etag, paths = watch.line().split("\t")
    assert (change, paths) == ("created", "step")
    assert key == "webchat/conversations/c1|livechat/users/dl_1\\t/"  # escaped as ls does
    assert len(when) == len("2024-05-01 12:00:00")
    assert etag != "-"
    _write(db, {CONV: {"DialogState": {"dialogStack": [{"id": "main", "state": {}}]}}})
    assert watch.line().split("\t")[1:3] == ["changed", CONV]
    assert watch.interrupt() == 0


def test_a_key_that_does_not_exist_yet_is_waited_for(
    tmp_path: Path, data_dir: Path, watches: list[WatchProcess]
) -> None:
    db = tmp_path / "state.db"
    _write(db, {"other": {"a": 1}})
    watch = WatchProcess([f"sqlite:{db}", KEY, "--interval", "0.1", "--json"], data_dir)
    watches.append(watch)
    assert "does not exist yet" in watch.wait_err("watching")
    _write(db, {KEY: {"a": 1}})
    assert watch.json_line()["change"] == "created"
    assert watch.interrupt() == 0


def test_bad_options_are_usage_errors(cli: Run, store: str) -> None:
    assert cli("set", store, KEY, "-", stdin=b'{"a": 1}').code == 0
    bad = cli("watch", store, KEY, "--interval", "0")
    assert bad.code == 2
    assert "above 0" in one_error_line(bad)
    not_conv = cli("watch", store, KEY, "--with-private")
    assert not_conv.code == 2
    assert "conversation" in one_error_line(not_conv)
    missing = cli("watch", "sqlite:/nonexistent/dir/x.db", KEY)
    assert missing.code == 7  # cannot be opened at the start: fails at once
