"""``bulk`` on the command line: a view over ``workspace.bulk`` and ``workspace.operations``."""

from __future__ import annotations

from typing import Any

from explorer.cli.context import EXIT_ERROR, Context, escape_key, unescape_key
from explorer.cli.support import Progress, confirm, report_run, user_items
from explorer.core.errors import DecodeError, ReadOnlyError
from explorer.storage.base import Storage
from explorer.workspace.bulk import (
    Action,
    ClearDialogs,
    Delete,
    keys_with_prefix,
    parse_set,
    parse_unset,
    plan_bulk,
)
from explorer.workspace.operations import apply_changes


def read_key_file(path: str) -> list[str]:
    """Keys, one a line, as `ls` or `user` print them (``KIND<TAB>KEY`` or a bare key)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as exc:
        raise DecodeError(f"cannot read {path}: {exc.strerror or exc}") from None
    keys = []
    for line in lines:
        if not line.strip():
            continue
        parts = line.split("\t")
        keys.append(unescape_key(parts[1] if len(parts) >= 2 else parts[0]))
    return keys


def bulk_action(args: Any) -> Action:
    if args.delete:
        return Delete()
    if args.clear_dialogs:
        return ClearDialogs()
    if args.unset is not None:
        return parse_unset(args.unset)
    return parse_set(args.set)


async def _selected(ctx: Context, store: Storage, args: Any) -> list[str]:
    if args.prefix is not None:
        return await keys_with_prefix(store, args.prefix)
    if args.keys is not None:
        return read_key_file(args.keys)
    return [item.key for item in await user_items(ctx, store, args.user)]


async def cmd_bulk(ctx: Context, args: Any) -> int:
    action = bulk_action(args)
    writing = not args.dry_run
    async with ctx.open(args.store, read_only=None if writing else True) as store:
        if writing and store.read_only:
            raise ReadOnlyError(f"{action.describe()} in bulk in")
        keys = await _selected(ctx, store, args)
        progress = Progress(ctx.err)
        try:
            plan = await plan_bulk(store, keys, action, on_progress=progress.scanned)
        finally:
            progress.finish()
        for change in plan.changes:
            ctx.out.write(f"{action.name}\t{escape_key(change.key)}\n")
        for key, why in plan.unchanged:
            ctx.out.write(f"unchanged\t{escape_key(key)}\t{why}\n")
        for key in plan.missing:
            ctx.out.write(f"missing\t{escape_key(key)}\n")
        n = len(plan.changes)
        ctx.note(
            f"plan: {action.describe()} in {n} of {len(keys)} selected items"
            f" ({len(plan.unchanged)} unchanged, {len(plan.missing)} missing)"
        )
        if not plan.changes:
            return 0
        if args.dry_run:
            ctx.note("dry run: nothing was changed")
            return 0
        question = f"{action.describe().capitalize()} in these {n} items (backed up; revertable)?"
        if not confirm(ctx, question, yes=args.yes, what="bulk"):
            ctx.note("nothing was changed")
            return EXIT_ERROR
        progress = Progress(ctx.err)
        result = await apply_changes(
            ctx.writer, store, plan.changes, on_item=lambda d, t, _k: progress.scanned(d, t)
        )
        progress.finish()
    verb = "deleted" if isinstance(action, Delete) else "changed"
    return report_run(ctx, result, args.store, verb)


def register_bulk(add: Any) -> None:
    p = add(
        "bulk",
        cmd_bulk,
        "one action over many items: prints the plan, then applies it as one operation (each "
        "item etag-checked; a conflict is reported and left alone; revert --operation undoes "
        "it). PATH is dotted (prefs.lang) or a JSON pointer (/prefs/lang)",
    )
    p.add_argument("store", metavar="STORE")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--prefix", metavar="P", help="every key starting with P")
    which.add_argument("--keys", metavar="FILE", help="keys one a line (as `ls` prints them)")
    which.add_argument("--user", metavar="ID", help="the items `user ID` lists")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--delete", action="store_true", help="delete the items")
    what.add_argument(
        "--clear-dialogs", action="store_true", help="empty the dialog stack (DialogState)"
    )
    what.add_argument("--set", metavar="PATH=JSON", help="set a property to a JSON value")
    what.add_argument("--unset", metavar="PATH", help="remove a property")
    p.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    p.add_argument("--yes", action="store_true", help="do not ask (needed without a terminal)")
