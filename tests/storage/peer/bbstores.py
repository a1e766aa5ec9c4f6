"""The storages the botbuilder-python peer scripts run on, from a JSON spec (botbuilder venv).

``open_storage(spec, state_classes)`` is an async context manager giving what a
bot passes to ``ConversationState`` / ``UserState``:

- ours, as a botbuilder-python bot opens them (``objects=True``; a spec with
  ``"objects": false`` opens one without object mode):
  ``{"kind": "memory"}``, ``{"kind": "sqlite", "path": ...}``,
  ``{"kind": "blob", "connection_string": ..., "container": ...}``,
  ``{"kind": "cosmos", "endpoint": ..., "key": ..., "database": ..., "container": ...}``
  (our blob and cosmos need ``azure_overlay()`` on ``PYTHONPATH``);
- botbuilder's own: ``"bb-blob"`` (``BlobStorage``) and ``"bb-cosmos"``
  (``CosmosDbPartitionedStorage``, TLS checks off for the emulator) with the
  same members.

``"bb-*"`` storages take no ``state_classes``: jsonpickle rebuilds any class.
"""

import contextlib


@contextlib.asynccontextmanager
async def open_storage(spec, state_classes=()):
    kind = spec["kind"]
    if kind.startswith("bb-"):
        yield botbuilders(spec)
        return
    objects = spec.get("objects", True)  # False: as the explorer opens a store
    options = {"objects": objects, "state_classes": state_classes if objects else ()}
    if kind == "memory":
        from explorer.storage.memory import MemoryStorage

        storage = MemoryStorage(**options)
    elif kind == "sqlite":
        from explorer.storage.sqlite import SqliteStorage

        storage = SqliteStorage(spec["path"], **options)
    elif kind == "blob":
        from explorer.storage.blob import from_url

        storage = from_url(
            f"blob://{spec['container']}",
            connection_string=spec["connection_string"],
            create_container=True,
            **options,
        )
    elif kind == "cosmos":
        from explorer.storage.cosmos import CosmosStorage

        storage = CosmosStorage(
            spec["database"],
            spec["container"],
            endpoint=spec["endpoint"],
            key=spec["key"],
            insecure=True,  # the emulator's self-signed certificate
            **options,
        )
    else:
        raise ValueError(f"unknown storage kind {kind!r}")
    async with storage:
        yield storage


def botbuilders(spec):
    if spec["kind"] == "bb-blob":
        from botbuilder.azure import BlobStorage, BlobStorageSettings

        return BlobStorage(
            BlobStorageSettings(
                container_name=spec["container"], connection_string=spec["connection_string"]
            )
        )
    from azure.cosmos import documents
    from botbuilder.azure import CosmosDbPartitionedConfig, CosmosDbPartitionedStorage

    policy = documents.ConnectionPolicy()
    policy.DisableSSLVerification = True  # the emulator's self-signed certificate
    return CosmosDbPartitionedStorage(
        CosmosDbPartitionedConfig(
            cosmos_db_endpoint=spec["endpoint"],
            auth_key=spec["key"],
            database_id=spec["database"],
            container_id=spec["container"],
            cosmos_client_options={"connection_policy": policy},
        )
    )
