"""An Azurite data directory holding big containers, written directly (seconds, not hours).

Azurite's cost per upload grows with the blobs it holds (a 100,000-blob
container takes over an hour to fill through the API on 2 cores). The
containers here hold the same keys and bodies as ``bigstore.fill_blob``
(python-dialect names, ``bigstore.all_keys``), made like this:

1. Azurite itself stores one blob per distinct body (``bigstore._bodies()``)
   and stops, saving its metadata (LokiJS JSON) and extents;
2. the metadata gets one blob record per key, each pointing at the extent
   range of its body (blobs may share extent ranges: Azurite only reads them),
   with its own etag; the seed records go and the indexes (positions sorted by
   the indexed field, as LokiJS keeps them) are computed here.

``build(location, {"big": 100_000, "small": 10_000})`` fills an empty directory;
``azurite.start(location=...)`` serves it. ``form="js"`` (any blob dialect) names
the blobs as that SDK does (``%2F``-escaped flat names, ``application/json``).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from explorer.storage.blob_dialects import BlobDialect, dialect
from tests.support import azurite, bigstore

DB_FILE = "__azurite_db_blob__.json"
BLOBS = "$BLOBS_COLLECTION$"
_SEED = "seed-body/"


async def _seed(location: Path, containers: list[str], bodies: list[bytes]) -> None:
    from azure.storage.blob.aio import ContainerClient

    emulator = azurite.start(location=location)
    try:
        for name in containers:
            async with ContainerClient.from_connection_string(
                emulator.connection_string, name
            ) as client:
                await client.create_container()
                for i, body in enumerate(bodies):
                    await client.upload_blob(f"{_SEED}{i}", body)
    finally:
        emulator.stop(keep_location=True)  # SIGTERM: Azurite saves its metadata


def _records(
    container: str, count: int, seeds: list[Any], form: BlobDialect
) -> list[dict[str, Any]]:
    """One blob record per key of ``bigstore.all_keys(count)``, named as ``form``
    names it, copied from the seed record of its body (same extent range, content
    MD5 and length)."""
    records: list[dict[str, Any]] = []
    for i, key in enumerate(bigstore.all_keys(count)):
        seed = seeds[i % len(seeds)]
        record = json.loads(json.dumps(seed))
        record["name"] = form.name_of(key)
        record["properties"]["contentType"] = form.content_type
        record["containerName"] = container
        record["properties"]["etag"] = f'"0x1D{len(records):014X}"'
        record.pop("$loki", None)
        records.append(record)
    return records


def _rewrite(location: Path, sizes: dict[str, int], bodies: int, form: BlobDialect) -> None:
    path = location / DB_FILE
    db = json.loads(path.read_text())
    blobs = next(c for c in db["collections"] if c["name"] == BLOBS)
    seeds: dict[str, list[Any]] = {name: [None] * bodies for name in sizes}
    for record in blobs["data"]:
        if record["name"].startswith(_SEED):
            seeds[record["containerName"]][int(record["name"][len(_SEED) :])] = record
    data: list[dict[str, Any]] = []
    for name, count in sizes.items():
        data.extend(_records(name, count, seeds[name], form))
    for loki, record in enumerate(data, start=1):
        record["$loki"] = loki
        record["meta"] = {"revision": 0, "created": 0, "version": 0}
    blobs["data"] = data
    blobs["idIndex"] = list(range(1, len(data) + 1))
    blobs["maxId"] = len(data)
    for field, index in blobs["binaryIndices"].items():
        index["dirty"] = False
        index["values"] = sorted(range(len(data)), key=lambda i: _loki_order(data[i][field]))
    path.write_text(json.dumps(db))


def _loki_order(value: str) -> bytes:
    """LokiJS compares strings with ``<``: by UTF-16 code units."""
    return value.encode("utf-16-be")


async def build(location: Path, sizes: dict[str, int], form: str = "python") -> None:
    """Fill the empty directory ``location`` with the containers of ``sizes``
    (name → blobs), each holding ``bigstore.all_keys(n)`` with their bodies, named
    as the blob dialect ``form`` names them."""
    bodies = bigstore._bodies()
    await _seed(location, list(sizes), bodies)
    await asyncio.to_thread(_rewrite, location, sizes, len(bodies), dialect(form))
