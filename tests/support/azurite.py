"""Azurite (the Azure Storage emulator, blob service only) for tests, benchmarks and ``.ci/run``.

Azurite 3.35.0 is pinned in ``tests/support/node`` (later versions need a newer
Node) and installed from npm by ``start()`` when missing (``node_packages``). It
runs on disk in a fresh temporary directory (in-memory mode can stall
for minutes after large deletes and then ignores SIGTERM) with
``--skipApiVersionCheck --loose``, on a port the server picks itself
(``--blobPort 0``, read back from its start-up line, so no port race), and is
stopped by PID: SIGTERM, then SIGKILL after a grace period; its directory is
removed afterwards. It never outlives the process that started it by more than
that grace period.

- pytest: the session fixture ``azurite`` (an ``Azurite`` with
  ``connection_string``), and ``blob_container``, a fresh container name on it
  (not yet created). With ``CI=true`` an emulator that cannot start FAILS the
  test; locally it fails too, with the reason (never a silent skip).
- ``BOTSTATE_AZURITE_CONNECTION_STRING`` set: use that running Azurite instead
  of starting one (``.ci/run`` or a benchmark run can share one).
- Benchmarks: ``start()`` / ``Azurite.stop()`` directly.
- ``python -m tests.support.azurite``: start one, print
  ``BOTSTATE_AZURITE_CONNECTION_STRING=...``, run until interrupted.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support import node_packages, processes

if TYPE_CHECKING:
    from azure.storage.blob.aio import ContainerClient

HERE = Path(__file__).resolve().parent
BINARY = HERE / "node" / "node_modules" / ".bin" / "azurite-blob"
VERSION = "3.35.0"
ENV_CONNECTION_STRING = "BOTSTATE_AZURITE_CONNECTION_STRING"
#: the well-known development account of every Azure Storage emulator
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
_READY = re.compile(r"successfully listens on http://([\d.]+):(\d+)")


class AzuriteError(RuntimeError):
    """Azurite could not be started (the message says why and what to do)."""


def connection_string(host: str, port: int) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
        f"BlobEndpoint=http://{host}:{port}/{ACCOUNT};"
    )


@dataclass
class Azurite:
    """A running Azurite. ``process`` is ``None`` when it was started elsewhere."""

    connection_string: str
    host: str = "127.0.0.1"
    port: int = 0
    process: subprocess.Popen[str] | None = None
    location: Path | None = None
    output: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def blob_endpoint(self) -> str:
        return f"http://{self.host}:{self.port}/{ACCOUNT}"

    @asynccontextmanager
    async def new_container(self, prefix: str = "c") -> AsyncIterator[ContainerClient]:
        """A fresh container on this Azurite (``unique_container(prefix)``), created,
        as a raw SDK client; deleted afterwards."""
        from azure.storage.blob.aio import ContainerClient

        name = unique_container(prefix)
        async with ContainerClient.from_connection_string(self.connection_string, name) as client:
            await client.create_container()
            try:
                yield client
            finally:
                await client.delete_container()

    def kill(self, timeout: float = 10) -> None:
        """SIGKILL the process this object started (by its PID); its directory is kept.

        For fault tests: ``start(location=azurite.location, port=azurite.port)``
        brings the same data back on the same address.
        """
        processes.kill(self.process, timeout)

    def stop(self, timeout: float = 10, *, keep_location: bool = False) -> None:
        """Stop the process this object started (by its PID) and remove its directory.

        ``keep_location``: leave the data directory for a restart (SIGTERM makes
        Azurite save its metadata first).
        """
        processes.stop(self.process, timeout)
        if self.location is not None and not keep_location:
            shutil.rmtree(self.location, ignore_errors=True)
            self.location = None


def _probe(host: str, port: int, timeout: float = 5) -> None:
    with socket.create_connection((host, port), timeout=timeout):
        pass


def start(timeout: float = 60, *, location: Path | None = None, port: int = 0) -> Azurite:
    """Start Azurite on disk on a free port and wait until it accepts connections.

    ``location``: an existing data directory to serve (a restart; the new
    ``Azurite`` removes it on ``stop()`` as usual); ``port``: a port to listen
    on instead of a free one (the port of a killed instance, for a restart).
    """
    processes.require_node("Azurite", AzuriteError)
    node_packages.ensure(AzuriteError)  # npm ci on first use (a fresh clone)
    if not BINARY.exists():
        raise AzuriteError(f"{BINARY} is missing after `npm ci --prefix tests/support/node`")
    location = location or Path(tempfile.mkdtemp(prefix="azurite-"))
    azurite = Azurite(connection_string="", location=location)
    azurite.process, ready = processes.launch(
        [
            str(BINARY),
            "--location",
            str(location),
            "--skipApiVersionCheck",
            "--loose",
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--silent",
            "--disableTelemetry",
        ],
        ready=_READY,
        output=azurite.output,
        timeout=timeout,
        name="azurite",
    )
    if ready is None:
        azurite.stop()
        raise AzuriteError(
            f"Azurite {VERSION} did not start within {timeout:.0f}s:\n"
            + processes.tail(azurite.output)
        )
    azurite.host, azurite.port = ready.group(1), int(ready.group(2))
    try:
        _probe(azurite.host, azurite.port)
    except OSError as exc:
        azurite.stop()
        raise AzuriteError(
            f"Azurite at {azurite.host}:{azurite.port} does not answer: {exc}"
        ) from None
    azurite.connection_string = connection_string(azurite.host, azurite.port)
    return azurite


def from_env_or_start() -> Azurite:
    """The Azurite named by ``BOTSTATE_AZURITE_CONNECTION_STRING``, or a newly started one."""
    existing = os.environ.get(ENV_CONNECTION_STRING)
    if existing:
        match = re.search(r"BlobEndpoint=https?://([^:/;]+):(\d+)", existing)
        host, port = (match.group(1), int(match.group(2))) if match else ("127.0.0.1", 10000)
        return Azurite(connection_string=existing, host=host, port=port)
    return start()


async def create_containers(connection_string: str, *names: str) -> None:
    """Create the containers ``names`` (raw SDK; for tests that then use the CLI or app)."""
    from azure.storage.blob.aio import ContainerClient

    for name in names:
        async with ContainerClient.from_connection_string(connection_string, name) as client:
            await client.create_container()


def unique_container(prefix: str = "c") -> str:
    """A container name that is valid (lowercase, 3-63 chars) and unused."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


# -- pytest plugin -----------------------------------------------------------


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    """A running Azurite for the whole session; a start failure fails the test (never skips)."""
    yield from processes.running("Azurite", from_env_or_start, AzuriteError)


@pytest.fixture
def blob_container(azurite: Azurite) -> str:
    """A fresh, not yet created container name on the session's Azurite."""
    return unique_container()


def main() -> int:
    emulator = start()
    return processes.serve_until_interrupted(
        emulator.process, [f"{ENV_CONNECTION_STRING}={emulator.connection_string}"], emulator.stop
    )


if __name__ == "__main__":
    sys.exit(main())
