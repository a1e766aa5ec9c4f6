"""Cosmos DB client construction: credentials, timeouts and retries, and the
container check made on open (reading its properties, creating it for a bot).

Plain functions over the SDK's ``CosmosClient`` / ``ContainerProxy``; the store
(``explorer.storage.cosmos.store``) owns the objects they return.

- Credentials: an account key wins, then a credential passed in, then Entra ID
  (``DefaultAzureCredential``, which the caller then owns and closes).
- Timeouts and retries are short for an interactive tool (see ``READ_TIMEOUT``);
  throttling (429) keeps the SDK's own budget (``THROTTLE_RETRIES``).
- The explorer never creates containers; a bot (``create=True``) gets the
  container created with partition key ``/id``; the database must exist.
- The container is read with its quota info: Cosmos DB then answers its
  document count in a header (``resource_usage``), the store's total at no
  query cost (a ``COUNT`` reads the whole index, RU in proportion to the store).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import AzureError
from azure.cosmos import PartitionKey, exceptions
from azure.cosmos.aio import ContainerProxy, CosmosClient

from explorer.core.errors import BackendUnavailableError
from explorer.storage.cosmos.errors import storage_error
from explorer.storage.cosmos_layout import RequestMeter

#: Client timeouts for an interactive tool. The SDK waits 65 s per read and
#: retries a timed-out request 3 times (a stalled server: over 4 minutes); here a
#: stalled or dying server fails within (RETRIES + 1) x READ_TIMEOUT (+ connect).
#: Throttling (429) keeps the SDK's own budget: 9 retries, as long as the service
#: asks (x-ms-retry-after-ms), 30 s at most.
CONNECTION_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
RETRIES = 1
#: the SDK's own throttling budget, passed explicitly: its ``retry_total``
#: would otherwise cap throttling retries too
THROTTLE_RETRIES = 9


def choose_credential(
    key: str | None, credential: AsyncTokenCredential | None
) -> tuple[str | AsyncTokenCredential, AsyncTokenCredential | None]:
    """The credential to sign in with (key, else ``credential``, else Entra ID) and
    the one made here, which the caller owns and closes (``None`` if none was)."""
    if key:
        return key, None
    if credential is not None:
        return credential, None
    from azure.identity.aio import DefaultAzureCredential

    owned = DefaultAzureCredential()
    return owned, owned


def new_client(
    endpoint: str,
    credential: str | AsyncTokenCredential,
    *,
    insecure: bool,
    timeouts: tuple[float, float, int],
) -> CosmosClient:
    """A client for ``endpoint``; ``timeouts`` is (connection timeout, read timeout,
    retries of a failed or timed-out request). ``insecure`` turns TLS checks off."""
    connect_timeout, read_timeout, retries = timeouts
    return CosmosClient(
        endpoint,
        credential,
        connection_verify=not insecure,
        connection_timeout=connect_timeout,
        read_timeout=read_timeout,
        retry_total=retries,
        retry_throttle_total=THROTTLE_RETRIES,
    )


#: the header of a container read with quota info that holds its usage
RESOURCE_USAGE = "x-ms-resource-usage"


def resource_usage(headers: Mapping[str, Any]) -> dict[str, int]:
    """Cosmos DB's ``x-ms-resource-usage`` header (``documentsCount=10000;
    documentsSize=4882;...``, sizes in KB) as numbers; empty when it is absent."""
    usage: dict[str, int] = {}
    for part in str(headers.get(RESOURCE_USAGE) or "").split(";"):
        name, _, value = part.partition("=")
        try:
            usage[name.strip()] = int(value)
        except ValueError:
            continue
    return usage


async def read_properties(
    container: ContainerProxy, meter: RequestMeter, usage: dict[str, int] | None = None
) -> dict[str, Any]:
    """The container's properties, read with its quota info: its usage
    (``resource_usage``) goes into ``usage``. One metadata read."""

    def hook(headers: Mapping[str, Any], body: Any) -> None:
        meter.hook(headers, body)
        if usage is not None:
            usage.update(resource_usage(headers))

    return dict(await container.read(populate_quota_info=True, response_hook=hook))


async def read_usage(container: ContainerProxy, meter: RequestMeter) -> dict[str, int]:
    """The container's usage read again (``resource_usage``; one metadata read)."""
    usage: dict[str, int] = {}
    await read_properties(container, meter, usage)
    return usage


async def container_properties(
    container: ContainerProxy,
    client: CosmosClient | None,
    meter: RequestMeter,
    *,
    database: str,
    name: str,
    url: str,
    endpoint: str,
    create: bool | str,
    created: list[str] | None = None,
    usage: dict[str, int] | None = None,
) -> dict[str, Any]:
    """The properties of container ``name``; a missing one is created when ``create``
    (else refused, naming what to check); ``create="database"`` also creates a
    missing database. What was created is appended to ``created``; the
    container's usage (``resource_usage``: ``documentsCount``...) goes into ``usage``.

    Creating needs ``client`` (a store built on a bare ``ContainerProxy`` has
    none) and an existing database; Entra ID data roles cannot create containers.
    """
    try:
        return await read_properties(container, meter, usage)
    except exceptions.CosmosResourceNotFoundError:
        if not create:
            raise BackendUnavailableError(
                f"container {name!r} does not exist in database "
                f"{database!r} at {endpoint}; the explorer never creates "
                "containers: check the names (or let the bot create it)"
            ) from None
    except AzureError as exc:
        raise storage_error(exc, "open the container", url=url, endpoint=endpoint) from exc
    if client is None:
        raise BackendUnavailableError(
            f"container {name!r} does not exist; pass a client or endpoint so it can be created"
        )
    db = client.get_database_client(database)
    try:
        await db.read(response_hook=meter.hook)
    except exceptions.CosmosResourceNotFoundError:
        if create != "database":
            raise BackendUnavailableError(
                f"database {database!r} does not exist at {endpoint}; "
                "create it first (bots create only the container)"
            ) from None
        try:
            db = await client.create_database_if_not_exists(database)
        except AzureError as exc:
            raise storage_error(exc, "create the database", url=url, endpoint=endpoint) from exc
        if created is not None:
            created.append(f"database {database!r}")
    try:
        proxy = await db.create_container_if_not_exists(
            name, PartitionKey(path="/id"), response_hook=meter.hook
        )
        if created is not None:
            created.append(f"container {name!r} (partition key /id)")
        return await read_properties(proxy, meter, usage)
    except exceptions.CosmosHttpResponseError as exc:
        if exc.status_code == 403:  # Entra ID data roles cannot create containers
            raise BackendUnavailableError(
                f"not allowed to create container {name!r} in "
                f"{database!r}: Entra ID data roles cannot create containers; "
                "create it (partition key /id) in the portal or with the account key"
            ) from exc
        raise storage_error(exc, "create the container", url=url, endpoint=endpoint) from exc
    except AzureError as exc:
        raise storage_error(exc, "create the container", url=url, endpoint=endpoint) from exc
