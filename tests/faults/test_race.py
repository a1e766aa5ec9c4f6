"""The 412 race: a bot writes one key in a loop (last writer wins) while we edit and save it.

The bot is another process (``race_bot.py``, this project's storage library)
writing as fast as it can; it logs each write's number, etag and the monotonic
time before and after it. We load the key in an ``EditSession``, change it,
wait a few milliseconds and save through ``SafeWriter`` (etag-checked), many
times. Every save must either land exactly (read back at once: our body under
our etag, or else a later bot write on top) or fail with ``ETagConflictError``.

A lost write is a bot write that happened entirely between the end of our load
and the start of our save (so we did not see it) while our save still landed.
The same detector run over blind saves (no etag) must find such writes: the
check itself can fail.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from azure.cosmos.aio import CosmosClient

from explorer.core.errors import ETagConflictError
from explorer.storage.base import StorageBase
from explorer.storage.registry import open_store
from explorer.workspace.safe_write import SafeWriter
from explorer.workspace.session import EditSession
from tests.faults.conftest import Recorder
from tests.faults.support import trail
from tests.support.azurite import Azurite, unique_container
from tests.support.cosmos_emulator import Emulator, unique_name

SUITE = "race"
pytestmark = [pytest.mark.emulator, pytest.mark.timeout(120)]
ROOT = Path(__file__).resolve().parents[2]
KEY = "msteams/users/29:race"
SAVES = 60
BLIND = 15


@dataclass(frozen=True)
class BotWrite:
    n: int
    t0: float
    t1: float
    etag: str


@dataclass(frozen=True)
class Save:
    loaded_end: float
    save_start: float
    etag: str | None  # None: refused (412)


class Bot:
    def __init__(self, url: str, options: dict[str, Any]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.race_bot", url, json.dumps(options), KEY],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline().strip()
        if first != "ready":
            self.process.kill()
            pytest.fail(f"the bot did not start: {first} {self.process.stderr.read()[-2000:]}")

    def stop(self) -> list[BotWrite]:
        out, err = self.process.communicate("", timeout=30)
        assert self.process.returncode == 0, err[-2000:]
        return [BotWrite(**json.loads(line)) for line in out.splitlines() if line.strip()]


def unseen_bot_writes(saves: list[Save], bot: list[BotWrite]) -> list[tuple[Save, BotWrite]]:
    """Bot writes that ran wholly between a landed save's load and its request."""
    return [
        (save, write)
        for save in saves
        if save.etag is not None
        for write in bot
        if save.loaded_end < write.t0 and write.t1 < save.save_start
    ]


async def _store(kind: str, request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    if kind == "blob":
        azurite: Azurite = request.getfixturevalue("azurite")
        url = f"blob://{unique_container('race')}"
        return url, {"connection_string": azurite.connection_string, "create_container": True}
    emulator: Emulator = request.getfixturevalue("cosmos_emulator")
    database = unique_name("race")
    async with CosmosClient(emulator.endpoint, emulator.key, connection_verify=False) as client:
        await client.create_database(database)
    options = {"endpoint": emulator.endpoint, "key": emulator.key, "insecure": True}
    return f"cosmos://{database}/state", {**options, "create_container": True}


@pytest.fixture(params=["blob", "cosmos"])
async def race_store(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[StorageBase, str, dict[str, Any]]]:
    url, options = await _store(request.param, request)
    async with open_store(url, **options) as store:
        assert isinstance(store, StorageBase)
        await store.write({KEY: {"UserProfile": {"name": "seed"}}})
        yield store, url, {k: v for k, v in options.items() if k != "create_container"}


async def _edit_and_save(
    store: StorageBase, writer: SafeWriter | None, i: int, rng: random.Random
) -> tuple[Save, bytes]:
    session = await EditSession.load(store, KEY)
    loaded_end = time.monotonic()
    session.set_property("ours", i)
    encoded = session.encoded()
    assert encoded is not None
    # a user's think time, compressed; longer for the blind control so that a bot
    # write surely falls inside some of its windows
    await asyncio.sleep(rng.uniform(0.002, 0.012) if writer else rng.uniform(0.03, 0.06))
    save_start = time.monotonic()
    try:
        if writer is None:  # the control: a blind save that checks no etag
            stored = await store.write_raw(encoded)
        else:
            stored = await session.save(writer)
    except ETagConflictError:
        assert session.is_dirty  # the draft survives to be merged and saved again
        return Save(loaded_end, save_start, None), encoded.body
    assert stored is not None
    return Save(loaded_end, save_start, stored.etag), encoded.body


async def test_etag_checked_saves_never_overwrite_an_unseen_bot_write(
    race_store: tuple[StorageBase, str, dict[str, Any]], writer: SafeWriter, faults: Recorder
) -> None:
    store, url, options = race_store
    rng = random.Random(5)
    bot = Bot(url, options)
    saves: list[Save] = []
    exact = overwritten = 0
    on_top: list[str | None] = []
    try:
        for i in range(SAVES):
            save, sent = await _edit_and_save(store, writer, i, rng)
            saves.append(save)
            if save.etag is None:
                continue
            now = (await store.read_raw([KEY]))[KEY]
            if now.etag == save.etag:
                assert store.decode(now) == store.decode(now.__class__(key=KEY, body=sent))
                exact += 1
            else:  # a bot write landed on top of ours, after it: its right
                overwritten += 1
                on_top.append(now.etag)
        control = [(await _edit_and_save(store, None, 1000 + i, rng))[0] for i in range(BLIND)]
    finally:
        bot_writes = bot.stop()
    lost = unseen_bot_writes(saves, bot_writes)
    detected = unseen_bot_writes(control, bot_writes)
    conflicts = sum(1 for s in saves if s.etag is None)
    landed = SAVES - conflicts
    etags = {w.etag for w in bot_writes}
    record = await trail(writer, store, KEY)
    outcomes = [e.outcome for e in record.audit]
    faults.record(
        tried=SAVES,
        lost=len(lost),
        landed_exact=exact,
        landed_then_overwritten=overwritten,
        conflicts_412=conflicts,
        bot_writes=len(bot_writes),
        control_blind_saves=BLIND,
        control_lost_detected=len(detected),
    )
    assert lost == []
    assert conflicts > 0, "the bot never raced a save: the test proved nothing"
    assert landed > 0
    assert exact + overwritten == landed
    assert len(bot_writes) >= 10
    assert set(on_top) <= etags  # what replaced a landed save was a logged bot write
    assert detected, "blind saves lost no bot write: the detector cannot see losses"
    assert outcomes.count("ok") == landed  # the audit claims exactly the saves that landed
    assert outcomes.count("ETagConflictError") == conflicts
    assert len(etags) == len(bot_writes)
