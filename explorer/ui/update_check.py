"""Opt-in check for a newer release on PyPI: off by default, quiet, never blocking.

Invariants:

- Nothing is requested unless the user turned the check on
  (QSettings ``updates/check_enabled``, default False).
- At most one request per ``interval`` (a day): the time of the last attempt,
  successful or not, is kept in ``updates/last_check`` (seconds since the epoch),
  so a failing network is not retried at every start. A stored time in the
  future (clock moved back) counts as due.
- The request runs on the asyncio (qasync) loop with aiohttp and a short
  timeout, as quiet work of the ``TaskRunner`` given (else one of its own):
  never in the status bar, and a cancel says nothing; any failure (offline,
  proxy, HTTP error, bad JSON, no version) is logged at debug level and
  otherwise ignored: no dialog, no error in the UI.
- A newer version is announced once per run through ``update_available`` and,
  when ``install_status_note`` was used, as a small link in the status bar.
  Pre-releases, and versions equal to or older than the running one, are not
  announced; an unknown running version (``0.0.0+unknown``, a source tree that
  was never installed) never checks.

Wiring (composition root / main window)::

    checker = UpdateChecker(QSettings(), explorer.__version__, runner=runner, parent=window)
    install_status_note(checker, window.statusBar())
    help_menu.addAction(make_toggle_action(checker, help_menu))
    checker.maybe_check()   # after the window is shown
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Callable
from typing import Any

from packaging.version import InvalidVersion, Version
from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QStatusBar

from explorer.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

PROJECT = "botstate-explorer"
PYPI_JSON_URL = f"https://pypi.org/pypi/{PROJECT}/json"
PROJECT_PAGE_URL = f"https://pypi.org/project/{PROJECT}/"
ENABLED_KEY = "updates/check_enabled"
LAST_CHECK_KEY = "updates/last_check"
DAY_SECONDS = 24 * 60 * 60
TIMEOUT_SECONDS = 10.0


def newer_release(latest: str, current: str) -> str | None:
    """``latest`` if it is a final release newer than ``current``, else None.

    Unparsable versions on either side give None (never a false alarm).
    """
    try:
        latest_v, current_v = Version(latest), Version(current)
    except InvalidVersion:
        return None
    if latest_v.is_prerelease or latest_v.is_devrelease:
        return None
    return latest if latest_v > current_v else None


def _ssl_context() -> ssl.SSLContext:
    """Verifying TLS context; certifi's CA bundle where available (frozen macOS builds)."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi is a dependency
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


class UpdateChecker(QObject):
    """Asks PyPI for the latest release when enabled and due; see the module docstring."""

    update_available = Signal(str)  # the newer version
    enabled_changed = Signal(bool)

    def __init__(
        self,
        settings: QSettings,
        current_version: str,
        *,
        url: str = PYPI_JSON_URL,
        interval: float = DAY_SECONDS,
        clock: Callable[[], float] = time.time,
        runner: TaskRunner | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner or TaskRunner(self)
        self._settings = settings
        self._current = current_version
        self._url = url
        self._interval = interval
        self._clock = clock
        self._task: asyncio.Task[Any] | None = None
        self._announced: str | None = None

    @property
    def current_version(self) -> str:
        return self._current

    def is_enabled(self) -> bool:
        value: Any = self._settings.value(ENABLED_KEY, False)
        # QSettings returns strings from INI files and some backends
        return value is True or (isinstance(value, str) and value.lower() == "true")

    def set_enabled(self, enabled: bool) -> None:
        """Turn the check on or off; turning it on checks at once if one is due."""
        if enabled == self.is_enabled():
            return
        self._settings.setValue(ENABLED_KEY, enabled)
        self.enabled_changed.emit(enabled)
        if enabled:
            self.maybe_check()

    def is_due(self) -> bool:
        """Enabled, the running version is known, and no attempt within ``interval``."""
        if not self.is_enabled():
            return False
        try:
            Version(self._current)
        except InvalidVersion:
            return False
        if self._current.startswith("0.0.0+"):
            return False
        last = self._settings.value(LAST_CHECK_KEY, 0.0)
        try:
            last_time = float(last)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            last_time = 0.0
        now = self._clock()
        return last_time > now or now - last_time >= self._interval

    def maybe_check(self) -> asyncio.Task[Any] | None:
        """Start a background check if one is due and none is running; returns its task.

        Needs a running asyncio loop (qasync in the app); without one it does nothing.
        """
        if self._task is not None and not self._task.done():
            return self._task
        if not self.is_due():
            return None
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            log.debug("update check skipped: no running event loop")
            return None
        handle = self._runner.start(
            "Checking for updates", lambda _h: self.check_now(), shown=False
        )
        self._task = handle.task
        return self._task

    async def check_now(self) -> str | None:
        """Ask PyPI once (whatever the schedule) and return the newer version, if any.

        Records the attempt time first. Never raises, except cancellation.
        """
        self._settings.setValue(LAST_CHECK_KEY, self._clock())
        try:
            latest = await self._fetch_latest()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # offline, proxy, TLS, HTTP or JSON trouble: stay quiet
            log.debug("update check failed: %s", exc)
            return None
        newer = newer_release(latest, self._current) if latest else None
        if newer and newer != self._announced:
            self._announced = newer
            self.update_available.emit(newer)
        return newer

    async def _fetch_latest(self) -> str | None:
        import aiohttp  # here, not at the top: the window should not pay for it at start

        timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
        headers = {"Accept": "application/json", "User-Agent": f"{PROJECT}/{self._current}"}
        connector = aiohttp.TCPConnector(ssl=_ssl_context())
        async with (
            aiohttp.ClientSession(timeout=timeout, connector=connector) as session,
            session.get(self._url, headers=headers) as response,
        ):
            response.raise_for_status()
            data = await response.json(content_type=None)
        version = data.get("info", {}).get("version") if isinstance(data, dict) else None
        return version if isinstance(version, str) else None

    async def aclose(self) -> None:
        """Cancel a running check (call when the window closes)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def install_status_note(checker: UpdateChecker, status_bar: QStatusBar) -> QLabel:
    """Add a hidden status-bar label that shows a link when a newer version is found."""
    label = QLabel(status_bar)
    label.setObjectName("updateNote")
    label.setOpenExternalLinks(True)
    label.setVisible(False)
    status_bar.addPermanentWidget(label)

    def show(version: str) -> None:
        label.setText(
            f'<a href="{PROJECT_PAGE_URL}">Version {version} is available</a>'
            f" (you have {checker.current_version})"
        )
        label.setToolTip(PROJECT_PAGE_URL)
        label.setVisible(True)

    checker.update_available.connect(show)
    return label


def make_toggle_action(checker: UpdateChecker, parent: QObject) -> QAction:
    """Checkable "Check for updates automatically" action bound to the setting."""
    action = QAction("Check for updates automatically", parent)  # sentence case, as every menu
    action.setCheckable(True)
    action.setChecked(checker.is_enabled())
    action.setStatusTip("Once a day, ask PyPI whether a newer version exists (off by default)")
    action.toggled.connect(checker.set_enabled)
    checker.enabled_changed.connect(action.setChecked)
    return action
