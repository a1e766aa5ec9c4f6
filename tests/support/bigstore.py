"""Big, realistic bot state stores for scale tests and benchmarks, built fast and cached.

``sqlite_store(n)`` returns the path of a SQLite store (this project's schema,
made by ``SqliteStorage`` itself) holding exactly ``n`` keys, built once and
kept under ``.cache/bench/bigstore/`` keyed by ``n``, the seed and ``VERSION``
(bump it when the layout changes). A build writes a temporary file and renames
it, so an interrupted build never leaves a half store behind; 1M keys take
about 10 s, 10M about 2 minutes and 3 GB.

The mix (``layout(n)``): Teams-style ids (``29:1…`` users, ``a:1…`` and
``19:…@thread.tacv2`` conversations), Web Chat, Direct Line, Slack, an
Agents SDK channel (``msteams:COPILOT/28:…``) and other keys (sign-in,
proactive), with one channel (``msteams``) holding a big Users group of
``BIG_USERS_SHARE`` of the keys (3M of 10M). Private conversation states sit
under their conversations (python style, trailing ``/``). Ids come from a
keyed hash of a counter, so they look random and are unique and the same for
the same ``n`` and seed.

Rows are written with plain ``sqlite3`` in key order (each group is generated,
sorted and appended), so the B-tree is filled by appends; bodies are a few
dozen realistic documents of 150-700 bytes.

Other emulators (cheap helpers, not cached: the emulators are temporary):
``fill_blob(container_client, n)`` uploads ``n`` python-dialect blobs and
``fill_cosmos(container_proxy, n)`` writes ``n`` python-dialect documents, both
concurrently with the plain SDK, and both use the same key mix.

``python -m tests.support.bigstore N``: build (or find) the store, print its path.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "bench" / "bigstore"
#: bump when the key mix or the bodies change: cached stores are then rebuilt
VERSION = 2
DEFAULT_SEED = 1
#: share of all keys in the big Users group (msteams/users/)
BIG_USERS_SHARE = 0.30
BIG_USERS_PREFIX = "msteams/users/"
AGENT = "28:8b0c2a3e-4f5d-4c6b-9a7e-1d2c3b4a5f60"
_MODIFIED = "2024-05-01T12:00:00.000000+00:00"


@dataclass(frozen=True)
class Group:
    """One group of keys: ``count`` keys starting with ``prefix``, made by ``make(i)``."""

    prefix: str
    count: int
    make: Callable[[int], list[str]]


def _id(seed: int, tag: str, i: int, length: int) -> str:
    """``length`` base64url characters that look random, unique per (tag, i)."""
    digest = hashlib.blake2b(f"{tag}{i}".encode(), digest_size=33, key=str(seed).encode())
    return base64.urlsafe_b64encode(digest.digest()).decode()[:length]


def _hex(seed: int, tag: str, i: int, length: int) -> str:
    digest = hashlib.blake2b(f"{tag}{i}".encode(), digest_size=16, key=str(seed).encode())
    return digest.hexdigest()[:length]


def layout(n: int, seed: int = DEFAULT_SEED) -> list[Group]:
    """The groups of an ``n``-key store, in key order of their prefixes; counts sum to ``n``."""
    shares = [
        # (prefix, share, key maker) -- private states are counted with their conversations
        ("auth/", 0.004, lambda i: [f"auth/{_id(seed, 'auth', i, 24)}/signin"]),
        (
            "directline/conversations/",
            0.07,
            lambda i: [f"directline/conversations/{_id(seed, 'dlc', i, 22)}-us"],
        ),
        ("directline/users/", 0.07, lambda i: [f"directline/users/dl_{_hex(seed, 'dlu', i, 32)}"]),
        ("msteams/conversations/", 0.26, lambda i: _teams_conversation(seed, i)),
        (
            "msteams/users/",
            BIG_USERS_SHARE,
            lambda i: [f"msteams/users/29:1{_id(seed, 'tu', i, 42)}"],
        ),
        ("msteams:COPILOT/", 0.03, lambda i: _agents(seed, i)),
        (
            "proactive/conversations/",
            0.006,
            lambda i: [f"proactive/conversations/a:1{_id(seed, 'pro', i, 30)}"],
        ),
        (
            "slack/conversations/",
            0.03,
            lambda i: [f"slack/conversations/{_slack(seed, 'sb', i)}:C0{_id(seed, 'sc', i, 8)}"],
        ),
        (
            "slack/users/",
            0.04,
            lambda i: [f"slack/users/{_slack(seed, 'su', i)}"],
        ),
        (
            "webchat/conversations/",
            0.09,
            lambda i: [f"webchat/conversations/{_id(seed, 'wc', i, 22)}|livechat"],
        ),
        ("webchat/users/", 0.10, lambda i: [f"webchat/users/{_hex(seed, 'wu', i, 32)}"]),
        ("weird/", 0.0, lambda i: [f"weird/{_id(seed, 'w', i, 6)} ?#*\\ ünï 🤖 %2F {i}"]),
    ]
    groups = [Group(p, int(n * s), make) for p, s, make in shares]
    weird = 12 if n >= 1000 else 0
    groups[-1] = Group(groups[-1].prefix, weird, groups[-1].make)
    big = next(i for i, g in enumerate(groups) if g.prefix == BIG_USERS_PREFIX)
    rest = n - sum(g.count for g in groups)
    groups[big] = Group(BIG_USERS_PREFIX, groups[big].count + rest, groups[big].make)
    return groups


def _teams_conversation(seed: int, i: int) -> list[str]:
    """A Teams conversation key; every 3rd one also has a private state (2 keys, so the
    group's count is reached by taking keys, not conversations)."""
    if i % 4 == 0:
        conv = f"19:{_hex(seed, 'tc', i, 32)}@thread.tacv2;messageid=17{_hex(seed, 'm', i, 9)}"
    else:
        conv = f"a:1{_id(seed, 'tp', i, 60)}"
    keys = [f"msteams/conversations/{conv}"]
    if i % 3 == 0:
        keys.append(f"msteams/conversations/{conv}/users/29:1{_id(seed, 'tu', i, 42)}/")
    return keys


def _slack(seed: int, tag: str, i: int) -> str:
    """A Slack id with its team: ``U0ABC…:T0…`` (7 teams)."""
    return f"{tag[1].upper()}0{_id(seed, tag, i, 9).upper()}:T0{_hex(seed, 'st', i % 7, 8)}"


def _agents(seed: int, i: int) -> list[str]:
    if i % 3 == 2:
        return [f"msteams:COPILOT/{AGENT}/conversations/a:1{_id(seed, 'ac', i, 40)}/"]
    return [f"msteams:COPILOT/{AGENT}/users/29:1{_id(seed, 'au', i, 42)}/"]


def group_keys(group: Group) -> list[str]:
    """Exactly ``group.count`` distinct keys of ``group``, sorted (code point order)."""
    keys: list[str] = []
    i = 0
    while len(keys) < group.count:
        keys.extend(group.make(i))
        i += 1
    del keys[group.count :]
    keys.sort()
    return keys


def _bodies() -> list[bytes]:
    """A few dozen bodies as bots write them (python with ``", "`` and py/object, js compact)."""
    bodies = []
    names = ["Ada", "Grace", "Zoë", "José", "Björn", "Mei", "Priya", "Kenji"]
    for i in range(48):
        name = names[i % len(names)]
        if i % 3 == 0:
            doc: dict[str, Any] = {
                "UserProfile": {"py/object": "bot.UserProfile", "name": name, "visits": i},
                "e_tag": f"0x8DC{i:012X}",
            }
            text = json.dumps(doc, ensure_ascii=False)
        elif i % 3 == 1:
            doc = {
                "DialogState": {
                    "dialogStack": [{"id": "main", "state": {"step": i % 4}}] * (i % 5)
                },
                "ConversationData": {"timestamp": _MODIFIED, "channel": "msteams"},
            }
            text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        else:
            doc = {"prefs": {"lang": "fr", "tz": "Europe/Paris"}, "notes": "x" * (i * 9)}
            text = json.dumps(doc, separators=(",", ":"))
        bodies.append(text.encode())
    return bodies


def store_path(n: int, seed: int = DEFAULT_SEED) -> Path:
    return CACHE / f"sqlite-{n}-s{seed}-v{VERSION}.db"


def sqlite_store(
    n: int, *, seed: int = DEFAULT_SEED, log: Callable[[str], None] | None = None
) -> Path:
    """The path of a cached ``n``-key SQLite store (built now if missing)."""
    path = store_path(n, seed)
    if path.is_file():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(f".building-{os.getpid()}")
    temp.unlink(missing_ok=True)
    started = time.perf_counter()
    _create_schema(temp)
    conn = sqlite3.connect(temp, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -200000")
        conn.execute("BEGIN")
        bodies = _bodies()
        written = 0
        for group in layout(n, seed):
            keys = group_keys(group)
            conn.executemany(
                "INSERT INTO items (key, body, content_type, etag, last_modified) "
                "VALUES (?, ?, 'application/json', ?, ?)",
                _rows(keys, bodies, written),
            )
            written += len(keys)
            if log:
                log(f"{group.prefix}: {len(keys):,} keys ({time.perf_counter() - started:.0f} s)")
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()
    temp.replace(path)
    return path


def _create_schema(path: Path) -> None:
    """An empty store made by ``SqliteStorage`` itself (its schema, its pragmas)."""
    from explorer.storage.sqlite import SqliteStorage

    async def create() -> None:
        async with SqliteStorage(path):
            pass

    asyncio.run(create())


def _rows(keys: list[str], bodies: list[bytes], start: int) -> Iterator[tuple[Any, ...]]:
    count = len(bodies)
    for i, key in enumerate(keys, start):
        yield key, bodies[i % count], f"bigstore-{i:x}", _MODIFIED


def all_keys(n: int, seed: int = DEFAULT_SEED) -> Iterator[str]:
    """Every key of the ``n``-key mix, group by group (each group sorted)."""
    for group in layout(n, seed):
        yield from group_keys(group)


# -- emulators ------------------------------------------------------------------------------


async def fill_blob(
    container: Any, n: int, *, seed: int = DEFAULT_SEED, concurrency: int = 64
) -> int:
    """Upload ``n`` python-dialect blobs (name = key) of the same mix to an existing
    ``azure.storage.blob.aio.ContainerClient``. Returns ``n``."""
    bodies = _bodies()
    keys = iter(enumerate(all_keys(n, seed)))

    async def worker() -> None:
        for i, key in keys:
            await container.upload_blob(
                key.replace("\\", "/"), bodies[i % len(bodies)], overwrite=True
            )

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n


async def fill_cosmos(
    container: Any, n: int, *, seed: int = DEFAULT_SEED, concurrency: int = 32
) -> int:
    """Write ``n`` python-dialect documents (``{id, realId, document}``, ids escaped as
    botbuilder-python does) to an ``azure.cosmos.aio.ContainerProxy``. Returns ``n``."""
    from explorer.storage.cosmos_keys import escape

    docs = [json.loads(b) for b in _bodies()]
    keys = iter(enumerate(all_keys(n, seed)))

    async def worker() -> None:
        for i, key in keys:
            await container.upsert_item(
                {"id": escape(key, "python"), "realId": key, "document": docs[i % len(docs)]}
            )

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n


if __name__ == "__main__":
    count = int(sys.argv[1])
    print(sqlite_store(count, log=lambda line: print(line, file=sys.stderr)))
