"""The bot-facing ``read`` / ``write`` of every storage, and its object mode.

A store has two pairs of document calls:

- ``read_documents`` / ``write_documents``: plain JSON documents, tags such as
  ``py/object`` kept as members. Each backend implements them; the explorer's
  state library (``explorer.state``) uses them, and the explorer itself uses raw
  access (``read_raw`` / ``decode``). Neither ever builds an object.
- ``read`` / ``write`` (this module): botbuilder's ``Storage`` contract, the
  calls a botbuilder-python bot makes. ``read(None)`` and ``write(None)``
  raise botbuilder's own messages, and a write whose ``e_tag`` is ``""`` is
  refused, as botbuilder's storages do. Without object mode they return and
  store exactly what the plain pair does.

Object mode (``objects=True``, what a botbuilder-python bot passes; off by
default) is the only place objects are built, so the difference between the
bot's path and the explorer's is which store object and which call: only a
store a bot opened with ``objects=True``, and only its ``read``.

- ``write``: a value holding anything but JSON (a ``DialogState``, an enum, a
  tuple...) is flattened with jsonpickle's own ``Pickler``: the call
  botbuilder's ``CosmosDbPartitionedStorage`` makes, and the one inside its
  ``BlobStorage``'s ``jsonpickle.encode``. So the document carries the same
  ``py/*`` tags botbuilder's storages write, and each reads what the other
  wrote. The flattened form is then read back once through ``revive``, so a
  class the storage would not give back is refused now, naming it. A plain
  JSON value is stored exactly as without object mode.
- ``read``: each document goes through ``revive`` (allow-listed, see there).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from explorer.core.errors import ObjectNotAllowedError, StorageError
from explorer.core.items import JsonObject
from explorer.storage.revive import revive
from explorer.storage.state_classes import StateClasses

_JSON_SCALARS = (str, int, float, bool, type(None))

#: the options of object mode, which every backend's constructor and ``from_url`` take
OBJECT_OPTIONS = ("objects", "state_classes")


def object_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The object-mode options (``objects``, ``state_classes``) among a ``from_url``'s."""
    return {k: options[k] for k in OBJECT_OPTIONS if k in options}


def is_json(value: Any) -> bool:
    """True if ``value`` holds only JSON types (dicts with text keys, lists, scalars)."""
    kind = type(value)
    if kind is dict:
        return all(type(k) is str and is_json(v) for k, v in value.items())
    if kind is list:
        return all(is_json(v) for v in value)
    return kind in _JSON_SCALARS


def etag_of(value: Any) -> Any:
    """The ``e_tag`` a written value carries: a member, or an attribute (a ``StoreItem``)."""
    if isinstance(value, Mapping):
        return value.get("e_tag")
    return getattr(value, "e_tag", None)


class BotObjects:
    """Object mode of one storage: its allow-list, the flattening and the rebuilding."""

    def __init__(self, state_classes: Iterable[type] = ()) -> None:
        self.classes = StateClasses(state_classes)

    def flatten(self, key: str, value: Any) -> Mapping[str, Any]:
        """``value`` as the document botbuilder's storages store (``e_tag`` kept as a member).

        Raises ``ObjectNotAllowedError`` when it holds a class ``read`` would not
        rebuild, ``StorageError`` when jsonpickle cannot flatten it or it is not
        an object.
        """
        if is_json(value):
            return value  # type: ignore[no-any-return]  # is_json: a dict[str, JSON]
        try:
            from jsonpickle.pickler import Pickler
        except ImportError:
            raise StorageError(
                f"cannot store {key!r}: storing objects needs jsonpickle; install it "
                "(pip install jsonpickle; every botbuilder-python bot has it)",
                key=key,
            ) from None
        try:
            flat = Pickler(unpicklable=True, make_refs=True, keys=False).flatten(value)
            # as stored and read back: JSON (jsonpickle's handlers leave tuples in it)
            flat = json.loads(json.dumps(flat))
        except Exception as exc:  # jsonpickle calls the value's own __getstate__ etc.
            raise StorageError(f"cannot store {key!r}: jsonpickle failed: {exc}", key=key) from exc
        if not isinstance(flat, dict):
            raise StorageError(
                f"cannot store {key!r}: a {type(value).__name__} is not a state object", key=key
            )
        try:
            revive(key, flat, self.classes)
        except ObjectNotAllowedError as exc:
            raise ObjectNotAllowedError(
                f"cannot store {key!r}: it holds a {exc.type_name}, which read() would not "
                "give back; register the class: register_state_class(cls), or "
                "state_classes=[cls] when opening the storage",
                key=key,
                type_name=exc.type_name,
            ) from None
        return flat

    def rebuild(self, documents: dict[str, JsonObject]) -> dict[str, Any]:
        """Each document with its tags rebuilt (``ObjectNotAllowedError`` if not allowed)."""
        return {key: revive(key, document, self.classes) for key, document in documents.items()}


class BotFacing(ABC):
    """``read`` / ``write`` with botbuilder's contract, on top of the plain document pair."""

    #: object mode (``None``: off)
    objects: BotObjects | None = None

    @abstractmethod
    async def read_documents(self, keys: Sequence[str]) -> dict[str, JsonObject]:
        """Plain JSON documents (tags kept as members), each with ``e_tag``; missing keys absent."""

    @abstractmethod
    async def write_documents(self, changes: Mapping[str, Mapping[str, Any]]) -> None:
        """Write plain documents; see ``explorer.storage.base`` for the etag rules."""

    async def read(self, keys: Sequence[str] | None) -> dict[str, Any]:
        """botbuilder's ``Storage.read``: ``read_documents``, objects rebuilt in object mode.

        ``None`` raises ``StorageError("Keys are required when reading")``,
        botbuilder's own message (its conformance suite checks the text).
        """
        if keys is None:
            raise StorageError("Keys are required when reading")
        documents = await self.read_documents(keys)
        return documents if self.objects is None else self.objects.rebuild(documents)

    async def write(self, changes: Mapping[str, Any] | None) -> None:
        """botbuilder's ``Storage.write``: ``write_documents``, objects flattened in object mode.

        ``None`` raises ``StorageError("Changes are required when writing")``; a
        value whose ``e_tag`` is ``""`` (an etag lost on the way) is refused
        before anything is written, as botbuilder's storages refuse it.
        """
        if changes is None:
            raise StorageError("Changes are required when writing")
        if not changes:  # botbuilder's suite writes [] too
            return
        for key, value in changes.items():
            if etag_of(value) == "":
                raise StorageError(
                    f"cannot write {key!r}: its e_tag is empty; write it with the e_tag "
                    "it was read with, '*' to overwrite, or no e_tag",
                    key=key,
                )
        if self.objects is not None:
            changes = {key: self.objects.flatten(key, value) for key, value in changes.items()}
        await self.write_documents(changes)
