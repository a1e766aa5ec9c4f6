"""Counts of keys per kind and channel, as a server can compute them (stdlib only).

``KeyCounts`` is what ``Capability.AGGREGATE_COUNTS`` stores answer
(``abilities.Aggregating``): the same classification as
``explorer.state.keys.parse_key`` (user / conversation / private / other, and
per channel the first three), computed without reading the items. Agents SDK
app keys (``{channel}/{agent}/users/...``) count under their channel as
``parse_key`` says. ``request_charge`` is what the counting cost (RU) and
``queries`` how many requests it took.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("user", "conversation", "private", "other")
CHANNEL_KINDS = ("user", "conversation", "private")


def empty_kinds() -> dict[str, int]:
    return dict.fromkeys(KINDS, 0)


def empty_channel() -> dict[str, int]:
    return dict.fromkeys(CHANNEL_KINDS, 0)


@dataclass
class KeyCounts:
    """How many keys there are, per kind and per channel."""

    total: int = 0
    kinds: dict[str, int] = field(default_factory=empty_kinds)
    #: channel -> {"user", "conversation", "private"} counts (channels with none absent)
    channels: dict[str, dict[str, int]] = field(default_factory=dict)
    request_charge: float = 0.0
    queries: int = 0

    def add(self, kind: str, channel: str | None, count: int = 1) -> None:
        """Count ``count`` keys of ``kind`` (``channel`` for the channel kinds)."""
        if not count:
            return
        self.total += count
        self.kinds[kind] = self.kinds.get(kind, 0) + count
        if channel is not None and kind in CHANNEL_KINDS:
            per = self.channels.setdefault(channel, empty_channel())
            per[kind] += count
