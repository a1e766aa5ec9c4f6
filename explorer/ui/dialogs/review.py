"""Texts shown when reviewing a session: its diff (masked in redaction mode) and a summary.

Shared by the save and conflict dialogs so both show exactly the bytes that
``EditSession.save`` / ``overwrite`` will write, formatted for reading.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from explorer.core.items import RawItem
from explorer.ui.detail.redaction import Redaction
from explorer.ui.detail.values import TEXT_LIMIT, clip
from explorer.workspace.session import EditSession, canonical, pretty_body


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
    compact = json.dumps(value, ensure_ascii=False)
    if len(compact) > TEXT_LIMIT // 4:  # formatting it would pause the window
        return f"{json.dumps(name)}: {clip(compact, TEXT_LIMIT // 4)[0]} …\n"
    return f"{json.dumps(name)}: {json.dumps(value, indent=2, ensure_ascii=False)}\n"


def _changed_members(old: bytes, new: bytes | None) -> tuple[str, str]:
    """Texts of only the top-level members that differ (for large documents)."""
    try:
        before: dict[str, Any] = json.loads(old.decode("utf-8-sig"))
        after: dict[str, Any] = {} if new is None else json.loads(new.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return "(not JSON)", "(not JSON)"
    left: list[str] = []
    right: list[str] = []
    for name in [*before, *(n for n in after if n not in before)]:
        a, b = before.get(name, _ABSENT), after.get(name, _ABSENT)
        if a is not _ABSENT and b is not _ABSENT and canonical(a) == canonical(b):
            continue
        left.append(
            _member_text(name, a) if a is not _ABSENT else f"{json.dumps(name)}: (absent)\n"
        )
        right.append(
            _member_text(name, b) if b is not _ABSENT else f"{json.dumps(name)}: (absent)\n"
        )
    return "".join(left), "".join(right)


_ABSENT = object()


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
    if max(len(diff.old_body), len(diff.new_body or b"")) > TEXT_LIMIT and not masked:
        old_text, new_text = _changed_members(diff.old_body, diff.new_body)
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


def edits_summary(session: EditSession) -> str:
    """``"3 pending edits: Edit prefs, Remove x, …"`` or ``"delete the whole state"``."""
    labels = [edit.label for edit in session.edits]
    if session.deleted:
        return "Delete the whole state"
    if not labels:
        return "Changes kept from before (no undo history)"
    shown = ", ".join(labels[:4]) + (", …" if len(labels) > 4 else "")
    return f"{len(labels)} pending edit{'s' * (len(labels) != 1)} ({shown})"
