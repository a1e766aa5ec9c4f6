"""What every CLI command shares: paths, opening stores, the safe writer, output and errors.

The CLI is a composition root of its own: it picks the user data directory
(``platformdirs``, or ``$BOTSTATE_EXPLORER_DATA_DIR`` / ``--data-dir``), builds
the ``BackupStore``, ``AuditLog`` and ``SafeWriter`` there, and opens stores
through ``open_store`` (backends are imported lazily, so ``ls sqlite:x`` never
imports an Azure SDK and no command imports Qt).

Key escaping (``ls``, ``history``, ``audit``): a key is printed with its
backslashes doubled and with control characters (C0, DEL, C1, line/paragraph
separators, bidi overrides) written as ``\\t``, ``\\n``, ``\\r``, ``\\xNN`` or
``\\uNNNN``, so one printed line is always one key and nothing invisible hides
in it. ``--json`` output and the KEY arguments take keys exactly, unescaped.
"""

from __future__ import annotations

import json
import os
import re
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
from explorer.workspace.profiles import FILE_NAME
from explorer.workspace.redact import redact_secrets, remember_secret
from explorer.workspace.safe_write import SafeWriter

APP_NAME = "botstate-explorer"
DATA_DIR_ENV = "BOTSTATE_EXPLORER_DATA_DIR"
#: environment variables whose values are secrets (masked in every message)
SECRET_ENV = ("AZURE_STORAGE_CONNECTION_STRING", "COSMOS_KEY", "AZURE_STORAGE_KEY")

# exit codes (documented in ``botstate-explorer --help``)
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_CONFLICT = 4
EXIT_READ_ONLY = 5
EXIT_BAD_INPUT = 6
EXIT_UNAVAILABLE = 7


def data_dir(override: str | None = None) -> Path:
    """Where backups, the audit log and the demo store live."""
    chosen = override or os.environ.get(DATA_DIR_ENV)
    if chosen:
        return Path(chosen).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def backups_path(base: Path) -> Path:
    return base / "backups.db"


def audit_path(base: Path) -> Path:
    return base / "audit.jsonl"


def demo_store_path(base: Path) -> Path:
    return base / "demo.db"


def profiles_path(base: Path) -> Path:
    """The saved connections, shared with the window (``explorer.workspace.profiles``)."""
    return base / FILE_NAME


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


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def json_line(value: Any) -> str:
    """One JSON text on one line: readable UTF-8, but every character that some
    reader treats as a line break or that reorders text (NEL, U+2028/9, bidi
    controls) written as a ``\\uXXXX`` escape, which is equally valid JSON."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


@dataclass
class Context:
    """Parsed global options plus the services built from them."""

    data: Path
    profile: str | None
    read_only: bool
    store_options: dict[str, Any]
    out: TextIO
    err: TextIO
    audit_values: bool = False
    #: writes through a prod saved connection are allowed (``--unlock``)
    unlock: bool = False
    _writer: SafeWriter | None = None
    _opened: list[Storage] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: Any, out: TextIO | None = None, err: TextIO | None = None) -> Context:
        for name in SECRET_ENV:
            remember_secret(os.environ.get(name))
        options: dict[str, Any] = {}
        if getattr(args, "connection_string", None):
            remember_secret(args.connection_string)
            options["connection_string"] = args.connection_string
        if getattr(args, "account_key", None):
            remember_secret(args.account_key)
            options["key"] = args.account_key
        if getattr(args, "endpoint", None):
            options["endpoint"] = args.endpoint
        if getattr(args, "insecure", False):
            options["insecure"] = True
        return cls(
            data=data_dir(getattr(args, "data_dir", None)),
            profile=getattr(args, "profile", None),
            read_only=bool(getattr(args, "read_only", False)),
            store_options=options,
            out=out or sys.stdout,
            err=err or sys.stderr,
            audit_values=bool(getattr(args, "audit_values", False)),
            unlock=bool(getattr(args, "unlock", False)),
        )

    def open(self, url: str, *, read_only: bool | None = None) -> Storage:
        """An unopened store; read commands pass ``read_only=True``.

        ``@NAME`` opens the saved connection NAME (the window's list): its store,
        its secret from the keychain (options given here win), read-only if it is
        a production one unless ``--unlock``; NAME is the audit log's profile.
        """
        from explorer.storage.registry import open_store

        ro = self.read_only if read_only is None else (read_only or self.read_only)
        options = self.store_options
        if url.startswith("@"):
            url, options = self._saved(url[1:], writing=not ro)
        store = open_store(url, read_only=ro, **options)
        self._opened.append(store)
        return store

    def _saved(self, name: str, *, writing: bool) -> tuple[str, dict[str, Any]]:
        from explorer.workspace.profiles import ProductionReadOnlyError, ProfileStore

        profiles = ProfileStore(profiles_path(self.data))
        profile = profiles.named(name)
        if profile.kind == "memory":
            raise UnknownStoreError(
                f"{name!r} is the window's in-memory demo; it has no store to open here"
            )
        if writing and profile.is_prod and not self.unlock:
            raise ProductionReadOnlyError(name, "add --unlock to write through it")
        secret = profiles.secret(name)
        remember_secret(secret)
        if secret is None and profile.auth == "secret" and profile.kind in ("blob", "cosmos"):
            self.note(
                f"note: this system's keychain holds no secret for {name!r}; save it again "
                "in the window (Connect…) or pass it with --connection-string / --key"
            )
        options = {**profile.store_options(secret), **self.store_options}
        if options.get("insecure") and not self.store_options.get("insecure"):
            self.note(f"warning: TLS certificate checks are OFF for {name!r} (a local emulator)")
        if self.profile is None:
            self.profile = name
        return profile.url(), options

    def store_warnings(self) -> list[str]:
        """What the opened stores say the user must know (scan mode, legacy container,
        mixed dialects...), once each; TLS is said up front by ``main``."""
        seen: dict[str, None] = {}
        for store in self._opened:
            for text in getattr(store, "warnings", ()):
                if "TLS" not in text:
                    seen.setdefault(text)
        return list(seen)

    @property
    def writer(self) -> SafeWriter:
        if self._writer is None:
            backups = BackupStore(backups_path(self.data))
            audit = AuditLog(audit_path(self.data), include_values=self.audit_values)
            self._writer = SafeWriter(backups, audit, profile=self.profile)
        return self._writer

    def audit_log(self) -> AuditLog:
        return self._writer.audit if self._writer else AuditLog(audit_path(self.data))

    def backups(self) -> BackupStore:
        return self.writer.backups

    def close(self) -> None:
        for text in self.store_warnings():
            self.note(f"note: {text}")
        if self._writer is not None:
            self._writer.backups.close()

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
