"""One-pass scans of a SQLite store (``Capability.SCAN_ROWS``), mixed into ``SqliteStorage``.

``scan_rows`` walks the primary key in pages (``key > last`` ranges, no cursor
kept open between pages, like the listing) and returns per item its key, the
stored size (``length(body)``), the time of its last write, and the body only
where the key holds a marker and the body holds another: SQLite tests both
(``instr`` on the key text and on the body bytes), so a scan for the active
dialogs of conversations moves only those bodies out of the database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from explorer.storage.abilities import ScanRow
from explorer.storage.sqlite_sql import prefix_end, valid_key

T = TypeVar("T")
#: items per scanned page
SCAN_PAGE = 5000


def scan_query(
    prefix: str, end: str | None, after: str | None, size: int
) -> tuple[str, tuple[Any, ...]]:
    lower, bound = ("key > ?", after) if after is not None else ("key >= ?", prefix)
    upper, params = ("", (bound, size)) if end is None else (" AND key < ?", (bound, end, size))
    query = (
        "SELECT key, length(body), last_modified, "
        "CASE WHEN instr(key, ?) > 0 AND instr(body, ?) > 0 THEN body END FROM items "
        f"WHERE {lower}{upper} ORDER BY key LIMIT ?"
    )
    return query, params


def _rows(conn: sqlite3.Connection, *, query: str, params: tuple[Any, ...]) -> list[ScanRow]:
    parse = datetime.fromisoformat
    return [
        (key, size, parse(modified), body)
        for key, size, modified, body in conn.execute(query, params)
    ]


class SqliteScan:
    """``scan_rows``; ``SqliteStorage`` provides ``_run`` and ``page_size``."""

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    async def scan_rows(
        self, prefix: str = "", *, key_marker: str, body_marker: bytes
    ) -> AsyncIterator[list[ScanRow]]:
        """Pages of rows in key order (see the module docstring)."""
        if not valid_key(prefix):
            return
        end = prefix_end(prefix)
        after: str | None = None
        while True:
            query, bounds = scan_query(prefix, end, after, SCAN_PAGE)
            params = (key_marker, body_marker, *bounds)
            rows = await self._run(partial(_rows, query=query, params=params))
            if rows:
                yield rows
            if len(rows) < SCAN_PAGE:
                return
            after = rows[-1][0]
