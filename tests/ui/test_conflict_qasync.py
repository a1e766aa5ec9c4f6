"""The whole edit → conflict → compare → overwrite flow under the app's real loop (qasync).

The other UI tests run on pytest-asyncio's loop; this one runs on
``qasync.QEventLoop`` like ``explorer.app`` does, so dialogs awaited with
``run_dialog`` and SQLite's worker thread are checked together with Qt's own
event processing (clicks arrive as queued events here, not direct calls).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import qasync
from PySide6.QtCore import QTimer

from explorer.ui.detail.pane import DetailPane
from explorer.ui.dialogs.conflict import ConflictDialog
from explorer.ui.dialogs.save import SaveDialog
from explorer.ui.pending import PendingEdits
from tests.ui.detail_demo import USER_DOC, USER_KEY, fill
from tests.ui.detail_support import external_write, safe_writer, sqlite_store, stored


def test_review_conflict_compare_overwrite_on_the_qasync_loop(qapp: Any, tmp_path: Path) -> None:
    loop = qasync.QEventLoop(qapp)
    seen: list[str] = []
    windows: list[DetailPane] = []

    async def scenario() -> None:
        async with sqlite_store(tmp_path) as store:
            await fill(store)
            writer = safe_writer(tmp_path)
            pending = PendingEdits(writer)
            pane = DetailPane(pending, backups=writer.backups, audit=writer.audit)
            pane.show()
            windows.append(pane)
            await pane.open_item(store, USER_KEY)
            pane.select_property("visits")
            pane.editor.set_text("1000")
            assert pane.editor.apply()
            await external_write(tmp_path / "state.db", USER_KEY, {**USER_DOC, "visits": 50})

            def on_review(dialog: SaveDialog) -> None:
                seen.append("review")
                QTimer.singleShot(0, dialog.save_all.click)  # a click from the event queue

            def on_conflict(dialog: ConflictDialog) -> None:
                seen.append("conflict")
                QTimer.singleShot(0, dialog.compare_button.click)
                QTimer.singleShot(10, dialog.overwrite_button.click)

            pending.review_opened.connect(on_review)
            pending.conflict_opened.connect(on_conflict)
            assert await asyncio.wait_for(pending.save_all(pane), 20) is True
            saved = await stored(store, USER_KEY)
            assert saved is not None
            assert saved["visits"] == 1000
            history = await writer.backups.history(store.url, USER_KEY)
            assert len(history) == 1  # backed up before the overwrite
            writer.backups.close()

    try:
        loop.run_until_complete(scenario())
    finally:
        loop.close()
        for window in windows:  # closing the last window quits the loop: close after it
            window.close()
            window.deleteLater()
    assert seen == ["review", "conflict"]
