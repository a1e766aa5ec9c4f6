"""Hypothesis through the CLI and its codecs: any key and any JSON object round-trip;
any bytes or any import line end in success or one clear error, never a crash."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.cli.commands import load_document
from explorer.cli.context import escape_key, json_line, unescape_key
from explorer.cli.transfer import LineError, item_to_line, line_to_item
from explorer.core.errors import DecodeError
from explorer.core.items import RawItem
from explorer.workspace.export_lines import _JSON_UNSAFE
from tests.cli.conftest import Run, one_error_line

CLI_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=20,
)
documents = st.dictionaries(
    st.text().filter(lambda k: k not in ("e_tag", "eTag")), json_values, max_size=6
)


@given(st.text())
def test_escape_key_is_reversible_and_one_clean_line(key: str) -> None:
    printed = escape_key(key)
    assert unescape_key(printed) == key
    assert len(printed.splitlines()) <= 1
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in printed)


@given(json_values)
def test_json_line_is_one_line_of_equal_json(value: Any) -> None:
    line = json_line(value)
    assert len(line.splitlines()) <= 1
    assert not _JSON_UNSAFE.search(line)
    assert json.loads(line) == value


@given(documents)
def test_load_document_reads_any_object_with_or_without_bom(doc: dict[str, Any]) -> None:
    text = json.dumps(doc, ensure_ascii=False).encode()
    assert load_document(text, "f") == doc
    assert load_document(b"\xef\xbb\xbf" + text, "f") == doc


@given(st.binary(max_size=200))
def test_load_document_never_fails_unclearly(data: bytes) -> None:
    try:
        value = load_document(data, "input.json")
    except DecodeError as exc:
        message = str(exc)
    else:
        assert isinstance(value, dict)
        return
    assert "input.json" in message


@given(
    st.text(min_size=1), st.binary(max_size=100), st.text(), st.dictionaries(st.text(), st.text())
)
def test_export_line_round_trips_any_item(
    key: str, body: bytes, name: str, meta: dict[str, str]
) -> None:
    item = RawItem(key=key, body=body, name=name, meta=meta)
    line = item_to_line(item, "sqlite")
    assert "\n" not in line
    back, source = line_to_item(line)
    assert source == "sqlite"
    assert (back.key, back.body, back.name, dict(back.meta)) == (key, body, name, meta)


@given(st.text(max_size=300))
def test_any_import_line_is_an_item_or_a_line_error(text: str) -> None:
    try:
        item, _ = line_to_item(text)
        assert item.key
    except LineError:
        pass


@CLI_SETTINGS
@given(key=st.text(min_size=1, max_size=60), doc=documents)
def test_any_key_and_document_round_trip_through_the_cli(
    cli: Run, store: str, key: str, doc: dict[str, Any]
) -> None:
    # "--" ends the options, so keys that start with "-" are keys too
    result = cli("set", store, "--", key, "-", stdin=json.dumps(doc).encode())
    if result.code != 0:  # only keys a store cannot hold (lone surrogates) may be refused
        assert result.code == 6
        assert any(0xD800 <= ord(c) < 0xE000 for c in key)
        one_error_line(result)
        return
    got = cli("get", store, "--", key)
    assert got.code == 0
    assert json.loads(got.out) == doc
    listed = [json.loads(x)["key"] for x in cli("ls", "--json", store, "--", key).out.splitlines()]
    assert key in listed
    assert cli("rm", store, "--", key).code == 0


@CLI_SETTINGS
@given(data=st.binary(max_size=300))
def test_any_bytes_to_set_store_or_refuse_clearly(cli: Run, store: str, data: bytes) -> None:
    result = cli("set", store, "fuzz/k", "-", stdin=data)
    assert result.code in (0, 6)
    if result.code == 6:
        assert "standard input" in one_error_line(result)


async def _put(url: str, body: bytes) -> None:
    from explorer.storage import open_store

    async with open_store(url) as store:
        await store.write_raw(RawItem(key="fuzz/stored", body=body))


@CLI_SETTINGS
@given(body=st.binary(max_size=200) | documents.map(lambda d: json.dumps(d).encode()))
def test_any_stored_body_gets_decoded_or_one_clear_error_and_exports_exactly(
    cli: Run, store: str, tmp_path_factory: Any, body: bytes
) -> None:
    import asyncio

    asyncio.run(_put(store, body))
    got = cli("get", store, "fuzz/stored")
    if got.code == 0:
        assert isinstance(json.loads(got.out), dict)
    else:
        assert got.code == 6
        assert "'fuzz/stored'" in one_error_line(got)
    dump = tmp_path_factory.mktemp("x") / "d.jsonl"
    assert cli("export", store, str(dump)).code == 0
    back, _ = line_to_item(dump.read_text(encoding="utf-8"))
    assert back.body == body
