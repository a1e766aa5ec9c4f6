"""The SQL and row codecs of the SQLite backend (``explorer.storage.sqlite``).

Invariants: the table holds ``COLUMNS`` in that order, and one row tuple
(``item_row``) serves ``UPSERT``, ``INSERT_NEW`` and, with the expected etag
appended, ``UPDATE_IF_MATCH``. Keys compare byte-wise (UTF-8, so code point
order); a prefix is listed as the range ``prefix <= key < prefix_end(prefix)``,
which uses the primary key and treats ``%`` and ``_`` as ordinary characters.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from explorer.core.errors import InvalidKeyError
from explorer.core.items import RawItem
from explorer.storage.base import public_attributes

#: keys per ``IN (...)`` query, well below SQLite's variable limit
CHUNK = 500


SCHEMA_VERSION = 1
CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS items (
    key TEXT PRIMARY KEY NOT NULL,
    body BLOB NOT NULL,
    content_type TEXT NOT NULL,
    etag TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    dialect TEXT NOT NULL DEFAULT 'plain',
    meta TEXT NOT NULL DEFAULT '{}'
) WITHOUT ROWID
"""
HAS_TABLE = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'items'"
COLUMNS = "key, body, content_type, etag, last_modified, name, dialect, meta"
VALUES = "?, ?, ?, ?, ?, ?, ?, ?"
UPSERT = (
    f"INSERT INTO items ({COLUMNS}) VALUES ({VALUES}) ON CONFLICT (key) DO UPDATE SET "
    "body = excluded.body, content_type = excluded.content_type, etag = excluded.etag, "
    "last_modified = excluded.last_modified, name = excluded.name, "
    "dialect = excluded.dialect, meta = excluded.meta"
)
INSERT_NEW = f"INSERT INTO items ({COLUMNS}) VALUES ({VALUES}) ON CONFLICT (key) DO NOTHING"
# Parameters in COLUMNS order then the expected etag, so one row tuple serves all three.
UPDATE_IF_MATCH = (
    "UPDATE items SET body = ?2, content_type = ?3, etag = ?4, last_modified = ?5, "
    "name = ?6, dialect = ?7, meta = ?8 WHERE key = ?1 AND etag = ?9"
)
DELETE_IF_MATCH = "DELETE FROM items WHERE key = ? AND etag = ?"


def placeholders(count: int) -> str:
    return ", ".join("?" * count)


def select_items(count: int) -> str:
    return f"SELECT {COLUMNS} FROM items WHERE key IN ({placeholders(count)})"


def select_bodies(count: int) -> str:
    return f"SELECT key, body, etag FROM items WHERE key IN ({placeholders(count)})"


def delete_keys(count: int) -> str:
    return f"DELETE FROM items WHERE key IN ({placeholders(count)})"


def prefix_end(prefix: str) -> str | None:
    """The least string above every string starting with ``prefix`` (``None``: no bound).

    Listing is the range ``prefix <= key < prefix_end(prefix)``, which uses the
    primary key and treats ``%`` and ``_`` in keys as ordinary characters.
    """
    chars = list(prefix)
    while chars:
        code = ord(chars[-1]) + 1
        if code == 0xD800:  # surrogates are not stored; skip to the next character
            code = 0xE000
        if code <= 0x10FFFF:
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


def valid_key(key: str) -> bool:
    try:
        key.encode()
    except UnicodeEncodeError:
        return False
    return True


def check_key(key: str) -> None:
    if not valid_key(key):
        raise InvalidKeyError(
            f"{key!r} holds a lone surrogate, which SQLite cannot store; use valid Unicode keys",
            key=key,
        )


def chunks(keys: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def select(conn: sqlite3.Connection, query: Callable[[int], str], keys: Sequence[str]) -> list[Any]:
    """Rows for ``keys``; several queries share one read transaction (one snapshot)."""
    if len(keys) <= CHUNK:
        return conn.execute(query(len(keys)), keys).fetchall()
    rows: list[Any] = []
    conn.execute("BEGIN")
    try:
        for chunk in chunks(keys):
            rows.extend(conn.execute(query(len(chunk)), chunk).fetchall())
    finally:
        conn.execute("COMMIT")
    return rows


def item_row(item: RawItem, etag: str, modified: str) -> tuple[Any, ...]:
    """The column values of ``COLUMNS`` for ``item`` stored with ``etag``."""
    meta = (
        json.dumps(dict(item.meta), separators=(",", ":"), default=public_attributes)
        if item.meta
        else "{}"
    )
    return (item.key, item.body, item.content_type, etag, modified, item.name, item.dialect, meta)


def raw_item(row: Sequence[Any]) -> RawItem:
    """The ``RawItem`` for a row of ``COLUMNS``."""
    key, body, content_type, etag, modified, name, dialect, meta = row
    extras = {} if meta == "{}" else {"meta": json.loads(meta)}
    return RawItem(
        key=key,
        body=bytes(body),
        content_type=content_type,
        etag=etag,
        last_modified=datetime.fromisoformat(modified),
        name=name,
        dialect=dialect,
        **extras,
    )
