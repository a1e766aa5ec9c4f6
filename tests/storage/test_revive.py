"""The object decoder: it rebuilds what jsonpickle wrote as jsonpickle would, for allowed
classes only, and refuses everything else before importing or calling anything.

The forms are produced by jsonpickle itself (this venv's, 4.x; the botbuilder
peer tests use botbuilder's 3.x, whose output for these values is the same) and
each result is compared with jsonpickle's own ``Unpickler`` on the same data.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler

from explorer.core.errors import DecodeError, ObjectNotAllowedError
from explorer.storage.revive import revive
from explorer.storage.state_classes import (
    Form,
    StateClasses,
    register_state_class,
    state_class_name,
)


class Mood(enum.Enum):
    HAPPY = "h"
    CALM = "c"


class Address:
    def __init__(self, city: str) -> None:
        self.city = city


class Profile:
    def __init__(self) -> None:
        self.name = "Ada"
        self._private = ["kept"]  # plain JSON cannot carry it; jsonpickle can
        self.home = Address("Zürich")
        self.mood = Mood.HAPPY
        self.seen = datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.UTC)


class Custom:
    """Pickled through its own __getstate__/__setstate__ (a py/state)."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __getstate__(self) -> dict[str, Any]:
        return {"v": self.value}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.value = state["v"]


@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    y: int


CLASSES = StateClasses([Mood, Address, Profile, Custom, Point])
MOOD, ADDRESS = state_class_name(Mood), state_class_name(Address)


def flatten(value: Any) -> Any:
    """``value`` as botbuilder's storages store it: jsonpickle-flattened, then JSON."""
    return json.loads(json.dumps(Pickler(keys=False).flatten(value)))


