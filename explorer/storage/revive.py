"""Rebuilding a botbuilder-python bot's stored objects from jsonpickle's tags, allow-listed.

Only a storage opened with ``objects=True`` calls this, from its bot-facing
``read()``; the explorer and ``explorer.state`` never do (see ``bot_objects``).

Why this decoder and not jsonpickle's ``Unpickler`` with its options: none of
those options makes jsonpickle safe on data from a store. ``classes=`` is a
lookup tried *before* importing, not an allow-list: any other name still goes
to ``loadclass``, which imports the module the data names. A ``py/reduce``
calls whatever callable its first element resolves to (``{"py/function":
"os.system"}`` runs a shell). ``safe=True`` (the default only from jsonpickle
4; 3.x, which botbuilder 4.17 installs, defaults to ``safe=False``) stops only
the ``eval`` of ``py/repr``, and still imports the module it names.
``on_missing`` applies to classes that fail to import. Validating the tree first
and then handing it to jsonpickle would need a second reading of the format
that must agree with jsonpickle's in every version. So this module reads the
format itself: the small part of it that bot state uses.

What is read (as jsonpickle 2-4 write it, ``py/id`` numbering included: lists,
dicts and objects are numbered in the order they start, tuples and sets not;
jsonpickle 1.x did not number dicts, and its references are read as jsonpickle
2+ reads them):

- plain JSON (a dict without jsonpickle's tags is plain to jsonpickle too, even
  with other ``py/`` members); ``py/tuple``, ``py/set``, ``py/b64``, ``py/b85``,
  ``py/id``;
- ``py/object`` of a class allowed in that form (``state_classes.Form``):
  ``cls.__new__(cls)``, then each member set as an attribute, then
  ``py/state`` (``__setstate__``, else attributes);
- ``py/object`` of a ``datetime`` / ``date`` / ``time`` in jsonpickle's
  handler form (``__reduce__``: the pickled bytes and an optional tzinfo);
- ``py/reduce`` whose callable is a ``py/type`` of an allowed class, with a
  ``py/tuple`` of arguments and nothing else: ``cls(*args)`` (enums, timedelta,
  timezone, registered classes);
- ``py/type`` of an allowed class (the class itself).

Everything else raises before it is acted on: ``ObjectNotAllowedError`` for a
class not allowed, a ``py/function``, ``py/repr``, ``py/module`` or a
``py/reduce`` of anything but an allowed class; ``DecodeError`` for a malformed
tag. Nothing named by the data is imported unless the allow-list names it.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
from collections.abc import Callable
from typing import Any

from explorer.core.errors import DecodeError, ObjectNotAllowedError, StorageError
from explorer.storage.state_classes import Form, StateClasses

_PENDING = object()  # the slot of an object whose arguments are still being read
_MISSING = object()
#: the members that make jsonpickle read a dict as something else; a dict with none
#: of them is a plain dict to jsonpickle (other ``py/`` members included), and here
_TAGS = frozenset(
    {"py/object", "py/reduce", "py/type", "py/tuple", "py/set", "py/b64", "py/b85", "py/id"}
    | {"py/iterator", "py/function", "py/module", "py/repr"}
)
#: tags whose only use is to import a module or call or evaluate what they name
_RUNS_CODE = frozenset({"py/function", "py/repr", "py/module"})
_ALLOWED_HELP = (
    "a storage rebuilds only botbuilder's dialog state types and the classes a bot "
    "registers (register_state_class(cls) or state_classes=[cls]); nothing it names "
    "was imported or run"
)


def revive(key: str, value: Any, classes: StateClasses) -> Any:
    """``value`` (parsed JSON) with every jsonpickle tag rebuilt under ``classes``.

    Plain JSON comes back as equal, fresh containers. Raises
    ``ObjectNotAllowedError`` / ``DecodeError`` naming ``key`` (see the module).
    """
    try:
        return _Reviver(key, classes).value(value)
    except RecursionError:
        raise DecodeError(f"{key!r} is nested too deeply to rebuild", key=key) from None


class _Reviver:
    def __init__(self, key: str, classes: StateClasses) -> None:
        self.key = key
        self.classes = classes
        #: objects by ``py/id``: every list, dict and object, in the order they start
        self.objs: list[Any] = []

    def value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return self.mapping(value)
        if isinstance(value, list):
            out: list[Any] = []
            self.objs.append(out)
            out.extend(self.value(v) for v in value)
            return out
        return value

    def mapping(self, value: dict[str, Any]) -> Any:
        tags = [k for k in value if k in _TAGS]
        if not tags:
            out: dict[str, Any] = {}
            self.objs.append(out)
            for k, v in value.items():
                out[k] = self.value(v)
            return out
        for tag in _RUNS_CODE.intersection(tags):
            shown = str(value[tag])[:80]
            raise ObjectNotAllowedError(
                f"{self.key!r} holds {tag} {shown!r}, which jsonpickle would import or "
                f"evaluate; {_ALLOWED_HELP}",
                key=self.key,
                type_name=shown,
            )
        if "py/object" in value:
            return self.instance(value)
        if len(value) != 1:
            raise self.malformed(f"a {tags[0]} tag alongside other members")
        tag, payload = tags[0], value[tags[0]]
        if tag == "py/tuple" and isinstance(payload, list):
            return tuple(self.value(v) for v in payload)
        if tag == "py/set" and isinstance(payload, list):
            return self.build("set", lambda: {self.value(v) for v in payload})
        if tag in ("py/b64", "py/b85") and isinstance(payload, str):
            decode = base64.b64decode if tag == "py/b64" else base64.b85decode
            return self.build("bytes", lambda: decode(payload.encode("ascii")))
        if tag == "py/id" and type(payload) is int:
            return self.reference(payload)
        if tag == "py/type" and isinstance(payload, str):
            return self.allowed(payload, Form.TYPE, tag)
        if tag == "py/reduce" and isinstance(payload, list):
            return self.reduce(payload)
        raise self.malformed(f"a {tag} tag this storage does not read")

    def reference(self, index: int) -> Any:
        if not 0 <= index < len(self.objs) or self.objs[index] is _PENDING:
            raise self.malformed(f"py/id {index}, which names no object read before it")
        return self.objs[index]

    def allowed(self, name: Any, form: Form, tag: str) -> type:
        found = self.classes.resolve(name, form) if isinstance(name, str) else None
        if found is None:
            raise ObjectNotAllowedError(
                f"{self.key!r} holds a {name} ({tag}); {_ALLOWED_HELP}",
                key=self.key,
                type_name=str(name),
            )
        return found

    def reduce(self, payload: list[Any]) -> Any:
        index = len(self.objs)
        self.objs.append(_PENDING)
        call = payload[0] if payload else None
        if not (isinstance(call, dict) and list(call) == ["py/type"]):
            named = next(iter(call.values()), call) if isinstance(call, dict) else call
            raise ObjectNotAllowedError(
                f"{self.key!r} holds a py/reduce that calls {named!r}, not a class; "
                + _ALLOWED_HELP,
                key=self.key,
                type_name=str(named),
            )
        cls = self.allowed(call["py/type"], Form.REDUCE, "py/reduce")
        args = payload[1] if len(payload) > 1 else None
        if not (isinstance(args, dict) and list(args) == ["py/tuple"]):
            raise self.malformed(f"a py/reduce of {cls.__qualname__} without a py/tuple")
        if len(payload) > 5 or any(extra is not None for extra in payload[2:]):
            raise self.malformed(f"a py/reduce of {cls.__qualname__} with state or items")
        arguments = self.value(args)
        self.objs[index] = built = self.build(cls.__qualname__, lambda: cls(*arguments))
        return built

    def instance(self, value: dict[str, Any]) -> Any:
        name = value["py/object"]
        if "__reduce__" in value:
            return self.dated(name, value)
        cls: Any = self.allowed(name, Form.OBJECT, "py/object")
        obj = self.build(name, lambda: cls.__new__(cls))
        self.objs.append(obj)
        state = _MISSING
        for member, item in value.items():
            if member == "py/object":
                continue
            if member == "py/state":
                state = item
            elif member.startswith(("py/", "__")):
                raise self.malformed(f"a {name} with a {member} member")
            else:
                self.assign(name, obj, member, self.value(item))
        if state is not _MISSING:
            self.restore_state(name, obj, self.value(state))
        return obj

    def dated(self, name: Any, value: dict[str, Any]) -> Any:
        """jsonpickle's datetime handler form: ``cls.__new__(cls, pickled, tzinfo)``."""
        cls: Any = self.allowed(name, Form.DATETIME, "py/object")
        index = len(self.objs)
        self.objs.append(_PENDING)
        reduced = value["__reduce__"]
        valid = (
            len(value) == 2
            and isinstance(reduced, list)
            and len(reduced) == 2
            and reduced[0] == {"py/type": name}
            and isinstance(reduced[1], list)
            and 1 <= len(reduced[1]) <= 2
            and isinstance(reduced[1][0], str)
        )
        if not valid:
            raise self.malformed(f"a {name} not in jsonpickle's datetime form")
        pickled = self.build(name, lambda: base64.b64decode(reduced[1][0], validate=True))
        zone = [self.value(z) for z in reduced[1][1:]]
        if not all(isinstance(z, datetime.tzinfo) for z in zone):
            raise self.malformed(f"a {name} whose time zone is not a tzinfo")
        self.objs[index] = built = self.build(name, lambda: cls.__new__(cls, pickled, *zone))
        return built

    def assign(self, name: str, obj: Any, member: str, item: Any) -> None:
        def set_member() -> None:
            try:
                setattr(obj, member, item)
            except dataclasses.FrozenInstanceError:
                object.__setattr__(obj, member, item)

        self.build(name, set_member)

    def restore_state(self, name: str, obj: Any, state: Any) -> None:
        setstate = getattr(obj, "__setstate__", None)
        if setstate is not None:
            self.build(name, lambda: setstate(state))
            return
        parts = list(state) if isinstance(state, tuple) and len(state) == 2 else [state]
        if not all(part is None or isinstance(part, dict) for part in parts):
            raise self.malformed(f"a {name} whose py/state is not its attributes")
        for part in parts:
            for member, item in (part or {}).items():
                self.assign(name, obj, str(member), item)

    def build(self, name: str, make: Callable[[], Any]) -> Any:
        try:
            return make()
        except StorageError:
            raise
        except Exception as exc:  # an allowed class's own code may raise anything
            raise DecodeError(
                f"{self.key!r}: cannot rebuild a {name} from its stored form "
                f"({type(exc).__name__}: {exc}); inspect it raw",
                key=self.key,
            ) from None

    def malformed(self, what: str) -> DecodeError:
        return DecodeError(
            f"{self.key!r} holds {what}; it was not written by jsonpickle, or was damaged: "
            "inspect it raw",
            key=self.key,
        )
