"""The audit log: one JSON line per change, atomic appends, no secrets, no values by default."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

from explorer.workspace.audit import AuditLog, diff_hash


def _append_many(path: str, worker: int) -> None:
    log = AuditLog(path, user=f"w{worker}")
    for i in range(200):
        log.append_sync(
            log.make_entry(
                store="sqlite:/x.db", key=f"k{worker}-{i}", action="write", new=b"x" * 3000
            )
        )


async def test_entry_fields_and_filtering(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "sub" / "audit.jsonl", user="alice")
    await log.append(
        log.make_entry(
            store="blob://c?sig=SECRETSIG1234",
            key="msteams/users/u1",
            action="write",
            profile="prod",
            old=b'{"a":1}',
            new=b'{"a":2}',
            old_etag="1",
            new_etag="2",
        )
    )
    await log.append(log.make_entry(store="sqlite:/other.db", key="k", action="delete", old=b"{}"))
    raw = (tmp_path / "sub" / "audit.jsonl").read_text()
    assert "SECRETSIG1234" not in raw
    assert '"a":1' not in raw
    assert '"a":2' not in raw
    first = json.loads(raw.splitlines()[0])
    assert first["user"] == "alice"
    assert first["profile"] == "prod"
    assert first["old_etag"] == "1"
    assert first["new_etag"] == "2"
    assert first["old_size"] == 7
    assert first["size"] == 7
    assert first["diff_sha256"] == diff_hash(b'{"a":1}', b'{"a":2}')
    assert first["time"].endswith("+00:00")
    only = await log.entries(key="k")
    assert [e.action for e in only] == ["delete"]
    assert [e.key for e in await log.entries(store="blob://c?sig=SECRETSIG1234")] == [
        "msteams/users/u1"
    ]


async def test_values_only_when_opted_in_and_never_secrets(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.jsonl", include_values=True)
    await log.append(
        log.make_entry(
            store="memory:", key="k", action="write", new=b'{"AccountKey=abcdef123456;": 1}'
        )
    )
    (entry,) = await log.entries()
    assert entry.new_body is not None
    assert "abcdef123456" not in entry.new_body


def test_diff_hash_distinguishes_changes() -> None:
    assert diff_hash(b"a", b"a") == diff_hash(b"b", b"b")  # empty diff
    assert diff_hash(b"a", b"b") != diff_hash(b"a", b"c")
    assert diff_hash(None, b"a") != diff_hash(b"a", None)
    big = b"x" * 300_000
    assert diff_hash(big, big + b"y") != diff_hash(big, big + b"z")


async def test_torn_line_is_skipped_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    log = AuditLog(path)
    await log.append(log.make_entry(store="memory:", key="k1", action="write"))
    with path.open("a") as f:
        f.write('{"time": "2026-01-01", "user": "x", "tor')  # crash mid-line
        f.write("\n")
    await log.append(log.make_entry(store="memory:", key="k2", action="write"))
    assert [e.key for e in await log.entries()] == ["k1", "k2"]
    assert log.skipped == 1


def test_concurrent_processes_never_interleave_lines(tmp_path: Path) -> None:
    path = str(tmp_path / "a.jsonl")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(path, w)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    lines = Path(path).read_text().splitlines()
    assert len(lines) == 600
    assert all(json.loads(line)["size"] == 3000 for line in lines)
