"""The scan helpers of the state library agree with the full parsers they shortcut."""

from __future__ import annotations

import pytest

from explorer.core.errors import DialogStackError
from explorer.state.dialogs import active_dialog, read_stack
from explorer.state.keys import key_kind, parse_key
from explorer.workspace.demo import demo_items
from tests.support.known_store import KNOWN

ODD = ["", "/", "a", "a/", "/users/x", "c/users/", "c/users//", "c/x/conversations/y/users/z",
       "c/conversations//users/u", "c/conversations/v/users/", "auth:_x/users/u"]  # fmt: skip


def test_key_kind_is_parse_key_s_kind_and_channel() -> None:
    for key in [*(i.key for i in demo_items(users=60, conversations=40)), *KNOWN, *ODD]:
        info = parse_key(key)
        assert key_kind(key) == (info.kind, info.channel), key


def test_active_dialog_is_the_first_frame_of_read_stack() -> None:
    stacks = [doc for doc in KNOWN.values() if isinstance(doc.get("DialogState"), dict)]
    assert len(stacks) == 5
    for document in stacks:
        frames = read_stack(document)
        active = active_dialog(document)
        assert active == (frames[0] if frames else None)
    assert active_dialog({"UserProfile": {}}) is None
    with pytest.raises(DialogStackError):
        active_dialog({"DialogState": "not a stack"})
