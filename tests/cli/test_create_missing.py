"""`demo` and `import` create a missing container (and Cosmos DB database) on a store
that is not production, saying so in one line; every other command never creates one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Run
from tests.support.azurite import Azurite, unique_container
from tests.support.cosmos_emulator import Emulator, unique_name

pytestmark = pytest.mark.emulator
SMALL = ("--users", "3", "--conversations", "2")


def test_blob_demo_creates_a_missing_container_and_says_so(cli: Run, azurite: Azurite) -> None:
    opts = ("--connection-string", azurite.connection_string)
    name = unique_container()
    listed = cli("ls", f"blob://{name}", *opts)
    assert listed.code == 7  # a read never creates it
    assert "does not exist" in listed.err
    demo = cli("demo", f"blob://{name}", *SMALL, *opts)
    assert demo.code == 0, demo.err
    assert f"note: created the blob container {name!r} (missing)" in demo.err
    assert cli("ls", f"blob://{name}", *opts).out.count("\n") > 0
    again = cli("demo", f"blob://{name}", *SMALL, *opts)
    assert "created" not in again.err  # it exists now: nothing said


def test_blob_import_creates_a_missing_container(
    cli: Run, azurite: Azurite, tmp_path: Path
) -> None:
    opts = ("--connection-string", azurite.connection_string)
    source, target = unique_container(), unique_container()
    assert cli("demo", f"blob://{source}", *SMALL, *opts).code == 0
    dump = tmp_path / "dump.jsonl"
    assert cli("export", f"blob://{source}", str(dump), *opts).code == 0
    imported = cli("import", f"blob://{target}", str(dump), *opts)
    assert imported.code == 0, imported.err
    assert f"created the blob container {target!r}" in imported.err
    assert cli("set", f"blob://{unique_container()}", "k", "-", *opts, stdin=b"{}").code == 7


def test_cosmos_demo_creates_database_and_container(cli: Run, cosmos_emulator: Emulator) -> None:
    opts = ("--endpoint", cosmos_emulator.endpoint, "--key", cosmos_emulator.key, "--insecure")
    url = f"cosmos://{unique_name('db')}/state"
    assert cli("ls", url, *opts).code == 7  # never created by a read
    demo = cli("demo", url, *SMALL, *opts)
    assert demo.code == 0, demo.err
    assert "created the Cosmos DB database" in demo.err
    assert "container 'state' (partition key /id)" in demo.err
    assert cli("ls", url, *opts).out.count("\n") > 0


def test_copy_to_another_store_creates_its_missing_container(cli: Run, azurite: Azurite) -> None:
    opts = ("--connection-string", azurite.connection_string)
    source, target = unique_container(), unique_container()
    assert cli("set", f"blob://{source}", "msteams/users/u1", "-", *opts,
               stdin=b'{"a": 1}').code == 7  # fmt: skip
    assert cli("demo", f"blob://{source}", *SMALL, *opts).code == 0
    assert (
        cli("set", f"blob://{source}", "msteams/users/u1", "-", *opts, stdin=b'{"a": 1}').code == 0
    )
    copied = cli("copy", f"blob://{source}", "msteams/users/u1", "msteams/users/u2",
                 "--to", f"blob://{target}", *opts)  # fmt: skip
    assert copied.code == 0, copied.err
    assert f"created the blob container {target!r}" in copied.err
    assert cli("get", f"blob://{target}", "msteams/users/u2", *opts).code == 0
