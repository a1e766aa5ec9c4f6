"""Compare two sets of bot state: stores, export files, or one of each.

Documents are compared decoded, as each side's codec reads them: etags,
timestamps, server members, blob names, Cosmos ids, body separators and escapes
do not count, so a python-dialect blob and its SQLite copy compare equal. Keys
are compared exactly (a js key's trailing ``/`` is part of the key).

A difference is ``added`` (in B, not in A), ``removed`` (in A, not in B) or
``changed``, with the property paths that differ (``changed_paths``): the
deepest member that differs, a list of another length as a whole. Paths are
dotted (``UserProfile.name``, list items by index: ``DialogState.dialogStack.0``)
unless a member name holds ``.``, ``/`` or ``~``; then the whole path is a JSON
pointer (``/a.b/c``). ``bulk --set/--unset`` take both forms.

A body that cannot be decoded is compared as bytes; if it differs the path is
``(body)``. ``compare`` reads both sides in chunks, reports progress and stops
between chunks when its task is cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from explorer.core.errors import StorageError
from explorer.core.items import RawItem
from explorer.storage.base import Storage
from explorer.workspace.export_lines import ExportedItem, LineError, decode_exported, read_export

Change = Literal["added", "removed", "changed"]
#: (items compared, items to compare)
CompareProgress = Callable[[int, int], None]
CHUNK = 100
BODY_PATH = "(body)"


@dataclass(frozen=True, slots=True)
class Difference:
    key: str
    change: Change
    paths: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "change": self.change, "paths": list(self.paths)}


# -- paths ---------------------------------------------------------------------

Segment = str | int


def format_path(segments: Sequence[Segment]) -> str:
    """Dotted, or a JSON pointer when a member name would make dots ambiguous."""
    names = [str(s) for s in segments]
    if any(isinstance(s, str) and (not s or any(c in s for c in "./~")) for s in segments):
        return "".join("/" + n.replace("~", "~0").replace("/", "~1") for n in names)
    return ".".join(names)


def parse_path(text: str) -> list[str]:
    """A dotted path or a JSON pointer as segments (list indexes stay text: ``"0"``)."""
    if not text:
        raise ValueError("a property path is needed, e.g. UserProfile.lang or /UserProfile/lang")
    if text.startswith("/"):
        return [s.replace("~1", "/").replace("~0", "~") for s in text[1:].split("/")]
    segments = text.split(".")
    if any(not s for s in segments):
        raise ValueError(f"{text!r} has an empty segment; write it as a JSON pointer (/a/b)")
    return segments


def changed_paths(a: Any, b: Any, path: tuple[Segment, ...] = ()) -> list[str]:
    """The paths at which two JSON values differ (``[]`` if equal)."""
    if type(a) is not type(b):  # 1 and 1.0 are one JSON number; True and 1 are not
        same = a == b and type(a) is not bool and type(b) is not bool
        return [] if same else [format_path(path) or "(document)"]
    if isinstance(a, dict):
        found: list[str] = []
        for name in list(a) + [n for n in b if n not in a]:
            if name not in a or name not in b:
                found.append(format_path((*path, name)))
            else:
                found += changed_paths(a[name], b[name], (*path, name))
        return found
    if isinstance(a, list):
        if len(a) != len(b):
            return [format_path(path)] if path else ["(list)"]
        found = []
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            found += changed_paths(x, y, (*path, index))
        return found
    return [] if a == b else [format_path(path)]


# -- sides -----------------------------------------------------------------------


class Side(Protocol):
    """One side of a comparison: keys, and decoded documents by key."""

    label: str

    async def keys(self, prefix: str) -> list[str]: ...

    async def items(self, keys: Sequence[str]) -> dict[str, RawItem]: ...

    def document(self, item: RawItem) -> Any:
        """The decoded document; ``StorageError`` if the body cannot be decoded."""
        ...


class StoreSide:
    """An open store."""

    def __init__(self, store: Storage, label: str) -> None:
        self.store = store
        self.label = label

    async def keys(self, prefix: str) -> list[str]:
        return [key async for key in self.store.iter_keys(prefix)]

    async def items(self, keys: Sequence[str]) -> dict[str, RawItem]:
        return await self.store.read_raw(list(keys))

    def document(self, item: RawItem) -> Any:
        return self.store.decode(item)


class ExportSide:
    """An export file, read whole (``problems`` holds its unusable lines)."""

    def __init__(self, path: str, label: str | None = None) -> None:
        self.label = label or path
        self._items: dict[str, ExportedItem] = {}
        self.problems: list[tuple[int, LineError]] = []
        for line in read_export(path):
            if isinstance(line, ExportedItem):
                self._items[line.item.key] = line
            else:
                self.problems.append(line)

    async def keys(self, prefix: str) -> list[str]:
        return [key for key in self._items if key.startswith(prefix)]

    async def items(self, keys: Sequence[str]) -> dict[str, RawItem]:
        return {k: self._items[k].item for k in keys if k in self._items}

    def document(self, item: RawItem) -> Any:
        return decode_exported(item, self._items[item.key].source)


def _differs(a_side: Side, a: RawItem, b_side: Side, b: RawItem) -> list[str]:
    try:
        return changed_paths(a_side.document(a), b_side.document(b))
    except StorageError:
        return [] if a.body == b.body else [BODY_PATH]


async def compare(
    a: Side,
    b: Side,
    *,
    prefix: str = "",
    on_progress: CompareProgress | None = None,
    chunk: int = CHUNK,
) -> AsyncIterator[Difference]:
    """The differences from ``a`` to ``b`` under ``prefix``, in key order."""
    keys_a, keys_b = set(await a.keys(prefix)), set(await b.keys(prefix))
    every = sorted(keys_a | keys_b)
    for start in range(0, len(every), chunk):
        part = every[start : start + chunk]
        both = [k for k in part if k in keys_a and k in keys_b]
        items_a, items_b = await asyncio.gather(a.items(both), b.items(both))

        def paths_of(
            items_a: dict[str, RawItem] = items_a, items_b: dict[str, RawItem] = items_b
        ) -> dict[str, list[str]]:
            return {k: _differs(a, items_a[k], b, items_b[k]) for k in items_a if k in items_b}

        changed = await asyncio.to_thread(paths_of)
        for key in part:
            # an item deleted while comparing counts as absent on that side
            in_a = key in keys_a and (key not in keys_b or key in items_a)
            in_b = key in keys_b and (key not in keys_a or key in items_b)
            if in_a and not in_b:
                yield Difference(key, "removed")
            elif in_b and not in_a:
                yield Difference(key, "added")
            elif in_a and in_b and changed.get(key):
                yield Difference(key, "changed", tuple(changed[key]))
        if on_progress is not None:
            on_progress(min(start + chunk, len(every)), len(every))
