"""``history``, ``revert`` and ``audit``: the backups and the audit log from the command line.

``history STORE KEY`` lists the backups of a key, oldest first: version,
time, the action that replaced that version, its state (``applied``,
``unknown`` when the write's outcome is not known, ``pending`` while in
flight), the backed-up etag and size (``absent`` when the item did not exist).
``revert STORE KEY [--to N]`` restores version N (default: the newest, i.e.
undo the last change) with an etag-checked write; it refuses when the item
changed since the last change made with this tool unless ``--if-match``
names its current etag.
"""

from __future__ import annotations

from typing import Any

from explorer.cli.context import EXIT_NOT_FOUND, Context, escape_key, json_line
from explorer.workspace.audit import entry_as_dict


async def cmd_history(ctx: Context, args: Any) -> int:
    async with ctx.open(args.store, read_only=True) as store:
        backups = await ctx.writer.history(store, args.key)
    if args.json:
        for b in backups:
            row = {
                "version": b.version, "time": b.time, "action": b.action, "state": b.state,
                "existed": b.existed, "etag": b.etag, "size": b.size, "new_etag": b.new_etag,
                "content_type": b.content_type, "name": b.name, "dialect": b.dialect,
            }  # fmt: skip
            ctx.out.write(json_line(row) + "\n")
        return 0
    if not backups:
        ctx.note(
            f"no backups of {escape_key(args.key)} (only changes made with this tool are kept)"
        )
        return EXIT_NOT_FOUND  # as `revert` of it
    ctx.out.write("VERSION\tTIME\tACTION\tSTATE\tETAG\tSIZE\n")
    for b in backups:
        size = "absent" if not b.existed else str(b.size)
        ctx.out.write(f"{b.version}\t{b.time}\t{b.action}\t{b.state}\t{b.etag or '-'}\t{size}\n")
    return 0


async def cmd_revert(ctx: Context, args: Any) -> int:
    if args.operation is not None:
        if args.key is not None or args.to is not None or args.if_match is not None:
            raise ValueError("revert --operation ID takes no KEY, --to or --if-match")
        from explorer.cli.support import cmd_revert_operation

        return await cmd_revert_operation(ctx, args)
    if args.key is None:
        raise ValueError("revert needs a KEY, or --operation ID")
    async with ctx.open(args.store) as store:
        written = await ctx.writer.revert(store, args.key, to=args.to, if_match=args.if_match)
    ctx.out.write("deleted\n" if written is None else f"{written.etag or ''}\n")
    return 0


async def cmd_audit(ctx: Context, args: Any) -> int:
    store = args.store
    if store is not None and ":" in store:
        from explorer.workspace.backups import canonical_store_url

        store = canonical_store_url(store)
    log = ctx.audit_log()
    entries = await log.entries(store=store, key=args.key)
    if args.operation is not None:
        entries = [e for e in entries if e.operation == args.operation]
    if args.limit:
        entries = entries[-args.limit :]
    if entries and not args.json:
        ctx.out.write("TIME\tUSER\tPROFILE\tACTION\tOUTCOME\tSTORE\tKEY\tETAGS\tSIZE\n")
    for e in entries:
        if args.json:
            ctx.out.write(json_line(entry_as_dict(e)) + "\n")
            continue
        etags = f"{e.old_etag or '-'}->{e.new_etag or '-'}"
        size = "-" if e.size is None else str(e.size)
        ctx.out.write(
            f"{e.time}\t{e.user}\t{e.profile or '-'}\t{e.action}\t{e.outcome}\t{e.store}\t"
            f"{escape_key(e.key)}\t{etags}\t{size}\n"
        )
    if log.skipped:
        ctx.note(f"warning: {log.skipped} damaged lines in {log.path} were skipped")
    return 0
