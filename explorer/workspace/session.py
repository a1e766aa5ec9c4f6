"""The explicit-save core: one item loaded, edited as a draft, written only on save.

An ``EditSession`` holds the snapshot it loaded (the stored ``RawItem`` with its
etag, and the decoded document), a draft document and a history of pending
edits. Nothing touches storage until ``save``.

Invariants:
- ``loaded`` is the stored form the draft is based on; ``save`` writes with
  ``if_match=loaded.etag`` and never without it. A changed store raises
  ``ETagConflictError`` and leaves the session as it was (draft kept).
- Overwriting a change made by someone else needs ``fetch_theirs`` (the user
  sees the other version) and then ``overwrite(theirs_etag)``: the write is
  checked against the etag that was seen, so a third change is never lost.
- Every edit is one entry on the undo stack, recorded as the top-level members
  it changed (before/after), so undo/redo are exact and cheap.
- Values are plain JSON; ``py/object`` and ``$type`` tags are kept as members,
  never resolved. A top-level ``$type`` (.NET) is not a property: it cannot be
  set or removed here and keeps its place in the document.
- Equality is by JSON text, so ``true`` and ``1`` (equal in Python) differ.
- JSON values are never changed in place: the draft is a new top-level dict
  that shares unchanged members with the loaded document (and edits keep
  their own copies), so comparing the draft costs only the changed members.
  Read ``draft`` / ``get()``; change them only through the edit methods.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

from explorer.core.errors import ETagConflictError, ItemNotFoundError, StorageError
from explorer.core.items import JsonObject, RawItem
from explorer.state._json import json_copy
from explorer.state.dialogs import DIALOG_STATE, Frame, clear_stack, pop_active, read_stack
from explorer.storage.base import Storage
from explorer.workspace.session_values import (
    MISSING,
    TYPE_MEMBER,
    TYPE_MEMBERS,
    Edit,
    PropertyChange,
    SessionDiff,
    canonical,
    check_json,
    pretty_body,
    same_json,
)

__all__ = [
    "MISSING",
    "TYPE_MEMBER",
    "TYPE_MEMBERS",
    "Edit",
    "EditSession",
    "PropertyChange",
    "RawWriter",
    "SessionDiff",
    "canonical",
    "pretty_body",
]


@runtime_checkable
class RawWriter(Protocol):
    """Writes raw items on behalf of a session (``SafeWriter`` backs up and audits)."""

    async def write_raw(
        self, store: Storage, item: RawItem, *, if_match: str | None = None, create: bool = False
    ) -> RawItem: ...

    async def delete_raw(
        self, store: Storage, key: str, *, if_match: str | None = None
    ) -> None: ...


@dataclass
class _History:
    undo: list[Edit] = field(default_factory=list)
    redo: list[Edit] = field(default_factory=list)


class EditSession:
    """Pending edits of one stored item; see the module docstring for invariants."""

    def __init__(self, store: Storage, loaded: RawItem) -> None:
        self.store = store
        self.key = loaded.key
        self.loaded = loaded
        self.document: JsonObject = store.decode(loaded)
        #: the edited document; read it, change it only through the edit methods
        self.draft: JsonObject = dict(self.document)
        self._changes: dict[str, PropertyChange] | None = None
        self.deleted = False
        #: the other writer's version, after ``fetch_theirs`` (``None``: deleted)
        self.theirs: RawItem | None = None
        self.theirs_fetched = False
        #: my draft as it was when ``reload_theirs`` replaced it
        self.aside: JsonObject | None = None
        self.aside_deleted = False
        #: the state was deleted by ``save``; the session is finished
        self.gone = False
        self._history = _History()
        self._listeners: list[Callable[[EditSession], None]] = []

    @classmethod
    async def load(cls, store: Storage, key: str) -> EditSession:
        """Read ``key`` from ``store`` and start a session on it.

        Raises ``ItemNotFoundError`` if the key does not exist and
        ``DecodeError`` if its body is not a JSON object.
        """
        found = await store.read_raw([key])
        if key not in found:
            raise ItemNotFoundError(key)
        return cls(store, found[key])

    # -- observers -------------------------------------------------------------

    def add_listener(self, callback: Callable[[EditSession], None]) -> None:
        """Call ``callback(session)`` after every change of draft, snapshot or history."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[EditSession], None]) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def _notify(self) -> None:
        for callback in list(self._listeners):
            callback(self)

    # -- reading the draft -------------------------------------------------------

    @property
    def etag(self) -> str | None:
        """The etag the next save is checked against."""
        return self.loaded.etag

    @property
    def is_dirty(self) -> bool:
        if self.gone:
            return False
        return self.deleted or bool(self.changes()) or self._order_changed()

    def _order_changed(self) -> bool:
        """A reordering of members (or another ``$type``) changes the stored form too."""
        return list(self.draft) != list(self.document) or any(
            not same_json(self.draft.get(m, MISSING), self.document.get(m, MISSING))
            for m in TYPE_MEMBERS
        )

    def property_names(self) -> list[str]:
        """Top-level properties of the draft in stored order (type members excluded)."""
        return [name for name in self.draft if name not in TYPE_MEMBERS]

    def get(self, name: str) -> Any:
        """The draft value of ``name``; ``KeyError`` if it has none."""
        return self.draft[name]

    def changes(self) -> dict[str, PropertyChange]:
        """Properties whose draft differs from the loaded document.

        Cached until the next change of draft or snapshot: views ask often, and
        comparing a large document costs a full JSON encoding.
        """
        if self._changes is not None:
            return dict(self._changes)
        result: dict[str, PropertyChange] = {}
        for name in {*self.document, *self.draft} - TYPE_MEMBERS:
            if name not in self.draft:
                result[name] = PropertyChange(name, "removed")
            elif name not in self.document:
                result[name] = PropertyChange(name, "added")
            elif self.draft[name] is not self.document[name] and canonical(
                self.draft[name]
            ) != canonical(self.document[name]):
                result[name] = PropertyChange(name, "modified")
        self._changes = result
        return dict(result)

    def is_property_dirty(self, name: str) -> bool:
        return name in self.changes()

    # -- edits -------------------------------------------------------------------

    def _apply(self, edit: Edit, *, forward: bool) -> None:
        self._changes = None
        side = 1 if forward else 0
        for name, values in edit.changes.items():
            value = values[side]
            if value is MISSING:
                self.draft.pop(name, None)
            else:
                self.draft[name] = value
        order = edit.order[side]
        if order and tuple(self.draft) != order:
            self.draft = {name: self.draft[name] for name in order}
        self.deleted = edit.deleted[side]

    def _record(
        self,
        label: str,
        changes: Mapping[str, tuple[Any, Any]],
        order: tuple[str, ...] | None = None,
        deleted: bool | None = None,
    ) -> None:
        before_order = tuple(self.draft)
        if order is None:
            order = tuple(n for n in before_order if changes.get(n, (0, 0))[1] is not MISSING)
            order += tuple(n for n in changes if n not in self.draft)
        effective = {n: v for n, v in changes.items() if not same_json(v[0], v[1])}
        after_deleted = self.deleted if deleted is None else deleted
        if not effective and order == before_order and after_deleted == self.deleted:
            return
        edit = Edit(label, effective, (self.deleted, after_deleted), (before_order, order))
        self._apply(edit, forward=True)
        self._history.undo.append(edit)
        self._history.redo.clear()
        self._notify()

    @staticmethod
    def _check_name(name: str) -> None:
        if not name:
            raise ValueError("a property needs a name")
        if name in TYPE_MEMBERS:
            raise ValueError(
                f"{name!r} is the stored type of the state (.NET or jsonpickle), not a property; "
                "it is kept as stored"
            )

    def set_property(self, name: str, value: Any, *, label: str | None = None) -> None:
        """Set (or add) ``name`` to a JSON value. Setting the same value records nothing."""
        self._check_name(name)
        check_json(name, value)
        before = self.draft.get(name, MISSING)
        self._record(label or f"Edit {name}", {name: (before, json_copy(value))})

    def add_property(self, name: str, value: Any) -> None:
        """Add a new property; ``ValueError`` if it exists already."""
        self._check_name(name)
        if name in self.draft:
            raise ValueError(f"{self.key!r} already has a property {name!r}; edit it instead")
        self.set_property(name, value, label=f"Add {name}")

    def remove_property(self, name: str) -> None:
        """Remove ``name`` from the draft; ``KeyError`` if it has no such property."""
        self._check_name(name)
        if name not in self.draft:
            raise KeyError(name)
        self._record(f"Remove {name}", {name: (self.draft[name], MISSING)})

    def replace_document(self, document: Mapping[str, Any], *, label: str) -> None:
        """Make ``document`` the draft (used by "revert to this version").

        A state marked for deletion is no longer deleted after this edit.
        """
        check_json("document", dict(document))
        document = json_copy(dict(document))
        names = [*self.draft, *(n for n in document if n not in self.draft)]
        changes = {n: (self.draft.get(n, MISSING), document.get(n, MISSING)) for n in names}
        # key order follows the new document, so the written body matches it
        self._record(label, changes, order=tuple(document), deleted=False)

    def delete_state(self) -> None:
        """Mark the whole state for deletion on save (undoable like any edit)."""
        if self.deleted:
            return
        order = tuple(self.draft)
        edit = Edit("Delete state", {}, (False, True), (order, order))
        self._apply(edit, forward=True)
        self._history.undo.append(edit)
        self._history.redo.clear()
        self._notify()

    # -- dialog stack ------------------------------------------------------------

    def dialog_stack(self, property_name: str = DIALOG_STATE) -> list[Frame]:
        """The draft's dialog stack, active dialog first (``[]`` if none).

        Raises ``DialogStackError`` if the property is there but not a stack.
        """
        return read_stack(self.draft, property_name=property_name)

    def pop_active_dialog(self, property_name: str = DIALOG_STATE) -> None:
        """Remove the active dialog, as a pending edit (stored form kept).

        Raises ``DialogStackError`` if the stack is empty or unreadable.
        """
        frames = read_stack(self.draft, property_name=property_name)
        new = pop_active(self.draft, property_name=property_name)
        label = f"Pop dialog {frames[0].id or '(no id)'}" if frames else "Pop dialog"
        prop = property_name
        self._record(label, {prop: (self.draft[prop], new[prop])})

    def clear_dialog_stack(self, property_name: str = DIALOG_STATE) -> None:
        """Empty the dialog stack, as a pending edit (an empty stack records nothing)."""
        new = clear_stack(self.draft, property_name=property_name)
        if property_name in self.draft:
            prop = property_name
            self._record("Clear dialog stack", {prop: (self.draft[prop], new[prop])})

    # -- undo / redo -------------------------------------------------------------

    @property
    def can_undo(self) -> bool:
        return bool(self._history.undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._history.redo)

    @property
    def undo_label(self) -> str | None:
        return self._history.undo[-1].label if self._history.undo else None

    @property
    def redo_label(self) -> str | None:
        return self._history.redo[-1].label if self._history.redo else None

    @property
    def edits(self) -> list[Edit]:
        """Pending edits, oldest first."""
        return list(self._history.undo)

    def undo(self) -> bool:
        """Take back the last pending edit; ``False`` if there is none."""
        if not self._history.undo:
            return False
        edit = self._history.undo.pop()
        self._apply(edit, forward=False)
        self._history.redo.append(edit)
        self._notify()
        return True

    def redo(self) -> bool:
        """Apply again the last undone edit; ``False`` if there is none."""
        if not self._history.redo:
            return False
        edit = self._history.redo.pop()
        self._apply(edit, forward=True)
        self._history.undo.append(edit)
        self._notify()
        return True

    def revert(self) -> None:
        """Discard every pending edit: the draft becomes the loaded document again."""
        self.draft = dict(self.document)
        self._changes = None
        self.deleted = False
        self._history = _History()
        self._notify()

    # -- what will be written ----------------------------------------------------

    def encoded(self) -> RawItem | None:
        """The raw item ``save`` writes (``None`` for a delete), in the loaded form."""
        if self.deleted:
            return None
        return self.store.encode(self.key, self.draft, like=self.loaded)

    def diff(self, against: RawItem | None = None) -> SessionDiff:
        """Stored body vs the body ``save`` would write, as real bytes.

        ``against`` compares with another stored version (``theirs``) instead
        of the loaded one; its etag is the one shown.
        """
        base = against or self.loaded
        new = self.encoded()
        return SessionDiff(
            key=self.key,
            etag=base.etag,
            old_body=base.body,
            new_body=None if new is None else new.body,
        )

    # -- writing -----------------------------------------------------------------

    async def save(self, writer: RawWriter | None = None) -> RawItem | None:
        """Write the draft with the loaded etag; a clean session writes nothing.

        Returns the stored item (``None`` after a delete). Raises
        ``ETagConflictError`` if the item changed since it was loaded (the
        draft is kept; see ``fetch_theirs``), ``ReadOnlyError`` on a read-only
        store, or another ``StorageError``.
        """
        if not self.is_dirty:
            return self.loaded
        return await self._write(self.loaded.etag, writer)

    async def _write(self, etag: str | None, writer: RawWriter | None) -> RawItem | None:
        if etag is None:
            raise StorageError(
                f"{self.key!r} has no etag in this store, so a change made meanwhile "
                "could not be detected; nothing was written",
                key=self.key,
            )
        if self.deleted:
            if writer is None:
                await self.store.delete_raw(self.key, if_match=etag)
            else:
                await writer.delete_raw(self.store, self.key, if_match=etag)
            self.gone = True
            self._drop_aside()
            self._history = _History()
            self._notify()
            return None
        item = self.store.encode(self.key, self.draft, like=self.loaded)
        if writer is None:
            stored = await self.store.write_raw(item, if_match=etag)
        else:
            stored = await writer.write_raw(self.store, item, if_match=etag)
        self._drop_aside()
        self._rebase(stored)
        return stored

    def _drop_aside(self) -> None:
        """A save settles a conflict: the draft kept aside before it is not offered again."""
        self.aside = None
        self.aside_deleted = False

    def refresh(self, stored: RawItem) -> bool:
        """Take a freshly read stored form as the snapshot, if nothing is pending.

        Returns ``False`` (and changes nothing) while the session has pending
        edits: those stay based on the version they were made on.
        """
        if self.is_dirty or stored.key != self.key:
            return False
        if stored.etag != self.loaded.etag or stored.body != self.loaded.body:
            self._rebase(stored)
        return True

    def _rebase(self, stored: RawItem) -> None:
        """Make ``stored`` the loaded snapshot and clear the pending history."""
        self.loaded = stored
        self.document = self.store.decode(stored)
        self.draft = dict(self.document)
        self._changes = None
        self.deleted = False
        self.theirs = None
        self.theirs_fetched = False
        self._history = _History()
        self._notify()

    async def fetch_theirs(self) -> RawItem | None:
        """Read the version now stored (``None`` if it was deleted) for comparison."""
        found = await self.store.read_raw([self.key])
        self.theirs = found.get(self.key)
        self.theirs_fetched = True
        self._notify()
        return self.theirs

    async def reload_theirs(self) -> None:
        """Load the stored version as the new base; my draft is kept in ``aside``.

        Raises ``ItemNotFoundError`` if the item was deleted meanwhile.
        """
        theirs = await self.fetch_theirs()
        if theirs is None:
            raise ItemNotFoundError(self.key)
        self.aside = dict(self.draft)
        self.aside_deleted = self.deleted
        self._rebase(theirs)

    def restore_aside(self) -> None:
        """Make the draft kept aside by ``reload_theirs`` the draft again, as a pending edit.

        The next save is checked against their etag (the version now loaded).
        Raises ``ValueError`` if no draft is kept aside.
        """
        if self.aside is None:
            raise ValueError(f"no draft of {self.key!r} is kept aside")
        aside, self.aside = self.aside, None
        if self.aside_deleted:
            self.delete_state()
        else:
            self.replace_document(aside, label="Use my draft again")
        self._notify()

    async def overwrite(self, theirs_etag: str, writer: RawWriter | None = None) -> RawItem | None:
        """Write my draft over the version the user has seen (``fetch_theirs``).

        Checked against ``theirs_etag``: if the store changed again since, this
        raises ``ETagConflictError`` as well. Raises ``ValueError`` if
        ``theirs_etag`` is not the etag of the version fetched.
        """
        if not self.theirs_fetched or self.theirs is None:
            raise ValueError(
                f"fetch the stored version of {self.key!r} and compare it before overwriting it"
            )
        if self.theirs.etag != theirs_etag:
            raise ValueError(
                f"{self.key!r}: the etag to overwrite ({theirs_etag}) is not the one of the "
                f"version you compared ({self.theirs.etag}); compare again"
            )
        try:
            return await self._write(theirs_etag, writer)
        except ETagConflictError:
            self.theirs_fetched = False
            raise

    async def recreate(self, writer: RawWriter | None = None) -> RawItem:
        """Write my draft as a new item after someone deleted it (seen by ``fetch_theirs``).

        A create: refused with ``ETagConflictError`` if the key exists again.
        Raises ``ValueError`` unless the fetched version showed it deleted, or
        if my draft is itself a deletion.
        """
        if not self.theirs_fetched or self.theirs is not None:
            raise ValueError(
                f"{self.key!r} is not known to be deleted; fetch the stored version first"
            )
        if self.deleted:
            raise ValueError(f"{self.key!r} is already deleted; there is nothing to recreate")
        item = self.store.encode(self.key, self.draft, like=self.loaded)
        try:
            if writer is None:
                stored = await self.store.write_raw(replace(item, etag=None), create=True)
            else:
                stored = await writer.write_raw(self.store, item, if_match=None, create=True)
        except ETagConflictError:
            self.theirs_fetched = False
            raise
        self._rebase(stored)
        return stored
