"""Blob SDK errors as the explorer's typed errors.

``storage_error`` turns an ``AzureError`` into a ``BackendUnavailableError``
(missing container, refused credentials, no connection) or a ``StorageError``
(any other answer, with status, reason and error code). Every message names
the operation, the key and the container and says what to do. Etag conflicts
(412, 409, a 404 on a conditional write) are mapped where they happen
(``writes.py``): only the caller knows what a 404 or 409 means there.
"""

from __future__ import annotations

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from explorer.core.errors import BackendUnavailableError, ReadOnlyError, StorageError

#: operations that change the container
_CHANGES = ("write", "delete", "create the container")


class PermissionReadOnlyError(ReadOnlyError):
    """A change the credentials are not allowed to make (exit status 5, read-only)."""

    def __init__(self, message: str, key: str | None) -> None:
        StorageError.__init__(self, message, key=key)


def error_code(exc: BaseException) -> str | None:
    """The Azure Storage error code of ``exc`` (``ContainerNotFound``...), if it has one."""
    code = getattr(exc, "error_code", None)
    return None if code is None else str(getattr(code, "value", code))  # a str enum or text


def storage_error(
    exc: BaseException, key: str | None, operation: str, container: str
) -> StorageError:
    """The typed error for ``exc`` raised by ``operation`` on ``key`` in ``container``.

    A failed connection during a write or delete says the change may or may not
    have been applied.
    """
    where = f"{key!r} in " if key is not None else ""
    target = f"{where}blob container {container!r}"
    code = error_code(exc)
    if code == "ContainerNotFound":
        return BackendUnavailableError(
            f"cannot {operation} {target}: the container does not exist; "
            "check the name, or create it (option create_container)",
            key=key,
        )
    if code == "AuthorizationPermissionMismatch" and operation in _CHANGES:
        letter = "d" if operation == "delete" else "w"
        return PermissionReadOnlyError(
            f"cannot {operation} {target}: the credentials may read but not change this "
            f"container (AuthorizationPermissionMismatch); a SAS needs the '{letter}' "
            "permission, a role assignment Storage Blob Data Contributor. Nothing was changed",
            key,
        )
    if isinstance(exc, ClientAuthenticationError) or code in (
        "AuthenticationFailed",
        "AuthorizationFailure",
        "AuthorizationPermissionMismatch",
    ):
        return BackendUnavailableError(
            f"cannot {operation} {target}: the credentials were refused ({code or exc}); "
            "check the connection string, key, SAS or role assignment",
            key=key,
        )
    if isinstance(exc, HttpResponseError) and exc.status_code:
        return StorageError(
            f"cannot {operation} {target}: {exc.status_code} {exc.reason} ({code}); "
            "try again, or check the storage account",
            key=key,
        )
    unknown = (
        " (the connection failed mid-request: the change may or may not have been "
        "applied; reload before changing anything)"
        if operation in ("write", "delete")
        else ""
    )
    return BackendUnavailableError(
        f"cannot {operation} {target}: {exc}{unknown}; check the network and the account URL",
        key=key,
    )
