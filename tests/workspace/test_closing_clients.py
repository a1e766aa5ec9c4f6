"""Every client is closed on every exit path, checked on the emulators (issue 17).

An aiohttp session, connector or socket left to the garbage collector warns
"Unclosed connector" / "unclosed transport" (a ``ResourceWarning`` from
``__del__``). In-process tests collect the garbage themselves and fail on any
such warning; the command line and the window are run as real processes under
``python -X dev -W error::ResourceWarning`` and fail if their stderr says
"nclosed", "Exception ignored" or "Task was destroyed".
"""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from azure.storage.blob.aio import ContainerClient

from explorer.core.errors import StorageError
from explorer.storage.base import Storage
from explorer.storage.registry import open_store
from explorer.workspace.connections import Connector
from explorer.workspace.environment import DataPaths, Environment
from explorer.workspace.profiles import Profile
from explorer.workspace.threaded_listing import ThreadedLister
from tests.support.azurite import Azurite, unique_container
from tests.support.bigstore import fill_blob
from tests.support.cosmos_emulator import Emulator, unique_name
from tests.support.watch_process import WatchProcess

pytestmark = pytest.mark.emulator

ROOT = Path(__file__).resolve().parents[2]
#: what a leak prints at exit under ``-X dev``
LEAK_SIGNS = ("nclosed", "Exception ignored", "Task was destroyed")
#: blobs in the listed container: listed 20 a page, a listing runs for many pages
BLOBS = 300


def leaked() -> list[str]:
    """Collect the garbage now; the ResourceWarnings it raised (clients never closed)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


@pytest.fixture(scope="module")
def filled_container(azurite: Azurite) -> str:
    """A container of ``BLOBS`` python-dialect blobs (made once for the module)."""
    name = unique_container("closing")

    async def fill() -> None:
        async with ContainerClient.from_connection_string(
            azurite.connection_string, name
        ) as container:
            await container.create_container()
            await fill_blob(container, BLOBS, concurrency=16)

    asyncio.run(fill())
    return name


def dev_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A child's environment: dev mode, ResourceWarning an error, its own data folder."""
    return {
        **os.environ,
        "PYTHONDEVMODE": "1",
        "PYTHONWARNINGS": "error::ResourceWarning",
        "QT_QPA_PLATFORM": "offscreen",
        "BOTSTATE_EXPLORER_DATA_DIR": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def explorer(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "explorer", *args],
        capture_output=True,
        text=True,
        env=dev_env(tmp_path, **env),
        cwd=ROOT,
        timeout=180,
    )


def assert_no_leak(stderr: str) -> None:
    for sign in LEAK_SIGNS:
        assert sign not in stderr, stderr[-3000:]


# -- in process ------------------------------------------------------------------


async def test_a_store_that_fails_to_open_closes_its_client(
    azurite: Azurite, blob_container: str
) -> None:
    leaked()  # earlier garbage is not this test's
    store = open_store(f"blob://{blob_container}", connection_string=azurite.connection_string)
    with pytest.raises(StorageError, match="does not exist"):
        await store.__aenter__()
    del store
    assert leaked() == []


async def test_the_connection_dialogs_check_closes_its_store(
    tmp_path: Path, azurite: Azurite, filled_container: str
) -> None:
    """Check (Connect… dialog) opens a read-only store and closes it, found or not."""
    leaked()
    connector = Connector(DataPaths(tmp_path), Environment())
    cs = azurite.connection_string
    found = Profile("azurite", "blob", "dev", {"container": filled_container})
    assert (await connector.check_profile(found, cs)).startswith("Connected: it holds state")
    missing = Profile("azurite", "blob", "dev", {"container": unique_container("none")})
    with pytest.raises(StorageError, match="does not exist"):
        await connector.check_profile(missing, cs)
    assert leaked() == []


