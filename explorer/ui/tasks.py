"""The one way the UI starts background work.

``TaskRunner.start(label, work)`` wraps a coroutine in an ``asyncio`` task,
keeps a reference until it ends (the loop only holds weak ones), reports
progress through ``TaskHandle.report``, supports cancel, and turns every
failure into one line for the status bar (``error`` signal) — never a
traceback dialog. Storage errors already say what failed and what to do;
anything else is logged with its traceback and shown as one line. A
cancelled task ends cancelled (``task.cancelled()``), after its line.

Three kinds of work, chosen with ``start``'s flags:

- shown (the default): a load the user waits for, in the status bar with its
  progress and a cancel button; a cancel says so on the status bar;
- ``shown=False``: follow-up or housekeeping work (a History reload after a
  save, the update check): not in the status bar, a cancel says nothing;
- ``waits_for_user=True``: a dialog flow that only the user ends (Review &
  save, a confirmation, the audit log viewer): not shown, and ``wait_idle``
  does not wait for it. ``aclose`` cancels it like any other.

``TaskStatus`` is the status-bar widget: the label of the newest running
shown task, a progress bar (busy when the total is unknown) and a cancel
button.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from explorer.core.errors import StorageError

log = logging.getLogger(__name__)

Work = Callable[["TaskHandle"], Awaitable[Any]]


class TaskHandle:
    """One running piece of work, as the UI sees it."""

    def __init__(
        self,
        runner: TaskRunner,
        label: str,
        cancellable: bool,
        *,
        shown: bool = True,
        waits_for_user: bool = False,
    ) -> None:
        self.runner = runner
        self.label = label
        self.cancellable = cancellable
        #: in the status bar, and a cancel is reported there
        self.shown = shown and not waits_for_user
        #: ended by the user (a dialog flow): ``wait_idle`` does not wait for it
        self.waits_for_user = waits_for_user
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
        """Every running task, dialog flows included."""
        return [h for h in self._handles if h.running]

    @property
    def shown(self) -> list[TaskHandle]:
        """The running tasks the status bar shows."""
        return [h for h in self.active if h.shown]

    def start(
        self,
        label: str,
        work: Work,
        *,
        cancellable: bool = True,
        on_result: Callable[[Any], None] | None = None,
        shown: bool = True,
        waits_for_user: bool = False,
    ) -> TaskHandle:
        """Run ``work(handle)`` in the background and return its handle at once.

        ``shown`` / ``waits_for_user``: the kind of work (module docstring).
        """
        handle = TaskHandle(self, label, cancellable, shown=shown, waits_for_user=waits_for_user)
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
            if handle.shown:
                self.error.emit(handle.error)
            raise
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

    async def aclose(self, handles: Iterable[TaskHandle] | None = None) -> None:
        """Cancel every task (or only ``handles``) and wait until each has ended."""
        chosen = list(self._handles if handles is None else handles)
        for handle in chosen:
            handle.cancel()
        tasks = {h.task for h in chosen if h.task is not None}
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def wait_idle(
        self, within: float | None = None, *, ignore: Iterable[TaskHandle | None] = ()
    ) -> bool:
        """Wait until no task runs (tests, screenshots); False if ``within`` s passed first.

        Dialog flows (``waits_for_user``) are not waited for: only the user ends them;
        nor are the tasks of ``ignore`` (a store's listing going on behind a screenshot).
        """
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
        skip = {id(h) for h in ignore if h is not None}
        while True:
            tasks = {
                h.task
                for h in self.active
                if h.task is not None and not h.waits_for_user and id(h) not in skip
            }
            if not tasks:
                break
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
        if not handle.shown:
            return
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
        shown = self.runner.shown
        if shown:
            self._update(shown[-1])
        else:
            self._current = None
            self.setVisible(False)

    def _cancel(self) -> None:
        if self._current is not None:
            self._current.cancel()
