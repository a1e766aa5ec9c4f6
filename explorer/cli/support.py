"""Support workflows on the command line: ``user``, ``forget``, ``bulk``, ``diff``, ``copy``.

Thin views over the workspace (``user_lookup``, ``operations``, ``bulk``,
``compare``, ``copying``): each command asks the workspace for a plan or a
result and prints it. This module has ``user``, ``forget``, ``revert
--operation`` and the shared helpers; ``support_bulk`` has ``bulk``,
``support_compare`` ``diff`` and ``copy``. Progress of long listings and scans goes to stderr;
results go to stdout.

Confirmation (``forget``, ``bulk``): the plan is printed first; on a terminal
the command asks before writing; without one it writes only with ``--yes``.
``--dry-run`` prints the plan and writes nothing (it also works on read-only
and production stores).
"""

from __future__ import annotations

import shlex
import sys
import time
from typing import Any, TextIO

from explorer.cli.context import (
    EXIT_CONFLICT,
    EXIT_ERROR,
    Context,
    escape_key,
    json_line,
)
from explorer.core.errors import ReadOnlyError
from explorer.storage.abilities import Abilities
from explorer.storage.base import Storage
from explorer.workspace.operations import (
    OperationResult,
    apply_changes,
    delete_plan,
    revert_operation,
)
from explorer.workspace.user_lookup import UserItem, find_in_values, find_user


class Progress:
    """Progress lines on stderr: rewritten in place on a terminal, else one every few seconds."""

    def __init__(self, err: TextIO, *, every: float | None = None) -> None:
        self.err = err
        self.tty = err.isatty()
        self.every = every if every is not None else (0.5 if self.tty else 10.0)
        self._last = time.monotonic()
        self._shown = False

    def _show(self, text: str) -> None:
        now = time.monotonic()
        if now - self._last < self.every:
            return
        self._last = now
        if self.tty:
            self.err.write(f"\r{text}\x1b[K")
            self._shown = True
        else:
            self.err.write(text + "\n")
        self.err.flush()

    def listed(self, count: int) -> None:
        self._show(f"listed {count:,} keys...")

    def scanned(self, done: int, total: int) -> None:
        self._show(f"searched {done:,} of {total:,} items ({done * 100 // max(total, 1)}%)...")

    def finish(self) -> None:
        if self._shown:
            self.err.write("\r\x1b[K")
            self.err.flush()
            self._shown = False


def print_items(ctx: Context, items: list[UserItem], *, as_json: bool) -> None:
    """As ``ls`` prints: ``KIND<TAB>KEY`` (value matches add ``<TAB>value``), or JSON lines."""
    for item in items:
        if as_json:
            ctx.out.write(json_line(item.as_dict()) + "\n")
        else:
            extra = "\tvalue" if item.match == "value" else ""
            ctx.out.write(f"{item.kind}\t{escape_key(item.key)}{extra}\n")


def request_units(store: Storage) -> str:
    charges = Abilities.of(store).charges
    if charges is None:
        return ""
    return f"; about {charges.total_request_charge:,.0f} RU"


async def user_items(
    ctx: Context, store: Storage, user_id: str, *, in_values: bool = False, private: bool = True
) -> list[UserItem]:
    """``find_user`` (and the value scan) with progress on stderr and the cost noted."""
    progress = Progress(ctx.err)
    try:
        lookup = await find_user(store, user_id, on_progress=progress.listed, private=private)
        items = list(lookup.items)
        if in_values:
            values = await find_in_values(
                store, user_id, skip=set(lookup.keys), on_progress=progress.scanned
            )
            items = sorted(items + values, key=lambda i: i.key)
    finally:
        progress.finish()
    for name in lookup.undecodable:
        ctx.note(f"warning: {escape_key(name)} cannot be decoded as a key; not checked")
    how = lookup.describe_cost()
    if in_values:
        how += "; searched the values of every other item (a full scan)"
    ctx.note(f"{len(items)} items for {escape_key(user_id)}: {how}{request_units(store)}")
    return items


async def cmd_user(ctx: Context, args: Any) -> int:
    async with ctx.open(args.store, read_only=True) as store:
        items = await user_items(
            ctx, store, args.user_id, in_values=args.in_values, private=not args.skip_private
        )
    print_items(ctx, items, as_json=args.json)
    return 0


