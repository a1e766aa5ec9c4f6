"""Demo items and a screenshot script for the detail pane and the save/conflict dialogs.

``python -m tests.ui.detail_demo OUTDIR`` writes ``detail-*.png``,
``save-dialog.png`` and ``conflict-*.png`` (offscreen) so a person can look at
what users see. The tests import the demo data from here.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from explorer.core.items import RawItem
from explorer.storage.base import Storage

USER_KEY = "msteams/users/29:1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-aBcDeFgHiJkLmNoPqRsTuV"
CONV_KEY = "msteams/conversations/a:1Q2w3E4r5T6y7U8i9O0p;messageid=1732550000000"

USER_DOC: dict[str, Any] = {
    "UserProfile": {
        "py/object": "bbmodels.UserProfile",
        "name": "Ada Lovelace",
        "email": "ada@contoso.com",
        "transport": "bike",
        "age": 37,
    },
    "prefs": {"lang": "fr", "units": "metric", "notifications": True},
    "lastSeen": "2026-11-20T14:03:11Z",
    "visits": 42,
}
CONV_DOC: dict[str, Any] = {
    "ConversationData": {
        "py/object": "bbmodels.ConversationData",
        "timestamp": "2026-11-20T14:03:09Z",
        "channel_id": "msteams",
        "prompted_for_user_name": False,
    },
    "DialogState": {
        "py/object": "botbuilder.dialogs.dialog_state.DialogState",
        "_dialog_stack": [
            {
                "py/object": "botbuilder.dialogs.dialog_instance.DialogInstance",
                "id": "TextPrompt",
                "state": {"options": {"prompt": "What is your name?"}, "state": {}},
            },
            {
                "py/object": "botbuilder.dialogs.dialog_instance.DialogInstance",
                "id": "WaterfallDialog",
                "state": {"stepIndex": 1, "values": {"instanceId": "f3b1c2"}},
            },
            {
                "py/object": "botbuilder.dialogs.dialog_instance.DialogInstance",
                "id": "MainDialog",
                "state": {"dialogs": {}},
            },
        ],
    },
}


async def fill(store: Storage) -> None:
    """Write the demo items in botbuilder-python's jsonpickle style."""
    for key, document in ((USER_KEY, USER_DOC), (CONV_KEY, CONV_DOC)):
        body = json.dumps(document).encode()
        await store.write_raw(RawItem(key=key, body=body, content_type="application/octet-stream"))


def dark_palette() -> Any:
    """A dark palette like the system dark mode, to check colours in both themes."""
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    role = QPalette.ColorRole
    for name, color in (
        (role.Window, "#1e1f22"),
        (role.WindowText, "#dfe1e5"),
        (role.Base, "#2b2d30"),
        (role.AlternateBase, "#313338"),
        (role.Text, "#dfe1e5"),
        (role.Button, "#2b2d30"),
        (role.ButtonText, "#dfe1e5"),
        (role.Highlight, "#2f65ca"),
        (role.HighlightedText, "#ffffff"),
        (role.PlaceholderText, "#8c8f94"),
    ):
        palette.setColor(name, QColor(color))
    disabled = QPalette.ColorGroup.Disabled
    for name in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(disabled, name, QColor("#6b6e73"))
    return palette


async def shoot(outdir: Path, *, dark: bool = False) -> list[Path]:
    """Grab every screen of the detail pane and the dialogs into ``outdir``."""
    from PySide6.QtWidgets import QApplication

    from explorer.storage.memory import MemoryStorage
    from explorer.ui.detail.pane import TAB_HISTORY, TAB_RAW, TAB_STACK, DetailPane
    from explorer.ui.detail.redaction import Redaction
    from explorer.ui.dialogs.conflict import ConflictDialog
    from explorer.ui.dialogs.history import AuditDialog
    from explorer.ui.dialogs.save import SaveDialog
    from explorer.ui.pending import PendingEdits
    from explorer.workspace.audit import AuditLog
    from explorer.workspace.backups import BackupStore
    from explorer.workspace.safe_write import SafeWriter

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    if dark:
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    prefix = "dark-" if dark else ""
    written: list[Path] = []

    def grab(widget: Any, name: str) -> None:
        widget.show()
        QApplication.processEvents()
        path = outdir / f"{prefix}{name}"
        widget.grab().save(str(path))
        written.append(path)

    store = MemoryStorage()
    await fill(store)
    writer = SafeWriter(BackupStore(outdir / "backups.db"), AuditLog(outdir / "audit.jsonl"))
    redaction = Redaction()
    pending = PendingEdits(writer, redaction=redaction)
    pane = DetailPane(pending, redaction, writer.backups, writer.audit)
    pane.resize(900, 640)
    await pane.open_item(store, USER_KEY)
    session = pane.session
    assert session is not None
    session.set_property("lastSeen", "2026-11-21T09:00:00Z")
    await pending.save_session(session)  # some history to show
    await pane.open_item(store, USER_KEY)
    assert pane.session is session  # one session per item while it is tracked
    pane.select_property("UserProfile")
    grab(pane, "detail-properties.png")

    pane.editor.set_text('{\n  "name": "Ada",\n  "age": 37,\n}')
    grab(pane, "detail-invalid-json.png")
    pane.editor.set_text('{\n  "py/object": "bbmodels.UserProfile",\n  "name": "Ada", "age": 38\n}')
    pane.editor.apply()
    session.remove_property("visits")
    grab(pane, "detail-pending.png")

    pane.tabs.setCurrentIndex(TAB_RAW)
    grab(pane, "detail-raw.png")
    pane.tabs.setCurrentIndex(TAB_HISTORY)
    grab(pane, "detail-history.png")
    await pane.open_item(store, CONV_KEY)
    pane.tabs.setCurrentIndex(TAB_STACK)
    grab(pane, "detail-stack.png")
    pane.tabs.setCurrentIndex(0)
    redaction.set_enabled(True)
    await pane.open_item(store, USER_KEY)
    pane.select_property("UserProfile")
    grab(pane, "detail-redacted.png")
    redaction.set_enabled(False)

    save = SaveDialog([session], redaction)
    grab(save, "save-dialog.png")

    await store.write_raw(
        RawItem(key=USER_KEY, body=json.dumps({**USER_DOC, "visits": 43}).encode())
    )
    await session.fetch_theirs()
    conflict = ConflictDialog(session, redaction)
    grab(conflict, "conflict.png")
    conflict.show_compare()
    grab(conflict, "conflict-compare.png")
    conflict.compare_tabs.setCurrentIndex(1)
    grab(conflict, "conflict-overwrite-diff.png")

    audit = AuditDialog(writer.audit)
    await audit.load()
    grab(audit, "audit-log.png")
    for widget in (pane, save, conflict, audit):
        widget.close()
    writer.backups.close()
    return written


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    outdir = Path(argv[0] if argv else "shots")
    outdir.mkdir(parents=True, exist_ok=True)
    for dark in (False, True):
        for path in asyncio.run(shoot(outdir, dark=dark)):
            print(path)
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
