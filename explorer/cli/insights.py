"""``watch`` and ``stats``: views of ``explorer.workspace.watch`` and ``.stats``.

``watch STORE KEY``: one line per new version on stdout until Ctrl+C (exit 0):
``TIME<TAB>CHANGE<TAB>KEY<TAB>ETAG<TAB>PATHS`` (key escaped as ``ls`` does,
paths comma-separated), or with ``--json`` one object per line:
``{"time", "key", "change", "etag", "paths"}``. What is said once (what is
watched, an outage, the recovery) goes to stderr. An unreachable store is
retried and reported; one that stays unreachable for ``--give-up`` seconds
ends the watch with the usual exit status (7 unreachable, 1 other store
errors); ``--give-up 0`` retries for ever. A store that cannot be opened at
the start fails at once, like any command.

``stats STORE``: one JSON object on stdout (see ``StoreStats.as_json``);
progress on stderr; ``--json`` is accepted and is the default form.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from explorer.cli.context import Context, escape_key, json_line
from explorer.core.errors import StorageError
from explorer.workspace.watch import Outage, Recovered, Version, Watcher, private_prefix

#: while a store stays unreachable, say so again at most this often (seconds)
OUTAGE_REPEAT = 30.0


def _local(when: datetime) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _text_line(version: Version) -> str:
    paths = ",".join(version.paths)
    return (
        f"{_local(version.time)}\t{version.change}\t{escape_key(version.key)}\t"
        f"{version.etag or '-'}\t{paths}"
    )


async def _follow(ctx: Context, watcher: Watcher, args: Any) -> None:
    said_outage = 0.0
    async for event in watcher.events():
        if isinstance(event, Version):
            if event.change is not None:
                _emit(ctx, json_line(event.as_json()) if args.json else _text_line(event))
                continue
            state = f"etag {event.etag}" if event.item else "does not exist yet"
            ctx.note(
                f"watching {escape_key(event.key)} ({state}) every {args.interval:g} s; "
                "Ctrl+C stops"
            )
        elif isinstance(event, Outage):
            if event.attempts == 1 or time.monotonic() - said_outage >= OUTAGE_REPEAT:
                said_outage = time.monotonic()
                tries = "1 try" if event.attempts == 1 else f"{event.attempts} tries"
                ctx.note(
                    f"warning: the store does not answer since {_local(event.since)} "
                    f"({tries}): {event.error}; retrying in {event.retry_in:g} s"
                )
        elif isinstance(event, Recovered):
            ctx.note(f"the store answers again (after {event.seconds:.0f} s)")


def _emit(ctx: Context, line: str) -> None:
    ctx.out.write(line + "\n")
    ctx.out.flush()  # a reader of a pipe sees each change as it happens


async def cmd_watch(ctx: Context, args: Any) -> int:
    prefix = None
    if args.with_private:
        prefix = private_prefix(args.key)
        if prefix is None:
            raise ValueError(
                f"--with-private needs a conversation key, and {args.key!r} is not one"
            )
    give_up = None if args.give_up == 0 else args.give_up
    async with ctx.open(args.store, read_only=True) as store:
        watcher = Watcher(store, [args.key], prefix=prefix, interval=args.interval, give_up=give_up)
        try:
            await _follow(ctx, watcher, args)
        except StorageError:
            if watcher.started:
                ctx.note(f"giving up: the store did not answer for {args.give_up:g} s")
            raise
    return 0
