"""Dialog stacks in every form real bots store them, read active-first, changed in place-form.

The conversation property ``DialogState`` holds the stack. The form tells the order:

- ``python``: botbuilder-python's ``DialogState`` object, jsonpickled:
  ``{"py/object": "...DialogState", "_dialog_stack": [{"py/object":
  "...DialogInstance", "id", "state"}, ...]}``; active dialog first.
- ``dotnet``: Newtonsoft with type names: the ``DialogState`` carries
  ``$type`` and ``dialogStack`` is ``{"$type", "$values": [...]}`` (4.19.0 -
  4.19.2 wrote a plain list under a ``$type``-tagged ``DialogState``); active first.
- ``js``: a plain, untagged ``{"dialogStack": [...]}``; active dialog LAST.
  A python bot that stores a plain dict of that shape (the botbuilder-python
  fixture's conversation does) is read the same way: the shape, not the
  store, decides.

Invariants: nothing here resolves ``py/object`` or ``$type`` tags; ``pop_active``
and ``clear_stack`` never mutate their input and return a new document in the
same form (tags kept, member order kept, ``$type`` still first). In the python
form jsonpickle's ``py/id`` references are renumbered (``_py_ids``) as jsonpickle
would write the changed state, so the bot still reads what it stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from explorer.core.errors import DialogStackError
from explorer.state._json import json_copy
from explorer.state._py_ids import without

StackForm = Literal["python", "js", "dotnet"]
DIALOG_STATE = "DialogState"


@dataclass(frozen=True, slots=True)
class Frame:
    """One dialog on the stack: its id and state, plus the stored element as it is."""

    id: str | None
    state: Any
    #: the stored element, tags included (``py/object``, ``$type``, ``StackIndex``...)
    raw: Any
    #: index of the element in the stored list (so active is 0 or the last)
    position: int


def _locate(document: dict[str, Any], prop: str) -> tuple[StackForm, list[Any]] | None:
    """The stack's form and stored list, ``None`` if the document has no dialog stack."""
    if not isinstance(document, dict):
        raise DialogStackError(f"a state document is a JSON object, not {type(document).__name__}")
    dialog_state = document.get(prop)
    if dialog_state is None:
        return None
    if not isinstance(dialog_state, dict):
        raise DialogStackError(
            f"{prop} is a {type(dialog_state).__name__}, not an object with a dialog stack; "
            "it was not written by a Bot Framework dialog set"
        )
    if "_dialog_stack" in dialog_state:
        form: StackForm = "python"
        stack = dialog_state["_dialog_stack"]
    elif "dialogStack" in dialog_state:
        stack = dialog_state["dialogStack"]
        if isinstance(stack, dict) and "$values" in stack:
            form, stack = "dotnet", stack["$values"]
        else:
            form = "dotnet" if "$type" in dialog_state else "js"
    else:
        return None
    if not isinstance(stack, list):
        raise DialogStackError(
            f"the dialog stack in {prop} is a {type(stack).__name__}, not a list; "
            "edit it as plain JSON instead"
        )
    return form, stack


def stack_form(document: dict[str, Any], *, property_name: str = DIALOG_STATE) -> StackForm | None:
    """``"python"``, ``"js"`` or ``"dotnet"``; ``None`` if there is no dialog stack."""
    found = _locate(document, property_name)
    return None if found is None else found[0]


def _frame(element: Any, position: int) -> Frame:
    if isinstance(element, dict):
        ident = element.get("id", element.get("Id"))
        state = element.get("state", element.get("State"))
        return Frame(ident if isinstance(ident, str) else None, state, element, position)
    return Frame(None, None, element, position)


def read_stack(document: dict[str, Any], *, property_name: str = DIALOG_STATE) -> list[Frame]:
    """The dialog stack as frames, active dialog first; ``[]`` if there is none.

    Raises ``DialogStackError`` if ``DialogState`` is there but not a stack.
    """
    found = _locate(document, property_name)
    if found is None:
        return []
    form, stack = found
    frames = [_frame(element, i) for i, element in enumerate(stack)]
    if form == "js":
        frames.reverse()
    return frames


def active_dialog(document: dict[str, Any], *, property_name: str = DIALOG_STATE) -> Frame | None:
    """The active dialog (``read_stack(...)[0]``) without building the other frames;
    ``None`` for an empty or missing stack. Raises as ``read_stack`` does."""
    found = _locate(document, property_name)
    if found is None or not found[1]:
        return None
    form, stack = found
    position = len(stack) - 1 if form == "js" else 0
    return _frame(stack[position], position)


def _replace_stack(
    document: dict[str, Any], prop: str, form: StackForm, new_stack: list[Any]
) -> dict[str, Any]:
    result: dict[str, Any] = json_copy(document)
    dialog_state = result[prop]
    if form == "python":
        dialog_state["_dialog_stack"] = new_stack
    elif isinstance(dialog_state["dialogStack"], dict):  # .NET {"$type", "$values"}
        dialog_state["dialogStack"]["$values"] = new_stack
    else:
        dialog_state["dialogStack"] = new_stack
    return result


def pop_active(document: dict[str, Any], *, property_name: str = DIALOG_STATE) -> dict[str, Any]:
    """A new document with the active dialog removed from the stack, in the same form.

    Raises ``DialogStackError`` if there is no dialog to pop.
    """
    found = _locate(document, property_name)
    if found is None or not found[1]:
        raise DialogStackError(f"the dialog stack in {property_name} is empty: nothing to pop")
    form, stack = found
    if form == "python":
        return without(document, stack[:1])
    remaining = json_copy(stack[:-1] if form == "js" else stack[1:])
    return _replace_stack(document, property_name, form, remaining)


def clear_stack(document: dict[str, Any], *, property_name: str = DIALOG_STATE) -> dict[str, Any]:
    """A new document whose dialog stack is empty, in the same form.

    A document without a dialog stack comes back as an unchanged copy.
    """
    found = _locate(document, property_name)
    if found is None:
        result: dict[str, Any] = json_copy(document)
        return result
    if found[0] == "python":
        return without(document, found[1])
    return _replace_stack(document, property_name, found[0], [])
