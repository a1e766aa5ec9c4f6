"""The SQL of the SQLite backend's pages, positions and counts (``explorer.storage.sqlite``).

Every query here is one range of the primary key (``key``, compared byte-wise,
so code point order), bounded on both sides in Python first: SQLite seeks with
one lower and one upper bound, so a page far into a group, or at its end
(``ORDER BY key DESC``), reads only its own rows. A page asks for one row more
than it returns, to know whether more follow. Functions run on a worker thread
with the connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from explorer.core.items import Entry
from explorer.storage.paging import Page
from explorer.storage.sqlite_sql import prefix_end

ENTRY_COLUMNS = "key, name, length(body), last_modified, etag, dialect"

Bound = tuple[str, str]  # (operator, value)


def entry_of(row: Sequence[Any]) -> Entry:
    key, name, size, modified, etag, dialect = row
    return Entry(
        key=key,
        name=name or key,
        size=size,
        last_modified=datetime.fromisoformat(modified),
        etag=etag,
        dialect=dialect,
    )


def key_entry(row: Sequence[Any]) -> Entry:
    return Entry(key=row[0], name=row[0])


def bounds(
    prefix: str, after: str | None, reverse: bool, inclusive: bool, until: str | None = None
) -> tuple[Bound, Bound | None] | None:
    """The (lower, upper) bounds of a page, or ``None`` when the range is empty.

    Forwards the lower bound is the greater of ``prefix`` and ``after``, the
    upper the lesser of ``prefix_end`` and ``until``; backwards the upper bound
    is the lesser of ``prefix_end`` and ``after``, the lower the greater of
    ``prefix`` and ``until``.
    """
    end = prefix_end(prefix)
    lower: Bound = (">=", prefix)
    upper: Bound | None = None if end is None else ("<", end)
    if after is not None and not reverse and after >= prefix:
        lower = (">=" if inclusive else ">", after)
    elif after is not None and reverse and (end is None or after < end):
        upper = ("<=" if inclusive else "<", after)
    if after is not None and reverse and after < prefix:
        return None
    if after is not None and not reverse and end is not None and after >= end:
        return None
    if until is not None and reverse and until >= prefix:
        lower = (">", until)
    elif until is not None and not reverse and (upper is None or until <= upper[1]):
        upper = ("<", until)
    return lower, upper


def _where(lower: Bound, upper: Bound | None) -> tuple[str, list[Any]]:
    clause, params = f"key {lower[0]} ?", [lower[1]]
    if upper is not None:
        clause += f" AND key {upper[0]} ?"
        params.append(upper[1])
    return clause, params


def key_page(
    conn: sqlite3.Connection,
    prefix: str,
    after: str | None,
    limit: int,
    *,
    reverse: bool = False,
    inclusive: bool = False,
    keys_only: bool = False,
    cursor: bool = False,
    until: str | None = None,
) -> Page:
    """One page of ``KeyPages.list_page`` (``cursor``: also set ``Page.cursor``)."""
    found = bounds(prefix, after, reverse, inclusive, until)
    if found is None:
        return Page()
    where, params = _where(*found)
    columns = "key" if keys_only else ENTRY_COLUMNS
    order = "DESC" if reverse else ""
    rows = conn.execute(
        f"SELECT {columns} FROM items WHERE {where} ORDER BY key {order} LIMIT ?",
        (*params, limit + 1),
    ).fetchall()
    more = len(rows) > limit
    del rows[limit:]
    if reverse:
        rows.reverse()
    next_cursor = rows[-1][0] if cursor and more else None
    return Page.from_rows(rows, key_entry if keys_only else entry_of, more=more, cursor=next_cursor)


def position_page(
    conn: sqlite3.Connection, prefix: str, offset: int, limit: int, total: int | None
) -> Page:
    """Rows ``offset`` .. ``offset + limit - 1`` of ``prefix``; from the end when
    ``total`` says that is nearer."""
    found = bounds(prefix, None, False, False)
    assert found is not None
    where, params = _where(*found)
    offset = max(0, offset)
    if total is not None and offset > total // 2:
        skip = total - offset - limit
        take = limit if skip >= 0 else limit + skip
        if take <= 0:
            return Page()
        rows = conn.execute(
            f"SELECT {ENTRY_COLUMNS} FROM items WHERE {where} ORDER BY key DESC LIMIT ? OFFSET ?",
            (*params, take, max(0, skip)),
        ).fetchall()
        rows.reverse()
        return Page.from_rows(rows, entry_of, more=skip > 0)
    rows = conn.execute(
        f"SELECT {ENTRY_COLUMNS} FROM items WHERE {where} ORDER BY key LIMIT ? OFFSET ?",
        (*params, limit + 1, offset),
    ).fetchall()
    more = len(rows) > limit
    del rows[limit:]
    return Page.from_rows(rows, entry_of, more=more)


def count_range(conn: sqlite3.Connection, prefix: str, below: str | None = None) -> int:
    """Keys starting with ``prefix`` (and below ``below``): one count over the key index."""
    if not prefix and below is None:
        return int(conn.execute("SELECT count(*) FROM items").fetchone()[0])
    found = bounds(prefix, below, True, False)
    if found is None:
        return 0
    where, params = _where(*found)
    return int(conn.execute(f"SELECT count(*) FROM items WHERE {where}", params).fetchone()[0])