def shape(value: Any) -> Any:
    """A comparable picture of an object graph (classes, attributes, containers)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return (type(value).__name__, [shape(v) for v in value])
    if hasattr(value, "__dict__") and not isinstance(value, enum.Enum | type):
        return (type(value).__qualname__, shape(vars(value)))
    return value


def both(value: Any) -> tuple[Any, Any]:
    """Our rebuild of ``value``'s stored form and jsonpickle's own."""
    stored = flatten(value)
    ours = revive("k", stored, CLASSES)
    theirs = Unpickler().restore(json.loads(json.dumps(stored)))
    return ours, theirs


def test_rebuilds_objects_enums_dates_and_containers_as_jsonpickle_does() -> None:
    offset = datetime.timezone(datetime.timedelta(hours=2))
    value = {
        "profile": Profile(),
        "when": [
            datetime.datetime(2024, 1, 2, 3, 4, 5, 6),
            datetime.datetime(2024, 1, 2, tzinfo=offset),
            datetime.date(2024, 2, 29),
            datetime.time(23, 59, tzinfo=datetime.UTC),
            datetime.timedelta(days=1, seconds=5),
        ],
        "age": decimal.Decimal("38.5"),
        "pair": (1, "two"),
        "tags": {"a"},
        "raw": b"\x00\xff",
        "custom": Custom(7),
        "point": Point(1, 2),
        "plain": {"n": None, "f": 1.5, "u": "é\u2028", "nested": [[], {}]},
    }
    ours, theirs = both(value)
    assert shape(ours) == shape(theirs)
    assert ours["profile"].seen == value["profile"].seen
    assert ours["profile"].mood is Mood.HAPPY
    assert ours["when"] == value["when"]
    assert (ours["age"], ours["pair"], ours["tags"], ours["raw"]) == (
        decimal.Decimal("38.5"),
        (1, "two"),
        {"a"},
        b"\x00\xff",
    )
    assert (ours["custom"].value, ours["point"]) == (7, Point(1, 2))
    assert ours["plain"] == value["plain"]


def test_shared_and_cyclic_references_keep_their_identity() -> None:
    profile, shared = Profile(), [1, 2]
    profile.me = profile  # type: ignore[attr-defined]
    value = {"a": profile, "b": profile, "l1": shared, "l2": shared, "moods": [Mood.CALM] * 2}
    stored = flatten(value)
    assert stored["b"] == {"py/id": 1}  # jsonpickle numbers lists, dicts and objects
    ours = revive("k", stored, CLASSES)
    assert ours["a"] is ours["b"] is ours["a"].me
    assert ours["l1"] is ours["l2"]
    # timezone.utc is one object: the second datetime's tzinfo is a py/id into the first
    assert ours["a"].seen.tzinfo is datetime.UTC
    assert ours["moods"] == [Mood.CALM, Mood.CALM]


def test_plain_json_comes_back_equal_and_fresh() -> None:
    # members that are not jsonpickle's tags leave a dict plain, for jsonpickle as here
    document = {"a": [1, {"b": None}], "c": "py/object", "py/state": 1, "py/x": [{}]}
    rebuilt = revive("k", document, CLASSES)
    assert rebuilt == document == Unpickler().restore(json.loads(json.dumps(document)))
    assert rebuilt["a"] is not document["a"]


CALLS_CODE = [
    ({"py/reduce": [{"py/function": "os.system"}, {"py/tuple": ["true"]}]}, "os.system"),
    ({"py/reduce": [{"py/type": "os.system"}, {"py/tuple": ["true"]}]}, "os.system"),
    ({"py/reduce": ["py/newobj", {"py/tuple": []}]}, "py/newobj"),
    ({"py/repr": "os/os.system('true')"}, "os/os.system('true')"),
    ({"py/module": "os"}, "os"),
    ({"py/function": "builtins.eval"}, "builtins.eval"),
    ({"py/type": "subprocess.Popen"}, "subprocess.Popen"),
    ({"py/object": "subprocess.Popen", "args": "true"}, "subprocess.Popen"),
    # allowed classes, but not in that form
    ({"py/object": MOOD}, MOOD),
    (
        {"py/reduce": [{"py/type": "datetime.datetime"}, {"py/tuple": [2024, 1, 1]}]},
        "datetime.datetime",
    ),
    # botbuilder's package, but not a model module (and never imported)
    ({"py/object": "botbuilder.schema.__init__.Activity"}, "botbuilder.schema.__init__.Activity"),
]


@pytest.mark.parametrize(("payload", "named"), CALLS_CODE)
def test_anything_that_would_run_code_is_refused_naming_it(payload: Any, named: str) -> None:
    document = {"DialogState": {"stack": [{"state": payload}]}}
    with pytest.raises(ObjectNotAllowedError) as refused:
        revive("msteams/conversations/c1", document, CLASSES)
    assert refused.value.key == "msteams/conversations/c1"
    assert refused.value.type_name == named
    assert "nothing it names was imported or run" in str(refused.value)


def test_a_class_outside_the_allow_list_is_refused_before_its_module_is_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "imported"
    (tmp_path / "side_effects.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nclass X: pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ObjectNotAllowedError):
        revive("k", {"v": {"py/object": "side_effects.X"}}, CLASSES)
    assert "side_effects" not in sys.modules
    assert not marker.exists()
    __import__("side_effects")  # the control: importing it does create the marker
    assert marker.exists()


MALFORMED = [
    {"py/id": 5},
    {"py/reduce": [{"py/type": MOOD}, {"py/tuple": [{"py/id": 1}]}]},
    {"py/tuple": [1], "extra": 2},
    {"py/iterator": [1]},
    {"py/reduce": [{"py/type": MOOD}, {"py/tuple": ["nope"]}]},
    {"py/reduce": [{"py/type": MOOD}, ["h"]]},
    {"py/object": ADDRESS, "py/seq": []},
    {"py/object": "datetime.datetime", "__reduce__": [{"py/type": "datetime.datetime"}, [5]]},
    {"py/b64": "é"},
]


@pytest.mark.parametrize("payload", MALFORMED)
def test_a_malformed_tag_is_a_decode_error_naming_the_key(payload: Any) -> None:
    with pytest.raises(DecodeError) as failed:
        revive("k", {"v": payload}, CLASSES)
    assert failed.value.key == "k"
    assert str(failed.value).startswith("'k'")


def test_registered_classes_are_allowed_in_every_store_of_the_process() -> None:
    class Local:
        pass

    name = f"{__name__}.{Local.__qualname__}"
    assert StateClasses().resolve(name, Form.OBJECT) is None
    assert register_state_class(Local) is Local
    assert StateClasses().resolve(name, Form.OBJECT) is Local
    rebuilt = revive("k", {"py/object": name, "a": 1}, StateClasses())
    assert (type(rebuilt), rebuilt.a) == (Local, 1)
    with pytest.raises(TypeError):
        register_state_class(print)  # type: ignore[type-var]
    with pytest.raises(TypeError):
        StateClasses([len])  # type: ignore[list-item]
