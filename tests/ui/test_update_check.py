"""The opt-in update check against a real local HTTP server (aiohttp), no mocked logic."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from explorer.ui.update_check import (
    DAY_SECONDS,
    ENABLED_KEY,
    LAST_CHECK_KEY,
    UpdateChecker,
    install_status_note,
    make_toggle_action,
    newer_release,
)

JSON_PATH = "/pypi/botstate-explorer/json"


class FakePyPI:
    """A real aiohttp server that answers like PyPI's JSON API and counts requests."""

    def __init__(self) -> None:
        self.requests = 0
        self.latest = "0.2.0"
        self.status = 200
        self.body: str | None = None
        self.delay = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.body is not None:
            return web.Response(text=self.body, status=self.status)
        return web.json_response({"info": {"version": self.latest}}, status=self.status)


@pytest.fixture
async def pypi() -> AsyncIterator[tuple[FakePyPI, str]]:
    fake = FakePyPI()
    app = web.Application()
    app.router.add_get(JSON_PATH, fake.handle)
    server = TestServer(app, port=0)
    await server.start_server()
    try:
        yield fake, str(server.make_url(JSON_PATH))
    finally:
        await server.close()


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def make(
    settings: QSettings, url: str, version: str = "0.1.0", clock: Callable[[], float] | None = None
) -> UpdateChecker:
    return UpdateChecker(settings, version, url=url, clock=clock or Clock())


async def test_off_by_default_and_requests_nothing(
    qtbot: QtBot, settings: QSettings, pypi: tuple[FakePyPI, str]
) -> None:
    fake, url = pypi
    checker = make(settings, url)
    assert not checker.is_enabled()
    assert checker.maybe_check() is None
    await asyncio.sleep(0.05)
    assert fake.requests == 0
    assert settings.value(LAST_CHECK_KEY) is None


async def test_enabled_finds_newer_version_and_shows_a_quiet_note(
    qtbot: QtBot, settings: QSettings, pypi: tuple[FakePyPI, str]
) -> None:
    fake, url = pypi
    window = QMainWindow()
    qtbot.addWidget(window)
    checker = make(settings, url)
    label = install_status_note(checker, window.statusBar())
    assert not label.isVisibleTo(window)
    settings.setValue(ENABLED_KEY, True)
    with qtbot.waitSignal(checker.update_available, timeout=5000) as blocker:
        task = checker.maybe_check()
        assert task is not None
        assert await task == "0.2.0"
    assert blocker.args == ["0.2.0"]
    assert fake.requests == 1
    assert label.isVisibleTo(window)
    assert "0.2.0" in label.text()
    assert "0.1.0" in label.text()


async def test_at_most_once_a_day(settings: QSettings, pypi: tuple[FakePyPI, str]) -> None:
    fake, url = pypi
    clock = Clock()
    checker = make(settings, url, clock=clock)
    settings.setValue(ENABLED_KEY, True)
    task = checker.maybe_check()
    assert task is not None
    await task
    clock.now += DAY_SECONDS - 60
    assert checker.maybe_check() is None
    # a new checker (next start of the app) reads the stored time
    assert make(settings, url, clock=clock).maybe_check() is None
    assert fake.requests == 1
    clock.now += 120
    task = checker.maybe_check()
    assert task is not None
    await task
    assert fake.requests == 2


async def test_same_older_or_prerelease_is_not_announced(
    qtbot: QtBot, settings: QSettings, pypi: tuple[FakePyPI, str]
) -> None:
    fake, url = pypi
    settings.setValue(ENABLED_KEY, True)
    checker = make(settings, url, version="0.2.0")
    announced: list[str] = []
    checker.update_available.connect(announced.append)
    for latest in ("0.2.0", "0.1.9", "0.3.0rc1", "0.3.0.dev4", "not a version"):
        fake.latest = latest
        assert await checker.check_now() is None, latest
    assert fake.requests == 5
    assert announced == []


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, None),
        (404, '{"message": "Not Found"}'),
        (200, "<html>captive portal</html>"),
        (200, '{"info": {}}'),
        (200, "[1, 2]"),
    ],
)
async def test_server_trouble_is_quiet(
    settings: QSettings, pypi: tuple[FakePyPI, str], status: int, body: str | None
) -> None:
    fake, url = pypi
    fake.status, fake.body = status, body
    clock = Clock()
    settings.setValue(ENABLED_KEY, True)
    checker = make(settings, url, clock=clock)
    task = checker.maybe_check()
    assert task is not None
    assert await task is None
    assert fake.requests == 1
    # the failed attempt counts: no retry until tomorrow
    assert float(settings.value(LAST_CHECK_KEY)) == clock.now
    assert checker.maybe_check() is None


async def test_unreachable_server_is_quiet(settings: QSettings, unused_tcp_port: int) -> None:
    settings.setValue(ENABLED_KEY, True)
    checker = make(settings, f"http://127.0.0.1:{unused_tcp_port}{JSON_PATH}")
    assert await checker.check_now() is None


async def test_close_cancels_a_slow_check(settings: QSettings, pypi: tuple[FakePyPI, str]) -> None:
    fake, url = pypi
    fake.delay = 30
    settings.setValue(ENABLED_KEY, True)
    checker = make(settings, url)
    task = checker.maybe_check()
    assert task is not None
    assert checker.maybe_check() is task  # no second request while one runs
    await asyncio.sleep(0.1)
    await checker.aclose()
    assert task.cancelled()


async def test_unknown_running_version_never_checks(
    settings: QSettings, pypi: tuple[FakePyPI, str]
) -> None:
    fake, url = pypi
    settings.setValue(ENABLED_KEY, True)
    assert make(settings, url, version="0.0.0+unknown").maybe_check() is None
    assert fake.requests == 0


async def test_toggle_action_turns_it_on_and_checks_once(
    qtbot: QtBot, settings: QSettings, pypi: tuple[FakePyPI, str]
) -> None:
    fake, url = pypi
    window = QMainWindow()
    qtbot.addWidget(window)
    checker = make(settings, url)
    action = make_toggle_action(checker, window)
    assert action.isCheckable()
    assert not action.isChecked()
    with qtbot.waitSignal(checker.update_available, timeout=5000):
        action.trigger()
        task = checker.maybe_check()  # the running task started by the toggle
        assert task is not None
        await task
    assert checker.is_enabled()
    assert settings.value(ENABLED_KEY) in (True, "true")
    assert fake.requests == 1
    action.trigger()
    assert not checker.is_enabled()
    assert checker.maybe_check() is None
    assert fake.requests == 1


def test_settings_survive_as_ini_strings(tmp_path: Path) -> None:
    path = str(tmp_path / "s.ini")
    first = QSettings(path, QSettings.Format.IniFormat)
    UpdateChecker(first, "0.1.0").set_enabled(True)
    first.sync()
    again = UpdateChecker(QSettings(path, QSettings.Format.IniFormat), "0.1.0")
    assert again.is_enabled()


def test_newer_release() -> None:
    assert newer_release("1.10.0", "1.9.2") == "1.10.0"
    assert newer_release("1.0.0", "1.0.0rc2") == "1.0.0"
    assert newer_release("1.0.0", "1.0.0") is None
    assert newer_release("2.0.0b1", "1.0.0") is None
    assert newer_release("garbage", "1.0.0") is None
