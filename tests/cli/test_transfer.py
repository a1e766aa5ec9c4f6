"""export / import: JSON lines, exact round trip of every stored form, clear per-line errors."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

from explorer.core.items import RawItem
from explorer.storage import open_store
from tests.cli.conftest import Run

ODD = [
    RawItem(key="bom/k", body=b'\xef\xbb\xbf{"v": 1}', content_type="application/json"),
    RawItem(key="latin1/k", body=b'{"name": "Jos\xe9"}', content_type="text/plain"),
    RawItem(key="empty/k", body=b"", content_type="application/octet-stream"),
    RawItem(key="notjson/k", body=b"<html>oops</html>"),
    RawItem(
        key="msteams/users/29:1AbC/",
        body=b'{"UserProfile":{"name":"Zo\xc3\xab \xf0\x9f\x9a\x80"}}',
        name="%2Fmsteams%2Fusers%2F29%3A1AbC",
        dialect="js",
        meta={"PartitionKey": "x", "eTag": "", "nested": {"a": [1, 2]}},
    ),
    RawItem(
        key="py/k",
        body=b'{"a": 1, "py/object": "m.C", "e_tag": "stale"}',
        dialect="python",
        content_type="application/octet-stream",
    ),
    RawItem(key="ctl\x01\t\n/k 100%zz", body=b"{}"),
]


async def _put(url: str, items: list[RawItem]) -> None:
    async with open_store(url) as store:
        for item in items:
            await store.write_raw(item)


async def _all(url: str) -> dict[str, RawItem]:
    async with open_store(url, read_only=True) as store:
        keys = [k async for k in store.iter_keys()]
        return await store.read_raw(keys)


def test_export_import_is_exact(cli: Run, store: str, tmp_path: Path) -> None:
    assert cli("demo", store, "--users", "30", "--conversations", "10").code == 0
    asyncio.run(_put(store, ODD))
    dump = tmp_path / "dump.jsonl"
    result = cli("export", store, str(dump))
    assert result.code == 0
    before = asyncio.run(_all(store))
    lines = dump.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(before)
    rows = {json.loads(line)["key"]: json.loads(line) for line in lines}
    assert rows["latin1/k"]["body_base64"] == base64.b64encode(b'{"name": "Jos\xe9"}').decode()
    assert "body" not in rows["latin1/k"]
    assert rows["bom/k"]["body"].startswith("\ufeff")
    assert rows["py/k"]["body"] == '{"a": 1, "py/object": "m.C", "e_tag": "stale"}'
    assert rows["py/k"]["etag"] == before["py/k"].etag
    assert rows["py/k"]["source"] == "sqlite"

    copy = f"sqlite:{tmp_path / 'copy.db'}"
    imported = cli("import", copy, str(dump))
    assert imported.code == 0, imported.err
    after = asyncio.run(_all(copy))
    assert after.keys() == before.keys()
    for key, item in before.items():
        twin = after[key]
        assert twin.body == item.body, key
        assert twin.content_type == item.content_type
        assert twin.name == item.name
        assert twin.dialect == item.dialect
        assert dict(twin.meta) == dict(item.meta)
    # the second export of the copy equals the first, etags and times aside
    again = tmp_path / "again.jsonl"
    cli("export", copy, str(again))

    def strip(path: Path) -> list[dict[str, object]]:
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        return [{k: v for k, v in r.items() if k not in ("etag", "last_modified")} for r in rows]

    assert strip(again) == strip(dump)


def test_export_to_stdout_and_atomic_file(cli: Run, store: str, tmp_path: Path) -> None:
    cli("set", store, "k", "-", stdin=b'{"v": 1}')
    out = cli("export", store, "-")
    assert json.loads(out.out)["body"] == '{"v":1}'
    missing_dir = tmp_path / "nope" / "dump.jsonl"
    failed = cli("export", store, str(missing_dir))
    assert failed.code != 0
    assert not missing_dir.parent.exists()
    bad_store = cli("export", f"sqlite:{tmp_path / 'absent.db'}", str(tmp_path / "d.jsonl"))
    assert bad_store.code != 0
    assert not (tmp_path / "d.jsonl").exists()  # nothing half-written
    assert list(tmp_path.glob(".d.jsonl.*")) == []


def test_import_reports_bad_lines_and_imports_the_rest(
    cli: Run, store: str, tmp_path: Path
) -> None:
    dump = tmp_path / "bad.jsonl"
    good = {"key": "ok/1", "body": '{"v": 1}', "content_type": "application/json"}
    dump.write_bytes(
        b"\n".join(
            [
                json.dumps(good).encode(),
                b"{not json",
                b'["a list"]',
                b'{"body": "{}"}',
                b'{"key": "x", "body_base64": "!!!not base64"}',
                b'{"key": "x", "body": 42}',
                b'{"key": "x", "body": "{}", "meta": []}',
                b'{"key": "bytes", "body": "\xff\xfe"}',
                b"",
                json.dumps({**good, "key": "ok/2"}).encode(),
            ]
        )
    )
    result = cli("import", store, str(dump))
    assert result.code == 6
    errors = [line for line in result.err.splitlines() if " line " in line]
    numbers = [e.split(" line ")[1].split(":")[0] for e in errors]
    assert numbers == ["2", "3", "4", "5", "6", "7", "8"]
    assert "Traceback" not in result.err
    assert cli("get", store, "ok/1").code == 0
    assert cli("get", store, "ok/2").code == 0
    missing = cli("import", store, str(tmp_path / "absent.jsonl"))
    assert missing.code == 1
    assert "cannot read" in missing.err


def test_import_over_existing_is_backed_up_or_skipped(cli: Run, store: str, tmp_path: Path) -> None:
    cli("set", store, "k", "-", stdin=b'{"v": "mine"}')
    dump = tmp_path / "d.jsonl"
    dump.write_text(json.dumps({"key": "k", "body": '{"v": "imported"}'}) + "\n")
    skipped = cli("import", store, str(dump), "--no-overwrite")
    assert skipped.code == 0
    assert "skipped 1" in skipped.err
    assert json.loads(cli("get", store, "k").out) == {"v": "mine"}
    assert cli("import", store, str(dump)).code == 0
    assert json.loads(cli("get", store, "k").out) == {"v": "imported"}
    history = [json.loads(line) for line in cli("history", store, "k", "--json").out.splitlines()]
    assert [h["action"] for h in history] == ["create", "import"]
    assert cli("revert", store, "k").code == 0
    assert json.loads(cli("get", store, "k").out) == {"v": "mine"}


def test_import_from_another_kind_of_store_drops_the_name(
    cli: Run, store: str, tmp_path: Path
) -> None:
    dump = tmp_path / "d.jsonl"
    row = {"key": "c/users/u", "body": "{}", "name": "c%2Fusers%2Fu", "dialect": "js"}
    row["source"] = "blob"
    dump.write_text(json.dumps(row) + "\n")
    assert cli("import", store, str(dump)).code == 0
    item = asyncio.run(_all(store))["c/users/u"]
    assert item.name in ("", "c/users/u")
    assert item.dialect == "js"


def test_export_to_stdout_import_from_stdin(cli: Run, store: str, tmp_path: Path) -> None:
    cli("set", store, "a/b", "-", stdin=b'{"v": "\xc3\xa9"}')
    exported = cli("export", store, "-")
    copy = f"sqlite:{tmp_path / 'copy.db'}"
    assert cli("import", copy, "-", stdin=exported.out.encode("utf-8")).code == 0
    assert asyncio.run(_all(copy))["a/b"].body == asyncio.run(_all(store))["a/b"].body
