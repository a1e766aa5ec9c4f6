"""``diff`` and ``copy`` on the command line: views over ``workspace.compare`` and
``workspace.copying`` (see those modules for the rules)."""

from __future__ import annotations

import os
import shlex
from contextlib import AsyncExitStack
from typing import Any

from explorer.cli.context import Context, escape_key, json_line
from explorer.cli.support import Progress
from explorer.core.errors import ReadOnlyError, UnknownStoreError
from explorer.storage.url import StoreUrl
from explorer.workspace.compare import ExportSide, Side, StoreSide, compare
from explorer.workspace.copying import copy_item, plan_copy
from explorer.workspace.redact import RedactionRules


def is_export_file(text: str) -> bool:
    """Whether a diff side names an export file rather than a store (URL or ``@NAME``)."""
    if text.startswith("@"):
        return False
    if os.path.exists(text):
        return True
    try:
        StoreUrl.parse(text)
    except UnknownStoreError:
        return True
    return False


async def _side(ctx: Context, stack: AsyncExitStack, text: str) -> Side:
    if is_export_file(text):
        side = ExportSide(text)
        for number, problem in side.problems:
            ctx.note(f"warning: {text} line {number}: {problem} (skipped)")
        return side
    store = await stack.enter_async_context(ctx.open(text, read_only=True))
    return StoreSide(store, text)


async def cmd_diff(ctx: Context, args: Any) -> int:
    """Exit 0 when equal, 1 when different (as diff(1)); errors 2 or more."""
    different = 0
    progress = Progress(ctx.err)
    async with AsyncExitStack() as stack:
        a = await _side(ctx, stack, args.a)
        b = await _side(ctx, stack, args.b)
        try:
            async for difference in compare(a, b, prefix=args.prefix, on_progress=progress.scanned):
                different += 1
                if args.json:
                    ctx.out.write(json_line(difference.as_dict()) + "\n")
                    continue
                mark = {"added": "+", "removed": "-", "changed": "~"}[difference.change]
                paths = " " + ", ".join(difference.paths) if difference.paths else ""
                ctx.out.write(f"{mark} {escape_key(difference.key)}{paths}\n")
        finally:
            progress.finish()
    ctx.note(f"{different} keys differ" if different else "no differences")
    return 1 if different else 0


def register_diff(add: Any) -> None:
    p = add(
        "diff",
        cmd_diff,
        "compare decoded documents of two stores or export files (etags, timestamps and "
        "encoding ignored): + KEY added in B, - KEY removed, ~ KEY PATH, PATH changed. "
        "Exit 0 equal, 1 different, 2 or more errors",
    )
    p.add_argument("a", metavar="A", help="store URL, @NAME or export file")
    p.add_argument("b", metavar="B", help="store URL, @NAME or export file")
    p.add_argument("--json", action="store_true", help="one JSON object per key")
    p.add_argument("--prefix", metavar="P", default="", help="only keys starting with P")
    p.set_defaults(error_exit=2)


async def cmd_copy(ctx: Context, args: Any) -> int:
    rules = RedactionRules() if args.redact else None
    async with AsyncExitStack() as stack:
        source = await stack.enter_async_context(
            ctx.open(args.store, read_only=args.to is not None)
        )
        target = source
        if args.to is not None:
            target = await stack.enter_async_context(ctx.open(args.to, create=True))
        if target.read_only:
            raise ReadOnlyError("copy into", args.to_key)
        plan = await plan_copy(
            source, args.from_key, target, args.to_key, same_store=args.to is None, redact=rules
        )
        written = await copy_item(ctx.writer, target, plan, overwrite=args.overwrite)
    where = args.to or args.store
    name = written.stored_name
    stored = f" (stored as {escape_key(name)})" if name != written.key else ""
    masked = "; values redacted" if rules is not None else ""
    ctx.note(f"copied {escape_key(args.from_key)} to {escape_key(written.key)}{stored}{masked}")
    ctx.out.write(f"{escape_key(written.key)}\n")
    ctx.note(f"undo: botstate-explorer revert {shlex.quote(where)} {shlex.quote(written.key)}")
    return 0


def register_copy(add: Any) -> None:
    p = add(
        "copy",
        cmd_copy,
        "copy one item's state to another key, in this store or (--to) another, written in "
        "the target's own form (key suffix, blob name, Cosmos id from its detected dialect); "
        "prints the key written",
    )
    p.add_argument("store", metavar="STORE")
    p.add_argument("from_key", metavar="FROM_KEY")
    p.add_argument("to_key", metavar="TO_KEY")
    p.add_argument("--to", metavar="STORE2", help="copy into this store (default: STORE)")
    p.add_argument("--redact", action="store_true", help="mask values by the redaction rules")
    p.add_argument(
        "--overwrite", action="store_true", help="replace TO_KEY if it exists (backed up first)"
    )
