"""The allow-list: which classes a botbuilder-python bot's stored objects may be rebuilt as.

botbuilder-python stores objects with jsonpickle, which names the class to build
in each tag (``{"py/object": "botbuilder.dialogs.dialog_state.DialogState", ...}``,
``{"py/reduce": [{"py/type": "...ActivityTypes"}, {"py/tuple": ["message"]}]}``).
A storage opened with ``objects=True`` rebuilds only the classes listed here,
each only in the form it is allowed in (``Form``):

- botbuilder's dialog state: ``DialogState``, ``DialogInstance``, the
  ``PromptOptions``, ``Choice``/``FoundChoice`` and OAuth ``CallerInfo`` that
  prompts keep, ``BeginSkillDialogOptions``, and the ``ListStyle`` enum;
- the ``botbuilder.schema`` models (``Activity``, ``ChannelAccount``,
  ``CardAction``...: subclasses of msrest's ``Model``) and enums
  (``ActivityTypes``, ``InputHints``...) defined in that package;
- ``datetime``'s ``datetime``, ``date``, ``time``, ``timedelta``, ``timezone``,
  and ``decimal.Decimal`` (what a ``NumberPrompt`` gives back);
- classes the bot registers: ``register_state_class(cls)`` (for the process)
  or ``state_classes=[...]`` (for one storage).

Invariants: a name is checked against the list before anything is imported; the
only modules ever imported are the ones named in this file and modules of the
``botbuilder.schema`` package; nothing named by the data is called here.
"""

from __future__ import annotations

import datetime
import decimal
import importlib
import re
from collections.abc import Iterable
from enum import Enum
from typing import TypeVar

T = TypeVar("T", bound=type)


class Form(Enum):
    """How a tag builds an object; a class is allowed in some forms only."""

    #: ``py/object`` with attributes: ``cls.__new__(cls)``, then each attribute set
    OBJECT = "py/object"
    #: ``py/reduce`` whose callable is the class: ``cls(*args)`` (enums, timedelta...)
    REDUCE = "py/reduce"
    #: jsonpickle's datetime handler: ``cls.__new__(cls, pickled_bytes, tzinfo)``
    DATETIME = "datetime"
    #: a bare ``py/type``: the class itself, nothing built
    TYPE = "py/type"


#: botbuilder-python 4.17 dialog classes a bot's stored state holds, by jsonpickle's name
_BOTBUILDER: dict[str, frozenset[Form]] = {
    "botbuilder.dialogs.dialog_state.DialogState": frozenset({Form.OBJECT}),
    "botbuilder.dialogs.dialog_instance.DialogInstance": frozenset({Form.OBJECT}),
    "botbuilder.dialogs.prompts.prompt_options.PromptOptions": frozenset({Form.OBJECT}),
    "botbuilder.dialogs.prompts.oauth_prompt.CallerInfo": frozenset({Form.OBJECT}),
    "botbuilder.dialogs.choices.choice.Choice": frozenset({Form.OBJECT}),
    "botbuilder.dialogs.choices.found_choice.FoundChoice": frozenset({Form.OBJECT}),
    "botbuilder.dialogs.choices.list_style.ListStyle": frozenset({Form.REDUCE}),
    "botbuilder.dialogs.skills.begin_skill_dialog_options.BeginSkillDialogOptions": frozenset(
        {Form.OBJECT}
    ),
}
#: standard-library value types: prompts keep dates, ``NumberPrompt`` returns a ``Decimal``
_STDLIB: dict[str, tuple[type, Form]] = {
    "decimal.Decimal": (decimal.Decimal, Form.REDUCE),
    "datetime.datetime": (datetime.datetime, Form.DATETIME),
    "datetime.date": (datetime.date, Form.DATETIME),
    "datetime.time": (datetime.time, Form.DATETIME),
    "datetime.timedelta": (datetime.timedelta, Form.REDUCE),
    "datetime.timezone": (datetime.timezone, Form.REDUCE),
}
_SCHEMA_PACKAGE = "botbuilder.schema"
#: a dotted name below the package; no ``__x`` segment (``__init__``, ``__main__``)
_SCHEMA_NAME = re.compile(r"botbuilder\.schema(?:\.(?!__)[A-Za-z_][A-Za-z0-9_]*)+")

