"""Await a dialog without a nested event loop.

``QDialog.exec()`` spins a second event loop inside a coroutine, which stalls
other tasks and re-enters qasync. ``run_dialog`` opens the dialog window-modal
(``open()``) and awaits its ``finished`` signal instead, so the event loop
keeps running (listings continue, tests can drive the dialog).
"""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QDialog


async def run_dialog(dialog: QDialog) -> int:
    """Show ``dialog`` and return its result code once it is closed."""
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def done(code: int) -> None:
        if not future.done():
            future.set_result(code)

    dialog.finished.connect(done)
    dialog.open()
    try:
        return await future
    finally:
        dialog.finished.disconnect(done)
