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

``stats STORE``: a summary on stdout, or with ``--json`` one JSON object on
one line (``StoreStats.as_json``: total, kinds, channels, bytes, largest,
size_histogram, modified_histogram, dialogs...). Progress on stderr (a
rewritten line on a terminal, a line every few seconds otherwise). Ctrl+C
stops the scan (130). On Cosmos DB the counts come from server-side queries
where the container is indexed; ``--ru-per-second`` / ``--max-ru`` bound what
the scan spends, and ``request_charge`` says what each part cost.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from explorer.cli.context import Context, escape_key, json_line
from explorer.core.errors import StorageError
from explorer.workspace.stats import ScanBudget, StoreStats, collect_stats
from explorer.workspace.watch import Outage, Recovered, Version, Watcher, private_prefix

#: while a store stays unreachable, say so again at most this often (seconds)
OUTAGE_REPEAT = 30.0
#: progress of a scan on stderr that is not a terminal: a line this often (seconds)
PROGRESS_EVERY = 5.0


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


class _Progress:
    """``scanned N of M items`` on stderr: rewritten in place on a terminal,
    otherwise one line every ``PROGRESS_EVERY`` seconds."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.tty = ctx.err.isatty()
        self.every = 0.2 if self.tty else PROGRESS_EVERY
        self.last = time.monotonic()
        self.shown = False

    def __call__(self, scanned: int, expected: int | None) -> None:
        if time.monotonic() - self.last < self.every:
            return
        self.last = time.monotonic()
        of = f" of {expected:,}" if expected is not None else ""
        text = f"scanned {scanned:,}{of} items"
        if self.tty:
            self.ctx.err.write(f"\r{text}\x1b[K")
            self.ctx.err.flush()
            self.shown = True
        else:
            self.ctx.note(text)

    def done(self) -> None:
        if self.shown:
            self.ctx.err.write("\r\x1b[K")
            self.ctx.err.flush()


async def cmd_stats(ctx: Context, args: Any) -> int:
    budget = None
    if args.max_ru is not None or args.ru_per_second is not None:
        budget = ScanBudget(per_second=args.ru_per_second, total=args.max_ru)
    progress = _Progress(ctx)
    async with ctx.open(args.store, read_only=True) as store:
        try:
            stats = await collect_stats(
                store,
                args.prefix,
                on_progress=progress,
                budget=budget,
                counts_only=args.counts_only,
                server_counts=not args.scan_counts,
            )
        finally:
            progress.done()
    if args.json:
        _emit(ctx, json_line(stats.as_json()))
    else:
        ctx.out.write(summary(stats))
    if stats.note:
        ctx.note(f"note: {stats.note}")
    return 0


def _size(n: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,} B"


def summary(stats: StoreStats) -> str:
    """The text form of ``stats``: a few aligned sections."""
    data = stats.as_json()
    lines = [
        f"total      {data['total']:,} items, {_size(data['bytes'])} "
        f"(counts from the {'server' if stats.counts_from == 'server' else 'scan'})",
        "kinds      " + ", ".join(f"{k} {n:,}" for k, n in data["kinds"].items()),
        "channels",
    ]
    for channel, counts in data["channels"].items():
        parts = ", ".join(f"{k} {n:,}" for k, n in counts.items())
        lines.append(f"  {escape_key(channel)}: {parts}")
    lines.append("largest")
    lines.extend(f"  {_size(x['bytes']):>10}  {escape_key(x['key'])}" for x in data["largest"])
    lines.append("sizes")
    lines.extend(f"  {b['label']:<36} {b['count']:>9,}" for b in data["size_histogram"])
    lines.append("last written")
    lines.extend(f"  {b['label']:<36} {b['count']:>9,}" for b in data["modified_histogram"])
    lines.append("active dialogs")
    lines.extend(f"  {d['count']:>9,}  {escape_key(d['id'])}" for d in data["dialogs"])
    if "request_charge" in data:
        lines.append(
            "request units  "
            + ", ".join(f"{part} {ru:,.1f}" for part, ru in data["request_charge"].items())
        )
    if not stats.complete:
        lines.append("INCOMPLETE: " + (stats.note or "the scan stopped early"))
    return "\n".join(lines) + "\n"
