"""``stats`` on SQLite and on the cosmos emulator: the known store, as JSON and as text."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from azure.cosmos import PartitionKey
from azure.cosmos.aio import CosmosClient

from explorer.cli import insights
from explorer.storage.sqlite import SqliteStorage
from tests.cli.conftest import Run
from tests.support.cosmos_emulator import Emulator
from tests.support.known_store import EXPECTED, KNOWN
from tests.workspace.test_stats import check_known


def _fill(path: Path) -> None:
    async def go() -> None:
        async with SqliteStorage(path) as store:
            await store.write(KNOWN)

    asyncio.run(go())


@pytest.fixture
def known(tmp_path: Path) -> str:
    _fill(tmp_path / "known.db")
    return f"sqlite:{tmp_path / 'known.db'}"


def test_json_is_one_object_on_one_line(cli: Run, known: str) -> None:
    result = cli("stats", known, "--json")
    assert result.code == 0, result.err
    (line,) = result.out.splitlines()
    check_known(json.loads(line))


def test_text_summary_prefix_and_counts_only(cli: Run, known: str) -> None:
    result = cli("stats", known)
    assert result.code == 0, result.err
    text = result.out
    assert text.startswith("total      19 items, ")
    assert "kinds      user 6, conversation 6, private 3, other 4" in text
    assert "  msteams: user 4, conversation 3, private 1" in text
    assert "  weird key?#*\\\\with chars" not in text  # not among the largest...
    for section in ("largest", "sizes", "last written", "active dialogs"):
        assert f"\n{section}\n" in text
    assert "          2  bookingDialog" in text
    sub = json.loads(cli("stats", known, "--prefix", "webchat/", "--json").out)
    assert sub["total"] == 5
    counts = json.loads(cli("stats", known, "--counts-only", "--json").out)
    assert counts["kinds"] == EXPECTED["kinds"]
    assert counts["dialogs"] == []  # no bodies read


def test_progress_goes_to_stderr(cli: Run, known: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(insights, "PROGRESS_EVERY", 0.0)
    result = cli("stats", known, "--json")
    assert "scanned 19 items" in result.err
    assert json.loads(result.out)["total"] == 19


def test_bad_budget_and_missing_store(cli: Run, tmp_path: Path) -> None:
    assert cli("stats", f"sqlite:{tmp_path / 'none.db'}").code == 7
    assert cli("stats", "memory:", "--max-ru", "0").code == 2


@pytest.mark.emulator
def test_cosmos_counts_come_from_the_server(
    cli: Run, cosmos_emulator: Emulator, cosmos_database: str
) -> None:
    async def setup() -> None:
        async with CosmosClient(
            cosmos_emulator.endpoint, cosmos_emulator.key, connection_verify=False
        ) as client:
            db = await client.create_database(cosmos_database)
            await db.create_container("state", PartitionKey(path="/id"))

    asyncio.run(setup())
    opts = ("--endpoint", cosmos_emulator.endpoint, "--key", cosmos_emulator.key, "--insecure")
    store = f"cosmos://{cosmos_database}/state"
    lines = "\n".join(json.dumps({"key": k, "body": json.dumps(v)}) for k, v in KNOWN.items())
    source = cli("import", store, "-", *opts, stdin=lines.encode())
    assert source.code == 0, source.err
    full = json.loads(cli("stats", store, "--json", *opts).out)
    check_known(full)
    assert full["counts_from"] == "server"
    text = cli("stats", store, "--counts-only", *opts).out
    assert "(counts from the server)" in text
    assert "request units  aggregate_counts " in text
