"""Azure Cosmos DB partitioned storage on ``azure.cosmos.aio``.

The only package that imports ``azure.cosmos``. Opens the containers of
botbuilder / Agents SDK partitioned storages (python, js, .NET) and is itself
such a storage for a bot. Store URL ``cosmos://DATABASE/CONTAINER``; the
endpoint and key come from options or ``COSMOS_ENDPOINT`` / ``COSMOS_KEY``,
otherwise Entra ID (``DefaultAzureCredential``).

Invariants:

- A document's key is its ``realId``. A key is found by a ``realId`` query;
  when the container's dialect is known (from a sample at open) and the key's
  id is certain (``cosmos_keys.ContainerDialect.certain_id``), that id is read
  first (a point read; several with the SDK's read-many, which targets each
  partition instead of fanning out) and kept only if its ``realId`` matches; a
  miss still goes to the query. An existing document keeps its ``id`` on write-back; a new
  one gets the id the container's dialect computes.
- Several documents with one ``realId`` (a container used in both
  compatibility modes or by two dialects) are all listed, the later ones with
  ``Entry.error`` saying so; a read returns the most recently written one with
  ``RawItem.meta["duplicate_ids"]`` naming the others (``duplicates``).
- Legacy ``/_partitionKey`` containers are read and written with the "none"
  partition key. Containers with indexing mode ``none`` cannot be queried by
  ``realId``: lookups and listing become paged scans (``warnings`` says so).
- Conditional writes use If-Match on ``_etag``; 412, 404 and 409 become
  ``ETagConflictError``. Read-only is checked before any request.
- Every operation's request charge (RU) is summed into
  ``last_request_charge`` (the last public call) and ``total_request_charge``
  (the session). Scans (listing pages, counts, reads of many keys) wait for an
  RU/s budget (``ru_per_second``, ``explorer.storage.budget``; ``from_url``
  defaults to ``DEFAULT_RU_PER_SECOND``); interactive reads and writes never
  wait. 429 answers are retried by the SDK after the wait the service asks for,
  and that wait is added to the budget's debt.
- Pages in key order (``list_page``, ``ORDER BY c.realId``), listing pages
  (``next_page``) and counts (``count``, server-side ``COUNT``): see
  ``explorer.storage.paging``.
- The explorer never creates or deletes databases or containers
  (``from_url`` opens with ``create_container=False``); a bot constructing
  ``CosmosStorage`` directly gets botbuilder's behaviour: the container
  (partition key ``/id``) is created on first use, the database must exist.

Modules: ``store`` (``CosmosStorage``: lifecycle, codec; ``from_url``), ``core``
(shared state and helpers), ``listing``, ``reads``, ``writes``, ``aggregates``
(counts per channel and kind by server-side queries), ``client``
(credentials, timeouts and retries, the container check on open) and
``errors`` (SDK errors as typed errors). Import from this package.
"""

from explorer.storage.cosmos.client import (
    CONNECTION_TIMEOUT,
    READ_TIMEOUT,
    RETRIES,
    THROTTLE_RETRIES,
)
from explorer.storage.cosmos.listing import SAMPLE_SIZE
from explorer.storage.cosmos.reads import LOOKUP_BATCH
from explorer.storage.cosmos.store import CosmosStorage, from_url
from explorer.storage.cosmos_layout import ScanEstimate

__all__ = [
    "CONNECTION_TIMEOUT",
    "LOOKUP_BATCH",
    "READ_TIMEOUT",
    "RETRIES",
    "SAMPLE_SIZE",
    "THROTTLE_RETRIES",
    "CosmosStorage",
    "ScanEstimate",
    "from_url",
]
