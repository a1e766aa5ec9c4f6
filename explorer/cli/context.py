"""What every CLI command shares: paths, opening stores, the safe writer, output and errors.

The CLI is a thin view over ``explorer.workspace``: ``Context`` turns the
global options into ``StoreFlags`` and asks the workspace for the data paths,
the ``Connector`` (store URL or ``@NAME``, secrets, the production rule) and the
``WriteSafety`` (backups, audit log, safe writer). Backends are imported lazily,
so ``ls sqlite:x`` never imports an Azure SDK and no command imports Qt.

Key escaping (``ls``, ``history``, ``audit``): a key is printed with its
backslashes doubled and with control characters (C0, DEL, C1, line/paragraph
separators, bidi overrides) written as ``\\t``, ``\\n``, ``\\r``, ``\\xNN`` or
``\\uNNNN``, so one printed line is always one key and nothing invisible hides
in it. ``--json`` output and the KEY arguments take keys exactly, unescaped.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from explorer.core.errors import UnknownStoreError
from explorer.storage.base import Storage
from explorer.workspace.audit import AuditLog
from explorer.workspace.backups import BackupStore
from explorer.workspace.connections import Connector, StoreFlags, WriteSafety, check_writable
from explorer.workspace.environment import DataPaths, Environment
from explorer.workspace.export_lines import json_line as json_line  # re-exported for commands
from explorer.workspace.redact import redact_secrets
from explorer.workspace.safe_write import SafeWriter

# exit codes (documented in ``botstate-explorer --help``)
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_CONFLICT = 4
EXIT_READ_ONLY = 5
EXIT_BAD_INPUT = 6
EXIT_UNAVAILABLE = 7


_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _needs_escape(c: str) -> bool:
    o = ord(c)
    return o < 0x20 or 0x7F <= o < 0xA0 or c in "\u2028\u2029" or c in _BIDI or 0xD800 <= o < 0xE000


def escape_key(key: str) -> str:
    """``key`` printable on one line, reversibly (see the module docstring)."""
    if not any(c == "\\" or _needs_escape(c) for c in key):
        return key
    out = []
    for c in key:
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif _needs_escape(c):
            o = ord(c)
            out.append(f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}")
        else:
            out.append(c)
    return "".join(out)


def unescape_key(text: str) -> str:
    """The inverse of ``escape_key``."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n in "\\tnr":
                out.append({"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}[n])
                i += 2
                continue
            width = {"x": 2, "u": 4}.get(n)
            if width and i + 2 + width <= len(text):
                out.append(chr(int(text[i + 2 : i + 2 + width], 16)))
                i += 2 + width
                continue
        out.append(c)
        i += 1
    return "".join(out)


@dataclass
class Context:
    """Parsed global options plus the workspace services built from them."""

    paths: DataPaths
    connector: Connector
    flags: StoreFlags
    profile: str | None
    out: TextIO
    err: TextIO
    audit_values: bool = False
    _safety: WriteSafety | None = None
    _writer: SafeWriter | None = None
    _opened: list[Storage] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: Any, out: TextIO | None = None, err: TextIO | None = None) -> Context:
        env = Environment.from_os()
        paths = DataPaths.resolve(args.data_dir, env)
        flags = StoreFlags(
            connection_string=args.connection_string,
            key=args.account_key,
            endpoint=args.endpoint,
            insecure=args.insecure,
            read_only=args.read_only,
            unlock=args.unlock,
        )
        return cls(
            paths=paths,
            connector=Connector(paths, env),
            flags=flags,
            profile=args.profile,
            out=out or sys.stdout,
            err=err or sys.stderr,
            audit_values=args.audit_values,
        )

    @property
    def data(self) -> Path:
        return self.paths.base

    @property
    def read_only(self) -> bool:
        return self.flags.read_only

    def open(self, url: str, *, read_only: bool | None = None, create: bool = False) -> Storage:
        """An unopened store; read commands pass ``read_only=True``.

        ``@NAME`` opens the saved connection NAME (the window's list): its store,
        its secret from the keychain (options given here win), read-only if it is
        a production one unless ``--unlock``; NAME is the audit log's profile.
        ``create``: a missing container (and Cosmos DB database) is created, on a
        store that is not production (``demo``, ``import``); said on stderr.
        """
        ro = self.read_only if read_only is None else (read_only or self.read_only)
        target = self.connector.resolve(url, self.flags)
        if target.saved is not None:
            if target.profile.kind == "memory":
                raise UnknownStoreError(
                    f"{target.saved!r} is the window's in-memory demo; it has no store to open here"
                )
            if not ro:
                check_writable(
                    target.profile,
                    target.saved,
                    unlock=self.flags.unlock,
                    how="add --unlock to write through it",
                )
            if self.profile is None:
                self.profile = target.saved
        for text in target.notes:
            self.note(text)
        if create and not ro and not target.profile.is_prod:
            target.options["create_container"] = (
                "database" if target.profile.kind == "cosmos" else True
            )
        store = target.store(read_only=ro)
        self._opened.append(store)
        return store

    def store_warnings(self) -> list[str]:
        """What the opened stores say the user must know (scan mode, legacy container,
        mixed dialects...), once each; TLS is said up front by ``main``."""
        seen: dict[str, None] = {}
        for store in self._opened:
            for text in store.warnings:
                if "TLS" not in text:
                    seen.setdefault(text)
        return list(seen)

    @property
    def safety(self) -> WriteSafety:
        if self._safety is None:
            self._safety = WriteSafety(self.paths, audit_values=self.audit_values)
        return self._safety

    @property
    def writer(self) -> SafeWriter:
        if self._writer is None:
            self._writer = self.safety.writer(self.profile)
        return self._writer

    def audit_log(self) -> AuditLog:
        return self._writer.audit if self._writer else AuditLog(self.paths.audit)

    def backups(self) -> BackupStore:
        return self.writer.backups

    def close(self) -> None:
        for store in self._opened:
            if store.created:
                self.note(f"note: {store.created}")
        for text in self.store_warnings():
            self.note(f"note: {text}")
        if self._safety is not None:
            self._safety.close()

    def note(self, message: str) -> None:
        """An informational line on stderr (secrets removed)."""
        print(redact_secrets(message), file=self.err)


@contextmanager
def services(args: Any) -> Iterator[Context]:
    ctx = Context.from_args(args)
    try:
        yield ctx
    finally:
        ctx.close()
