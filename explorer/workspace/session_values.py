"""Plain values of the explicit-save core: edits, changes, the exact diff, JSON equality.

Used by ``explorer.workspace.session`` (and re-exported there). No I/O.

Invariants: a ``SessionDiff`` holds the stored bytes and the bytes a save
would write, exactly; its texts are those bytes formatted for reading, made
on first use (formatting megabytes is not free). ``canonical`` is how values
are compared: by JSON text, so ``true`` and ``1`` differ.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

#: top-level members that are part of the stored form, not state properties:
#: the .NET type of the state (``$type``) and a jsonpickled object's class
#: (``py/object``, on items written directly as one object)
TYPE_MEMBER: Final = "$type"
TYPE_MEMBERS: Final = frozenset({TYPE_MEMBER, "py/object"})


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: marks a property that does not exist (before an add, after a remove)
MISSING: Final = _Missing()


@dataclass(frozen=True, slots=True)
class Edit:
    """One pending edit: the top-level members it changed and the deleted flag."""

    label: str
    changes: Mapping[str, tuple[Any, Any]]  # name -> (before, after); MISSING if absent
    deleted: tuple[bool, bool] = (False, False)
    #: member order before/after, so undo restores the stored order exactly
    order: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())


@dataclass(frozen=True, slots=True)
class PropertyChange:
    """How a property of the draft differs from the loaded document."""

    name: str
    kind: str  # "added" | "removed" | "modified"


@dataclass(frozen=True)
class SessionDiff:
    """Exactly what ``save`` will write: the stored body now and the body to write.

    ``new_body`` is ``None`` when the state will be deleted. ``old_text`` /
    ``new_text`` are the same bodies pretty-printed for reading (parsed from
    the bytes, so they show what is written, not what was typed).
    """

    key: str
    etag: str | None
    old_body: bytes
    new_body: bytes | None

    @cached_property
    def old_text(self) -> str:
        return pretty_body(self.old_body)

    @cached_property
    def new_text(self) -> str:
        return pretty_body(self.new_body)

    @property
    def is_delete(self) -> bool:
        return self.new_body is None

    def unified(self, context: int = 3) -> str:
        """A unified diff of the pretty-printed bodies (``stored`` vs ``draft``)."""
        return "".join(
            difflib.unified_diff(
                self.old_text.splitlines(keepends=True),
                self.new_text.splitlines(keepends=True),
                fromfile=f"stored (etag {self.etag})",
                tofile="draft" if not self.is_delete else "deleted",
                n=context,
            )
        )


def canonical(value: Any) -> str:
    """JSON text of ``value``, used to compare values exactly."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def pretty_body(body: bytes | None) -> str:
    """A stored body pretty-printed (2-space indent, key order kept); as text if not JSON."""
    if body is None:
        return ""
    text = body.decode("utf-8-sig", errors="replace")
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    except (json.JSONDecodeError, RecursionError):
        return text


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON text (``MISSING`` only equals ``MISSING``)."""
    if a is MISSING or b is MISSING:
        return a is b
    return canonical(a) == canonical(b)


def check_json(name: str, value: Any) -> None:
    """``ValueError`` naming ``name`` if ``value`` cannot be stored as JSON (NaN, objects)."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name!r} is not a JSON value: {exc}") from None