def revert_line(store: str, operation: str) -> str:
    """The command that undoes an operation."""
    return f"botstate-explorer revert {shlex.quote(store)} --operation {operation}"


def confirm(ctx: Context, question: str, *, yes: bool, what: str) -> bool:
    """Ask on a terminal; without one, ``--yes`` is needed (``ValueError`` otherwise)."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise ValueError(
            f"{what} needs --yes when not run from a terminal (nothing was changed; "
            "--dry-run shows the plan)"
        )
    ctx.err.write(f"{question} [y/N] ")
    ctx.err.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def register(add: Any) -> None:
    """Add the support commands to the parser (``add(name, handler, help)`` of ``build_parser``)."""
    p = add(
        "user",
        cmd_user,
        "list every item holding one user's state (user state in every channel, agent-scoped "
        "user state, private conversation state): KIND<TAB>KEY per line as `ls` prints",
    )
    p.add_argument("store", metavar="STORE")
    p.add_argument("user_id", metavar="USER_ID", help="the user id exactly, e.g. 29:1AbC")
    p.add_argument("--json", action="store_true", help="one JSON object per item, keys exact")
    p.add_argument(
        "--in-values",
        action="store_true",
        help="also list items whose values mention the id (a full scan; marked `value`)",
    )
    p.add_argument(
        "--skip-private",
        action="store_true",
        help="do not look for private conversation state: no conversation is scanned, so on "
        "SQLite, Cosmos DB and Blob the lookup costs a few requests per channel",
    )
    register_forget(add)
    from explorer.cli import support_bulk, support_compare  # they import helpers from here

    support_compare.register_diff(add)
    support_compare.register_copy(add)
    support_bulk.register_bulk(add)


# -- forget and operations ---------------------------------------------------------


def report_run(ctx: Context, result: OperationResult, store: str, verb: str) -> int:
    """The outcome of an operation; the last stdout line undoes it. Returns the exit status."""
    for key, why in result.conflicts:
        ctx.note(f"conflict: {escape_key(key)}: {why}")
    for key, why in result.failed:
        ctx.note(f"failed: {escape_key(key)}: {why}")
    left = len(result.conflicts) + len(result.failed)
    extra = f"; {left} left as they are (see above)" if left else ""
    ctx.out.write(f"{verb} {len(result.done)} items (operation {result.operation}){extra}\n")
    if result.done:
        ctx.out.write(revert_line(store, result.operation) + "\n")
    if result.failed:
        return EXIT_ERROR
    return EXIT_CONFLICT if result.conflicts else 0


async def cmd_forget(ctx: Context, args: Any) -> int:
    writing = not args.dry_run
    async with ctx.open(args.store, read_only=None if writing else True) as store:
        if writing and store.read_only:
            raise ReadOnlyError("forget a user in")
        items = await user_items(ctx, store, args.user_id)
        plan = await delete_plan(store, [i.key for i in items], "forget")
        kinds = {i.key: i.kind for i in items}
        for change in plan:
            ctx.out.write(f"{kinds[change.key]}\t{escape_key(change.key)}\n")
        if not plan:
            ctx.note(f"nothing to forget: no items hold {escape_key(args.user_id)}")
            return 0
        if args.dry_run:
            ctx.note(f"dry run: would delete these {len(plan)} items; nothing was deleted")
            return 0
        question = f"Delete these {len(plan)} items (backed up; revertable)?"
        if not confirm(ctx, question, yes=args.yes, what="forget"):
            ctx.note("nothing was deleted")
            return EXIT_ERROR
        result = await apply_changes(ctx.writer, store, plan)
    return report_run(ctx, result, args.store, "deleted")


async def cmd_revert_operation(ctx: Context, args: Any) -> int:
    async with ctx.open(args.store) as store:
        result = await revert_operation(ctx.writer, store, args.operation)
    return report_run(ctx, result, args.store, "restored")


def register_forget(add: Any) -> None:
    p = add(
        "forget",
        cmd_forget,
        "delete every item `user USER_ID` lists (never value matches) as one operation: each "
        "delete etag-checked, backed up and audited; the last line printed undoes it",
    )
    p.add_argument("store", metavar="STORE")
    p.add_argument("user_id", metavar="USER_ID")
    p.add_argument("--dry-run", action="store_true", help="print the plan, delete nothing")
    p.add_argument("--yes", action="store_true", help="do not ask (needed without a terminal)")
