"""``ls``, ``get``, ``set``, ``rm`` and ``demo``.

Read commands open the store read-only (a typo in a SQLite path is an error,
never a new empty file). Every change goes through ``SafeWriter`` (backup,
etag check, audit). ``set`` keeps the item's stored form: the new document is
encoded with ``store.encode(key, doc, like=existing)``.

Input documents (``set``): UTF-8 (a BOM is accepted and dropped), one JSON
object, at most ``MAX_DOCUMENT_BYTES``; ``NaN``/``Infinity`` are refused (not
JSON; JavaScript bots cannot read them back). A ``e_tag``/``eTag`` member (as
printed by ``get --etag``) makes the write conditional on that etag, like a
bot's write; ``--if-match`` overrides it (``--if-match '*'``: unconditional).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from explorer.cli.context import EXIT_ERROR, Context, escape_key, json_line
from explorer.cli.listing import ls_lines
from explorer.core.errors import DecodeError, ETagConflictError, ItemNotFoundError
from explorer.core.items import Entry, JsonObject, RawItem
from explorer.state.keys import parse_key
from explorer.storage.base import MAX_DOCUMENT_BYTES, requested_etag
from explorer.storage.paging import pages_of


def entry_json(entry: Entry) -> dict[str, Any]:
    info = parse_key(entry.key)
    data: dict[str, Any] = {"key": entry.key, "kind": info.kind}
    parts = {
        "channel": info.channel,
        "agent": info.agent,
        "user": info.user,
        "conversation": info.conversation,
    }
    data.update((name, value) for name, value in parts.items() if value is not None)
    data.update(
        dialect=entry.dialect,
        name=entry.name or entry.key,
        size=entry.size,
        etag=entry.etag,
        last_modified=entry.last_modified.isoformat() if entry.last_modified else None,
    )
    if entry.error:
        data["error"] = entry.error
    return data


#: keys per page of ``ls``: large enough that per-page costs vanish, small enough
#: to keep memory flat (the next page is read while this one is printed)
LS_PAGE = 5000


async def cmd_ls(ctx: Context, args: Any) -> int:
    """Stream the listing a page at a time: constant memory, one write per page."""
    async with ctx.open(args.store, read_only=True) as store:
        write = ctx.out.write
        pages = pages_of(store, args.prefix or "", limit=LS_PAGE, keys_only=not args.json)
        async for page in pages:
            if args.json:
                write("".join([json_line(entry_json(entry)) + "\n" for entry in page.entries]))
            else:
                write(ls_lines(page.keys))
            for entry in page.errors:
                ctx.note(f"warning: {escape_key(entry.name or entry.key)}: {entry.error}")
    return 0


async def _read_one(store: Any, key: str) -> RawItem:
    item: RawItem | None = (await store.read_raw([key])).get(key)
    if item is None:
        raise ItemNotFoundError(key)
    return item


async def cmd_get(ctx: Context, args: Any) -> int:
    async with ctx.open(args.store, read_only=True) as store:
        item = await _read_one(store, args.key)
        if args.raw:  # the stored bytes exactly
            buffer = getattr(ctx.out, "buffer", None)
            if buffer is None:
                ctx.out.write(item.body.decode("utf-8", errors="replace"))
            else:
                ctx.out.flush()
                buffer.write(item.body)
                buffer.flush()
            return 0
        document: JsonObject = store.decode(item)
    if args.redact:
        from explorer.workspace.redact import RedactionRules

        document = RedactionRules().redact(document)
    if args.etag:
        document["e_tag"] = item.etag or ""
    ctx.out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return 0


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_document(data: bytes, source: str, *, key: str | None = None) -> JsonObject:
    """Parse an input file as one JSON object, or raise ``DecodeError`` saying why."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DecodeError(
            f"{source} is {len(data):,} bytes, above the {MAX_DOCUMENT_BYTES:,}-byte limit",
            key=key,
        )
    if not data.strip():
        raise DecodeError(f"{source} is empty; a state document is a JSON object", key=key)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DecodeError(
            f"{source} is not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8",
            key=key,
        ) from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise DecodeError(
            f"{source} is not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})",
            key=key,
        ) from None
    except ValueError as exc:  # NaN / Infinity
        raise DecodeError(f"{source} is not valid JSON ({exc})", key=key) from None
    except RecursionError:
        raise DecodeError(
            f"{source} is nested too deeply to be bot state (JSON depth limit)", key=key
        ) from None
    if not isinstance(value, dict):
        raise DecodeError(
            f"{source} holds a JSON {_json_type(value)}, not an object; bot state is an object",
            key=key,
        )
    return value


