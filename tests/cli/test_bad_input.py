"""The bad-input corpus through the CLI: a clear one-line error, or stored exactly.

Nothing crashes (no traceback), nothing half-written, the store stays as it was.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from explorer.core.items import RawItem
from explorer.storage import open_store
from tests.cli.conftest import Run, one_error_line

BAD_FILES: dict[str, tuple[bytes, str]] = {
    "malformed": (b'{"a": 1,', "not valid JSON (line 1 column 9"),
    "trailing garbage": (b'{"a": 1} x', "not valid JSON"),
    "single quotes": (b"{'a': 1}", "not valid JSON"),
    "non-utf8": (b'{"name": "Jos\xe9"}', "not UTF-8 text"),
    "utf-16": ('{"a": 1}'.encode("utf-16"), "not UTF-8 text"),
    "empty": (b"", "is empty"),
    "whitespace": (b" \n\t ", "is empty"),
    "nan": (b'{"a": NaN}', "NaN is not JSON"),
    "infinity": (b'{"a": -Infinity}', "-Infinity is not JSON"),
    "array": (b"[1, 2]", "holds a JSON array, not an object"),
    "string": (b'"hello"', "holds a JSON string"),
    "null": (b"null", "holds a JSON null"),
    "deep": (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
    "too big": (b'{"a": "' + b"x" * (32 * 1024 * 1024) + b'"}', "above the"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_document_files_are_refused_clearly(
    cli: Run, store: str, tmp_path: Path, name: str
) -> None:
    data, expected = BAD_FILES[name]
    cli("set", store, "msteams/users/u1", "-", stdin=b'{"keep": true}')
    path = tmp_path / "input.json"
    path.write_bytes(data)
    result = cli("set", store, "msteams/users/u1", str(path))
    assert result.code == 6
    line = one_error_line(result)
    assert expected in line
    assert str(path) in line
    assert json.loads(cli("get", store, "msteams/users/u1").out) == {"keep": True}


def test_bom_is_accepted_and_dropped(cli: Run, store: str) -> None:
    assert cli("set", store, "k", "-", stdin=b'\xef\xbb\xbf{"a": "\xc3\xa9"}').code == 0
    assert json.loads(cli("get", store, "k").out) == {"a": "é"}


def test_missing_input_file(cli: Run, store: str, tmp_path: Path) -> None:
    result = cli("set", store, "k", str(tmp_path / "nope.json"))
    assert result.code == 6
    assert "cannot read" in one_error_line(result)


def test_twenty_megabytes_deep_and_huge_arrays_round_trip(
    cli: Run, store: str, tmp_path: Path
) -> None:
    big = {"blob": "x" * (20 * 1024 * 1024), "n": 1}
    huge = {"items": list(range(1_000_000))}
    deep: dict[str, object] = {"leaf": True}
    for _ in range(400):
        deep = {"d": deep}
    for key, doc in (("big", big), ("huge", huge), ("deep", deep)):
        path = tmp_path / f"{key}.json"
        path.write_text(json.dumps(doc))
        started = time.perf_counter()
        assert cli("set", store, key, str(path)).code == 0
        result = cli("get", store, key)
        assert result.code == 0
        assert json.loads(result.out) == doc
        assert time.perf_counter() - started < 30


async def _put_raw(url: str, items: list[RawItem]) -> None:
    async with open_store(url) as store:
        for item in items:
            await store.write_raw(item)


STORED_BAD = {
    "bad/not-utf8": (b'{"a": "\xff"}', "not UTF-8"),
    "bad/empty": (b"", "empty body"),
    "bad/not-json": (b"<html>", "not valid JSON"),
    "bad/array": (b"[1]", "not an object"),
    "bad/deep": (b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
}


def test_stored_bad_bodies_give_per_item_errors_and_do_not_stop_listing(
    cli: Run, store: str
) -> None:
    items = [RawItem(key=k, body=body) for k, (body, _) in STORED_BAD.items()]
    asyncio.run(_put_raw(store, [*items, RawItem(key="good", body=b'{"ok": 1}')]))
    listed = cli("ls", store)
    assert listed.code == 0
    assert len(listed.out.splitlines()) == len(items) + 1
    for key, (_, expected) in STORED_BAD.items():
        result = cli("get", store, key)
        assert result.code == 6, key
        line = one_error_line(result)
        assert expected in line
        assert repr(key) in line
        if key != "bad/not-utf8":  # (capsys cannot hold raw bytes; see test_end_to_end)
            assert cli("get", store, key, "--raw").code == 0  # the stored bytes stay reachable
    assert cli("export", store, "-").code == 0


ODD_KEYS = [
    "k" * 1024,
    "msteams/users/" + "29:1" + "A" * 1006,
    "ctl/\x00\x01\x07\x1b[31m\x7f\x85\u2028\u202e/users/x",
    "unicode/users/Zoë 🚀 中文 עברית",
    "pct/users/%41%2F%zz%%25%",
    "weird key?#*\\with chars",
    "/leading/and/trailing/",
    " spaces ",
]


@pytest.mark.parametrize("key", ODD_KEYS, ids=range(len(ODD_KEYS)))
def test_odd_keys_round_trip(cli: Run, store: str, key: str) -> None:
    assert cli("set", store, key, "-", stdin=b'{"v": 1}').code == 0
    assert json.loads(cli("get", store, key).out) == {"v": 1}
    rows = [json.loads(line) for line in cli("ls", store, "--json").out.splitlines()]
    assert [r["key"] for r in rows] == [key]
    printed = cli("ls", store).out
    assert printed.count("\n") == 1
    assert not any(c in printed.rstrip("\n") for c in "\x00\x1b\x7f\u2028\u202e\n")
    assert cli("rm", store, key).code == 0
    assert cli("ls", store).out == ""
