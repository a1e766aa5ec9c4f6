"""Azure Blob Storage backend (``blob://CONTAINER``) on ``azure.storage.blob.aio``.

Opens containers filled by botbuilder-python/-js/-dotnet and the Agents SDK
(``explorer.storage.blob_dialects``). Invariants:

- Every blob is read and listed in its own dialect, detected per blob from name,
  content type and body, and reported in ``RawItem.dialect`` / ``Entry.dialect``.
  New items get the container's main dialect (from a sample of the listing
  taken on open), else the ``dialect`` option (default ``python``).
- A key is looked up under its known name, then the main dialect's name, then
  the other dialects' names (a migrated container can hold several forms).
- Etags are the blob's ETag property, quotes stripped; never the ``e_tag`` a
  python body carries. Conditional writes send If-Match, creates
  If-None-Match ``*``; 412/409 become ``ETagConflictError`` naming the key.
- Writing back an item read from here keeps its name, content type, metadata and
  body style; only changed properties differ (``encode(key, doc, like=raw)``).
- Bulk reads and writes run concurrently on one client session, at most
  ``max_concurrency`` requests at a time. Listing streams 5,000-name pages.
  ``iter_children(prefix)`` lists one tree level (``Capability.HIERARCHY``).
- If the same key is stored in two forms (a migration), listing shows both
  entries (same key, different ``name``/``dialect``); reads take the main
  dialect's blob; ``delete`` removes every form.
- This is the only package that imports ``azure.storage``.

Modules: ``store`` (``BlobStorage``: lifecycle, dialect sample; ``from_url``),
``core`` (shared state and helpers), ``listing``, ``reads``, ``writes`` (with
the codec), ``client`` (account, credentials, timeouts and retries) and
``errors`` (SDK errors as typed errors). Import from this package.
"""

from explorer.storage.blob.client import (
    CONNECT_RETRIES,
    CONNECTION_TIMEOUT,
    READ_TIMEOUT,
    RETRIES,
    client_settings,
)
from explorer.storage.blob.core import DEFAULT_CONCURRENCY, PAGE_SIZE, ContainerProfile
from explorer.storage.blob.store import (
    SAMPLE_BODIES,
    SAMPLE_BODY_BYTES,
    SAMPLE_NAMES,
    BlobStorage,
    from_url,
)

__all__ = [
    "CONNECTION_TIMEOUT",
    "CONNECT_RETRIES",
    "DEFAULT_CONCURRENCY",
    "PAGE_SIZE",
    "READ_TIMEOUT",
    "RETRIES",
    "SAMPLE_BODIES",
    "SAMPLE_BODY_BYTES",
    "SAMPLE_NAMES",
    "BlobStorage",
    "ContainerProfile",
    "client_settings",
    "from_url",
]
