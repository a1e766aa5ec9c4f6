"""``watch`` over Azurite killed for good: reported, retried, then the usual exit status."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from explorer.storage.blob import from_url
from tests.faults.conftest import RestartableAzurite
from tests.support import azurite as azurite_support
from tests.support import processes
from tests.support.watch_process import WatchProcess

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(120)]
KEY = "msteams/users/29:1AbC"


@pytest.fixture
def own_azurite() -> Iterator[RestartableAzurite]:
    yield from processes.running("Azurite", RestartableAzurite, azurite_support.AzuriteError)


async def _seed(connection_string: str, container: str) -> None:
    store = from_url(
        f"blob://{container}", connection_string=connection_string, create_container=True
    )
    async with store:
        await store.write({KEY: {"prefs": {"lang": "en"}}})


def test_a_store_gone_for_good_is_retried_then_exits_7(
    own_azurite: RestartableAzurite, data_dir: Path
) -> None:
    container = azurite_support.unique_container("watch")
    asyncio.run(_seed(own_azurite.connection_string, container))
    watch = WatchProcess(
        [f"blob://{container}", KEY, "--interval", "0.2", "--give-up", "3", "--json"],
        data_dir,
        env={"AZURE_STORAGE_CONNECTION_STRING": own_azurite.connection_string},
    )
    try:
        watch.wait_err("watching")
        own_azurite.kill()
        warning = watch.wait_err("does not answer")
        assert "retrying in" in warning
        assert watch.wait(60) == 7
        last = watch.err_lines[-1]
        assert last.startswith("botstate-explorer: error: ")
        assert "Traceback" not in "\n".join(watch.err_lines)
        assert watch.out.empty()  # no change was made up
    finally:
        watch.stop()
