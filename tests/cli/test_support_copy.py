"""``copy STORE FROM_KEY TO_KEY [--to STORE2] [--redact]``: written in the target's own form."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Run
from tests.support.support_stores import USER, Place

NEW = "29:1NEW"
#: kind -> (key written, its stored name) for TO_KEY msteams/users/29:1NEW
EXPECTED = {
    "sqlite": (f"msteams/users/{NEW}", f"msteams/users/{NEW}"),
    "blob-python": (f"msteams/users/{NEW}", f"msteams/users/{NEW}"),
    "blob-js": (f"msteams/users/{NEW}", "msteams%2Fusers%2F29%3A1NEW"),
    "cosmos-python": (f"msteams/users/{NEW}", "msteams*47users*4729:1NEW"),
    "cosmos-js": (f"msteams/users/{NEW}/", "msteams*2fusers*2f29:1NEW*2f"),
}


def _listed(cli: Run, place: Place, key: str) -> dict[str, object]:
    rows = [json.loads(x) for x in cli("ls", place.url, "--json", *place.options).out.splitlines()]
    return next(r for r in rows if r["key"] == key)


def test_copy_from_another_store_takes_the_targets_form(
    cli: Run, place: Place, tmp_path: Path
) -> None:
    source = f"sqlite:{tmp_path / 'prod copy.db'}"
    doc = {"UserProfile": {"name": "Ada Lovelace", "email": "ada@example.com", "lang": "en"}}
    src_key = f"msteams/users/{USER}"
    assert cli("set", source, src_key, "-", stdin=json.dumps(doc).encode()).code == 0
    result = cli("copy", source, src_key, f"msteams/users/{NEW}", "--to", place.url, *place.options)
    assert result.code == 0, result.err
    key, name = EXPECTED[place.kind]
    assert result.out == f"{key}\n"
    assert _listed(cli, place, key)["name"] == name
    assert json.loads(cli("get", place.url, key, *place.options).out) == doc
    assert f"undo: botstate-explorer revert {place.url} {key}" in result.err.replace("'", "")

    again = cli("copy", source, src_key, f"msteams/users/{NEW}", "--to", place.url, *place.options)
    assert again.code == 4
    assert "already exists" in again.err
    redacted = cli(
        "copy", source, src_key, f"msteams/users/{NEW}", "--to", place.url, "--redact",
        "--overwrite", *place.options,
    )  # fmt: skip
    assert redacted.code == 0, redacted.err
    masked = json.loads(cli("get", place.url, key, *place.options).out)["UserProfile"]
    assert masked["name"] != "Ada Lovelace"
    assert masked["email"] != "ada@example.com"
    assert masked["lang"] == "en"
    assert _listed(cli, place, key)["name"] == name  # overwriting keeps the item's form
    undo = cli("revert", place.url, key, *place.options)
    assert undo.code == 0, undo.err
    assert json.loads(cli("get", place.url, key, *place.options).out) == doc


def test_copy_within_a_store_keeps_the_body(cli: Run, place: Place) -> None:
    src = place.stored(f"msteams/users/{USER}")
    result = cli("copy", place.url, src, f"msteams/users/{NEW}", *place.options)
    assert result.code == 0, result.err
    key, name = EXPECTED[place.kind]
    assert result.out == f"{key}\n"
    assert _listed(cli, place, key)["name"] == name
    got = cli("get", place.url, key, *place.options)
    assert json.loads(got.out) == json.loads(cli("get", place.url, src, *place.options).out)
    if not place.kind.startswith("cosmos"):  # a Cosmos body is its {id, realId, document}
        raw_src = cli("get", place.url, src, "--raw", *place.options).out
        assert cli("get", place.url, key, "--raw", *place.options).out == raw_src


def test_copy_refuses_read_only_targets_and_missing_sources(cli: Run, store: str) -> None:
    assert cli("set", store, "a/users/b", "-", stdin=b'{"x": 1}').code == 0
    assert cli("copy", store, "a/users/b", "a/users/c", "--read-only").code == 5
    assert cli("copy", store, "a/users/nope", "a/users/c").code == 3
    assert cli("copy", store, "a/users/b", "a/users/b").code == 1
    assert cli("get", store, "a/users/c").code == 3
