"""Fault tests: real emulators killed, stalled, throttled and raced; counts in the summary.

Each test records what it tried with the ``faults`` fixture
(``faults.record(tried=1, lost=0, retried=n)``) under its module's ``SUITE``
name; at the end of the run one line per suite is printed, e.g.
``faults[blob]: tried=9 lost=0 retried=7 save_old=2``, so CI output shows them.
``tried``: faults injected; ``lost``: writes lost or torn (each test asserts 0
itself; the line only reports); ``retried``: requests the client re-sent after
a fault and that then succeeded or ran out of budget; other names count
outcomes (``save_old``: a failed save left the old version...) and requests
that met a dead server or a reset connection.

Emulators here are the test's own (function scope), never the session's: these
tests kill them. ``RestartableAzurite`` keeps the data directory and the port
across a kill, so a restart serves the same data on the same address.
``RestartableCosmos`` restarts on the same port too, but the cosmos emulator
keeps everything in memory: after a kill its data is gone (a limit of the
emulator, not of the store), so the cosmos tests check "nothing lost" across a
dropped network (the fault proxy resetting every connection) and check the
real kill for the error and the time it takes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from explorer.workspace.audit import AuditLog
from explorer.workspace.backups import BackupStore
from explorer.workspace.safe_write import SafeWriter
from tests.support import azurite as azurite_support
from tests.support import cosmos_emulator as cosmos_support
from tests.support import processes


@dataclass
class Tally:
    tried: int = 0
    lost: int = 0
    retried: int = 0
    extra: Counter[str] = field(default_factory=Counter)

    def line(self, suite: str) -> str:
        more = "".join(f" {k}={v}" for k, v in sorted(self.extra.items()))
        return f"faults[{suite}]: tried={self.tried} lost={self.lost} retried={self.retried}{more}"


TALLIES: dict[str, Tally] = {}


@dataclass
class Recorder:
    suite: str

    def record(self, *, tried: int = 0, lost: int = 0, retried: int = 0, **extra: int) -> None:
        tally = TALLIES.setdefault(self.suite, Tally())
        tally.tried += tried
        tally.lost += lost
        tally.retried += retried
        tally.extra.update({k: v for k, v in extra.items() if v})


@pytest.fixture
def faults(request: pytest.FixtureRequest) -> Recorder:
    return Recorder(getattr(request.module, "SUITE", request.module.__name__.rsplit(".", 1)[-1]))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TALLIES:
        return
    terminalreporter.section("fault counts")
    for suite in sorted(TALLIES):
        terminalreporter.write_line(TALLIES[suite].line(suite))


# -- emulators this test may kill ----------------------------------------------------


class RestartableAzurite:
    """An Azurite of one test: ``kill()`` (SIGKILL by PID), ``restart()`` on the same
    directory and port, ``settle()`` (graceful restart: Azurite saves its metadata
    only every 5 s or on SIGTERM, so seeded data is made durable first)."""

    def __init__(self) -> None:
        self.current = azurite_support.start()
        assert self.current.location is not None
        self.location: Path = self.current.location
        self.port = self.current.port
        self.kills = 0

    @property
    def connection_string(self) -> str:
        return self.current.connection_string

    def kill(self) -> None:
        self.kills += 1
        self.current.kill()

    def restart(self) -> None:
        self.current.kill()
        self.current = azurite_support.start(location=self.location, port=self.port)

    def settle(self) -> None:
        self.current.stop(keep_location=True)
        self.current = azurite_support.start(location=self.location, port=self.port)

    def stop(self) -> None:
        self.current.stop()


class RestartableCosmos:
    """A cosmos emulator of one test: ``kill()`` by PID, ``restart()`` on the same port."""

    def __init__(self) -> None:
        self.current = cosmos_support.start()
        self.port = int(self.current.endpoint.rstrip("/").rsplit(":", 1)[1])
        self.key = self.current.key

    @property
    def endpoint(self) -> str:
        return self.current.endpoint

    def kill(self) -> None:
        self.current.kill()

    def restart(self) -> None:
        self.current.kill()
        self.current = cosmos_support.start(port=self.port)

    def stop(self) -> None:
        self.current.stop()


@pytest.fixture
def own_azurite() -> Iterator[RestartableAzurite]:
    yield from processes.running("Azurite", RestartableAzurite, azurite_support.AzuriteError)


@pytest.fixture
def own_cosmos() -> Iterator[RestartableCosmos]:
    yield from processes.running(
        "the cosmos emulator", RestartableCosmos, cosmos_support.EmulatorError
    )


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[SafeWriter]:
    """A SafeWriter with its own backup store and audit log under ``tmp_path``."""
    backups = BackupStore(tmp_path / "backups.sqlite3")
    yield SafeWriter(backups, AuditLog(tmp_path / "audit.jsonl", user="fault-tests"), profile="f")
    backups.close()
