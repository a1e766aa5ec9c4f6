"""Cosmos DB ids of every dialect (stdlib only, no emulator).

Expected ids come from the real dumps in ``tests/fixtures``
(documents written by botbuilder-python 4.17.1, botbuilder-js 4.23.3 and the
Agents SDK js into the emulator) and from the algorithms of the SDKs.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from explorer.storage.cosmos_keys import (
    ContainerDialect,
    classify,
    compute_id,
    detect,
    escape,
    is_certain,
    truncate,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))[
        "items"
    ]
    return items


def test_python_escape_is_star_decimal_including_control_characters() -> None:
    key = "a/b?c#d*e\\f\tg\nh\ri"
    assert escape(key, "python") == "a*47b*63c*35d*42e*92f*9g*10h*13i"


def test_js_escape_is_star_unpadded_lowercase_hex() -> None:
    key = "a/b?c#d*e\\f\tg\nh\ri"
    assert escape(key, "js") == "a*2fb*3fc*23d*2ae*5cf*9g*ah*di"
    assert escape(key, "agents-js") == escape(key, "js")


def test_dotnet_escape_leaves_tab_cr_lf_alone() -> None:
    assert escape("a/b\tc\nd*", "dotnet") == "a*2fb\tc\nd*2a"


def test_other_characters_are_never_escaped() -> None:
    key = "msteams:COPILOT/users/29:1AbC;x=y|z@w ünï 🚀"
    assert escape(key, "python") == key.replace("/", "*47")
    assert escape(key, "js") == key.replace("/", "*2f")


@pytest.mark.parametrize(
    ("name", "dialect"),
    [
        ("python-cosmos-partitioned", "python"),
        ("js-cosmos-partitioned", "js"),
    ],
)
def test_fixture_ids_are_recomputed_exactly(name: str, dialect: Any) -> None:
    for item in fixture(name):
        assert compute_id(item["realId"], dialect) == item["id"]
        match = classify(item["id"], item["realId"])
        assert match.form == "escaped"
        if item["id"] != item["realId"]:
            assert match.dialect == dialect


def test_agents_js_fixture_both_compatibility_modes() -> None:
    items = fixture("agents-js-cosmos-partitioned")
    hashed = [i for i in items if len(i["id"]) == 64 and "*" not in i["id"]]
    full = [i for i in items if len(i["id"]) > 255]
    assert len(hashed) == 1
    assert len(full) == 1
    assert hashed[0]["realId"] == full[0]["realId"]
    key = hashed[0]["realId"]
    assert compute_id(key, "agents-js") == hashed[0]["id"]
    assert compute_id(key, "agents-js", truncation="none") == full[0]["id"]
    assert classify(hashed[0]["id"], key, has_etag=True).form == "hashed"
    for item in items:
        match = classify(item["id"], item["realId"], has_etag="eTag" in item)
        assert match.dialect == "agents-js", item["id"]


def test_python_compatibility_mode_truncation_matches_botbuilder() -> None:
    key = "msteams/conversations/" + "x" * 300
    escaped = escape(key, "python")
    expected = escaped[:191] + hashlib.sha256(escaped.encode()).hexdigest()
    assert compute_id(key, "python", truncation="truncated") == expected
    assert len(expected) == 255
    assert compute_id(key, "python") == escaped  # off by default in python
    assert classify(expected, key).form == "truncated"
    assert classify(escaped, key).form == "escaped"


def test_a_key_of_exactly_255_escaped_characters_is_not_truncated() -> None:
    key = "k" * 255
    assert compute_id(key, "python", truncation="truncated") == key
    assert is_certain(key, "python")
    assert not is_certain(key + "/", "python")


def test_js_truncation_counts_utf16_code_units() -> None:
    key = "a" + "🚀" * 150 + "/tail"  # 158 code points, 308 UTF-16 code units
    escaped = escape(key, "js")
    assert len(escaped) < 255
    # python counts code points: short enough; js counts UTF-16 units: too long
    assert truncate(escape(key, "python"), "python") == escape(key, "python")
    truncated = truncate(escaped, "js")
    assert truncated == "a" + "🚀" * 95 + hashlib.sha256(escaped.encode()).hexdigest()
    assert classify(truncated, key).form == "truncated"


def test_dotnet_truncation_cannot_be_recomputed_but_is_recognised() -> None:
    key = "msteams/conversations/" + "y" * 300
    escaped = escape(key, "dotnet")
    process_local_hash = "7f3a9c01"
    stored = escaped[: 255 - len(process_local_hash)] + process_local_hash
    match = classify(stored, key, has_partition_key=True)
    assert (match.dialect, match.form) == ("dotnet", "opaque")
    # without PartitionKey the cut is still recognised as .NET's
    assert classify(stored, key).form == "opaque"
    assert not is_certain(key, "dotnet")


def test_dotnet_documents_are_told_apart_by_partition_key() -> None:
    key = "msteams/users/u-1"
    doc_id = "msteams*2fusers*2fu-1"
    assert classify(doc_id, key).dialect == "js"
    assert classify(doc_id, key, has_partition_key=True).dialect == "dotnet"
    assert classify(doc_id, key, has_etag=True).dialect == "agents-js"


def test_a_control_character_tells_js_from_dotnet() -> None:
    key = "a/b\tc"
    assert classify(escape(key, "js"), key).dialect == "js"
    assert classify(escape(key, "dotnet"), key).dialect == "dotnet"


def test_ids_without_escapes_say_nothing_about_the_dialect() -> None:
    assert classify("plainkey", "plainkey").dialect is None
    assert classify("plainkey", "plainkey", has_etag=True).dialect == "agents-js"


def test_key_suffix_is_recognised() -> None:
    match = classify("msteams*47users*47u1-tenantA", "msteams/users/u1")
    assert (match.dialect, match.form, match.suffix) == ("python", "escaped", "-tenantA")
    profile = detect([("msteams*47users*47u1-tenantA", "msteams/users/u1", False, False)])
    assert profile.id_for("msteams/users/u2") == "msteams*47users*47u2-tenantA"


def test_an_unrelated_id_is_unknown() -> None:
    assert classify("something-else", "msteams/users/u1").form == "unknown"
    assert classify("msteams*47users*47u1", "msteams/users/u2").dialect is None


def test_detect_a_uniform_container_allows_recomputing_short_ids() -> None:
    items = fixture("python-cosmos-partitioned")
    profile = detect((i["id"], i["realId"], False, False) for i in items)
    assert profile == ContainerDialect(dialect="python", sampled=len(items))
    assert profile.known
    assert profile.certain_id("msteams/users/new") == "msteams*47users*47new"
    assert profile.certain_id("x/" + "k" * 300) is None  # long: a query decides


def test_detect_a_container_used_in_both_compatibility_modes() -> None:
    items = fixture("agents-js-cosmos-partitioned")
    profile = detect((i["id"], i["realId"], "eTag" in i, "PartitionKey" in i) for i in items)
    assert profile.dialect == "agents-js"
    assert profile.truncation == "hashed"
    assert profile.modes_mixed
    assert not profile.mixed  # short keys still have one certain id
    assert profile.certain_id("msteams/users/x/") == "msteams*2fusers*2fx*2f"
    long_key = "direct/" + "n" * 300  # a new long key gets the Agents SDK's bare sha256
    assert profile.id_for(long_key) == hashlib.sha256(escape(long_key, "js").encode()).hexdigest()


def test_detect_a_mixed_dialect_container_never_recomputes_ids() -> None:
    py = fixture("python-cosmos-partitioned")
    js = fixture("js-cosmos-partitioned")
    profile = detect((i["id"], i["realId"], False, False) for i in py + js)
    assert profile.mixed
    assert profile.certain_id("msteams/users/user-1") is None


def test_empty_or_uninformative_sample_is_unknown() -> None:
    assert not detect([]).known
    assert not detect([("a", "a", False, False)]).known
    assert detect([]).id_for("a/b", "js") == "a*2fb"


def test_ids_no_sdk_could_store_are_made_storable_and_recognised() -> None:
    # Cosmos DB refuses ids ending in a space and .NET ids holding TAB/LF/CR
    assert compute_id("a/b  ", "python") == "a*47b*32*32"
    assert compute_id("a/b ", "js") == "a*2fb*20"
    assert compute_id("a/b\tc", "dotnet") == "a*2fb*9c"
    assert classify("a*47b*32*32", "a/b  ") == classify("a*47b", "a/b")


_BAD = ["\\", "?", "/", "#", "\t", "\n", "\r", "*"]


@given(st.text(alphabet=st.sampled_from([*_BAD, "a", "ü", "🚀", " ", ":", "4", "7"]), max_size=40))
def test_escapes_equal_the_sdks_own_algorithms(key: str) -> None:
    # botbuilder-python: "".join("*" + str(ord(c)) if c in bad_chars else c)
    assert escape(key, "python") == "".join(f"*{ord(c)}" if c in _BAD else c for c in key)
    # botbuilder-js: `*${c.charCodeAt(0).toString(16)}`
    assert escape(key, "js") == "".join(f"*{ord(c):x}" if c in _BAD else c for c in key)
    # .NET: '*' + ((int)c).ToString("x2") for \\ ? / # * only
    assert escape(key, "dotnet") == "".join(f"*{ord(c):02x}" if c in "\\?/#*" else c for c in key)
