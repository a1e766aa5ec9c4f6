"""Texts shown when reviewing a session: its diff (masked in redaction mode) and a summary.

Shared by the save and conflict dialogs so both show exactly the bytes that
``EditSession.save`` / ``overwrite`` will write, formatted for reading.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from explorer.core.items import RawItem
from explorer.state.session import EditSession, pretty_body
from explorer.ui.detail.redaction import Redaction


@dataclass(frozen=True, slots=True)
class DiffTexts:
    old: str
    new: str
    #: exact bodies; ``None`` when hidden by redaction
    old_raw: str | None
    new_raw: str | None
    masked: bool


def _masked_pretty(body: bytes | None, redaction: Redaction, session: EditSession) -> str:
    if body is None:
        return ""
    try:
        document: Any = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return "(not JSON: hidden in redaction mode)"
    masked = redaction.view_document(session.store, session.key, document)
    return json.dumps(masked, indent=2, ensure_ascii=False) + "\n"


def diff_texts(
    session: EditSession, redaction: Redaction | None, against: RawItem | None = None
) -> DiffTexts:
    """Old and new body texts of ``session.diff(against)``, masked if the item is masked."""
    diff = session.diff(against)
    masked = redaction is not None and redaction.is_masked(session.store, session.key)
    if masked and redaction is not None:
        return DiffTexts(
            _masked_pretty(diff.old_body, redaction, session),
            _masked_pretty(diff.new_body, redaction, session),
            None,
            None,
            True,
        )
    return DiffTexts(
        diff.old_text,
        diff.new_text,
        diff.old_body.decode("utf-8", errors="replace"),
        None if diff.new_body is None else diff.new_body.decode("utf-8", errors="replace"),
        False,
    )


def document_text(
    body: bytes | None, session: EditSession, redaction: Redaction | None, missing: str
) -> str:
    """A stored body formatted (masked if needed); ``missing`` if there is none."""
    if body is None:
        return missing
    if redaction is not None and redaction.is_masked(session.store, session.key):
        return _masked_pretty(body, redaction, session)
    return pretty_body(body)


def edits_summary(session: EditSession) -> str:
    """``"3 pending edits: Edit prefs, Remove x, …"`` or ``"delete the whole state"``."""
    labels = [edit.label for edit in session.edits]
    if session.deleted:
        return "Delete the whole state"
    if not labels:
        return "Changes kept from before (no undo history)"
    shown = ", ".join(labels[:4]) + (", …" if len(labels) > 4 else "")
    return f"{len(labels)} pending edit{'s' * (len(labels) != 1)} ({shown})"
