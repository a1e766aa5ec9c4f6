"""Store URLs to backends: built-ins, read-only, errors, and third-party backends.

The third-party backend is a real installed distribution: a ``*.dist-info`` with
an ``entry_points.txt`` on ``sys.path``, found by ``importlib.metadata``. Each
test uses its own scheme name, so nothing registered leaks between tests.
"""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest

from explorer.storage import (
    MemoryStorage,
    ReadOnlyError,
    SqliteStorage,
    UnknownStoreError,
    open_store,
    register_backend,
)
from explorer.storage.registry import ENTRY_POINT_GROUP, known_schemes


async def test_memory_url_opens_a_fresh_empty_store() -> None:
    first = open_store("memory:")
    assert isinstance(first, MemoryStorage)
    async with first:
        await first.write({"k": {"n": 1}})
    async with open_store("memory:") as second:
        assert await second.read(["k"]) == {}


async def test_sqlite_url_returns_an_unopened_store_on_that_file(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = open_store(f"sqlite:{path}")
    assert isinstance(store, SqliteStorage)
    assert store.path == path
    assert store.url == f"sqlite:{path}"
    assert not path.exists()  # nothing happens before `async with`
    async with store:
        await store.write({"k": {"n": 1}})
    assert path.exists()


@pytest.mark.parametrize("scheme", ["memory:", "sqlite:"])
async def test_read_only_reaches_the_store(scheme: str, tmp_path: Path) -> None:
    url = scheme + (str(tmp_path / "ro.db") if scheme == "sqlite:" else "")
    if scheme == "sqlite:":
        async with open_store(url) as writable:  # a read-only store never creates its file
            await writable.write({"k": {"n": 1}})
    async with open_store(url, read_only=True) as store:
        assert store.read_only
        with pytest.raises(ReadOnlyError):
            await store.write({"k": {"n": 2}})
    async with open_store(url) as store:
        assert not store.read_only


def test_scheme_is_case_insensitive(tmp_path: Path) -> None:
    assert isinstance(open_store(f"SQLite:{tmp_path / 'x.db'}"), SqliteStorage)


@pytest.mark.parametrize("url", ["nowhere:thing", "ftp://host/state"])
def test_unknown_scheme_names_the_known_ones(url: str) -> None:
    with pytest.raises(UnknownStoreError) as caught:
        open_store(url)
    message = str(caught.value)
    assert url.partition(":")[0] in message
    assert "memory" in message
    assert "sqlite" in message


@pytest.mark.parametrize("url", ["state.db", "", ":memory"])
def test_malformed_url_says_what_a_store_url_is(url: str) -> None:
    with pytest.raises(UnknownStoreError, match="sqlite:PATH"):
        open_store(url)


async def test_register_backend_adds_a_scheme() -> None:
    scheme = f"custom{uuid.uuid4().hex[:8]}"
    opened: list[tuple[str, bool, dict[str, object]]] = []

    def factory(url: str, *, read_only: bool = False, **options: object) -> MemoryStorage:
        opened.append((url, read_only, options))
        return MemoryStorage(read_only=read_only)

    register_backend(scheme, factory)
    store = open_store(f"{scheme}:somewhere", read_only=True, region="eu")
    assert store.read_only
    assert opened == [(f"{scheme}:somewhere", True, {"region": "eu"})]
    assert scheme in known_schemes()


def _install_distribution(site: Path, scheme: str, module: str) -> None:
    """A minimal installed distribution declaring ``scheme`` in our entry-point group."""
    (site / f"{module}.py").write_text(
        textwrap.dedent(
            """
            from explorer.storage.memory import MemoryStorage

            class AcmeStorage(MemoryStorage):
                def __init__(self, url, read_only, options):
                    super().__init__(read_only=read_only)
                    self.url = url
                    self.options = options

            def from_url(url, *, read_only=False, **options):
                return AcmeStorage(url, read_only, options)
            """
        )
    )
    info = site / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{scheme} = {module}:from_url\n")


async def test_third_party_backend_from_an_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suffix = uuid.uuid4().hex[:8]
    scheme, module = f"acme{suffix}", f"acme_backend_{suffix}"
    with pytest.raises(UnknownStoreError):
        open_store(f"{scheme}:before-install")
    _install_distribution(tmp_path, scheme, module)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert scheme in known_schemes()

    store = open_store(f"{scheme.upper()}:bucket/one", read_only=True, token="t")
    assert type(store).__name__ == "AcmeStorage"
    assert type(store).__module__ == module
    assert store.url == f"{scheme.upper()}:bucket/one"
    assert store.read_only
    assert store.options == {"token": "t"}  # type: ignore[attr-defined]
    async with store:
        with pytest.raises(ReadOnlyError):
            await store.write({"k": {}})
