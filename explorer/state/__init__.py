"""The bot state library: keys, buckets, accessors, the turn, dialog stacks.

What a bot imports. The explorer's own services (edit sessions, the tree, write
safety) live in ``explorer.workspace``, one layer up.

Imports only the standard library, ``explorer.core`` and ``explorer.storage``,
so a botbuilder-python bot (in its own venv) can use it with the project on
``PYTHONPATH``.
"""

from explorer.core.errors import DialogStackError, PropertyNotFoundError
from explorer.state.accessor import StatePropertyAccessor
from explorer.state.bot_state import (
    BotState,
    BotStorage,
    CachedState,
    Concurrency,
    ConversationState,
    PrivateConversationState,
    UserState,
)
from explorer.state.dialogs import Frame, StackForm, clear_stack, pop_active, read_stack, stack_form
from explorer.state.keys import (
    KeyInfo,
    KeyStyle,
    conversation_key,
    parse_key,
    private_key,
    user_key,
)
from explorer.state.turn import Turn, TurnLike

__all__ = [
    "BotState",
    "BotStorage",
    "CachedState",
    "Concurrency",
    "ConversationState",
    "DialogStackError",
    "Frame",
    "KeyInfo",
    "KeyStyle",
    "PrivateConversationState",
    "PropertyNotFoundError",
    "StackForm",
    "StatePropertyAccessor",
    "Turn",
    "TurnLike",
    "UserState",
    "clear_stack",
    "conversation_key",
    "parse_key",
    "pop_active",
    "private_key",
    "read_stack",
    "stack_form",
    "user_key",
]
