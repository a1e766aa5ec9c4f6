"""A read-only SAS (``sp=rl``) opens the store read-only and says why; a change the
SAS does not allow is refused with exit 5 (read-only) naming the missing permission."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from azure.storage.blob import ContainerSasPermissions, generate_container_sas

from tests.cli.conftest import Run, one_error_line
from tests.support.azurite import Azurite, create_containers, unique_container

pytestmark = pytest.mark.emulator
ACCOUNT = "devstoreaccount1"


def _sas_connection(azurite: Azurite, container: str, permission: str) -> str:
    key = azurite.connection_string.split("AccountKey=")[1].split(";")[0]
    sas = generate_container_sas(
        ACCOUNT,
        container,
        account_key=key,
        permission=ContainerSasPermissions.from_string(permission),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    endpoint = azurite.connection_string.split("BlobEndpoint=")[1].split(";")[0]
    return f"BlobEndpoint={endpoint};SharedAccessSignature={sas}"


@pytest.fixture
def container(cli: Run, azurite: Azurite) -> str:
    name = unique_container()
    asyncio.run(create_containers(azurite.connection_string, name))
    done = cli("set", f"blob://{name}", "msteams/users/u1", "-",
               "--connection-string", azurite.connection_string, stdin=b'{"a": 1}')  # fmt: skip
    assert done.code == 0, done.err
    return name


def test_a_read_only_sas_reads_and_refuses_writes_up_front(
    cli: Run, azurite: Azurite, container: str
) -> None:
    opts = ("--connection-string", _sas_connection(azurite, container, "rl"))
    listed = cli("ls", f"blob://{container}", *opts)
    assert listed.code == 0, listed.err
    assert listed.out == "user\tmsteams/users/u1\n"
    assert "opened read-only: its SAS grants only 'rl' (no 'w', write)" in listed.err
    refused = cli("set", f"blob://{container}", "msteams/users/u1", "-", *opts, stdin=b"{}")
    assert refused.code == 5
    error = refused.err.strip().splitlines()[-1]
    assert "the store is open read-only; its SAS grants only 'rl' (no 'w', write)" in error
    got = cli("get", f"blob://{container}", "msteams/users/u1",
              "--connection-string", azurite.connection_string)  # fmt: skip
    assert json.loads(got.out) == {"a": 1}  # nothing changed


def test_a_sas_without_delete_refuses_rm_naming_the_permission(
    cli: Run, azurite: Azurite, container: str
) -> None:
    opts = ("--connection-string", _sas_connection(azurite, container, "rwl"))
    written = cli("set", f"blob://{container}", "msteams/users/u1", "-", *opts, stdin=b'{"b": 2}')
    assert written.code == 0, written.err
    refused = cli("rm", f"blob://{container}", "msteams/users/u1", *opts)
    assert refused.code == 5
    line = one_error_line(refused)
    assert "AuthorizationPermissionMismatch" in line
    assert "'d' permission" in line
    assert cli("get", f"blob://{container}", "msteams/users/u1", *opts).code == 0
