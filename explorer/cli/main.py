"""``botstate-explorer`` subcommands: argument parsing, dispatch and error reporting.

Every failure ends as one line on stderr (``botstate-explorer: error: ...``,
secrets removed) and a non-zero exit status, never a traceback (``--debug``
adds it). Exit status: 0 ok, 1 error, 2 usage or unknown store, 3 no such key,
4 etag conflict (someone else changed the item), 5 store is read-only,
6 bad input (a file or stored body that is not a JSON object), 7 store
unreachable, 130 interrupted (``watch`` stops on Ctrl+C with 0).

Global options are accepted after any subcommand: ``--read-only``,
``--connection-string``, ``--insecure``, ``--endpoint``, ``--key`` (Cosmos
account key; ``--account-key`` too), ``--profile``, ``--unlock``,
``--audit-values``, ``--data-dir``, ``--debug``.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import os
import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from explorer.cli import context as c
from explorer.core.errors import (
    BackendUnavailableError,
    DecodeError,
    ETagConflictError,
    InvalidKeyError,
    ItemNotFoundError,
    ReadOnlyError,
    StorageError,
    UnknownStoreError,
)
from explorer.workspace.environment import DATA_DIR_ENV
from explorer.workspace.redact import redact_secrets

PROG = "botstate-explorer"
Handler = Callable[[c.Context, Any], Awaitable[int]]

_EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (ItemNotFoundError, c.EXIT_NOT_FOUND),
    (ETagConflictError, c.EXIT_CONFLICT),
    (ReadOnlyError, c.EXIT_READ_ONLY),
    (DecodeError, c.EXIT_BAD_INPUT),
    (InvalidKeyError, c.EXIT_BAD_INPUT),
    (UnknownStoreError, c.EXIT_USAGE),
    (BackendUnavailableError, c.EXIT_UNAVAILABLE),
    (StorageError, c.EXIT_ERROR),
    (OSError, c.EXIT_ERROR),
    (ValueError, c.EXIT_USAGE),
)


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


def _common(*, cosmos_key: bool = True) -> argparse.ArgumentParser:
    p = _Parser(add_help=False)
    g = p.add_argument_group("global options")
    g.add_argument("--read-only", action="store_true", help="refuse every write and delete")
    g.add_argument("--connection-string", metavar="CS", help="Azure Storage connection string")
    g.add_argument("--insecure", action="store_true", help="no TLS checks (local emulator only)")
    g.add_argument("--endpoint", help="Cosmos DB account endpoint (else COSMOS_ENDPOINT)")
    if cosmos_key:
        g.add_argument("--key", "--account-key", dest="account_key", metavar="KEY",
                       help="Cosmos DB account key (else COSMOS_KEY)")  # fmt: skip
    g.add_argument(
        "--profile", metavar="NAME", help="name recorded in the audit log (default for @NAME: NAME)"
    )
    g.add_argument(
        "--unlock", action="store_true", help="allow writes through a production @connection"
    )
    g.add_argument(
        "--data-dir", metavar="DIR", help=f"backups and audit log (else ${DATA_DIR_ENV})"
    )
    g.add_argument(
        "--audit-values",
        action="store_true",
        help="also record old and new bodies in the audit log",
    )
    g.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    return p


def build_parser() -> argparse.ArgumentParser:
    from explorer.cli import commands as cmd
    from explorer.cli import insights, safety, transfer

    parser = _Parser(
        prog=PROG,
        description="Browse and edit bot state in memory:, sqlite:PATH, blob://CONTAINER and "
        "cosmos://DATABASE/CONTAINER stores, or @NAME: a connection saved in the window "
        "(its secret from the keychain; production ones read-only unless --unlock). With no "
        "subcommand (or `gui [STORE]`, `--demo`) the desktop app opens.",
        epilog=__doc__.split("\n\n", 1)[1].replace("``", "") if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # every command's namespace has these, also where a command does not take them;
    # error_exit: the status of a generic error (diff moves it off 1, its "different")
    parser.set_defaults(
        account_key=None, escaped=False, error_exit=c.EXIT_ERROR, interrupt_status=130
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common, audit_common = [_common()], [_common(cosmos_key=False)]

    def add(name: str, handler: Handler, help_text: str, parents: list[Any] = common) -> Any:
        p = sub.add_parser(name, help=help_text, description=help_text, parents=parents)
        p.set_defaults(handler=handler)
        return p

    def key_args(p: Any) -> None:
        p.add_argument("store", metavar="STORE")
        p.add_argument("key", metavar="KEY")
        p.add_argument("--escaped", action="store_true", help="KEY is written as `ls` prints it")

    p = add("ls", cmd.cmd_ls, "list keys: KIND<TAB>KEY per line (keys escaped, see --json)")
    p.add_argument("store", metavar="STORE")
    p.add_argument("prefix", metavar="PREFIX", nargs="?", default="")
    p.add_argument("--json", action="store_true", help="one JSON object per item, keys exact")
    p = add("get", cmd.cmd_get, "print a state document as JSON")
    key_args(p)
    p.add_argument("--etag", action="store_true", help='add the etag as "e_tag"')
    p.add_argument("--raw", action="store_true", help="print the stored bytes exactly")
    p.add_argument("--redact", action="store_true", help="mask names, emails, phones, tokens")
    p = add(
        "set",
        cmd.cmd_set,
        "write a JSON document (from FILE or - for stdin) in the item's stored form; prints "
        "the new etag. A document with an e_tag member (get --etag) is written only if the "
        "item still has that etag",
    )
    key_args(p)
    p.add_argument("file", metavar="FILE|-")
    p.add_argument("--if-match", metavar="ETAG", help="write only if the item has this etag")
    p = add("rm", cmd.cmd_rm, "delete an item (backed up first)")
    key_args(p)
    p.add_argument("--if-match", metavar="ETAG", help="delete only if the item has this etag")
    p = add("export", transfer.cmd_export, "write every item as JSON lines to FILE (- = stdout)")
    p.add_argument("store", metavar="STORE")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--user", metavar="USER_ID", help="only the items `user USER_ID` lists")
    p = add("import", transfer.cmd_import, "write the items of a JSON-lines export")
    p.add_argument("store", metavar="STORE")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--no-overwrite", action="store_true", help="skip keys that already exist")
    p = add("demo", cmd.cmd_demo, "fill a store with realistic demo bot state")
    p.add_argument("store", metavar="STORE")
    p.add_argument("--seed", type=int, default=20240501)
    p.add_argument("--users", type=int, default=300)
    p.add_argument("--conversations", type=int, default=200)
    p = add("history", safety.cmd_history, "list the backups of a key")
    key_args(p)
    p.add_argument("--json", action="store_true")
    p = add(
        "revert",
        safety.cmd_revert,
        "restore a backup of a key (default: undo the last change), or with --operation ID "
        "every item of one operation (forget, bulk), each etag-checked",
    )
    p.add_argument("store", metavar="STORE")
    p.add_argument("key", metavar="KEY", nargs="?")
    p.add_argument("--escaped", action="store_true", help="KEY is written as `ls` prints it")
    p.add_argument("--operation", metavar="ID", help="revert a whole operation (no KEY)")
    p.add_argument("--to", type=int, metavar="N", help="the version to restore (see history)")
    p.add_argument("--if-match", metavar="ETAG", help="revert even if changed since: its etag now")
    p = add(
        "connections",
        cmd.cmd_connections,
        "the saved connections (@NAME), shared with the window: list (the default); "
        "add NAME STORE (the secret from --connection-string or --key goes to the system "
        "keychain); rm NAME",
    )
    p.add_argument("action", nargs="?", choices=("list", "add", "rm"), default="list")
    p.add_argument("name", metavar="NAME", nargs="?")
    p.add_argument("target", metavar="STORE", nargs="?")
    p.add_argument("--env", choices=("dev", "test", "prod"), default="dev",
                   help="add: prod connections open read-only (default: dev)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="list: one JSON object per connection")
    p = add("audit", safety.cmd_audit, "show the audit log", audit_common)
    p.add_argument("--store", metavar="STORE")
    p.add_argument("--key", metavar="KEY")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, metavar="N", help="only the last N entries")
    p.add_argument("--operation", metavar="ID", help="only the changes of one operation")
    # support workflows (issue 14): user, forget, bulk, diff, copy
    from explorer.cli import support

    support.register(add)
    p = add(
        "watch",
        insights.cmd_watch,
        "print each change of a key as a bot makes it (one line per change; Ctrl+C stops)",
    )
    key_args(p)
    p.add_argument("--interval", type=_seconds, default=2.0, metavar="S",
                   help="seconds between polls (default 2): one small read each")  # fmt: skip
    p.add_argument("--json", action="store_true",
                   help='one JSON object per change: time, key, change, etag, paths')  # fmt: skip
    p.add_argument("--with-private", action="store_true",
                   help="KEY is a conversation: also watch its private states")  # fmt: skip
    p.add_argument("--give-up", type=float, default=300.0, metavar="S",
                   help="stop (exit 7) when the store stays unreachable this long "
                   "(default 300; 0: never)")  # fmt: skip
    p.set_defaults(interrupt_status=0)
    p = add(
        "stats",
        insights.cmd_stats,
        "what a store holds: counts per kind and channel, bytes, the largest items, sizes, "
        "ages and active dialogs (a full scan, with progress on stderr)",
    )
    p.add_argument("store", metavar="STORE")
    p.add_argument("--prefix", default="", metavar="P", help="only keys starting with P")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.add_argument("--counts-only", action="store_true",
                   help="counts per kind and channel only (Cosmos DB: no scan)")  # fmt: skip
    p.add_argument("--scan-counts", action="store_true",
                   help="Cosmos DB: count by scanning even where the database could count "
                   "(to compare the request units)")  # fmt: skip
    p.add_argument("--ru-per-second", type=_seconds, metavar="N",
                   help="Cosmos DB: spend at most N request units a second")  # fmt: skip
    p.add_argument("--max-ru", type=_seconds, metavar="N",
                   help="Cosmos DB: stop the scan after N request units")  # fmt: skip
    return parser


def _seconds(text: str) -> float:
    """A number above 0 (seconds, request units)."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
    return value


