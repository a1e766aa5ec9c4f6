"""What a review of one session's pending edits shows, as plain values.

Used by the window's Review & save and conflict dialogs (and open to the
command line): the documents inside stored bodies, decoded with the store's
own codec (so a Cosmos DB envelope, a jsonpickle tag or a storage-level
``e_tag`` member are read as that store reads them), the top-level members
that differ between two bodies, and a one-line summary of the edits.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from explorer.core.items import JsonObject
from explorer.workspace.session import EditSession
from explorer.workspace.session_values import MISSING, canonical


def body_document(session: EditSession, body: bytes) -> JsonObject:
    """The state document in ``body``, a stored form of ``session``'s item.

    ``body`` is the loaded version, another writer's version (``theirs``) or
    the one a save would write; it is decoded by the store, in the form of
    the loaded item. Raises ``DecodeError`` if it holds no JSON object.
    """
    return session.store.decode(replace(session.loaded, body=body))


@dataclass(frozen=True, slots=True)
class MemberChange:
    """A top-level member that differs; ``before`` / ``after`` are ``MISSING`` if absent."""

    name: str
    before: Any
    after: Any


def changed_members(
    session: EditSession, old_body: bytes, new_body: bytes | None
) -> list[MemberChange]:
    """Top-level members whose values differ between two bodies, in stored order.

    ``new_body`` ``None`` (a deletion) compares with an empty document.
    Raises ``DecodeError`` if a body holds no JSON object.
    """
    before = body_document(session, old_body)
    after = {} if new_body is None else body_document(session, new_body)
    changes: list[MemberChange] = []
    for name in [*before, *(n for n in after if n not in before)]:
        a, b = before.get(name, MISSING), after.get(name, MISSING)
        if a is not MISSING and b is not MISSING and canonical(a) == canonical(b):
            continue
        changes.append(MemberChange(name, a, b))
    return changes


def edits_summary(session: EditSession) -> str:
    """``"3 pending edits (Edit prefs, Remove x, …)"`` or ``"Delete the whole state"``."""
    labels = [edit.label for edit in session.edits]
    if session.deleted:
        return "Delete the whole state"
    if not labels:
        return "Changes kept from before (no undo history)"
    shown = ", ".join(labels[:4]) + (", …" if len(labels) > 4 else "")
    return f"{len(labels)} pending edit{'s' * (len(labels) != 1)} ({shown})"
