"""Encoding and writing blobs, etag-checked; deleting every form of a key.

- Writing back an item read from here keeps its name, content type, metadata and
  body style; only changed properties differ (``encode(key, doc, like=raw)``).
  A new item gets the container's main dialect (or the form its key already has).
- Conditional writes send If-Match, creates If-None-Match ``*``; 412/409 (and a
  404 on a conditional write: deleted meanwhile) become ``ETagConflictError``
  naming the key. Read-only is checked before any request.
- ``write`` runs concurrently; conflicting keys are left untouched and reported
  together. ``delete`` removes every form of a key (a migrated container).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.storage.blob import ContentSettings

from explorer.core.errors import ETagConflictError, StorageError
from explorer.core.items import RawItem
from explorer.storage import blob_dialects as dialects
from explorer.storage.base import as_document, etag_conflict, public_attributes, requested_etag
from explorer.storage.blob.core import EXTRA_SETTINGS, BlobCore, etag, gather, quoted
from explorer.storage.blob.errors import error_code
from explorer.storage.blob_dialects import BlobDialect

#: ``RawItem``'s default content type: an item built without one
_GENERIC_CONTENT_TYPE = RawItem(key="", body=b"").content_type


class BlobWrites(BlobCore):
    """The codec, raw writes and deletes, and the document trio's write and delete."""

    def _placement(self, item: RawItem) -> tuple[str, BlobDialect, str]:
        """Name, dialect and content type under which ``item`` is written.

        An item in blob form (its ``dialect`` is a blob dialect) is written as it
        says. Any other item goes under the name the key already has here (else
        the container's main dialect's name); it keeps its content type unless
        that is the generic default, which becomes the dialect's own.
        """
        found = dialects.DIALECTS.get(item.dialect)
        if found is not None:
            return item.name or found.name_of(item.key), found, item.content_type
        cached = self._names.get(item.key)
        found = dialects.DIALECTS[cached[1]] if cached else self._profile.main
        name = cached[0] if cached else found.name_of(item.key)
        generic = item.content_type in ("", _GENERIC_CONTENT_TYPE)
        return name, found, found.content_type if generic else item.content_type

    async def write_raw(
        self, item: RawItem, *, if_match: str | None = None, create: bool = False
    ) -> RawItem:
        """Store ``item`` as it is; an item not in blob form gets the container's form."""
        self.check_writable("write", item.key)
        await self._settled()
        name, found, content_type = self._placement(item)
        metadata = {k: str(v) for k, v in item.meta.items() if not k.startswith("$")}
        extras = {k[1:]: item.meta[k] for k in item.meta if k[1:] in EXTRA_SETTINGS}
        options: dict[str, Any] = {
            "overwrite": not create,
            "content_settings": ContentSettings(content_type=content_type or None, **extras),
            "metadata": metadata or None,
        }
        if if_match not in (None, "*") and not create:
            options["etag"] = quoted(str(if_match))
            options["match_condition"] = MatchConditions.IfNotModified
        async with self._limit:
            try:
                reply = await self._container.get_blob_client(name).upload_blob(
                    item.body, **options
                )
            except ResourceExistsError:
                raise ETagConflictError(
                    item.key, f"{item.key!r} already exists; reload it and apply your change again"
                ) from None
            except ResourceModifiedError:
                raise ETagConflictError(item.key) from None
            except ResourceNotFoundError as exc:
                if error_code(exc) != "ContainerNotFound" and "etag" in options:
                    raise ETagConflictError(item.key) from None
                raise self._error(exc, item.key, "write") from None
            except HttpResponseError as exc:
                if exc.status_code in (409, 412):
                    raise ETagConflictError(item.key) from None
                raise self._error(exc, item.key, "write") from None
            except AzureError as exc:
                raise self._error(exc, item.key, "write") from None
        self._remember(item.key, name, found.name)
        return replace(
            item,
            name=name,
            dialect=found.name,
            content_type=content_type,
            etag=etag(reply.get("etag")),
            last_modified=reply.get("last_modified"),
        )

    async def delete_raw(self, key: str, *, if_match: str | None = None) -> None:
        """Delete every blob that stores ``key``; with ``if_match``, the one that matches."""
        self.check_writable("delete", key)
        names = [name for name, _ in self._candidates(key)]
        self._names.pop(key, None)
        if if_match in (None, "*"):
            await gather(self._delete(key, name, None) for name in names)
            return
        for name in names:
            if await self._delete(key, name, str(if_match)):
                return
        raise ETagConflictError(key)

    async def _delete(self, key: str, name: str, if_match: str | None) -> bool:
        options: dict[str, Any] = {}
        if if_match is not None:
            options = {"etag": quoted(if_match), "match_condition": MatchConditions.IfNotModified}
        async with self._limit:
            try:
                await self._container.delete_blob(name, **options)
            except ResourceNotFoundError as exc:
                if error_code(exc) == "ContainerNotFound":
                    raise self._error(exc, key, "delete") from None
                return False
            except (ResourceModifiedError, ResourceExistsError):
                return False
            except HttpResponseError as exc:
                if exc.status_code == 412:
                    return False
                raise self._error(exc, key, "delete") from None
            except AzureError as exc:
                raise self._error(exc, key, "delete") from None
        return True

    # -- codec ---------------------------------------------------------------

    def encode(
        self, key: str, document: Mapping[str, Any], *, like: RawItem | None = None
    ) -> RawItem:
        """``document`` as a blob: in ``like``'s exact form, else in the container's form.

        See ``blob_dialects.encode_body`` for what write-back keeps (everything
        but the changed properties, and a python body's stale ``e_tag``).
        """
        document = as_document(document)
        if like is not None and like.dialect in dialects.DIALECTS:
            found = dialects.DIALECTS[like.dialect]
            body = self._body(key, document, found, like)
            # another key in like's form (a copy) gets its own name in that dialect
            name = like.name if key == like.key and like.name else found.name_of(key)
            return replace(like, key=key, body=body, name=name)
        cached = self._names.get(key)
        found = dialects.DIALECTS[cached[1]] if cached else self._profile.main
        name = cached[0] if cached else found.name_of(key)
        body = self._body(key, document, found, None)
        return RawItem(
            key=key, body=body, content_type=found.content_type, name=name, dialect=found.name
        )

    @staticmethod
    def _body(
        key: str, document: Mapping[str, Any], found: BlobDialect, like: RawItem | None
    ) -> bytes:
        try:
            return dialects.encode_body(
                document,
                found,
                like_body=like.body if like is not None else None,
                like_etag=like.etag if like is not None else None,
                default=public_attributes,
            )
        except (TypeError, ValueError, RecursionError) as exc:
            raise StorageError(
                f"cannot store {key!r}: {exc}; keep state to JSON values and plain objects",
                key=key,
            ) from None

    # -- the document trio ---------------------------------------------------

    async def write_documents(self, changes: Mapping[str, Mapping[str, Any]]) -> None:
        """Write concurrently; conflicting keys are left untouched and reported together."""
        if not changes:
            return
        for key in changes:
            self.check_writable("write", key)
        await self._settled()  # the container's form for new keys

        async def one(key: str, value: Mapping[str, Any]) -> str | None:
            document = as_document(value)
            item = self.encode(key, document)
            try:
                await self.write_raw(item, if_match=requested_etag(document))
            except ETagConflictError:
                return key
            return None

        results = await gather(one(k, v) for k, v in changes.items())
        conflicts = [key for key in results if key is not None]
        if conflicts:
            raise etag_conflict(conflicts)

    async def delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.check_writable("delete", key)
        await gather(self.delete_raw(key) for key in dict.fromkeys(keys))
