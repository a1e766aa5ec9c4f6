"""``diff A B``: stores and export files, exit 0 equal / 1 different / 2+ errors."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Run, one_error_line
from tests.support.support_stores import ALL, USER, Place


def test_diff_store_against_its_export_and_a_sqlite_copy(
    cli: Run, place: Place, tmp_path: Path
) -> None:
    opts = place.options
    dump = tmp_path / "yesterday.jsonl"
    assert cli("export", place.url, str(dump), *opts).code == 0
    same = cli("diff", str(dump), place.url, *opts)
    assert (same.code, same.out) == (0, ""), same.err
    assert "no differences" in same.err
    copy = f"sqlite:{tmp_path / 'copy.db'}"
    for key in [json.loads(x)["key"] for x in dump.read_text("utf-8").splitlines()]:
        doc = cli("get", place.url, key, *opts).out
        assert cli("set", copy, key, "-", stdin=doc.encode()).code == 0
    equal = cli("diff", place.url, copy, *opts)
    assert (equal.code, equal.out) == (0, ""), equal.err  # other backend, other encoding

    key = place.stored(f"msteams/users/{USER}")
    doc = json.loads(cli("get", place.url, key, *opts).out)
    doc["UserProfile"]["lang"] = "de"
    doc["UserProfile"]["name"] = "Ada L."
    assert cli("set", place.url, key, "-", *opts, stdin=json.dumps(doc).encode()).code == 0
    gone = place.stored("msteams/users/29:1AbCD")
    assert cli("rm", place.url, gone, *opts).code == 0
    assert cli("set", place.url, "slack/users/U1", "-", *opts, stdin=b'{"a": 1}').code == 0
    changed = cli("diff", str(dump), place.url, *opts)
    assert changed.code == 1, changed.err
    lines = changed.out.splitlines()
    assert f"~ {key} UserProfile.name, UserProfile.lang" in lines
    assert f"- {gone}" in lines
    assert "+ slack/users/U1" in lines
    assert len(lines) == 3
    assert "3 keys differ" in changed.err
    rows = [
        json.loads(x) for x in cli("diff", str(dump), place.url, "--json", *opts).out.splitlines()
    ]
    assert {"key": "slack/users/U1", "change": "added", "paths": []} in rows
    assert {"key": key, "change": "changed", "paths": ["UserProfile.name", "UserProfile.lang"]} in (
        rows
    )
    only = cli("diff", str(dump), place.url, "--prefix", "slack/", *opts)
    assert (only.code, only.out) == (1, "+ slack/users/U1\n")
    assert len(ALL) > 3


def test_diff_errors_are_two_or_more(cli: Run, store: str, tmp_path: Path) -> None:
    assert cli("set", store, "a/users/b", "-", stdin=b"{}").code == 0
    missing = cli("diff", str(tmp_path / "nope.jsonl"), store)
    assert missing.code == 2
    assert "cannot read" in one_error_line(missing)
    unknown = cli("diff", "nosuch://x", store)
    assert unknown.code == 2
    absent_db = cli("diff", store, f"sqlite:{tmp_path / 'absent.db'}")
    assert absent_db.code >= 2
    assert cli("diff", store).code == 2  # usage


def test_diff_of_two_exports_with_a_bad_line(cli: Run, store: str, tmp_path: Path) -> None:
    assert cli("set", store, "a/users/b", "-", stdin=b'{"x": 1}').code == 0
    one, two = tmp_path / "1.jsonl", tmp_path / "2.jsonl"
    assert cli("export", store, str(one)).code == 0
    two.write_text(one.read_text("utf-8") + "not json\n", "utf-8")
    result = cli("diff", str(one), str(two))
    assert result.code == 0
    assert "2.jsonl line 2: not valid JSON" in result.err
