"""Forget a user from the window: every item shown in the Review & save dialog first.

``ForgetReview`` is the existing ``SaveDialog`` with each item as a pending
deletion (its stored body against "Deleted", its etag), worded for forgetting:
"Keep this item" drops one from the plan, "Forget all (n)" deletes the rest as
ONE operation through ``workspace.operations.apply_changes`` (each delete
etag-checked against the version shown, backed up, audited with the operation
id). An item changed meanwhile stays listed with the reason; the others are
gone. ``review_and_forget`` drives the dialog and returns the operation's
result (``None`` when nothing was deleted).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import QWidget

from explorer.core.errors import StorageError
from explorer.storage.base import Storage
from explorer.ui.detail.redaction import Redaction
from explorer.ui.dialogs.save import SaveDialog
from explorer.workspace.operations import Change, OperationResult, apply_changes
from explorer.workspace.safe_write import SafeWriter
from explorer.workspace.session import EditSession


class ForgetReview(SaveDialog):
    """Review & save, worded for forgetting one user's items."""

    user_id = ""

    def set_sessions(self, sessions: Sequence[EditSession]) -> None:
        super().set_sessions(sessions)
        count = len(self.sessions)
        self.heading.setWordWrap(True)
        self.heading.setText(
            f"{count} item{'s' * (count != 1)} of {self.user_id} will be deleted as one "
            "operation (backed up; Support → Revert last operation restores them)"
            if count
            else "Nothing left to forget"
        )
        self.save_all.setText(f"Forget all ({count})")
        self.discard_one.setText("Keep this item")
        self.discard_all.setText("Keep all")
        self.save_one.hide()
        self.close_button.setToolTip("Delete nothing and go back")

    def _show_current(self) -> None:
        super()._show_current()
        current = self._current()
        if current:
            self.etag_label.setText(
                f"Deleted only if its etag is still {current[0].etag} (the version shown); "
                "an item changed meanwhile is left as it is and stays listed."
            )


async def review_and_forget(
    store: Storage,
    user_id: str,
    keys: Sequence[str],
    writer: SafeWriter,
    *,
    redaction: Redaction | None = None,
    parent: QWidget | None = None,
    on_open: Callable[[ForgetReview], None] | None = None,
) -> OperationResult | None:
    """Show the review; on "Forget all" delete what is listed as one operation."""
    found = await store.read_raw(list(keys))
    sessions: list[EditSession] = []
    for key in keys:
        if key in found:
            try:
                session = EditSession(store, found[key])
            except StorageError:
                continue  # not a JSON document: nothing to show; `forget` on the command line
            session.delete_state()
            sessions.append(session)
    dialog = ForgetReview(sessions, redaction, parent)
    dialog.user_id = user_id
    dialog.setWindowTitle(f"Forget {user_id}")
    dialog.set_sessions(sessions)
    dialog.open()
    if on_open is not None:
        on_open(dialog)
    result: OperationResult | None = None
    try:
        while dialog.sessions:
            action, chosen = await dialog.next_request()
            if action == "close":
                break
            if action == "discard":
                dialog.set_sessions([s for s in dialog.sessions if s not in chosen])
                continue
            plan = [Change(s.key, s.etag, None, "forget") for s in dialog.sessions]
            dialog.set_busy(True)
            try:
                result = await apply_changes(writer, store, plan)
            finally:
                dialog.set_busy(False)
            dialog.set_sessions([s for s in dialog.sessions if s.key not in result.done])
            if not dialog.sessions:
                break
            reasons = "; ".join(why for _, why in [*result.conflicts, *result.failed][:3])
            dialog.show_error(
                f"Deleted {len(result.done)} items (operation {result.operation}). These were "
                f"left as they are: {reasons}"
            )
            break
    finally:
        if not dialog.sessions or result is None:
            dialog.close()
    return result
