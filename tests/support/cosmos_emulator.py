"""The Cosmos DB emulator for tests, benchmarks and ``.ci/run``.

``@vercel/cosmosdb-server`` 1.0.1 (pinned in ``tests/support/node``, installed
from npm by ``start()`` when missing: ``node_packages``) is started
through ``tests/support/cosmos_server.js``, which fixes its missing-document
answer (500 -> 404), makes ``indexingMode: none`` containers refuse filtered
queries as Cosmos DB does, and names the address a client used as the
account's location (so a proxy in front of it is not bypassed), and answers a
container read with quota info with its document count (``x-ms-resource-usage``)
as Cosmos DB does. It serves HTTPS with a self-signed certificate on a free port
chosen by the server itself (no port race), keeps connections alive, holds
everything in memory, is stopped by PID, and exits by itself when the process
that started it dies.

Limits of the emulator (do not test these against it): no OFFSET/LIMIT,
GROUP BY, DISTINCT, transactional batch, throughput, TTL or change feed; a
query given ``partition_key=`` fails unless its WHERE names the partition key;
it charges 1 RU per request whatever the request; replacing a container's
definition empties it; ids are not length-checked.

- pytest: the session fixture ``cosmos_emulator`` (an ``Emulator`` with
  ``endpoint`` and ``key``); ``cosmos_database`` gives a fresh database name on
  it. An emulator that cannot start fails the test with the reason (never a
  skip), as Azurite's fixture does.
- A test's set-up: ``emulator.client()`` (an SDK client), ``emulator.store_options``
  (what ``open_store`` and ``cosmos.from_url`` take), ``new_container_store``
  (an empty container and an unopened store on it).
- ``BOTSTATE_COSMOS_ENDPOINT`` (+ ``BOTSTATE_COSMOS_KEY``) set: use that
  running emulator instead of starting one (``.ci/run`` can share one).
- ``python -m tests.support.cosmos_emulator``: start one, print
  ``BOTSTATE_COSMOS_ENDPOINT=...`` and ``BOTSTATE_COSMOS_KEY=...``, run until
  interrupted.
"""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support import node_packages, processes

if TYPE_CHECKING:
    from azure.cosmos.aio import CosmosClient

    from explorer.storage.base import Storage

HERE = Path(__file__).resolve().parent
LAUNCHER = HERE / "cosmos_server.js"
PACKAGE = HERE / "node" / "node_modules" / "@vercel" / "cosmosdb-server" / "package.json"
#: any base64 string is accepted; this is the well-known emulator key
KEY = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
ENV_ENDPOINT = "BOTSTATE_COSMOS_ENDPOINT"
ENV_KEY = "BOTSTATE_COSMOS_KEY"
_READY = re.compile(r"Ready to accept HTTPS connections at (\S+):(\d+)")


class EmulatorError(RuntimeError):
    """The emulator could not be started (message says why and what to do)."""


@dataclass
class Emulator:
    """A running emulator. ``process`` is ``None`` when it was started elsewhere."""

    endpoint: str
    key: str = KEY
    process: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def kill(self, timeout: float = 10) -> None:
        """SIGKILL the process this object started (by its PID); its data (in memory) is gone."""
        processes.kill(self.process, timeout)

    def stop(self, timeout: float = 10) -> None:
        """Stop the process this object started (by its PID); a no-op otherwise."""
        processes.stop(self.process, timeout)

    @property
    def store_options(self) -> dict[str, Any]:
        """What ``open_store`` and ``cosmos.from_url`` need to reach this emulator
        (its certificate is self-signed: TLS checks off)."""
        return {"endpoint": self.endpoint, "key": self.key, "insecure": True}

    def client(self) -> CosmosClient:
        """An SDK client on this emulator (TLS checks off), for a test's set-up."""
        from azure.cosmos.aio import CosmosClient

        return CosmosClient(self.endpoint, self.key, connection_verify=False)


def _probe(endpoint: str, timeout: float = 5) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(endpoint, timeout=timeout, context=context) as reply:
            reply.read()
    except urllib.error.HTTPError:
        pass  # any HTTP answer means the server is up


def start(timeout: float = 30, *, port: int = 0) -> Emulator:
    """Start an emulator on a free port (or on ``port``: a restart) and wait until it answers."""
    node = processes.require_node("the cosmos emulator", EmulatorError)
    node_packages.ensure(EmulatorError)  # npm ci on first use (a fresh clone)
    if not PACKAGE.exists():
        raise EmulatorError(f"{PACKAGE.parent} is missing after `npm ci`")
    emulator = Emulator(endpoint="")
    emulator.process, ready = processes.launch(
        [node, str(LAUNCHER), "--port", str(port), "--host", "127.0.0.1", "--exit-with-stdin"],
        ready=_READY,
        output=emulator.output,
        timeout=timeout,
        name="cosmos-emulator",
        hold_stdin=True,  # if this process dies, the emulator exits too
    )
    if ready is None:
        emulator.stop()
        raise EmulatorError(
            f"the cosmos emulator did not start within {timeout:.0f}s:\n"
            + processes.tail(emulator.output)
        )
    emulator.endpoint = f"https://{ready.group(1)}:{ready.group(2)}/"
    try:
        _probe(emulator.endpoint)
    except OSError as exc:
        emulator.stop()
        raise EmulatorError(
            f"the cosmos emulator at {emulator.endpoint} does not answer: {exc}"
        ) from exc
    return emulator


def from_env_or_start() -> Emulator:
    """The emulator named by ``BOTSTATE_COSMOS_ENDPOINT``, or a newly started one."""
    endpoint = os.environ.get(ENV_ENDPOINT)
    if endpoint:
        return Emulator(endpoint=endpoint, key=os.environ.get(ENV_KEY, KEY))
    return start()


def unique_name(prefix: str = "db") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def new_container_store(emulator: Emulator, database: str, container: str) -> Storage:
    """An empty container ``database/container`` (partitioned by ``/id``, as bots
    create it; the database is made if missing) and an unopened store on it."""
    from azure.cosmos import PartitionKey

    from explorer.storage.cosmos import from_url

    async with emulator.client() as client:
        created = await client.create_database_if_not_exists(database)
        await created.create_container(container, PartitionKey(path="/id"))
    return from_url(f"cosmos://{database}/{container}", **emulator.store_options)


# -- pytest plugin -----------------------------------------------------------


@pytest.fixture(scope="session")
def cosmos_emulator() -> Iterator[Emulator]:
    """A running cosmos emulator for the whole session (fails if it cannot start)."""
    yield from processes.running("the cosmos emulator", from_env_or_start, EmulatorError)


@pytest.fixture
def cosmos_database(cosmos_emulator: Emulator) -> str:
    """A fresh database name (created by the test that needs it; the emulator is in memory)."""
    return unique_name("db")


def main() -> int:
    emulator = start()
    lines = [f"{ENV_ENDPOINT}={emulator.endpoint}", f"{ENV_KEY}={emulator.key}"]
    return processes.serve_until_interrupted(emulator.process, lines, emulator.stop)


if __name__ == "__main__":
    sys.exit(main())
