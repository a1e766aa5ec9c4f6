"""Counting keys per channel and kind in Cosmos DB itself (``Capability.AGGREGATE_COUNTS``).

``aggregate_counts(prefix)`` answers what ``explorer.state.keys.parse_key``
would say of every key, without reading a document: the work runs in the
database, across its partitions, and costs a few RU per query instead of a
scan's RU per document.

How, with nothing but ``COUNT``, ``STARTSWITH`` and ``TOP 1 ... ORDER BY``
(no ``GROUP BY`` / ``DISTINCT``: the cosmos emulator lacks them, and they
would not be cheaper here):

1. ``COUNT`` of every key under the prefix.
2. The channels, found by skipping: the smallest ``realId`` holding a ``/``
   at or after a bound gives a first segment ``s``; the next bound is
   ``s0`` (``0`` sorts right after ``/``), so each channel costs one query
   however many keys it holds.
3. Per channel: ``COUNT`` of ``s/users/``, of ``s/conversations/`` and of
   those holding ``/users/`` after the conversation id (private states).
4. Keys of a channel that are none of these (Agents SDK app keys
   ``s/{agent}/users/...``, or other keys) are grouped the same way by their
   second segment: per agent, its users and conversations.
5. ``other`` is what is left of the total.

Keys with empty ids (``s/users/`` alone, ``s/conversations//users/x``) are
counted by their prefix here, where ``parse_key`` calls them ``other``; a bot
never writes them. Returns ``None`` on a container that refuses queries
(indexing mode none): the caller scans instead.
"""

from __future__ import annotations

from typing import Any, cast

from azure.core.exceptions import AzureError
from azure.cosmos import exceptions

from explorer.storage.cosmos.listing import CosmosListing
from explorer.storage.cosmos_layout import RequestMeter, index_refusal
from explorer.storage.counting import KeyCounts

_NOT_CHANNELS = frozenset({"auth", "proactive"})
_USERS, _CONVERSATIONS, _MARK = "users/", "conversations/", "/users/"
#: a private state: ``/users/`` after the conversation id, a trailing ``/`` aside
_PRIVATE = "CONTAINS(SUBSTRING(c.realId, @n, LENGTH(c.realId) - @n - 1), '/users/')"


class _Queries:
    """The queries of one count, with their charges and how many there were."""

    def __init__(self, container: Any, prefix: str, meter: RequestMeter) -> None:
        self.container = container
        self.prefix = prefix
        self.meter = meter
        self.queries = 0

    def _where(self, conditions: list[str], params: dict[str, Any]) -> tuple[str, list[Any]]:
        if self.prefix:
            conditions = ["STARTSWITH(c.realId, @prefix)", *conditions]
            params = {"@prefix": self.prefix, **params}
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        return where, [{"name": k, "value": v} for k, v in params.items()]

    async def count(self, conditions: list[str], params: dict[str, Any]) -> int:
        where, parameters = self._where(conditions, params)
        self.queries += 1
        query = self.container.query_items(
            f"SELECT VALUE COUNT(1) FROM c{where}",
            parameters=parameters or None,
            response_hook=self.meter.hook,
        )
        return sum([int(cast(Any, n)) async for n in query])

    async def starting(self, start: str, *, more: str = "", exclusive: bool = False) -> int:
        """Keys starting with ``start`` (and ``more``, a condition on ``@n``)."""
        conditions = ["STARTSWITH(c.realId, @start)"]
        params: dict[str, Any] = {"@start": start}
        if exclusive:  # the prefix alone is an empty id
            conditions.append("c.realId != @start")
        if more:
            conditions.append(more)
            params["@n"] = len(start)
        return await self.count(conditions, params)

    async def first_at(self, bound: str, within: str, after: int) -> str | None:
        """The smallest key ``>= bound`` starting with ``within`` that holds a ``/``
        after its first ``after`` characters."""
        where, parameters = self._where(
            [
                "c.realId >= @bound",
                "STARTSWITH(c.realId, @within)",
                "CONTAINS(SUBSTRING(c.realId, @after, LENGTH(c.realId)), '/')",
            ],
            {"@bound": bound, "@within": within, "@after": after},
        )
        self.queries += 1
        query = self.container.query_items(
            f"SELECT TOP 1 VALUE c.realId FROM c{where} ORDER BY c.realId",
            parameters=parameters,
            response_hook=self.meter.hook,
        )
        found = [key async for key in query]
        return str(found[0]) if found else None

    async def segments(self, within: str, skip: tuple[str, ...] = ()) -> list[str]:
        """The distinct next ``/``-segments of the keys starting with ``within``
        (only keys with a ``/`` after it), one query each, ``skip`` left out."""
        found: list[str] = []
        bound = max(within, self.prefix) if self.prefix.startswith(within) else within
        while True:
            key = await self.first_at(bound, within, len(within))
            if key is None:
                return found
            segment = key[len(within) :].partition("/")[0]
            if segment not in skip:
                found.append(segment)
            bound = f"{within}{segment}0"  # "0" sorts right after "/"


class CosmosAggregates(CosmosListing):
    """``aggregate_counts``; see ``CosmosStorage``."""

    async def aggregate_counts(self, prefix: str = "") -> KeyCounts | None:
        """Keys under ``prefix`` per kind and channel, counted by Cosmos DB itself.

        ``None`` on a container that cannot be queried (scan instead).
        ``request_charge`` is the RU it cost, ``queries`` how many it took.
        """
        container = await self._ready()
        if self.scan_only:
            return None
        meter = self._meter()
        queries = _Queries(container, prefix, meter)
        counts = KeyCounts()
        try:
            total = await queries.count([], {})
            for channel in await queries.segments(""):
                if channel in _NOT_CHANNELS or ":_" in channel or not channel:
                    continue
                await self._count_channel(queries, counts, channel)
        except exceptions.CosmosHttpResponseError as exc:
            if not index_refusal(exc.status_code, str(exc)):
                raise self._error(exc, "count the documents") from exc
            self._scan_mode()
            return None
        except AzureError as exc:
            raise self._error(exc, "count the documents") from exc
        counts.add("other", None, total - counts.total)
        counts.request_charge = meter.total
        counts.queries = queries.queries
        self.last_request_charge = meter.total
        return counts

    async def _count_channel(self, queries: _Queries, counts: KeyCounts, channel: str) -> None:
        base = f"{channel}/"
        in_channel = await queries.starting(base)
        users = await queries.starting(f"{base}{_USERS}", exclusive=True)
        conversations = await queries.starting(f"{base}{_CONVERSATIONS}", exclusive=True)
        private = await queries.starting(f"{base}{_CONVERSATIONS}", more=_PRIVATE)
        counts.add("user", channel, users)
        counts.add("conversation", channel, conversations - private)
        counts.add("private", channel, private)
        if in_channel == users + conversations:
            return
        # Agents SDK app keys ({channel}/{agent}/users/...) and other keys
        skip = (_USERS.rstrip("/"), _CONVERSATIONS.rstrip("/"))
        for agent in await queries.segments(base, skip):
            if not agent:
                continue
            under = f"{base}{agent}/"
            counts.add("user", channel, await queries.starting(f"{under}{_USERS}", exclusive=True))
            agent_conversations = await queries.starting(f"{under}{_CONVERSATIONS}", exclusive=True)
            with_users = await queries.starting(f"{under}{_CONVERSATIONS}", more=_PRIVATE)
            # an agent conversation with /users/ in it is not a state key: other
            counts.add("conversation", channel, agent_conversations - with_users)
