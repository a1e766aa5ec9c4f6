"""Popping or clearing a python dialog stack keeps jsonpickle's ``py/id`` references right.

The documents are flattened by jsonpickle itself from real object graphs in
which later dialogs and properties refer to objects first written in the dialog
that is removed. The result must be exactly what jsonpickle writes for the
same graph without that dialog.
"""

from __future__ import annotations

import copy
import datetime
import enum
import json
from typing import Any

import pytest
from jsonpickle.pickler import Pickler

from explorer.state import clear_stack, pop_active, read_stack


class Style(enum.Enum):
    CARD = "card"


class Options:
    def __init__(self, style: Style, retry: list[str]) -> None:
        self.style = style
        self.retry = retry
        self.when = datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC)


class Instance:
    def __init__(self, ident: str, state: dict[str, Any]) -> None:
        self.id = ident
        self.state = state


class DialogState:
    def __init__(self, stack: list[Instance]) -> None:
        self._dialog_stack = stack


def flatten(value: Any) -> dict[str, Any]:
    flat: dict[str, Any] = json.loads(json.dumps(Pickler(keys=False).flatten(value)))
    return flat


def graph(stack_from: int) -> dict[str, Any]:
    """A conversation's state; the stack without its first ``stack_from`` dialogs."""
    shared = ["again"]
    active_options = Options(Style.CARD, shared)
    stack = [
        Instance("prompt", {"options": active_options, "retry": active_options}),
        Instance("choice", {"options": Options(Style.CARD, shared), "values": {"n": 1}}),
        Instance("main", {"values": {"seen": shared, "style": Style.CARD}, "stepIndex": 2}),
    ]
    return {
        "DialogState": DialogState(stack[stack_from:]),
        "After": {"style": Style.CARD, "shared": shared, "options": active_options},
    }


def test_the_example_has_references_into_the_active_dialog() -> None:
    flat = json.dumps(flatten(graph(0))["DialogState"]["_dialog_stack"][1:])
    assert '"py/id"' in flat  # so the tests below exercise the renumbering


@pytest.mark.parametrize("removed", [1, 2, 3])
def test_popping_writes_what_jsonpickle_writes_without_those_dialogs(removed: int) -> None:
    document = flatten(graph(0))
    before = copy.deepcopy(document)
    result = document
    for _ in range(removed):
        result = pop_active(result)
    assert result == flatten(graph(removed))
    assert [f.id for f in read_stack(result)] == ["prompt", "choice", "main"][removed:]
    assert document == before  # the input is left as it was


def test_clearing_writes_what_jsonpickle_writes_for_an_empty_stack() -> None:
    document = flatten(graph(0))
    assert clear_stack(document) == flatten(graph(3))


def test_the_result_shares_nothing_with_the_input() -> None:
    document = flatten(graph(0))
    result = pop_active(document)
    result["After"]["style"]["py/id"] = 99
    result["DialogState"]["_dialog_stack"][0]["state"]["values"]["n"] = 2
    result["DialogState"]["_dialog_stack"][1]["state"]["values"]["seen"]["py/id"] = 99
    assert document == flatten(graph(0))
