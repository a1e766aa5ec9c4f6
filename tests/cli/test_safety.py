"""Backups, revert and the audit log through the CLI; secrets never in any output."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from explorer.core.errors import BackendUnavailableError
from explorer.storage import open_store
from explorer.storage.registry import _registered, register_backend
from tests.cli.conftest import Run, one_error_line

KEY = "msteams/users/29:1AbC"
FIRST = b'{"UserProfile": {"py/object": "bots.Profile", "name": "Ada", "age": 38}, "n": [1, 2.5]}'


async def _raw(url: str, key: str) -> bytes:
    async with open_store(url, read_only=True) as store:
        return (await store.read_raw([key]))[key].body


def _audit(data_dir: Path) -> list[dict[str, Any]]:
    path = data_dir / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_set_set_revert_restores_the_first_value_exactly(
    cli: Run, store: str, data_dir: Path
) -> None:
    first = cli("set", store, KEY, "-", stdin=FIRST)
    assert first.code == 0
    stored_first = asyncio.run(_raw(store, KEY))
    second = cli("set", store, KEY, "-", stdin=b'{"UserProfile": {"name": "Grace"}}')
    assert second.code == 0
    history = cli("history", store, KEY)
    rows = [line.split("\t") for line in history.out.splitlines()]
    assert rows[0] == ["VERSION", "TIME", "ACTION", "STATE", "ETAG", "SIZE"]
    assert [(r[0], r[2], r[3], r[5]) for r in rows[1:]] == [
        ("1", "create", "applied", "absent"),
        ("2", "write", "applied", str(len(stored_first))),
    ]
    revert = cli("revert", store, KEY)
    assert revert.code == 0
    assert asyncio.run(_raw(store, KEY)) == stored_first
    assert json.loads(cli("get", store, KEY).out) == json.loads(FIRST)
    entries = [e for e in _audit(data_dir) if e["key"] == KEY]
    assert [(e["action"], e["outcome"]) for e in entries] == [
        ("create", "ok"),
        ("write", "ok"),
        ("revert", "ok"),
    ]
    assert entries[1]["old_etag"] == first.out.strip()
    assert entries[1]["new_etag"] == second.out.strip()
    assert entries[2]["new_etag"] == revert.out.strip()
    assert all(e["diff_sha256"] and e["user"] and e["store"] == store for e in entries)
    assert "Ada" not in (data_dir / "audit.jsonl").read_text()  # no values by default
    # and `audit` shows them, filtered
    shown = cli("audit", "--store", store, "--key", KEY)
    header, *rows = shown.out.splitlines()
    assert header.startswith("TIME\tUSER\tPROFILE\tACTION\t")
    assert [line.split("\t")[3] for line in rows] == ["create", "write", "revert"]
    assert cli("audit", "--key", "other").out == ""
    as_json = cli("audit", "--json", "--limit", "1")
    assert json.loads(as_json.out)["action"] == "revert"


def test_revert_to_version_one_deletes_and_refuses_unseen_changes(cli: Run, store: str) -> None:
    cli("set", store, KEY, "-", stdin=b'{"v": 1}')
    cli("set", store, KEY, "-", stdin=b'{"v": 2}')
    asyncio.run(_bot_writes(store, KEY, b'{"v": "bot"}'))
    refused = cli("revert", store, KEY)
    assert refused.code == 4
    assert "changed since the last change" in one_error_line(refused)
    etag = json.loads(cli("get", store, KEY, "--etag").out)["e_tag"]
    assert cli("revert", store, KEY, "--if-match", etag).code == 0
    assert json.loads(cli("get", store, KEY).out) == {"v": 1}
    deleted = cli("revert", store, KEY, "--to", "1")
    assert deleted.code == 0
    assert deleted.out.strip() == "deleted"
    assert cli("get", store, KEY).code == 3
    no_version = cli("revert", store, KEY, "--to", "99")
    assert no_version.code == 1
    assert "no backup version 99" in one_error_line(no_version)
    nothing = cli("revert", store, "never/written")
    assert "no backups" in one_error_line(nothing)
    assert cli("history", store, "never/written").out == ""


async def _bot_writes(url: str, key: str, body: bytes) -> None:
    async with open_store(url) as store:
        item = (await store.read_raw([key]))[key]
        await store.write_raw(store.encode(key, json.loads(body), like=item))


def test_rm_is_backed_up_and_revertable(cli: Run, store: str) -> None:
    cli("set", store, KEY, "-", stdin=FIRST)
    before = asyncio.run(_raw(store, KEY))
    assert cli("rm", store, KEY).code == 0
    assert cli("revert", store, KEY).code == 0
    assert asyncio.run(_raw(store, KEY)) == before


def test_values_in_the_audit_log_only_when_asked(cli: Run, store: str, data_dir: Path) -> None:
    cli("set", store, KEY, "-", stdin=b'{"name": "Ada"}')
    cli("set", store, KEY, "-", "--audit-values", stdin=b'{"name": "Grace"}')
    first, second = _audit(data_dir)
    assert "new_body" not in first
    assert "Ada" not in json.dumps(first)
    assert (second["old_body"], second["new_body"]) == ('{"name":"Ada"}', '{"name":"Grace"}')


def test_data_dir_option(cli: Run, store: str, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    cli("set", store, KEY, "-", "--data-dir", str(elsewhere), stdin=b"{}")
    assert (elsewhere / "audit.jsonl").exists()
    assert (elsewhere / "backups.db").exists()


# -- secrets -------------------------------------------------------------------------

ACCOUNT_KEY = "c2VjcmV0LWFjY291bnQta2V5LXRoYXQtbXVzdC1uZXZlci1sZWFr" + "=="
CONNECTION = (
    "DefaultEndpointsProtocol=https;AccountName=prod;"
    f"AccountKey={ACCOUNT_KEY};EndpointSuffix=core.windows.net"
)
COSMOS_KEY = "Y29zbW9zLWtleS10aGF0LW11c3QtbmV2ZXItbGVhaw" + "=="


class _EchoingFailure:
    """A backend whose SDK puts the credentials into its error text (some do)."""

    warnings: tuple[str, ...] = ()
    created: str | None = None

    def __init__(self, url: str, **options: Any) -> None:
        self.message = f"cannot reach {url} with {options} (AccountKey={ACCOUNT_KEY})"

    async def __aenter__(self) -> Any:
        raise BackendUnavailableError(self.message)

    async def __aexit__(self, *exc: object) -> None:
        return None


class _Crashing(_EchoingFailure):
    async def __aenter__(self) -> Any:
        raise RuntimeError(self.message)


@pytest.fixture
def leaky_backends() -> Iterator[None]:
    register_backend("leaky", lambda url, **kw: _EchoingFailure(url, **kw))  # type: ignore[arg-type,return-value]
    register_backend("crashy", lambda url, **kw: _Crashing(url, **kw))  # type: ignore[arg-type,return-value]
    yield
    _registered.pop("leaky", None)
    _registered.pop("crashy", None)


@pytest.mark.usefixtures("leaky_backends")
def test_secrets_never_in_error_messages(cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COSMOS_KEY", COSMOS_KEY)
    for argv in (
        ("ls", "leaky://c", "--connection-string", CONNECTION),
        ("get", "leaky://c", "k", "--key", COSMOS_KEY),
        ("ls", "crashy://c", "--connection-string", CONNECTION),
        ("ls", "crashy://c", "--connection-string", CONNECTION, "--debug"),
        ("set", "leaky://c", "k", "-", "--key", COSMOS_KEY),
    ):
        result = cli(*argv, stdin=b"{}")
        assert result.code != 0
        assert "Traceback" not in result.err or "--debug" in argv
        text = result.out + result.err
        assert ACCOUNT_KEY not in text, argv
        assert COSMOS_KEY not in text, argv
        assert "***" in text


def test_secrets_never_in_audit_backups_or_exports(
    cli: Run, store: str, data_dir: Path, tmp_path: Path
) -> None:
    opts = ("--connection-string", CONNECTION, "--key", COSMOS_KEY, "--profile", "prod")
    cli("set", store, KEY, "-", *opts, stdin=b'{"v": 1}')
    cli("set", store, KEY, "-", *opts, stdin=b'{"v": 2}')
    cli("revert", store, KEY, *opts)
    cli("rm", store, KEY, *opts)
    dump = tmp_path / "dump.jsonl"
    cli("export", store, str(dump), *opts)
    audit = cli("audit", "--connection-string", CONNECTION)
    files = [data_dir / "audit.jsonl", data_dir / "backups.db", dump]
    blobs = [p.read_bytes() for p in files] + [audit.out.encode(), audit.err.encode()]
    with sqlite3.connect(data_dir / "backups.db") as conn:
        blobs += [repr(row).encode() for row in conn.execute("SELECT * FROM backups")]
    for blob in blobs:
        assert ACCOUNT_KEY.encode() not in blob
        assert COSMOS_KEY.encode() not in blob
        assert b"AccountKey=" not in blob
