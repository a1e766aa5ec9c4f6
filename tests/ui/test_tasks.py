"""TaskRunner: background work with progress, cancel, and errors as one status line."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from explorer.core.errors import ReadOnlyError
from explorer.ui.tasks import TaskHandle, TaskRunner, TaskStatus


async def test_results_progress_and_the_status_widget(qtbot: Any) -> None:
    runner = TaskRunner()
    status = TaskStatus(runner)
    qtbot.addWidget(status)
    gate = asyncio.Event()
    results: list[int] = []

    async def work(handle: TaskHandle) -> int:
        handle.report(5, 10, "Listing demo")
        await gate.wait()
        return 42

    handle = runner.start("Listing demo", work, on_result=results.append)
    await asyncio.sleep(0)
    assert runner.active == [handle]
    assert not status.isHidden()
    assert status.label.text() == "Listing demo 5 of 10"
    assert (status.bar.value(), status.bar.maximum()) == (5, 10)
    gate.set()
    assert await runner.wait_idle(within=5)
    assert results == [42]
    assert runner.active == []
    assert status.isHidden()


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (
            ReadOnlyError("write", "msteams/users/a"),
            "Saving failed: cannot write 'msteams/users/a'",
        ),
        (ValueError("bad"), "Saving failed: ValueError: bad"),
    ],
)
async def test_errors_become_one_line_for_the_status_bar(
    qtbot: Any, error: Exception, line: str
) -> None:
    runner = TaskRunner()
    lines: list[str] = []
    runner.error.connect(lines.append)

    async def work(_handle: TaskHandle) -> None:
        raise error

    handle = runner.start("Saving", work)
    await runner.wait_idle(within=5)
    assert len(lines) == 1
    assert lines[0].startswith(line)
    assert "Traceback" not in lines[0]
    assert handle.error == lines[0]


async def test_cancel_from_the_status_widget(qtbot: Any) -> None:
    runner = TaskRunner()
    status = TaskStatus(runner)
    qtbot.addWidget(status)
    lines: list[str] = []
    runner.error.connect(lines.append)

    async def forever(_handle: TaskHandle) -> None:
        await asyncio.Event().wait()

    runner.start("Listing big store", forever)
    await asyncio.sleep(0)
    status.cancel_button.click()
    assert await runner.wait_idle(within=5)
    assert lines == ["Listing big store: cancelled"]
