"""``@NAME``: the connections saved in the window, used from the command line.

The profiles file is the one the window writes (``explorer.workspace.profiles``), in the
user data directory; secrets come from the keychain (an in-memory one here).
Production connections are read-only unless ``--unlock``; the audit log names
the connection; the listing never shows a secret; an unreadable file is kept.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from explorer.workspace.audit import AuditLog
from explorer.workspace.profiles import Profile, ProfileStore
from tests.cli.conftest import Run, one_error_line
from tests.support.azurite import Azurite, create_containers, unique_container
from tests.support.keyrings import MemoryKeyring, memory_keyring

DOC = {"UserProfile": {"name": "Ada", "age": 36}}
KEY = "webchat/users/u1"


@pytest.fixture
def keychain() -> Iterator[MemoryKeyring]:
    with memory_keyring() as backend:
        yield backend


@pytest.fixture
def profiles(data_dir: Path, keychain: MemoryKeyring) -> ProfileStore:
    return ProfileStore(data_dir / "connections.json")


def _sqlite(profiles: ProfileStore, tmp_path: Path, name: str, environment: str) -> str:
    path = tmp_path / f"{environment}.db"
    profiles.save(Profile(name, "sqlite", environment, {"path": str(path)}))
    return f"sqlite:{path}"


def test_a_saved_connection_opens_by_name(cli: Run, profiles: ProfileStore, tmp_path: Path) -> None:
    url = _sqlite(profiles, tmp_path, "local copy", "dev")
    assert cli("set", url, KEY, "-", stdin=json.dumps(DOC).encode()).code == 0
    listed = cli("ls", "@local copy")
    assert listed.code == 0, listed.err
    assert listed.out == f"user\t{KEY}\n"
    assert json.loads(cli("get", "@local copy", KEY).out) == DOC
    edited = cli("set", "@local copy", KEY, "-", stdin=b'{"UserProfile": {"age": 37}}')
    assert edited.code == 0, edited.err
    assert json.loads(cli("get", url, KEY).out) == {"UserProfile": {"age": 37}}
    audit = list(AuditLog(profiles.path.parent / "audit.jsonl").iter_entries(key=KEY))
    assert [e.profile for e in audit] == [None, "local copy"]  # it names the connection
    assert all(e.store == audit[0].store for e in audit)  # the same store either way


def test_production_connections_are_read_only_unless_unlocked(
    cli: Run, profiles: ProfileStore, tmp_path: Path
) -> None:
    url = _sqlite(profiles, tmp_path, "contoso", "prod")
    assert cli("set", url, KEY, "-", stdin=json.dumps(DOC).encode()).code == 0
    before = cli("get", url, KEY, "--raw").out
    refused = cli("set", "@contoso", KEY, "-", stdin=b'{"UserProfile": {}}')
    assert refused.code == 5
    message = one_error_line(refused)
    assert "'contoso' is a production connection" in message
    assert "--unlock" in message
    assert cli("rm", "@contoso", KEY).code == 5
    assert cli("get", url, KEY, "--raw").out == before  # nothing changed
    assert cli("ls", "@contoso").code == 0  # reading needs no unlock
    unlocked = cli("set", "@contoso", KEY, "-", "--unlock", stdin=b'{"UserProfile": {}}')
    assert unlocked.code == 0, unlocked.err
    assert json.loads(cli("get", url, KEY).out) == {"UserProfile": {}}
    # --read-only still wins over --unlock
    assert cli("rm", "@contoso", KEY, "--unlock", "--read-only").code == 5


def test_unknown_names_list_the_saved_ones(
    cli: Run, profiles: ProfileStore, tmp_path: Path
) -> None:
    _sqlite(profiles, tmp_path, "alpha", "dev")
    _sqlite(profiles, tmp_path, "beta", "test")
    missing = cli("ls", "@gamma")
    assert missing.code == 2
    assert "no saved connection named 'gamma'; saved: 'alpha', 'beta'" in one_error_line(missing)
    listed = cli("connections")
    assert listed.code == 0
    assert [line.split("\t")[:3] for line in listed.out.splitlines()] == [
        ["alpha", "dev", "sqlite"],
        ["beta", "test", "sqlite"],
    ]


def test_an_unreadable_connections_file_is_never_overwritten(
    cli: Run, profiles: ProfileStore, tmp_path: Path
) -> None:
    profiles.path.parent.mkdir(parents=True)
    profiles.path.write_text('{"connections": [{"name": "half-written', encoding="utf-8")
    listed = cli("connections")
    assert listed.code == 1
    assert "cannot be read" in listed.err
    assert "half-written" in profiles.path.read_text()  # reading changed nothing
    assert "cannot be read" in one_error_line(cli("ls", "@anything"))
    _sqlite(profiles, tmp_path, "fresh", "dev")  # saving moves the bad file aside first
    [aside] = profiles.path.parent.glob("connections.json.unreadable-*")
    assert "half-written" in aside.read_text()
    assert aside.name in (profiles.problem or "")
    assert [p.name for p in ProfileStore(profiles.path).profiles()] == ["fresh"]


def test_one_unreadable_entry_is_kept_too(cli: Run, profiles: ProfileStore, tmp_path: Path) -> None:
    profiles.path.parent.mkdir(parents=True)
    good = {"name": "good", "kind": "sqlite", "settings": {"path": str(tmp_path / "g.db")}}
    bad = {"kind": "blob", "settings": {"container": "no-name-here"}}
    profiles.path.write_text(json.dumps({"connections": [good, bad]}), encoding="utf-8")
    listed = cli("connections")
    assert listed.code == 1  # the good one is listed, the bad one is reported
    assert listed.out.startswith("good\tdev\tsqlite\t")
    assert "no-name-here" in listed.err
    _sqlite(profiles, tmp_path, "new", "dev")
    [aside] = profiles.path.parent.glob("connections.json.unreadable-*")
    assert "no-name-here" in aside.read_text()  # nothing lost
    assert [p.name for p in ProfileStore(profiles.path).profiles()] == ["good", "new"]


@pytest.mark.emulator
def test_a_blob_connection_takes_its_secret_from_the_keychain(
    cli: Run, profiles: ProfileStore, keychain: MemoryKeyring, azurite: Azurite
) -> None:
    container = unique_container("saved")
    profile = Profile("customer blob", "blob", "dev", {"container": container})
    profiles.save(profile, azurite.connection_string)
    assert "AccountKey" not in profiles.path.read_text()  # the secret is in the keychain only
    asyncio.run(create_containers(azurite.connection_string, container))
    demo = cli("demo", "@customer blob", "--users", "3", "--conversations", "2")
    assert demo.code == 0, demo.err
    listed = cli("ls", "@customer blob")
    assert listed.code == 0, listed.err
    assert len(listed.out.splitlines()) > 5
    shown = cli("connections", "--json")
    assert json.loads(shown.out) == {
        "name": "customer blob",
        "environment": "dev",
        "kind": "blob",
        "store": f"blob://{container}",
        "auth": "secret",
    }
    assert "AccountKey" not in shown.out + shown.err
    keychain.passwords.clear()  # no secret: the error says what is missing, not a traceback
    lost = cli("ls", "@customer blob")
    assert lost.code != 0
    assert "Traceback" not in lost.err


def test_connections_are_added_and_removed_from_the_command_line(
    cli: Run,
    data_dir: Path,
    keychain: MemoryKeyring,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    added = cli("connections", "add", "local", "sqlite:state.db", "--env", "prod")
    assert added.code == 0, added.err
    assert "saved 'local'" in added.err
    assert cli("set", "sqlite:state.db", KEY, "-", stdin=json.dumps(DOC).encode()).code == 0
    monkeypatch.chdir(data_dir.parent.parent)  # the saved path does not depend on the folder
    assert cli("ls", "@local").out == f"user\t{KEY}\n"
    assert cli("rm", "@local", KEY).code == 5  # --env prod: read-only unless --unlock
    secret = "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=c2VjcmV0;"
    blob = cli("connections", "add", "cloud", "blob://botstate", "--connection-string", secret)
    assert blob.code == 0, blob.err
    assert secret not in blob.err
    assert keychain.passwords[("botstate-explorer", "cloud")] == secret
    assert secret not in (data_dir / "connections.json").read_text()
    listed = cli("connections").out.splitlines()
    assert listed == [
        "cloud\tdev\tblob\tblob://botstate",
        f"local\tprod\tsqlite\tsqlite:{tmp_path / 'state.db'}",
    ]
    assert cli("connections", "rm", "cloud").code == 0
    assert ("botstate-explorer", "cloud") not in keychain.passwords
    assert "no saved connection named 'cloud'" in one_error_line(cli("connections", "rm", "cloud"))
    assert cli("connections", "add", "only-a-name").code == 2
    assert cli("connections", "add", "typo", "sqllite:x.db").code == 2
    assert [line.split("\t")[0] for line in cli("connections").out.splitlines()] == ["local"]


def test_without_a_keychain_add_says_one_true_thing(cli: Run, data_dir: Path) -> None:
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        added = cli("connections", "add", "srv", "blob://c", "--env", "prod",
                    "--connection-string", "AccountKey=c2VjcmV0;AccountName=a")  # fmt: skip
    finally:
        keyring.set_keyring(previous)
    assert added.code == 0
    lines = added.err.strip().splitlines()
    assert len(lines) == 1, lines
    assert "saved 'srv': blob://c (prod), WITHOUT its secret" in lines[0]
    assert "--connection-string" in lines[0]
    assert "system keychain" in lines[0]
    assert "the secret in the system keychain" not in lines[0]
    assert "c2VjcmV0" not in (data_dir / "connections.json").read_text()
