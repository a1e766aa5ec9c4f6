"""Whether "Everything about this user" searches conversations for private state.

Private conversation state can sit in any conversation, so looking for it lists
every key under each channel's ``conversations/`` (``find_user(private=True)``):
its cost grows with the store. Without it, the user keys are read directly and
the lookup costs a few requests per channel whatever the store's size (the
command line's ``--skip-private``).

``private_scan_choice`` picks the default from what an open connection already
knows, never by asking the store:

- the store's count (``Node.store_count``) when one came in: above ``threshold``
  keys (the paged threshold) the search is off;
- else a connection opened paged (``ConnectionNode.paged``: more keys than the
  threshold, or on Cosmos DB more than one probe page) is big: off;
- else a store listed one folder at a time (Blob) has an unknown size: off for
  a production connection, on otherwise;
- else the window lists the whole store: above ``threshold`` items listed, off
  (a store that cannot seek lists whole whatever its size), else on.

Nothing here imports Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

from explorer.storage.abilities import Abilities
from explorer.workspace.tree import ConnectionNode
from explorer.workspace.tree_paged import PAGED_THRESHOLD
from explorer.workspace.user_lookup import SCAN_PAGE


@dataclass(frozen=True, slots=True)
class PrivateScanChoice:
    """The default for the private-state search and the words that explain it."""

    #: search conversations for private state unless the user says otherwise
    default: bool
    #: why the default is what it is (``"the store holds 1,234,567 keys"``)
    reason: str
    #: what the search costs on this store (a tooltip)
    cost: str


def _size(conn: ConnectionNode, threshold: int) -> tuple[bool | None, str]:
    """(big, why): ``big`` is ``None`` when the window does not know the size."""

    def than(big: bool) -> str:
        return f"more than {threshold:,}" if big else f"not more than {threshold:,}"

    count = conn.store_count
    if count is not None:
        big = count.value > threshold
        return big, f"the store holds {count.describe()} keys ({than(big)})"
    if conn.paged:
        return True, f"the store opened as a window over a big store ({than(True)} keys)"
    if Abilities.of(conn.store).hierarchy is not None:
        return None, "the store's size is not known (it is listed one folder at a time)"
    big = conn.count > threshold
    return big, f"the tree lists the whole store: {conn.count:,} items so far ({than(big)})"


def private_scan_choice(
    conn: ConnectionNode, threshold: int = PAGED_THRESHOLD
) -> PrivateScanChoice:
    """The default (see the module docstring) and the cost of the search on ``conn``."""
    big, why = _size(conn, threshold)
    if big is None:
        default = conn.environment != "prod"
        why += "; on for a dev connection, off for production" if default else " (production)"
    else:
        default = not big
    charged = Abilities.of(conn.store).charges is not None
    per_request = f"keys only, up to {SCAN_PAGE:,} a request"
    if charged:
        per_request += ", each request charged in request units"
    cost = (
        "Private conversation state can sit in any conversation, so every key under "
        f"each channel's conversations/ is listed ({per_request}): the cost grows with "
        "the number of conversations. Without it, the user keys are read directly: "
        "a few requests per channel, whatever the store's size."
    )
    return PrivateScanChoice(default, why, cost)