@pytest.mark.parametrize("wait_for", [1, 100])
async def test_closing_the_listing_thread_mid_listing_leaves_no_connection(
    azurite: Azurite, filled_container: str, wait_for: int
) -> None:
    """The window closes while a listing still runs: the worker's listing is ended,
    its store closed and its connections closed before its loop stops."""
    leaked()

    def open_fn() -> Storage:
        cs = azurite.connection_string
        return open_store(
            f"blob://{filled_container}", read_only=True, connection_string=cs, page_size=20
        )

    for close_first in (False, True):
        lister = await ThreadedLister.start(open_fn, batch=10)
        got: list[Any] = []
        started = asyncio.Event()

        async def consume(
            lister: ThreadedLister = lister, got: list[Any] = got, started: Any = started
        ) -> None:
            async for entry in lister.iter_entries():
                got.append(entry)
                if len(got) >= wait_for:
                    started.set()

        task = asyncio.ensure_future(consume())
        await asyncio.wait_for(started.wait(), 30)
        # usually still listing (15 pages); on a busy machine it may have ended: the
        # leak check below holds either way
        if close_first:  # close under the running listing, then stop reading
            await lister.close()
            task.cancel()
        else:
            task.cancel()
            await lister.close()
        await asyncio.gather(task, return_exceptions=True)
        del lister, task, consume
        assert leaked() == []


# -- the command line and the window, as processes --------------------------------


def test_cli_ls_and_get_close_their_clients_also_on_errors(
    tmp_path: Path, azurite: Azurite, filled_container: str
) -> None:
    cs = {"AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string}
    url = f"blob://{filled_container}"
    listed = explorer(tmp_path, "ls", url, **cs)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert len(listed.stdout.splitlines()) >= BLOBS
    assert_no_leak(listed.stderr)
    key = listed.stdout.splitlines()[0].split("\t")[-1]
    got = explorer(tmp_path, "get", url, key, **cs)
    assert got.returncode == 0, got.stderr[-2000:]
    assert_no_leak(got.stderr)
    for args in (["get", url, "no/such/key"], ["ls", f"blob://{unique_container('none')}"]):
        failed = explorer(tmp_path, *args, **cs)
        assert failed.returncode != 0
        assert "error:" in failed.stderr
        assert_no_leak(failed.stderr)


def test_cli_on_cosmos_closes_its_client_also_on_errors(
    tmp_path: Path, cosmos_emulator: Emulator
) -> None:
    env = {"COSMOS_ENDPOINT": cosmos_emulator.endpoint, "COSMOS_KEY": cosmos_emulator.key}
    url = f"cosmos://{unique_name('closing')}/state"
    made = explorer(tmp_path, "demo", url, "--insecure", "--users", "5", **env)
    assert made.returncode == 0, made.stderr[-2000:]
    assert_no_leak(made.stderr)
    listed = explorer(tmp_path, "ls", url, "--insecure", **env)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert listed.stdout.strip()
    assert_no_leak(listed.stderr)
    missing = explorer(tmp_path, "ls", f"{url}-none", "--insecure", **env)
    assert "does not exist" in missing.stderr
    assert_no_leak(missing.stderr)


def test_cli_watch_interrupted_closes_its_client(
    tmp_path: Path, azurite: Azurite, filled_container: str
) -> None:
    cs = {"AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string}
    env = dev_env(tmp_path, **cs)
    url = f"blob://{filled_container}"
    key = explorer(tmp_path, "ls", url, **cs).stdout.splitlines()[0].split("\t")[-1]
    watch = WatchProcess([url, key, "--interval", "0.2"], tmp_path / "data", env=env)
    try:
        watch.wait_err("watching", timeout=60)
        assert watch.interrupt() == 0
    finally:
        watch.stop()
    assert_no_leak("\n".join(watch.drain_err()))


@pytest.mark.parametrize("case", ["listing", "goto", "missing"])
def test_gui_screenshot_closes_every_client(
    tmp_path: Path, azurite: Azurite, filled_container: str, case: str
) -> None:
    """``gui blob://... --screenshot`` exits with no "Unclosed connector": the window's
    store, its listing thread's store, a Go to's reads, and a store that failed to open."""
    cs = {"AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string}
    url = f"blob://{filled_container}"
    png = tmp_path / "shot.png"
    args = ["gui", url, "--screenshot", str(png)]
    if case == "goto":
        key = explorer(tmp_path, "ls", url, **cs).stdout.splitlines()[-1].split("\t")[-1]
        args += ["--goto", key]
    if case == "missing":
        args[1] = f"blob://{unique_container('none')}"
    result = explorer(tmp_path, *args, **cs)
    assert png.stat().st_size > 10_000, result.stderr[-2000:]
    if case == "missing":
        assert result.returncode == 1
        assert "does not exist" in result.stderr
    else:
        assert result.returncode == 0, result.stderr[-2000:]
        assert '"selected": "' in result.stdout
    assert_no_leak(result.stderr)
