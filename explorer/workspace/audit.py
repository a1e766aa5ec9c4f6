"""An append-only audit log of every write and delete: JSON lines in one local file.

Each line is one ``AuditEntry``: time (UTC, ISO 8601), OS user, profile, store
(URL with secrets removed), key, action (``write``, ``create``, ``delete``,
``revert``, ``import``...), outcome (``ok`` or the error class), old and new
etag, old and new size, and the sha256 of a unified diff between the old and
the new stored body. No values are recorded unless the log was opened with
``include_values=True`` (then ``old_body`` / ``new_body`` are added, each
passed through ``redact_secrets``).

Invariants:
- Appends are atomic: each entry (or batch) is one ``os.write`` of whole lines to a file
  opened with ``O_APPEND``, under a process-local lock, so concurrent writers
  (threads or processes) never interleave within a line.
- The file is never rewritten or truncated by this module.
- Reading skips a line that is not valid JSON (a torn write after a crash)
  and counts it in ``AuditLog.skipped``; it never fails the whole read.
- Blocking file I/O runs in a worker thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import asyncio
import difflib
import getpass
import hashlib
import json
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from explorer.core.errors import StorageError
from explorer.workspace.backups import same_store
from explorer.workspace.redact import redact_secrets

#: bodies above this size are hashed whole instead of diffed (a diff would be slow)
DIFF_LIMIT = 256 * 1024


#: open for appending; Windows also needs O_BINARY (no newline translation)
_APPEND_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    time: str
    user: str
    profile: str | None
    store: str
    key: str
    action: str
    outcome: str = "ok"
    old_etag: str | None = None
    new_etag: str | None = None
    old_size: int | None = None
    size: int | None = None
    diff_sha256: str | None = None
    detail: str | None = None
    old_body: str | None = None
    new_body: str | None = None
    #: the operation (``forget``, ``bulk``...) this change was part of
    operation: str | None = None

    def to_json(self) -> str:
        data = {k: v for k, v in asdict(self).items() if v is not None or k in _ALWAYS}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> AuditEntry:
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError("audit line is not an object")
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


_ALWAYS = frozenset({"time", "user", "profile", "store", "key", "action", "outcome"})


def os_user() -> str:
    """The OS account name, or ``"unknown"`` where none can be found."""
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return "unknown"


def _text(body: bytes | None) -> str:
    return "" if body is None else body.decode("utf-8", errors="replace")


def diff_hash(old: bytes | None, new: bytes | None) -> str:
    """sha256 of the unified diff between two stored bodies (``None`` = absent).

    Large bodies are hashed as ``old || 0x00 || new`` instead. Identical bodies
    give the hash of the empty diff, so a no-op write is recognisable.
    """
    if (old is not None and len(old) > DIFF_LIMIT) or (new is not None and len(new) > DIFF_LIMIT):
        digest = hashlib.sha256(old or b"")
        digest.update(b"\0")
        digest.update(new or b"")
        return digest.hexdigest()
    lines = difflib.unified_diff(
        _text(old).splitlines(keepends=True), _text(new).splitlines(keepends=True), n=0
    )
    return hashlib.sha256("".join(lines).encode()).hexdigest()


class AuditLog:
    """The audit log file at ``path`` (created with its directory on first append)."""

    def __init__(
        self, path: str | os.PathLike[str], *, include_values: bool = False, user: str | None = None
    ) -> None:
        self.path = Path(path)
        self.include_values = include_values
        self.user = user or os_user()
        self.skipped = 0
        self._lock = threading.Lock()

    def make_entry(
        self,
        *,
        store: str,
        key: str,
        action: str,
        profile: str | None = None,
        outcome: str = "ok",
        old: bytes | None = None,
        new: bytes | None = None,
        old_etag: str | None = None,
        new_etag: str | None = None,
        detail: str | None = None,
        operation: str | None = None,
    ) -> AuditEntry:
        """An entry for a change from body ``old`` to ``new`` (``None`` = absent)."""
        return AuditEntry(
            time=datetime.now(UTC).isoformat(timespec="microseconds"),
            user=self.user,
            profile=profile,
            store=redact_secrets(store),
            key=key,
            action=action,
            outcome=outcome,
            old_etag=old_etag,
            new_etag=new_etag,
            old_size=None if old is None else len(old),
            size=None if new is None else len(new),
            diff_sha256=diff_hash(old, new),
            detail=None if detail is None else redact_secrets(detail),
            old_body=self._value(old),
            new_body=self._value(new),
            operation=operation,
        )

    def _value(self, body: bytes | None) -> str | None:
        if not self.include_values or body is None:
            return None
        return redact_secrets(_text(body))

    def append_many_sync(self, entries: Sequence[AuditEntry]) -> None:
        """Append entries as lines with one ``os.write`` (atomic with respect to other
        appenders on a local file system)."""
        if not entries:
            return
        data = "".join(e.to_json() + "\n" for e in entries).encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        flags = _APPEND_FLAGS
        with self._lock:
            fd = os.open(self.path, flags, 0o600)
            try:
                written = os.write(fd, data)
                if written != len(data):  # pragma: no cover - only on a full disk
                    raise OSError(f"audit log {self.path}: short write ({written} of {len(data)})")
            finally:
                os.close(fd)

    def check_writable_sync(self) -> None:
        """Raise ``StorageError`` unless an entry can be appended now (checked before a
        write, so a write never happens that could not be audited)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            flags = _APPEND_FLAGS
            os.close(os.open(self.path, flags, 0o600))
        except OSError as exc:
            raise StorageError(
                f"the audit log {self.path} cannot be written ({exc.strerror or exc}); "
                "nothing was written to the bot store. Check the folder's permissions"
            ) from None

    async def check_writable(self) -> None:
        await asyncio.to_thread(self.check_writable_sync)

    def append_sync(self, entry: AuditEntry) -> None:
        """Append one entry as one line, atomically."""
        self.append_many_sync([entry])

    async def append(self, entry: AuditEntry) -> None:
        await asyncio.to_thread(self.append_many_sync, [entry])

    async def append_many(self, entries: Sequence[AuditEntry]) -> None:
        await asyncio.to_thread(self.append_many_sync, entries)

    def iter_entries(
        self, *, store: str | None = None, key: str | None = None
    ) -> Iterator[AuditEntry]:
        """Entries oldest first, filtered by store and key when given.

        ``store`` is a store identity (``store_identity``) or a bare store URL,
        which also matches that URL on any account (``URL@host``)."""
        if not self.path.exists():
            return
        wanted_store = None if store is None else redact_secrets(store)
        with self.path.open("r", encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip():
                    continue
                try:
                    entry = AuditEntry.from_json(line)
                except (ValueError, TypeError):
                    self.skipped += 1
                    continue
                if wanted_store is not None and not same_store(entry.store, wanted_store):
                    continue
                if key is not None and entry.key != key:
                    continue
                yield entry

    async def entries(
        self, *, store: str | None = None, key: str | None = None
    ) -> list[AuditEntry]:
        return await asyncio.to_thread(lambda: list(self.iter_entries(store=store, key=key)))


def entry_as_dict(entry: AuditEntry) -> dict[str, Any]:
    """The entry as a plain dict without absent fields (for JSON output)."""
    return json.loads(entry.to_json())  # type: ignore[no-any-return]
