"""The one way the UI starts background work.

``TaskRunner.start(label, work)`` wraps a coroutine in an ``asyncio`` task,
keeps a reference until it ends (the loop only holds weak ones), reports
progress through ``TaskHandle.report``, supports cancel, and turns every
failure into one line for the status bar (``error`` signal) — never a
traceback dialog. Storage errors already say what failed and what to do;
anything else is logged with its traceback and shown as one line.

``TaskStatus`` is the status-bar widget: the label of the newest running
task, a progress bar (busy when the total is unknown) and a cancel button.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from explorer.core.errors import StorageError

log = logging.getLogger(__name__)

Work = Callable[["TaskHandle"], Awaitable[Any]]


class TaskHandle:
    """One running piece of work, as the UI sees it."""

    def __init__(self, runner: TaskRunner, label: str, cancellable: bool) -> None:
        self.runner = runner
        self.label = label
        self.cancellable = cancellable
        self.done = 0
        self.total: int | None = None
        self.text = label
        self.task: asyncio.Task[Any] | None = None
        self.error: str | None = None

    def report(self, done: int, total: int | None = None, text: str | None = None) -> None:
        """Progress: ``done`` of ``total`` (``None``: unknown), optional status text."""
        self.done, self.total = done, total
        if text is not None:
            self.text = text
        self.runner.progress.emit(self)

    def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()


class TaskRunner(QObject):
    """Starts, tracks and cancels background work; routes errors to one signal."""

    started = Signal(object)
    progress = Signal(object)
    finished = Signal(object)
    #: one line for the status bar
    error = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._handles: set[TaskHandle] = set()

    @property
    def active(self) -> list[TaskHandle]:
        return [h for h in self._handles if h.running]

    def start(
        self,
        label: str,
        work: Work,
        *,
        cancellable: bool = True,
        on_result: Callable[[Any], None] | None = None,
    ) -> TaskHandle:
        """Run ``work(handle)`` in the background and return its handle at once."""
        handle = TaskHandle(self, label, cancellable)
        handle.task = asyncio.ensure_future(self._run(handle, work, on_result))
        self._handles.add(handle)
        self.started.emit(handle)
        return handle

    async def _run(
        self, handle: TaskHandle, work: Work, on_result: Callable[[Any], None] | None
    ) -> Any:
        try:
            result = await work(handle)
        except asyncio.CancelledError:
            handle.error = f"{handle.label}: cancelled"
            self.error.emit(handle.error)
            return None
        except StorageError as exc:
            handle.error = f"{handle.label} failed: {exc}"
            log.info("%s", handle.error)
            self.error.emit(handle.error)
            return None
        except Exception as exc:  # the UI must go on; details go to the log
            log.exception("%s failed", handle.label)
            handle.error = f"{handle.label} failed: {type(exc).__name__}: {exc}"
            self.error.emit(handle.error)
            return None
        finally:
            self._handles.discard(handle)
            self.finished.emit(handle)
        if on_result is not None:
            on_result(result)
        return result

    def cancel_all(self) -> None:
        for handle in list(self._handles):
            handle.cancel()

    async def aclose(self) -> None:
        """Cancel every task and wait until each has ended (closing the window)."""
        self.cancel_all()
        tasks = {h.task for h in self._handles if h.task is not None}
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def wait_idle(self, within: float | None = None) -> bool:
        """Wait until no task runs (tests, screenshots); False if ``within`` s passed first."""
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
        while self._handles:
            tasks = {h.task for h in self._handles if h.task is not None}
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return False
            await asyncio.wait(tasks, timeout=left)
        return True


class TaskStatus(QWidget):
    """Status-bar part: newest running task, its progress and a cancel button."""

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(160)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("✕")
        self.cancel_button.setAutoRaise(True)
        self.cancel_button.setToolTip("Cancel")
        self.cancel_button.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.label, self.bar, self.cancel_button):
            layout.addWidget(widget)
        self._current: TaskHandle | None = None
        runner.started.connect(self._update)
        runner.progress.connect(self._update)
        runner.finished.connect(self._finished)
        self.setVisible(False)

    def _update(self, handle: TaskHandle) -> None:
        self._current = handle
        if handle.total:
            self.bar.setRange(0, max(handle.total, 1))
            self.bar.setValue(min(handle.done, handle.total))
        else:
            self.bar.setRange(0, 0)
        text = handle.text
        if handle.done:
            text = f"{text} {handle.done:,}" + (f" of {handle.total:,}" if handle.total else "")
        self.label.setText(text)
        self.cancel_button.setVisible(handle.cancellable)
        self.setVisible(True)

    def _finished(self, handle: TaskHandle) -> None:
        active = self.runner.active
        if active:
            self._update(active[-1])
        else:
            self._current = None
            self.setVisible(False)

    def _cancel(self) -> None:
        if self._current is not None:
            self._current.cancel()
