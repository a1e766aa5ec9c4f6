"""Bulk changes: one action over many items, planned first, applied as one operation.

Items are selected by key prefix, by a list of keys or by user (what
``user_lookup.find_user`` lists). The action is one of

- ``Delete()``;
- ``ClearDialogs()``: empty the dialog stack in ``DialogState``, in its stored
  form (python ``_dialog_stack``, js ``dialogStack``, .NET ``$values``);
- ``SetProperty(path, value)``: set a property (missing parent objects are
  created; a parent that is not an object or list is an error for that item);
- ``UnsetProperty(path)``: remove a property (or a list element).

Paths are dotted (``prefs.lang``) or JSON pointers (``/prefs/lang``); a segment
that meets a list is an index. ``plan_bulk`` reads the items in chunks and
returns a ``BulkPlan``: the changes (each with the etag it saw) and the items
left unchanged with the reason (no such property, no dialog stack, already
set, an undecodable body). An edited item is encoded with
``encode(key, document, like=item)``, so its stored form is kept byte for byte
outside the change, as single edits do. ``operations.apply_changes`` applies
the plan: each item etag-checked, a conflict reported and left alone, the
whole run one operation that ``revert --operation`` undoes.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from explorer.core.errors import DialogStackError, StorageError
from explorer.core.items import JsonObject, RawItem
from explorer.state.dialogs import clear_stack, read_stack, stack_form
from explorer.storage.base import Storage
from explorer.workspace.compare import parse_path
from explorer.workspace.operations import Change

CHUNK = 100
#: (items read, items to read) while planning
PlanProgress = Callable[[int, int], None]


class UnchangedError(Exception):
    """This item is left as it is; the message says why."""


@dataclass(frozen=True)
class Delete:
    name = "delete"
    audit = "bulk-delete"

    def describe(self) -> str:
        return "delete"


@dataclass(frozen=True)
class ClearDialogs:
    property_name: str = "DialogState"
    name = "clear-dialogs"
    audit = "bulk-clear-dialogs"

    def describe(self) -> str:
        return "clear the dialog stack"

    def apply(self, document: JsonObject) -> JsonObject:
        try:
            if stack_form(document, property_name=self.property_name) is None:
                raise UnchangedError("no dialog stack")
            if not read_stack(document, property_name=self.property_name):
                raise UnchangedError("the dialog stack is already empty")
        except DialogStackError as exc:
            raise UnchangedError(str(exc)) from None
        return clear_stack(document, property_name=self.property_name)


@dataclass(frozen=True)
class SetProperty:
    path: str
    value: Any
    name = "set"
    audit = "bulk-set"

    def describe(self) -> str:
        return f"set {self.path}"

    def apply(self, document: JsonObject) -> JsonObject:
        result = copy.deepcopy(document)
        *parents, last = parse_path(self.path)
        container = _walk(result, parents, self.path, create=True)
        if isinstance(container, dict):
            if last in container and _same(container[last], self.value):
                raise UnchangedError(f"{self.path} is already set to this value")
            container[last] = copy.deepcopy(self.value)
        else:
            index = _index(container, last, self.path)
            if _same(container[index], self.value):
                raise UnchangedError(f"{self.path} is already set to this value")
            container[index] = copy.deepcopy(self.value)
        return result


@dataclass(frozen=True)
class UnsetProperty:
    path: str
    name = "unset"
    audit = "bulk-unset"

    def describe(self) -> str:
        return f"unset {self.path}"

    def apply(self, document: JsonObject) -> JsonObject:
        result = copy.deepcopy(document)
        *parents, last = parse_path(self.path)
        container = _walk(result, parents, self.path, create=False)
        if isinstance(container, dict):
            if last not in container:
                raise UnchangedError(f"no property {self.path}")
            del container[last]
        else:
            del container[_index(container, last, self.path)]
        return result


Action = Delete | ClearDialogs | SetProperty | UnsetProperty


def parse_set(text: str) -> SetProperty:
    """``PATH=JSON`` (``prefs.lang="de"``, ``/prefs/count=3``) as a ``SetProperty``.

    ``ValueError`` says what is wrong (no ``=``, a bad path, a value that is not JSON).
    """
    path, sep, value_text = text.partition("=")
    path = path.strip()
    if not sep:
        raise ValueError(f'set takes PATH=JSON, e.g. prefs.lang="de", not {text!r}')
    parse_path(path)
    try:
        value = json.loads(value_text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f'{path}=: {value_text.strip()!r} is not JSON ({exc.msg}); write text as JSON: "de"'
        ) from None
    return SetProperty(path, value)


def parse_unset(text: str) -> UnsetProperty:
    """A path to remove (``ValueError`` if it is not one)."""
    parse_path(text.strip())
    return UnsetProperty(text.strip())


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and bool(a == b)


def _index(container: list[Any], segment: str, path: str) -> int:
    if not segment.isdigit() or int(segment) >= len(container):
        raise UnchangedError(
            f"no property {path} (no element {segment} in a list of {len(container)})"
        )
    return int(segment)


def _walk(
    document: JsonObject, segments: Sequence[str], path: str, *, create: bool
) -> dict[str, Any] | list[Any]:
    """The object or list that holds the path's last segment."""
    current: Any = document
    for depth, segment in enumerate(segments):
        if isinstance(current, dict):
            if segment not in current:
                if not create:
                    raise UnchangedError(f"no property {path}")
                current[segment] = {}
            current = current[segment]
        elif isinstance(current, list):
            current = current[_index(current, segment, path)]
        else:
            raise UnchangedError(_not_a_container(segments[:depth], current, path))
    if not isinstance(current, dict | list):
        raise UnchangedError(_not_a_container(segments, current, path))
    return current


def _not_a_container(segments: Sequence[str], value: Any, path: str) -> str:
    where = ".".join(segments) or "the document"
    kind = "null" if value is None else type(value).__name__
    return f"{where} is a {kind}, not an object: {path} cannot be set in it"


@dataclass
class BulkPlan:
    """What ``apply_changes`` will do, and what is left unchanged (with why)."""

    action: Action
    changes: list[Change] = field(default_factory=list)
    #: (key, why) for items left as they are
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    #: keys selected but absent when planned
    missing: list[str] = field(default_factory=list)


def _plan_one(store: Storage, action: Action, item: RawItem) -> Change:
    if isinstance(action, Delete):
        return Change(item.key, item.etag, None, action.audit)
    try:
        document = store.decode(item)
    except StorageError as exc:
        raise UnchangedError(f"its body cannot be decoded ({exc})") from None
    new = action.apply(document)
    encoded = store.encode(item.key, new, like=item)
    return Change(item.key, item.etag, encoded, action.audit)


async def plan_bulk(
    store: Storage,
    keys: Sequence[str],
    action: Action,
    *,
    on_progress: PlanProgress | None = None,
    chunk: int = CHUNK,
) -> BulkPlan:
    """Read the selected items and work out each one's change."""
    plan = BulkPlan(action)
    keys = list(dict.fromkeys(keys))
    for start in range(0, len(keys), chunk):
        part = keys[start : start + chunk]
        items = await store.read_raw(part)
        for key in part:
            item = items.get(key)
            if item is None:
                plan.missing.append(key)
                continue
            try:
                plan.changes.append(_plan_one(store, action, item))
            except UnchangedError as exc:
                plan.unchanged.append((key, str(exc)))
        if on_progress is not None:
            on_progress(min(start + chunk, len(keys)), len(keys))
    return plan


async def keys_with_prefix(store: Storage, prefix: str) -> list[str]:
    return [key async for key in store.iter_keys(prefix)]
