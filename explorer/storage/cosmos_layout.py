"""What a Cosmos DB bot-state container is like, and what the user must be told (stdlib only).

- ``layout_of``: the container definition's facts that change how documents
  are addressed: a legacy ``/_partitionKey`` (or unpartitioned) container is
  read and written with the "none" partition key; ``indexingMode: none`` means
  keys cannot be queried, so lookups and listings scan. Any other partition
  key path is refused: bot state containers are partitioned by ``/id``.
- ``NOTES``: the sentences the UI and CLI show for those facts (``warnings``).
- ``RequestMeter``: sums the request charge (RU) of one operation.
- ``is_local`` / ``certificates_checked``: endpoints and TLS.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from explorer.core.errors import BackendUnavailableError

LEGACY_PATHS = ("/_partitionKey", "/partitionKey")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
#: hosts whose certificates the Cosmos SDK never checks, whatever it is told
_SDK_UNCHECKED = ("localhost", "127.0.0.1")

NOTES = {
    "tls": "TLS certificate checks are OFF (local emulator only)",
    "legacy": (
        "legacy container (partition key /_partitionKey): documents are read and "
        "written with the 'none' partition key"
    ),
    "scan": (
        "indexing mode is none: keys cannot be queried, so lookups and listings "
        "scan the whole container (slow and costly on large containers)"
    ),
    "unordered": (
        "the container's indexing policy gives realId no range index: keys cannot be "
        "listed in key order or jumped to, only paged through in the container's order"
    ),
    "mixed": (
        "documents of several dialects share this container; keys are looked up by "
        "realId query, never by recomputing their id"
    ),
    "modes": (
        "bots in both compatibility modes wrote here: a long key may be held by two "
        "documents (both are listed)"
    ),
}


@dataclass(frozen=True, slots=True)
class ContainerLayout:
    legacy_partition_key: bool = False
    unindexed: bool = False


def layout_of(props: Mapping[str, Any], container: str) -> ContainerLayout:
    """The layout of a container from its definition (``ContainerProxy.read()``)."""
    paths = list((props.get("partitionKey") or {}).get("paths") or [])
    legacy = not paths or paths[0] in LEGACY_PATHS
    if not legacy and paths != ["/id"]:
        raise BackendUnavailableError(
            f"container {container!r} is partitioned by {paths[0]}, not /id; "
            "bot state containers are partitioned by /id"
        )
    mode = str((props.get("indexingPolicy") or {}).get("indexingMode", "")).lower()
    return ContainerLayout(legacy_partition_key=legacy, unindexed=mode == "none")


def index_refusal(status: int | None, message: str) -> bool:
    """True for Cosmos DB's answer to a filtered query on an unindexed container."""
    text = message.lower()
    return status == 400 and ("excluded from indexing" in text or "allow scan" in text)


def order_refusal(status: int | None, message: str) -> bool:
    """True for Cosmos DB's answer to ``ORDER BY c.realId`` that the index cannot serve
    (no range index on the path, the path excluded, or indexing mode none)."""
    text = message.lower()
    return status == 400 and (
        index_refusal(status, message)
        or "order-by" in text
        or "order by" in text
        or "range index" in text
    )


def duplicate_message(real_id: str, ids: tuple[str, ...]) -> str:
    return (
        f"{len(ids)} documents hold key {real_id!r} (ids {', '.join(map(repr, ids))}): "
        "the container was used by bots in both compatibility modes or by two "
        "dialects, and a bot reads only the one whose id it computes. Compare them "
        "and delete the stale one"
    )


@dataclass(frozen=True, slots=True)
class ScanEstimate:
    """What a full listing would cost: ``request_charge`` RU for ``documents``.

    ``spent`` is what estimating itself cost (a count and one small page).
    """

    documents: int
    request_charge: float
    spent: float


class RequestMeter:
    """Sums the request charge (RU) of one operation; ``hook`` is an SDK response hook.

    ``sink(charge, total)`` is told each request's charge and the running total
    of the operation; ``throttled(seconds)``, if given, how long the SDK waited
    on 429 answers before this response (its ``x-ms-throttle-retry-wait-time-ms``).
    """

    def __init__(
        self,
        sink: Callable[[float, float], None],
        throttled: Callable[[float], None] | None = None,
    ) -> None:
        self.sink = sink
        self.throttled = throttled
        self.total = 0.0

    def hook(self, headers: Mapping[str, Any], _body: Any) -> None:
        try:
            charge = float(headers.get("x-ms-request-charge") or 0)
        except (TypeError, ValueError):
            charge = 0.0
        self.total += charge
        self.sink(charge, self.total)
        if self.throttled is not None:
            try:
                waited = float(headers.get("x-ms-throttle-retry-wait-time-ms") or 0)
            except (TypeError, ValueError):
                waited = 0.0
            if waited > 0:  # the SDK's wait for this one request (reset for each)
                self.throttled(waited / 1000)

    def failed(self, exc: BaseException) -> None:
        """Count a failed request too (a 404 or 412 costs RU; the SDK calls no hook then)."""
        headers = getattr(exc, "headers", None)
        if isinstance(headers, Mapping) and "x-ms-request-charge" in headers:
            self.hook(headers, None)


def is_local(endpoint: str) -> bool:
    """An endpoint on this machine (where ``insecure`` may be used for an emulator)."""
    host = (urlsplit(endpoint).hostname or "").lower()
    return host in _LOCAL_HOSTS or host.endswith(".localhost") or host.startswith("127.")


def certificates_checked(endpoint: str, insecure: bool) -> bool:
    """False when TLS certificates go unchecked: ``insecure``, or ``localhost`` /
    ``127.0.0.1``, which the Cosmos SDK never checks."""
    host = (urlsplit(endpoint).hostname or "").lower()
    return not insecure and host not in _SDK_UNCHECKED
