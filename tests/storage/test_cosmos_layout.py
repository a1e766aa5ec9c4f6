"""Container layout, notes, request metering and store URLs of the Cosmos backend (no emulator)."""

from __future__ import annotations

import pytest

from explorer.core.errors import BackendUnavailableError
from explorer.storage.cosmos_docs import ShapeCache
from explorer.storage.cosmos_layout import (
    ContainerLayout,
    RequestMeter,
    certificates_checked,
    duplicate_message,
    index_refusal,
    is_local,
    layout_of,
)
from explorer.storage.registry import open_store


def test_a_bot_container_is_partitioned_by_id_and_indexed() -> None:
    props = {"partitionKey": {"paths": ["/id"]}, "indexingPolicy": {"indexingMode": "consistent"}}
    assert layout_of(props, "c") == ContainerLayout()


@pytest.mark.parametrize(
    "partition_key",
    [{"paths": ["/_partitionKey"], "systemKey": True}, {"paths": ["/partitionKey"]}, None, {}],
)
def test_legacy_containers_use_the_none_partition_key(partition_key: object) -> None:
    layout = layout_of({"partitionKey": partition_key}, "c")
    assert layout.legacy_partition_key
    assert not layout.unindexed


def test_indexing_mode_none_means_scans() -> None:
    props = {"partitionKey": {"paths": ["/id"]}, "indexingPolicy": {"indexingMode": "None"}}
    assert layout_of(props, "c").unindexed


def test_another_partition_key_path_is_refused_with_the_reason() -> None:
    with pytest.raises(BackendUnavailableError, match="partitioned by /tenant, not /id"):
        layout_of({"partitionKey": {"paths": ["/tenant"]}}, "c")


def test_index_refusal_is_told_apart_from_other_bad_requests() -> None:
    refusal = (
        "An invalid query has been specified with filters against path(s) excluded from "
        "indexing. Consider adding allow scan header in the request."
    )
    assert index_refusal(400, refusal)
    assert not index_refusal(400, "Syntax error, incorrect syntax near 'FROM'.")
    assert not index_refusal(429, refusal)


def test_request_meter_sums_one_operation_and_reports_each_charge() -> None:
    seen: list[tuple[float, float]] = []
    meter = RequestMeter(lambda charge, total: seen.append((charge, total)))
    meter.hook({"x-ms-request-charge": "2.5"}, {})
    meter.hook({"x-ms-request-charge": "1"}, {})
    meter.hook({}, {})  # no header: free
    meter.hook({"x-ms-request-charge": "n/a"}, {})
    assert meter.total == 3.5
    assert seen == [(2.5, 2.5), (1.0, 3.5), (0.0, 3.5), (0.0, 3.5)]


def test_insecure_is_for_this_machine_and_the_sdk_never_checks_localhost() -> None:
    assert is_local("https://localhost:8081/")
    assert is_local("https://127.0.0.1:8081/")
    assert is_local("https://cosmos.localhost:8081/")
    assert not is_local("https://contoso.documents.azure.com:443/")
    assert certificates_checked("https://contoso.documents.azure.com:443/", insecure=False)
    assert not certificates_checked("https://contoso.documents.azure.com:443/", insecure=True)
    assert not certificates_checked("https://localhost:8081/", insecure=False)
    assert certificates_checked("https://127.0.0.2:8081/", insecure=False)


def test_duplicate_message_names_key_ids_and_what_to_do() -> None:
    text = duplicate_message("k/1", ("k*471", "k*2f1"))
    assert "2 documents hold key 'k/1'" in text
    assert "'k*471', 'k*2f1'" in text
    assert "delete the stale one" in text


def test_the_registry_opens_cosmos_urls_without_connecting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COSMOS_ENDPOINT", "https://contoso.documents.azure.com:443/")
    monkeypatch.setenv("COSMOS_KEY", "a2V5")
    store = open_store("cosmos://botdb/state", read_only=True, connection_string="ignored")
    assert store.url == "cosmos://botdb/state"
    assert store.read_only
    assert store.tls_verified is True
    assert store.create_container is False  # the explorer never creates containers


def test_the_shape_cache_forgets_the_oldest_keys_first() -> None:
    cache = ShapeCache(limit=3)
    for key in "abcd":
        cache[key] = {"id": key}
    assert list(cache) == ["b", "c", "d"]
    cache["b"] = None  # a rewrite makes it the newest
    cache["e"] = {"id": "e"}
    assert list(cache) == ["d", "b", "e"]


def test_a_failed_request_is_charged_too() -> None:
    class NotFoundError(Exception):
        def __init__(self) -> None:
            super().__init__("404")
            self.headers = {"x-ms-request-charge": "1.24"}

    meter = RequestMeter(lambda charge, total: None)
    meter.failed(NotFoundError())
    meter.failed(ValueError("no headers"))
    assert meter.total == 1.24
