"""``export`` and ``import``: a store as JSON lines, exactly.

One JSON object per line and per item::

    {"key": ..., "body": "<stored text>", "content_type": ..., "etag": ...,
     "last_modified": "<ISO 8601>", "meta": {...}, "name": ..., "dialect": ...,
     "source": "<scheme of the exporting store>"}

``body`` is the stored bytes decoded as UTF-8, exactly (a BOM stays a U+FEFF
character). A body that is not valid UTF-8 is written as ``body_base64``
(standard base64 of the bytes) instead, so every body survives byte for byte.
Lines are UTF-8 JSON; a line that cannot be (a key with a lone surrogate) is
written with ``\\u`` escapes. No store URL, connection string or key is ever
written to an export.

Import writes each line through ``SafeWriter`` (what it replaces is backed up
and audited, action ``import``). ``name`` is kept only when the export came
from the same kind of store (``source`` equals the target's scheme), since a
blob name means nothing to Cosmos; ``etag`` and ``last_modified`` are the
store's to assign. A bad line is reported with its line number and skipped;
the others are imported; the exit status says whether any line failed.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Iterator
from typing import IO, Any

from explorer.cli.context import EXIT_BAD_INPUT, EXIT_ERROR, Context, escape_key
from explorer.core.errors import ETagConflictError, StorageError
from explorer.core.items import RawItem
from explorer.storage.base import Storage
from explorer.storage.registry import scheme_of
from explorer.workspace.export_lines import LineError, item_to_line, line_to_item
from explorer.workspace.files import atomic_file
from explorer.workspace.redact import redact_secrets

BATCH = 200
#: reading a line is the workspace's (``diff`` reads exports too); kept importable from here
__all__ = ["LineError", "cmd_export", "cmd_import", "item_to_line", "line_to_item"]


async def cmd_export(ctx: Context, args: Any) -> int:
    source = scheme_of(args.store)
    count = 0
    with _atomic_output(args.file) as out:
        async with ctx.open(args.store, read_only=True) as store:
            batch: list[str] = []

            async def flush() -> None:
                nonlocal count
                items = await store.read_raw(batch)
                for key in batch:
                    item = items.get(key)
                    if item is None:  # deleted while exporting
                        continue
                    out.write(item_to_line(item, source) + "\n")
                    count += 1
                batch.clear()

            async for key in _export_keys(ctx, store, args.user):
                batch.append(key)
                if len(batch) >= BATCH:
                    await flush()
            if batch:
                await flush()
    where = "standard output" if args.file == "-" else args.file
    whose = "" if args.user is None else f" of user {escape_key(args.user)}"
    ctx.note(f"exported {count} items{whose} to {where}")
    return 0


async def _export_keys(ctx: Context, store: Storage, user: str | None) -> AsyncIterator[str]:
    """Every key, or (``--user``) exactly the items ``user`` lists (never value matches)."""
    if user is None:
        async for key in store.iter_keys():
            yield key
        return
    from explorer.cli.support import user_items

    for item in await user_items(ctx, store, user):
        yield item.key


def _atomic_output(path: str) -> contextlib.AbstractContextManager[IO[str]]:
    """Standard output for ``-``, else a file that replaces ``path`` on success."""
    return contextlib.nullcontext(sys.stdout) if path == "-" else atomic_file(path)


def _lines(path: str) -> Iterator[tuple[int, str]]:
    if path == "-":
        stream = sys.stdin
        yield from enumerate(stream, 1)
        return
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            yield from enumerate(f, 1)
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from None


async def cmd_import(ctx: Context, args: Any) -> int:
    target = scheme_of(args.store)
    imported = skipped = bad = failed = 0
    async with ctx.open(args.store, create=True) as store:
        batch: list[tuple[int, RawItem]] = []

        async def flush() -> None:
            nonlocal imported, skipped, failed
            results = await ctx.writer.write_many(
                store, [item for _, item in batch], create=args.no_overwrite, action="import"
            )
            for (number, _), result in zip(batch, results, strict=True):
                if isinstance(result, RawItem):
                    imported += 1
                elif isinstance(result, ETagConflictError) and args.no_overwrite:
                    skipped += 1
                else:
                    failed += 1
                    ctx.note(f"{args.file} line {number}: {redact_secrets(str(result))}")
            batch.clear()

        for number, text in _lines(args.file):
            if not text.strip():
                continue
            try:
                item, source = line_to_item(text)
            except LineError as exc:
                bad += 1
                ctx.note(f"{args.file} line {number}: {exc}")
                continue
            if source is not None and source != target:
                item = RawItem(key=item.key, body=item.body, content_type=item.content_type,
                               dialect=item.dialect, meta=item.meta)  # fmt: skip
            batch.append((number, item))
            if len(batch) >= BATCH:
                await flush()
        if batch:
            await flush()
    summary = f"imported {imported} items"
    if skipped:
        summary += f", skipped {skipped} that already exist"
    if bad or failed:
        summary += f", {bad + failed} lines failed (see above)"
    ctx.note(summary)
    if bad:
        return EXIT_BAD_INPUT
    return EXIT_ERROR if failed else 0
