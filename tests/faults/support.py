"""Shared steps of the fault tests: seed, verify nothing lost, check backups and audit."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from explorer.core.items import Entry, RawItem
from explorer.storage.base import StorageBase
from explorer.workspace.audit import AuditEntry
from explorer.workspace.backups import Backup, store_identity
from explorer.workspace.safe_write import SafeWriter

#: how long a killed or stalled server may take to be reported (the backends'
#: own bound is a few seconds; this leaves room for a busy 2-core CI machine)
REPORT_WITHIN = 20.0


def keys(count: int, prefix: str = "faults/users/u") -> list[str]:
    return [f"{prefix}{i:05d}" for i in range(count)]


async def seed(
    store: StorageBase, count: int, *, prefix: str = "faults/users/u"
) -> dict[str, bytes]:
    """Write ``count`` small state documents; returns key -> the body sent for each."""
    documents = {k: {"UserProfile": {"name": k, "n": i}} for i, k in enumerate(keys(count, prefix))}
    wanted = list(documents)
    for start in range(0, count, 500):
        await store.write({k: documents[k] for k in wanted[start : start + 500]})
    return {k: store.encode(k, documents[k]).body for k in wanted}


async def drain(entries: AsyncIterator[Entry]) -> int:
    """Consume a listing; how many entries it gave."""
    count = 0
    async for _ in entries:
        count += 1
    return count


async def snapshot(store: StorageBase, wanted: list[str]) -> dict[str, bytes]:
    found = await store.read_raw(wanted)
    assert len(found) == len(wanted), f"seeded {len(wanted)}, read back {len(found)}"
    return {k: item.body for k, item in found.items()}


async def count_lost(store: StorageBase, expected: dict[str, bytes]) -> int:
    """Items listed or read back differently from ``expected`` (missing, changed, extra)."""
    listed = {entry.key async for entry in store.iter_entries()}
    found = await store.read_raw(list(expected))
    missing = set(expected) - listed
    extra = listed - set(expected)
    changed = [k for k, body in expected.items() if k not in found or found[k].body != body]
    return len(missing | set(changed)) + len(extra)


class Clock:
    """``with Clock() as c: ...`` then ``c.elapsed``."""

    def __enter__(self) -> Clock:
        self.start = time.monotonic()
        self.elapsed = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.monotonic() - self.start


@dataclass
class Trail:
    """What SafeWriter recorded for one key: its backups and its audit lines."""

    backups: list[Backup]
    audit: list[AuditEntry]

    @property
    def claimed(self) -> list[AuditEntry]:
        """Audit lines that say a change happened."""
        return [e for e in self.audit if e.outcome == "ok"]


async def trail(writer: SafeWriter, store: StorageBase, key: str) -> Trail:
    backups = await writer.backups.history(store_identity(store), key)
    audit = await writer.audit.entries(store=store_identity(store), key=key)
    return Trail(backups, audit)


def old_or_new(item: RawItem | None, old: bytes, new: bytes) -> str:
    """``"old"``, ``"new"`` or ``"torn"`` (neither: a partial or foreign write)."""
    if item is None:
        return "torn"
    if item.body == old:
        return "old"
    if item.body == new:
        return "new"
    return "torn"


def counter(start_at: int) -> Callable[[], bool]:
    """A predicate true from its ``start_at``-th call on (1-based)."""
    calls = 0

    def nth() -> bool:
        nonlocal calls
        calls += 1
        return calls >= start_at

    return nth