#: classes registered for the whole process (``register_state_class``)
_registered: dict[str, type] = {}


def state_class_name(cls: type) -> str:
    """The name jsonpickle writes for ``cls``: ``module.QualifiedName``."""
    return f"{cls.__module__}.{cls.__qualname__}"


def register_state_class(cls: T) -> T:
    """Allow a bot's own class in the stored state of every objects storage of this process.

    Use as a decorator (``@register_state_class``) or call it before the first
    turn. Instances are rebuilt as jsonpickle does: ``cls.__new__(cls)`` then
    each stored attribute set (``__setstate__`` for a ``py/state``); an
    ``Enum`` subclass (or a class pickled through ``__reduce__``) is rebuilt by
    calling it with its stored arguments. Registering trusts the class's own
    code with stored data; register only your state classes. Returns ``cls``.
    """
    if not isinstance(cls, type):
        raise TypeError(f"register_state_class takes a class, not {type(cls).__name__}")
    _registered[state_class_name(cls)] = cls
    return cls


def _bot_forms(cls: type) -> frozenset[Form]:
    if issubclass(cls, Enum):
        return frozenset({Form.REDUCE, Form.TYPE})
    return frozenset({Form.OBJECT, Form.REDUCE, Form.TYPE})


def _import_class(module: str, name: str) -> type | None:
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    return found if isinstance(found, type) and found.__module__ == module else None


def _schema_class(name: str) -> tuple[type, Form] | None:
    """A model or enum class defined in a ``botbuilder.schema`` module, else ``None``."""
    if not _SCHEMA_NAME.fullmatch(name):
        return None
    module, _, attr = name.rpartition(".")
    cls = _import_class(module, attr)
    if cls is None:
        return None
    if issubclass(cls, Enum):
        return cls, Form.REDUCE
    is_model = any(
        base.__name__ == "Model" and base.__module__ == "msrest.serialization"
        for base in cls.__mro__
    )
    return (cls, Form.OBJECT) if is_model else None


class StateClasses:
    """The allow-list of one storage: botbuilder's classes, the registered ones, ``extra``."""

    def __init__(self, extra: Iterable[type] = ()) -> None:
        self._extra: dict[str, type] = {}
        for cls in extra:
            if not isinstance(cls, type):
                raise TypeError(f"state_classes holds classes, not {type(cls).__name__}")
            self._extra[state_class_name(cls)] = cls
        self._cache: dict[str, tuple[type, frozenset[Form]] | None] = {}

    def resolve(self, name: str, form: Form) -> type | None:
        """The class ``name`` stands for if it is allowed in ``form``, else ``None``.

        Checks the name before importing anything: only botbuilder's own modules
        (a fixed list, and the ``botbuilder.schema`` package) are ever imported.
        """
        own = self._extra.get(name) or _registered.get(name)
        if own is not None:
            return own if form in _bot_forms(own) else None
        if name not in self._cache:
            self._cache[name] = self._builtin(name)
        found = self._cache[name]
        if found is None or (form not in found[1] and form is not Form.TYPE):
            return None
        return found[0]

    @staticmethod
    def _builtin(name: str) -> tuple[type, frozenset[Form]] | None:
        if name in _STDLIB:
            cls, form = _STDLIB[name]
            return cls, frozenset({form})
        if name in _BOTBUILDER:
            module, _, attr = name.rpartition(".")
            found = _import_class(module, attr)
            return None if found is None else (found, _BOTBUILDER[name])
        if name.startswith(_SCHEMA_PACKAGE + "."):
            schema = _schema_class(name)
            return None if schema is None else (schema[0], frozenset({schema[1]}))
        return None
