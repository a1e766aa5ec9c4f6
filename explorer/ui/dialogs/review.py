"""Texts shown when reviewing a session: its diff (masked in redaction mode) and a summary.

Shared by the save and conflict dialogs so both show exactly the bytes that
``EditSession.save`` / ``overwrite`` will write, formatted for reading. Bodies
are decoded by the store (``explorer.workspace.review``), never here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from explorer.core.errors import StorageError
from explorer.core.items import RawItem
from explorer.ui.detail.redaction import Redaction
from explorer.ui.detail.values import TEXT_LIMIT, clip
from explorer.workspace.review import body_document, changed_members, edits_summary
from explorer.workspace.session import MISSING, EditSession, pretty_body

__all__ = ["DiffTexts", "diff_texts", "document_text", "edits_summary"]


@dataclass(frozen=True, slots=True)
class DiffTexts:
    old: str
    new: str
    #: exact bodies; ``None`` when hidden by redaction or too large to show
    old_raw: str | None
    new_raw: str | None
    masked: bool
    #: said above the diff (a large document shows only its changed properties)
    note: str = ""


def _member_text(name: str, value: Any) -> str:
    if value is MISSING:
        return f"{json.dumps(name)}: (absent)\n"
    compact = json.dumps(value, ensure_ascii=False)
    if len(compact) > TEXT_LIMIT // 4:  # formatting it would pause the window
        return f"{json.dumps(name)}: {clip(compact, TEXT_LIMIT // 4)[0]} …\n"
    return f"{json.dumps(name)}: {json.dumps(value, indent=2, ensure_ascii=False)}\n"


def _changed_members(session: EditSession, old: bytes, new: bytes | None) -> tuple[str, str]:
    """Texts of only the top-level members that differ (for large documents)."""
    try:
        changes = changed_members(session, old, new)
    except StorageError:
        return "(not JSON)", "(not JSON)"
    left = "".join(_member_text(c.name, c.before) for c in changes)
    right = "".join(_member_text(c.name, c.after) for c in changes)
    return left, right


def _masked_pretty(body: bytes | None, redaction: Redaction, session: EditSession) -> str:
    if body is None:
        return ""
    try:
        document = body_document(session, body)
    except StorageError:
        return "(not JSON: hidden in redaction mode)"
    masked = redaction.view_document(session.store, session.key, document)
    return json.dumps(masked, indent=2, ensure_ascii=False) + "\n"


def diff_texts(
    session: EditSession, redaction: Redaction | None, against: RawItem | None = None
) -> DiffTexts:
    """Old and new body texts of ``session.diff(against)``, masked if the item is masked."""
    diff = session.diff(against)
    masked = redaction is not None and redaction.is_masked(session.store, session.key)
    if max(len(diff.old_body), len(diff.new_body or b"")) > TEXT_LIMIT and not masked:
        old_text, new_text = _changed_members(session, diff.old_body, diff.new_body)
        return DiffTexts(
            old_text,
            new_text,
            None,
            None,
            False,
            "Large document: only the properties that change are shown",
        )
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
    if len(body) > TEXT_LIMIT:  # formatting megabytes would pause the window
        return clip(body.decode("utf-8", errors="replace"))[0]
    return pretty_body(body)
