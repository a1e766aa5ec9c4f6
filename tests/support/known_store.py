"""A store of known composition for the insight tests: every key shape and dialog form.

``KNOWN`` maps keys to state documents (written with each backend's bot
``write``, so each stores them its own way); ``EXPECTED`` is what ``stats``
must find in it: counts per kind and channel, and the active dialogs (python
``_dialog_stack`` active first, .NET ``$values`` active first, js
``dialogStack`` active last, an Agents SDK app conversation, an empty stack,
and a ``DialogState`` that is no stack at all: ``unreadable``).
"""

from __future__ import annotations

from typing import Any

_PY = "botbuilder.dialogs.dialog_state.DialogState"
_PY_I = "botbuilder.dialogs.dialog_instance.DialogInstance"
_NET = "Microsoft.Bot.Builder.Dialogs.DialogState, Microsoft.Bot.Builder.Dialogs"


def _python_stack(*ids: str) -> dict[str, Any]:
    frames = [{"py/object": _PY_I, "id": i, "state": {}} for i in ids]
    return {"DialogState": {"py/object": _PY, "_dialog_stack": frames}}


def _dotnet_stack(*ids: str) -> dict[str, Any]:
    frames = [{"$type": "DialogInstance", "id": i, "state": {}} for i in ids]
    return {"DialogState": {"$type": _NET, "dialogStack": {"$type": "List", "$values": frames}}}


def _js_stack(*ids: str) -> dict[str, Any]:
    return {"DialogState": {"dialogStack": [{"id": i, "state": {}} for i in ids]}}


KNOWN: dict[str, dict[str, Any]] = {
    "msteams/users/29:1AbC": {"UserProfile": {"name": "Ada"}},
    "msteams/users/29:1DeF": {"UserProfile": {"name": "Grace", "bio": "x" * 50_000}},
    "msteams/users/29:1GhI": {"UserProfile": {"name": "Alan"}},
    "msteams/conversations/a:1xyz": _python_stack("mainDialog", "root"),
    "msteams/conversations/19:abc@thread.tacv2;messageid=1": _dotnet_stack("bookingDialog"),
    "msteams/conversations/a:1xyz/users/29:1AbC/": {"PrivateData": {"step": 2}},
    "webchat/users/dl_1/": {"UserProfile": {"name": "Zoë"}},
    "webchat/users/dl_2/": {"UserProfile": {"name": "José"}},
    "webchat/conversations/c1|livechat/": _js_stack("root", "bookingDialog"),
    "webchat/conversations/c1|livechat/users/dl_1/": {"PrivateData": {}},
    "webchat/conversations/c1|livechat/users/dl_2/": {"PrivateData": {}},
    "msteams/28:bot/users/29:1AbC": {"prefs": {"lang": "en"}},
    "msteams/28:bot/conversations/a:1xyz": _js_stack("agentDialog"),
    "slack/conversations/B0:T0:C0": {"DialogState": {"dialogStack": []}},
    "slack/conversations/B1:T1:C1": {"DialogState": "not a stack"},
    "auth/msteams/29:1AbC/graph": {"token": "t"},
    "auth:_SignInState:msteams:29:1AbC": {"state": 1},
    "direct/dict-key": {"a": 1},
    "weird key?#*\\with chars": {"b": 2},
}

EXPECTED: dict[str, Any] = {
    "total": 19,
    "kinds": {"user": 6, "conversation": 6, "private": 3, "other": 4},
    "channels": {
        "msteams": {"user": 4, "conversation": 3, "private": 1},
        "slack": {"user": 0, "conversation": 2, "private": 0},
        "webchat": {"user": 2, "conversation": 1, "private": 2},
    },
    "dialogs": [
        {"id": "bookingDialog", "count": 2},
        {"id": "agentDialog", "count": 1},
        {"id": "mainDialog", "count": 1},
    ],
    "unreadable": 1,
    "largest": "msteams/users/29:1DeF",
}
