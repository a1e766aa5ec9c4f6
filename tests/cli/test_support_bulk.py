"""``bulk STORE (--prefix|--keys|--user) ACTION``: plan, apply as one operation, revert."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from tests.cli.conftest import Run, one_error_line, raw_of_all
from tests.support.support_stores import (
    HOLDS_USER,
    USER,
    Place,
)


def test_bulk_set_plan_apply_revert(cli: Run, place: Place) -> None:
    before = raw_of_all(cli, place)
    args = ("bulk", place.url, "--prefix", "msteams/users/", "--set", 'UserProfile.lang="de"')
    dry = cli(*args, "--dry-run", *place.options)
    assert dry.code == 0, dry.err
    planned = [line.split("\t") for line in dry.out.splitlines()]
    assert {p[0] for p in planned} == {"set"}
    assert "dry run: nothing was changed" in dry.err
    assert raw_of_all(cli, place) == before
    assert cli(*args, *place.options).code == 2  # no terminal, no --yes

    done = cli(*args, "--yes", *place.options)
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    assert lines[: len(planned)] == dry.out.splitlines()
    assert lines[-2].startswith(f"changed {len(planned)} items (operation op-")
    key = place.stored(f"msteams/users/{USER}")
    assert json.loads(cli("get", place.url, key, *place.options).out)["UserProfile"] == {
        "name": "Ada Lovelace",
        "lang": "de",
    }
    undo = cli(*shlex.split(lines[-1])[1:], *place.options)  # the printed line, as typed
    assert undo.code == 0, undo.err
    assert raw_of_all(cli, place) == before


def test_bulk_by_user_and_by_key_file(cli: Run, place: Place, tmp_path: Path) -> None:
    listed = cli("user", place.url, USER, *place.options).out
    unset = cli("bulk", place.url, "--user", USER, "--unset", "/UserProfile/lang", "--yes",
                *place.options)  # fmt: skip
    assert unset.code == 0, unset.err
    rows = [line.split("\t") for line in unset.out.splitlines()[:-2]]
    assert sorted(r[0] for r in rows) == ["unchanged"] * (len(HOLDS_USER) - 2) + ["unset"] * 2
    keys = tmp_path / "keys.txt"
    keys.write_text(listed, "utf-8")  # `user` output as it is
    deleted = cli("bulk", place.url, "--keys", str(keys), "--delete", "--yes", *place.options)
    assert deleted.code == 0, deleted.err
    assert deleted.out.splitlines()[-2].startswith(f"deleted {len(HOLDS_USER)} items")
    assert cli("user", place.url, USER, *place.options).out == ""


def test_bulk_refusals(cli: Run, store: str, tmp_path: Path) -> None:
    assert cli("set", store, "a/users/b", "-", stdin=b'{"P": {"x": 1}}').code == 0
    bad_json = cli("bulk", store, "--prefix", "a/", "--set", "P.x=de", "--yes")
    assert bad_json.code == 2
    assert "is not JSON" in one_error_line(bad_json)
    assert cli("bulk", store, "--prefix", "a/", "--set", "P.x", "--yes").code == 2
    assert cli("bulk", store, "--prefix", "a/", "--delete", "--unset", "P", "--yes").code == 2
    assert cli("bulk", store, "--delete", "--yes").code == 2  # no selection
    read_only = cli("bulk", store, "--prefix", "a/", "--delete", "--yes", "--read-only")
    assert read_only.code == 5
    assert cli("bulk", store, "--keys", str(tmp_path / "nope.txt"), "--delete", "--yes").code == 6
    nothing = cli("bulk", store, "--prefix", "a/", "--unset", "Q", "--yes")
    assert nothing.code == 0
    assert nothing.out == "unchanged\ta/users/b\tno property Q\n"
    assert json.loads(cli("get", store, "a/users/b").out) == {"P": {"x": 1}}
