"""Backends for the one conformance suite (``test_contract.py``).

Every test that takes the ``store`` fixture runs once per entry of
``STORE_FACTORIES``. To add a backend, add ONE entry, nothing else:

    STORE_FACTORIES["blob"] = Backend(
        location=blob_location,                  # see below
        traits=Traits(page_size=50, ...),        # what differs from the defaults
        marks=(pytest.mark.emulator,),
    )

``location(request, tmp_path)`` is an async context manager: it prepares an empty
place for one test (a temp file, a fresh Azurite container, a fresh Cosmos
container; get emulator fixtures with ``request.getfixturevalue(...)``), yields
an *opener*, and cleans the place up afterwards. ``opener(read_only)`` returns an
UNOPENED store over that place; the fixtures open it with ``async with``:

- ``store``: ``opener(False)``, opened for the test;
- ``reopen``: the opener itself, to open a second (e.g. read-only) store over the
  same data;
- ``traits``: the backend's ``Traits``.

Backend differences are ``Traits`` fields, never ``if kind == ...`` in tests. A
test that needs a trait says so with ``@pytest.mark.requires_trait("exact_body")``
and is then only generated for backends that have it (no skips).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from explorer.storage import MemoryStorage, Storage
from explorer.storage.sqlite import SqliteStorage

Opener = Callable[[bool], Storage]
Location = Callable[[pytest.FixtureRequest, Path], AbstractAsyncContextManager[Opener]]


@dataclass(frozen=True)
class Traits:
    """What legitimately differs between backends. Defaults fit memory and SQLite."""

    #: keys per listing page of the stores the opener returns (tests list more than two pages)
    page_size: int = 1000
    #: length of the "1,000+ characters" odd key
    long_key_length: int = 1500
    #: size of the "large document" test (Cosmos caps items at 2 MB)
    large_document_bytes: int = 4_000_000
    #: ``read_raw`` returns the body bytes ``write_raw`` got, exactly
    exact_body: bool = True
    #: ``write_raw`` keeps the item's content type
    keeps_content_type: bool = True
    #: a read-only store is a view of data that a writable store changes
    shared_read_only_view: bool = True
    #: ``Capability.KEY_PAGES``: pages in key order from any key, both directions
    key_pages: bool = True
    #: ``Capability.POSITIONS``: rows by number
    positions: bool = True
    #: ``count`` is exact at any size (else exact within one listing page, then a bound)
    exact_counts: bool = True
    #: ``Capability.RU_BUDGET``: request units counted, scans capped
    ru_budget: bool = False


@dataclass(frozen=True)
class Backend:
    location: Location
    traits: Traits = Traits()
    marks: tuple[pytest.MarkDecorator, ...] = field(default_factory=tuple)


@asynccontextmanager
async def memory_location(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Opener]:
    shared = MemoryStorage()

    def opener(read_only: bool) -> Storage:
        if not read_only:
            return shared
        # Memory has no place to reopen; a read-only view shares the same items.
        return shared.view(read_only=True)

    yield opener


@asynccontextmanager
async def sqlite_location(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Opener]:
    path = tmp_path / "contract store.db"  # a space, to keep paths honest
    yield lambda read_only: SqliteStorage(path, read_only=read_only, page_size=100)


STORE_FACTORIES: dict[str, Backend] = {
    "memory": Backend(memory_location),
    "sqlite": Backend(sqlite_location, Traits(page_size=100)),
}


@asynccontextmanager
async def blob_location(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Opener]:
    # A fresh Azurite container per test. New items take the .NET naming
    # (HttpUtility.UrlEncode), the one dialect whose names keep every key exactly;
    # the python/js naming losses are covered in test_blob.py.
    from explorer.storage.blob import from_url
    from tests.support.azurite import Azurite

    azurite: Azurite = request.getfixturevalue("azurite")
    async with azurite.new_container("contract") as client:
        yield lambda read_only: from_url(
            f"blob://{client.container_name}",
            read_only=read_only,
            connection_string=azurite.connection_string,
            dialect="dotnet",
            page_size=50,
        )


STORE_FACTORIES["blob"] = Backend(
    blob_location,
    # Blob Storage cannot start a listing at a name: forward pages, counts bounded by a page
    Traits(
        page_size=50,
        long_key_length=1000,
        key_pages=False,
        positions=False,
        exact_counts=False,
    ),
    marks=(pytest.mark.emulator,),
)


@asynccontextmanager
async def cosmos_location(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Opener]:
    # A fresh database and container (partition key /id) on the cosmos emulator per
    # test; the store opens it as the explorer does (from_url, never creating it).
    from azure.cosmos import PartitionKey
    from azure.cosmos.aio import CosmosClient

    from explorer.storage.cosmos import from_url
    from tests.support.cosmos_emulator import Emulator, unique_name

    emulator: Emulator = request.getfixturevalue("cosmos_emulator")
    database = unique_name("contract")
    async with CosmosClient(emulator.endpoint, emulator.key, connection_verify=False) as client:
        created = await client.create_database(database)
        await created.create_container("state", PartitionKey(path="/id"))
        try:
            yield lambda read_only: from_url(
                f"cosmos://{database}/state",
                read_only=read_only,
                endpoint=emulator.endpoint,
                key=emulator.key,
                insecure=True,
                page_size=50,
            )
        finally:
            await client.delete_database(database)


STORE_FACTORIES["cosmos"] = Backend(
    cosmos_location,
    # ids above 1,023 bytes are refused by Cosmos DB; items are capped at 2 MB; the
    # raw body is the stored {id, realId, document} item, not the bytes written
    Traits(
        page_size=50,
        long_key_length=1000,
        large_document_bytes=1_500_000,
        exact_body=False,
        keeps_content_type=False,
        positions=False,
        ru_budget=True,
    ),
    marks=(pytest.mark.emulator,),
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "requires_trait(name): run this contract test only on backends whose Traits has it",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend_kind" not in metafunc.fixturenames:
        return
    wanted = [m.args[0] for m in metafunc.definition.iter_markers("requires_trait")]
    params = [
        pytest.param(kind, marks=backend.marks, id=kind)
        for kind, backend in STORE_FACTORIES.items()
        if all(getattr(backend.traits, name) for name in wanted)
    ]
    metafunc.parametrize("backend_kind", params)


@pytest.fixture
def traits(backend_kind: str) -> Traits:
    return STORE_FACTORIES[backend_kind].traits


@pytest.fixture
async def reopen(
    backend_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Opener]:
    async with STORE_FACTORIES[backend_kind].location(request, tmp_path) as opener:
        yield opener


@pytest.fixture
async def store(reopen: Opener) -> AsyncIterator[Storage]:
    async with reopen(False) as opened:
        yield opened
