"""Dialog stacks: read active-first in python / js / .NET form; pop and clear keep the form."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from explorer.state import DialogStackError, clear_stack, pop_active, read_stack, stack_form

DATA = Path(__file__).parent / "data"

#: written by botbuilder-python 4.17.1 with real dialogs (peer/gen_python_dialog_state.py)
PYTHON = json.loads((DATA / "python-dialog-state.json").read_text())["document"]
FIXTURES = json.loads((DATA / "fixture-conversations.json").read_text())
#: same scenario from botbuilder-js 4.23.3 and a botbuilder-python bot storing a plain dict
JS = FIXTURES["js-blobsstorage"]
PYTHON_PLAIN = FIXTURES["python-blobstorage"]

_LIST = "System.Collections.Generic.List`1[[Microsoft.Bot.Builder.Dialogs.DialogInstance, Microsoft.Bot.Builder.Dialogs]], System.Private.CoreLib"  # noqa: E501
_DICT = "System.Collections.Generic.Dictionary`2[[System.String, System.Private.CoreLib],[System.Object, System.Private.CoreLib]], System.Private.CoreLib"  # noqa: E501


def _dotnet_instance(ident: str, step: int) -> dict[str, Any]:
    return {
        "$type": "Microsoft.Bot.Builder.Dialogs.DialogInstance, Microsoft.Bot.Builder.Dialogs",
        "id": ident,
        "state": {"$type": _DICT, "stepIndex": step},
        "StackIndex": None,
        "Version": None,
    }


#: .NET (src: botbuilder-dotnet 4.23, Newtonsoft TypeNameHandling.All): active first
DOTNET = {
    "$type": _DICT,
    "DialogState": {
        "$type": "Microsoft.Bot.Builder.Dialogs.DialogState, Microsoft.Bot.Builder.Dialogs",
        "dialogStack": {
            "$type": _LIST,
            "$values": [_dotnet_instance("textPrompt", 0), _dotnet_instance("mainDialog", 1)],
        },
    },
    "ConversationData": {"$type": "Bot.ConversationData, Bot", "turns": 3},
}
#: .NET 4.19.0 - 4.19.2 (TypeNameHandling.Objects): lists not wrapped, still active first
DOTNET_UNWRAPPED = {
    "$type": _DICT,
    "DialogState": {
        "$type": "Microsoft.Bot.Builder.Dialogs.DialogState, Microsoft.Bot.Builder.Dialogs",
        "dialogStack": [_dotnet_instance("textPrompt", 0), _dotnet_instance("mainDialog", 1)],
    },
}

CASES = [
    # document, form, active-first ids, active state
    (PYTHON, "python", ["text", "inner", "mainDialog"], None),
    (JS, "js", ["mainDialog", "mainDialog"], {"turn": 2}),
    (PYTHON_PLAIN, "js", ["mainDialog", "mainDialog"], {"turn": 2}),
    (DOTNET, "dotnet", ["textPrompt", "mainDialog"], {"$type": _DICT, "stepIndex": 0}),
    (DOTNET_UNWRAPPED, "dotnet", ["textPrompt", "mainDialog"], {"$type": _DICT, "stepIndex": 0}),
]
IDS = ["python", "js", "python-plain-dict", "dotnet", "dotnet-4.19-unwrapped"]


@pytest.mark.parametrize(("document", "form", "ids", "active_state"), CASES, ids=IDS)
def test_read_stack_is_active_first(
    document: dict[str, Any], form: str, ids: list[str], active_state: Any
) -> None:
    frames = read_stack(document)
    assert stack_form(document) == form
    assert [f.id for f in frames] == ids
    if active_state is not None:
        assert frames[0].state == active_state


def test_python_frames_keep_their_tags_and_state() -> None:
    active = read_stack(PYTHON)[0]
    assert active.raw["py/object"] == "botbuilder.dialogs.dialog_instance.DialogInstance"
    assert active.position == 0
    # the prompt's pickled Activity is shown as data, never constructed
    assert (
        active.state["options"]["prompt"]["py/object"] == "botbuilder.schema._models_py3.Activity"
    )


def test_js_active_frame_is_the_last_element() -> None:
    frames = read_stack(JS)
    assert frames[0].position == 1
    assert frames[-1].position == 0


@pytest.mark.parametrize(("document", "form", "ids", "active_state"), CASES, ids=IDS)
def test_pop_active_removes_the_active_dialog_and_keeps_the_form(
    document: dict[str, Any], form: str, ids: list[str], active_state: Any
) -> None:
    before = copy.deepcopy(document)
    popped = pop_active(document)
    assert document == before  # input not mutated
    assert stack_form(popped) == form
    assert [f.id for f in read_stack(popped)] == ids[1:]
    assert list(popped) == list(document)  # member order kept
    assert list(popped["DialogState"]) == list(document["DialogState"])
    # everything but the stack is unchanged
    assert {k: v for k, v in popped.items() if k != "DialogState"} == {
        k: v for k, v in document.items() if k != "DialogState"
    }


@pytest.mark.parametrize(("document", "form", "ids", "active_state"), CASES, ids=IDS)
def test_clear_stack_empties_it_in_the_same_form(
    document: dict[str, Any], form: str, ids: list[str], active_state: Any
) -> None:
    before = copy.deepcopy(document)
    cleared = clear_stack(document)
    assert document == before
    assert read_stack(cleared) == []
    assert stack_form(cleared) == form
    assert list(cleared["DialogState"]) == list(document["DialogState"])


def test_dotnet_keeps_type_first_and_the_values_wrapper() -> None:
    popped = pop_active(DOTNET)
    assert next(iter(popped)) == "$type"
    stack = popped["DialogState"]["dialogStack"]
    assert list(stack) == ["$type", "$values"]
    assert stack["$type"] == _LIST
    assert next(iter(stack["$values"][0])) == "$type"
    assert clear_stack(DOTNET)["DialogState"]["dialogStack"] == {"$type": _LIST, "$values": []}


def test_python_keeps_the_dialog_state_tag() -> None:
    popped = pop_active(PYTHON)
    assert popped["DialogState"]["py/object"] == "botbuilder.dialogs.dialog_state.DialogState"
    assert [f.raw["py/object"] for f in read_stack(popped)] == [
        "botbuilder.dialogs.dialog_instance.DialogInstance"
    ] * 2


def test_the_result_shares_nothing_with_the_input() -> None:
    popped = pop_active(JS)
    popped["ConversationData"]["timestamp"] = "changed"
    read_stack(popped)[0].state["turn"] = 99
    assert JS["ConversationData"]["timestamp"] == "2024-05-01T12:00:02Z"
    assert read_stack(JS)[1].state == {"turn": 1}


def test_popping_until_empty_then_refusing() -> None:
    document = PYTHON
    for _ in range(3):
        document = pop_active(document)
    assert read_stack(document) == []
    with pytest.raises(DialogStackError, match="empty"):
        pop_active(document)


def test_a_document_without_dialog_state() -> None:
    document = {"UserProfile": {"name": "Ada"}}
    assert read_stack(document) == []
    assert stack_form(document) is None
    assert clear_stack(document) == document
    with pytest.raises(DialogStackError):
        pop_active(document)


def test_another_property_name() -> None:
    document = {"MainDialogState": JS["DialogState"]}
    assert [f.state for f in read_stack(document, property_name="MainDialogState")] == [
        {"turn": 2},
        {"turn": 1},
    ]


@pytest.mark.parametrize(
    ("dialog_state", "message"),
    [("text", "not an object"), ({"dialogStack": {"a": 1}}, "not a list")],
)
def test_malformed_dialog_state_is_a_clear_error(dialog_state: Any, message: str) -> None:
    with pytest.raises(DialogStackError, match=message):
        read_stack({"DialogState": dialog_state})
    assert issubclass(DialogStackError, ValueError)