def _json_type(value: Any) -> str:
    names = {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def read_input(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as f:
            return f.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise DecodeError(f"cannot read {path}: {exc.strerror or exc}") from None


async def cmd_set(ctx: Context, args: Any) -> int:
    source = "standard input" if args.file == "-" else args.file
    document = load_document(read_input(args.file), source, key=args.key)
    if_match = args.if_match if args.if_match is not None else requested_etag(document)
    async with ctx.open(args.store) as store:
        existing = (await store.read_raw([args.key])).get(args.key)
        try:
            item = store.encode(args.key, document, like=existing)
        except RecursionError:
            raise DecodeError(f"{source} is nested too deeply to store", key=args.key) from None
        written = await ctx.writer.write_raw(
            store, item, if_match=if_match, create=existing is None and if_match is None
        )
    ctx.out.write(f"{written.etag or ''}\n")
    return 0


async def cmd_rm(ctx: Context, args: Any) -> int:
    async with ctx.open(args.store) as store:
        if args.if_match is None:
            await _read_one(store, args.key)  # a typo is an error, not a silent no-op
        await ctx.writer.delete_raw(store, args.key, if_match=args.if_match)
    ctx.note(f"deleted {escape_key(args.key)} (backed up: `revert` restores it)")
    return 0


async def cmd_demo(ctx: Context, args: Any) -> int:
    from explorer.workspace.demo import demo_items

    items = demo_items(args.seed, users=args.users, conversations=args.conversations)
    async with ctx.open(args.store, create=True) as store:
        existing = await store.read_raw([i.key for i in items])
        fresh = [i for i in items if i.key not in existing]
        for start in range(0, len(fresh), 200):
            results = await ctx.writer.write_many(
                store, fresh[start : start + 200], create=True, action="demo"
            )
            # a key created meanwhile by someone else is left alone, like a present one
            errors = [r for r in results if not isinstance(r, RawItem | ETagConflictError)]
            if errors:
                raise errors[0]
    skipped = len(items) - len(fresh)
    extra = f" ({skipped} keys already present, left unchanged)" if skipped else ""
    ctx.note(f"wrote {len(fresh)} demo items to {args.store}{extra}")
    return 0


async def cmd_connections(ctx: Context, args: Any) -> int:
    """List (NAME<TAB>ENVIRONMENT<TAB>KIND<TAB>STORE, never a secret), add or remove."""
    profiles = ctx.connector.profiles
    if args.action == "add":
        return _add_connection(ctx, profiles, args)
    if args.action == "rm":
        profiles.named(args.name or "")  # raises if missing, naming the saved ones
        profiles.delete(args.name)
        ctx.note(f"removed {args.name!r} and its secret")
        return 0
    saved = profiles.profiles()
    if not saved and not args.json and not profiles.problem:
        ctx.note("no saved connections; add one with `connections add NAME STORE` or in the window")
    for profile in saved:
        if args.json:
            fields = {"name": profile.name, "environment": profile.environment}
            fields |= {"kind": profile.kind, "store": profile.url(), "auth": profile.auth}
            ctx.out.write(json_line(fields) + "\n")
        else:
            name = escape_key(profile.name)
            ctx.out.write(f"{name}\t{profile.environment}\t{profile.kind}\t{profile.url()}\n")
    if profiles.problem:
        ctx.note(f"warning: {profiles.problem}")
        return EXIT_ERROR
    return 0


def _add_connection(ctx: Context, profiles: Any, args: Any) -> int:
    from dataclasses import replace
    from pathlib import Path

    if not args.name or not args.target:
        raise ValueError("connections add needs NAME and STORE, e.g. `connections add contoso "
                         "blob://botstate --env prod --connection-string CS`")  # fmt: skip
    if args.name.startswith("@") or args.target.startswith("@"):
        raise ValueError("NAME and STORE are given without the @ (it only marks a saved name)")
    url = args.target
    if url.startswith("sqlite:"):  # a path that works from any folder
        url = f"sqlite:{Path(url[len('sqlite:') :]).expanduser().resolve()}"
    flags = replace(ctx.flags, environment=args.env)
    profile = replace(ctx.connector.resolve(url, flags).profile, name=args.name)
    # only a secret given here is saved, never one from the environment
    secret = flags.connection_string if profile.kind == "blob" else flags.key
    replaced = profiles.get(args.name) is not None
    profiles.save(profile, secret)
    if secret and profiles.keychain_problem:
        option = "--connection-string" if profile.kind == "blob" else "--key"
        kept = (f"WITHOUT its secret: no system keychain is available here, so give the secret "
                f"with {option} (or its environment variable) each time you use @{args.name}; "
                "the README says what to install for a keychain")  # fmt: skip
    else:
        kept = "the secret in the system keychain" if secret else "no secret"
    ctx.note(f"{'replaced' if replaced else 'saved'} {args.name!r}: {profile.url()} "
             f"({profile.environment}), {kept}")  # fmt: skip
    if profiles.problem:
        ctx.note(f"warning: {profiles.problem}")
    return 0