def _say(message: str) -> None:
    one_line = " ".join(redact_secrets(message).split())
    print(f"{PROG}: {one_line}", file=sys.stderr)


def _utf8_streams() -> None:
    """Keys and documents are Unicode: write UTF-8 even where the locale is not
    (a Windows console piped to a file), instead of failing on the first emoji."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (stream.encoding or "").lower().replace("-", "")
        if encoding != "utf8" and isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")


def _quiet_library_logs() -> None:
    """Keep library chatter (asyncio's "Unclosed client session" from an SDK that
    leaks a session on a failed connect) off stderr: the error line says what
    failed. ``--debug`` shows it."""
    for name in ("asyncio", "aiohttp", "azure"):
        logger = logging.getLogger(name)
        logger.propagate = False
        logger.addHandler(logging.NullHandler())


def _traceback() -> None:
    print(redact_secrets(traceback.format_exc()), file=sys.stderr, end="")


def exit_code_for(exc: BaseException) -> int:
    for kind, code in _EXIT_CODES:
        if isinstance(exc, kind):
            return code
    return c.EXIT_ERROR


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit status."""
    args_list = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in args_list
    error_exit = c.EXIT_ERROR
    _utf8_streams()
    args: Any = None
    try:
        args = build_parser().parse_args(args_list)
        error_exit = args.error_exit
        if args.escaped and args.key is not None:
            args.key = c.unescape_key(args.key)
        if args.insecure:
            _say("warning: TLS certificate checks are OFF (--insecure); use it only with a "
                 "local emulator")  # fmt: skip
        if not debug:
            _quiet_library_logs()
        with c.services(args) as ctx:
            return asyncio.run(args.handler(ctx, args))  # type: ignore[no-any-return]
    except SystemExit as exc:  # --help, --version of argparse
        return exc.code if isinstance(exc.code, int) else 0
    except UsageError as exc:
        _say(f"error: {exc}")
        return c.EXIT_USAGE
    except KeyboardInterrupt:
        status = 130 if args is None else args.interrupt_status
        _say("stopped" if status == 0 else "interrupted")
        return int(status)
    except BrokenPipeError:  # `ls ... | head`: the reader is gone; not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (StorageError, OSError, ValueError) as exc:
        if debug:
            _traceback()
        message = str(exc) or type(exc).__name__
        if isinstance(exc, OSError) and exc.filename is not None:
            message = f"{exc.filename}: {exc.strerror or exc}"
        _say(f"error: {message}")
        code = exit_code_for(exc)
        return error_exit if code == c.EXIT_ERROR else code
    except Exception as exc:  # the last line of defence: one line, no traceback
        if debug:
            _traceback()
        detail = str(exc) or "no details"
        _say(f"internal error: {type(exc).__name__}: {detail} (rerun with --debug for details)")
        return error_exit
