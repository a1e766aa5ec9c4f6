"""Any key and any JSON object round-trip through write/read on memory and SQLite.

Keys are any text without lone surrogates (those are not Unicode and SQLite
refuses them with ``InvalidKeyError``, tested below). Values are any JSON
object, including lone surrogates inside strings, ``e_tag``/``eTag`` members
(``"*"``, dropped, being storage-level) and deep nesting.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from explorer.core.items import STORAGE_MEMBERS
from explorer.storage import InvalidKeyError, MemoryStorage, Storage
from explorer.storage.sqlite import SqliteStorage

keys = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
#: any text, lone surrogates included (JSON can carry them as \ud800 escapes)
any_text = st.text(st.characters(blacklist_categories=()), max_size=30)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=20), children, max_size=5)
    ),
    max_leaves=30,
)
members = any_text.filter(lambda name: name not in STORAGE_MEMBERS)
#: a document, sometimes carrying the unconditional etag "*" (never stored)
documents = st.builds(
    lambda body, etags: {**body, **etags},
    st.dictionaries(members, json_values, max_size=8),
    st.dictionaries(st.sampled_from(sorted(STORAGE_MEMBERS)), st.just("*")),
)


FACTORIES: dict[str, Callable[[Path], Storage]] = {
    "memory": lambda _: MemoryStorage(),
    "sqlite": lambda tmp: SqliteStorage(tmp / "hypothesis.db"),
}


@pytest.fixture(params=sorted(FACTORIES))
def opened(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[asyncio.Runner, Storage]]:
    """One open store and the runner that drives it, shared by every example of a test."""
    with asyncio.Runner() as runner:
        store = FACTORIES[request.param](tmp_path)
        runner.run(store.__aenter__())
        try:
            yield runner, store
        finally:
            runner.run(store.__aexit__(None, None, None))


def _same_json(a: Any, b: Any) -> bool:
    # -0.0 == 0.0 and 1 == 1.0 in Python; compare the JSON text to see the exact value
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_any_key_and_json_document_round_trip(opened: tuple[asyncio.Runner, Storage]) -> None:
    runner, store = opened

    @settings(max_examples=200, deadline=None)
    @given(key=keys, document=documents)
    @example(key="lone", document={"text": "a\ud800b", "\udfff": ["\udc00"], "e_tag": "*"})
    @example(key="", document={})
    def round_trip(key: str, document: dict[str, Any]) -> None:
        runner.run(store.write({key: document}))
        read = runner.run(store.read([key]))
        expected = {k: v for k, v in document.items() if k not in STORAGE_MEMBERS}
        got = dict(read[key])
        etag = got.pop("e_tag")
        assert isinstance(etag, str)
        assert etag
        assert _same_json(got, expected)
        listed = runner.run(_listed(store, key))
        assert key in listed
        runner.run(store.delete([key]))
        assert runner.run(store.read([key])) == {}

    round_trip()


async def _listed(store: Storage, prefix: str) -> list[str]:
    return [k async for k in store.iter_keys(prefix)]


def test_sqlite_refuses_keys_that_are_not_unicode(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with SqliteStorage(tmp_path / "s.db") as store:
            with pytest.raises(InvalidKeyError) as caught:
                await store.write({"bad\ud800key": {"n": 1}})
            assert "surrogate" in str(caught.value)
            assert await store.read(["bad\ud800key"]) == {}
            await store.delete(["bad\ud800key"])  # cannot exist: a no-op
            assert [k async for k in store.iter_keys()] == []

    asyncio.run(scenario())
