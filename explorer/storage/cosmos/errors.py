"""Cosmos DB SDK errors as the explorer's typed errors.

One function, ``storage_error``, turns an ``AzureError`` into a
``BackendUnavailableError`` (credentials refused, account unreachable) or a
``StorageError`` (any other answer, with the status and the service's first
line). Every message names the store, the endpoint, the action and the key.
Etag conflicts (412, 404 and 409 on a write) are mapped where they happen
(``writes.py``): only the caller knows whether a 404 means a conflict.
"""

from __future__ import annotations

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from explorer.core.errors import BackendUnavailableError, StorageError

#: statuses that mean "busy, or briefly unavailable": worth another try later
TRANSIENT = (408, 429, 449, 500, 503)


def storage_error(
    exc: BaseException, action: str, key: str | None = None, *, url: str, endpoint: str
) -> StorageError:
    """The typed error for ``exc`` raised while trying to ``action`` (``key``) in ``url``.

    A connection that failed mid-request, or any failed write or delete, says
    the change may or may not have been applied. ``endpoint`` empty means the
    store was given an SDK client.
    """
    target = f" {key!r}" if key is not None else ""
    where = f"{url} at {endpoint or 'the given client'}"
    status = exc.status_code if isinstance(exc, HttpResponseError) else None
    if isinstance(exc, ClientAuthenticationError) or status in (401, 403):
        return BackendUnavailableError(
            f"Cosmos DB refused the credentials for {where} ({action}{target}): check "
            "COSMOS_KEY, or that your Entra ID identity has a Cosmos DB data role",
            key=key,
        )
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        hint = (
            "a local emulator with a self-signed certificate needs --insecure"
            if "certificate" in str(exc).lower()
            else "check that the account (or emulator) is up and reachable, then try again"
        )
        unknown = (
            "; the change may or may not have been applied (the connection failed "
            "mid-request): reload before changing anything"
            if isinstance(exc, ServiceResponseError) or action in ("write", "delete")
            else ""
        )
        return BackendUnavailableError(
            f"cannot reach {where} to {action}{target}: {exc}{unknown}; {hint}", key=key
        )
    message = (exc.message if isinstance(exc, AzureError) else None) or str(exc)
    hint = (
        "; the service is busy or briefly unavailable: wait a moment and try again"
        if status in TRANSIENT
        else ""
    )
    return StorageError(
        f"Cosmos DB answered {status} when trying to {action}{target} in {where}: "
        f"{str(message).splitlines()[0][:300]}{hint}",
        key=key,
    )
