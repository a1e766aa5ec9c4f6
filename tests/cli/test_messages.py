"""What the command line says when nothing is printed on stdout, and exit codes that agree."""

from __future__ import annotations

import pytest

from tests.cli.conftest import Run, one_error_line


def test_rm_says_what_it_deleted(cli: Run, store: str) -> None:
    cli("set", store, "msteams/users/u1", "-", stdin=b"{}")
    done = cli("rm", store, "msteams/users/u1")
    assert done.code == 0
    assert "deleted msteams/users/u1" in done.err


def test_connections_with_none_saved_says_so(cli: Run) -> None:
    listed = cli("connections")
    assert (listed.code, listed.out) == (0, "")
    assert "no saved connections" in listed.err


def test_history_and_revert_of_a_key_without_backups_both_exit_3(cli: Run, store: str) -> None:
    cli("set", store, "msteams/users/u1", "-", stdin=b"{}")  # the store exists
    history = cli("history", store, "msteams/users/nobody")
    revert = cli("revert", store, "msteams/users/nobody")
    assert (history.code, revert.code) == (3, 3)
    assert "no backups of" in history.err
    assert "no backups of 'msteams/users/nobody'" in one_error_line(revert)


def test_audit_has_a_header_like_history(cli: Run, store: str) -> None:
    cli("set", store, "msteams/users/u1", "-", stdin=b"{}")
    lines = cli("audit").out.splitlines()
    assert lines[0].split("\t") == [
        "TIME", "USER", "PROFILE", "ACTION", "OUTCOME", "STORE", "KEY", "ETAGS", "SIZE"
    ]  # fmt: skip
    assert lines[1].split("\t")[6] == "msteams/users/u1"
    assert cli("history", store, "msteams/users/u1").out.startswith("VERSION\tTIME\t")


def test_set_if_match_on_a_key_that_never_existed(cli: Run, store: str) -> None:
    done = cli("set", store, "test/key2", "-", "--if-match", "0x8DC", stdin=b"{}")
    assert done.code == 4
    line = one_error_line(done)
    assert "'test/key2' does not exist" in line
    assert "nothing was written" in line
    assert cli("get", store, "test/key2").code == 3


def test_help_lists_every_global_option(cli: Run) -> None:
    text = cli("--help").out
    for option in ("--read-only", "--unlock", "--audit-values", "--data-dir", "--endpoint"):
        assert option in text, option


def test_the_cosmos_endpoint_hint_names_the_option_and_the_variable(
    cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COSMOS_ENDPOINT", raising=False)
    done = cli("ls", "cosmos://db/c", "--key", "a2V5")
    assert done.code == 7
    line = one_error_line(done)
    assert "--endpoint" in line
    assert "COSMOS_ENDPOINT" in line
