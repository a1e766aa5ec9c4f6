"""StoreUrl: the one parser of store URLs, and the errors it gives."""

from __future__ import annotations

import pytest

from explorer.core.errors import UnknownStoreError
from explorer.storage.registry import scheme_of
from explorer.storage.url import StoreUrl


def test_cosmos_urls() -> None:
    assert StoreUrl.parse("cosmos://botdb/state").cosmos_names == ("botdb", "state")
    assert StoreUrl.parse("COSMOS://botdb/state/").cosmos_names == ("botdb", "state")
    for bad in ("cosmos://", "cosmos://db", "cosmos://db/c/x", "cosmos:db/c", "blob://a/b"):
        with pytest.raises(UnknownStoreError, match="cosmos://DATABASE/CONTAINER"):
            _ = StoreUrl.parse(bad).cosmos_names


def test_blob_urls() -> None:
    assert StoreUrl.parse("blob://bot-state").blob_container == "bot-state"
    assert StoreUrl.parse("Blob://bot-state/").blob_container == "bot-state"
    for bad in ("blob://", "blob://a/b", "blob:a", "sqlite:x"):
        with pytest.raises(UnknownStoreError, match="blob://CONTAINER"):
            _ = StoreUrl.parse(bad).blob_container


def test_sqlite_urls_keep_the_path_as_given() -> None:
    assert StoreUrl.parse("sqlite:state.db").sqlite_path == "state.db"
    assert StoreUrl.parse("sqlite:///abs/state.db").sqlite_path == "/abs/state.db"
    assert StoreUrl.parse("SQLITE:~/a b.db").sqlite_path == "~/a b.db"
    with pytest.raises(UnknownStoreError, match="names no file"):
        _ = StoreUrl.parse("sqlite:").sqlite_path
    with pytest.raises(UnknownStoreError, match="not a SQLite"):
        _ = StoreUrl.parse("memory:").sqlite_path


def test_scheme_text_and_display_name() -> None:
    url = StoreUrl.parse("Cosmos://db/c")
    assert (url.scheme, url.rest, str(url)) == ("cosmos", "//db/c", "Cosmos://db/c")
    assert StoreUrl.parse("sqlite:/data/bots/state.db").display_name == "state.db"
    assert StoreUrl.parse("blob://bot-state").display_name == "bot-state"
    assert scheme_of("my-backend+x:anything") == "my-backend+x"
    for bad in ("no-colon", ":x", "sp ace:x"):
        with pytest.raises(UnknownStoreError, match="not a store URL"):
            StoreUrl.parse(bad)
