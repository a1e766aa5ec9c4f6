"""A botbuilder-python 4.17.1 waterfall bot; one turn per process (botbuilder venv).

``python waterfall_bot.py SPEC_JSON TEXT [CONVERSATION_ID]`` (``SPEC_JSON``: see
``bbstores``; ``PYTHONPATH``: this folder, the repository and, for our blob and
cosmos storages, ``azure_overlay()``).

The bot, as a botbuilder sample writes it: ``ConversationState`` holds the
``DialogState`` of a ``DialogSet`` with the waterfall ``profile``: a
``TextPrompt`` ("What is your name?"), a ``NumberPrompt`` ("How old are you,
NAME?", retry "Please give your age as a number."), then "Thanks NAME, age AGE
(TYPE)." (a ``Decimal`` from the prompt, a ``str`` if the prompt was taken off
the stack) and the dialog ends. ``UserState`` holds a
``waterfall_models.UserProfile`` whose ``turns`` counts every turn (attribute
access: it must come back as that class). botbuilder's ``TestAdapter`` carries
one Teams-style message. Prints ``{"replies": [...], "profile": {...}}``, or
``{"error": ..., "message": ..., "key": ..., "type_name": ...}`` when the turn
fails (the storage refused what it read).
"""

import asyncio
import json
import sys

from bbstores import open_storage
from botbuilder.core import ConversationState, MessageFactory, TurnContext, UserState
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import (
    DialogSet,
    DialogTurnStatus,
    NumberPrompt,
    PromptOptions,
    TextPrompt,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from waterfall_models import UserProfile

CONVERSATION = "a:1Xyz;messageid=1700000000000"


async def turn(storage, text, conversation):
    conversation_state = ConversationState(storage)
    user_state = UserState(storage)
    dialogs = DialogSet(conversation_state.create_property("DialogState"))
    profile_property = user_state.create_property("UserProfile")

    async def ask_name(step: WaterfallStepContext):
        prompt = MessageFactory.text("What is your name?")
        return await step.prompt("name", PromptOptions(prompt=prompt))

    async def ask_age(step: WaterfallStepContext):
        step.values["name"] = step.result
        return await step.prompt(
            "age",
            PromptOptions(
                prompt=MessageFactory.text(f"How old are you, {step.result}?"),
                retry_prompt=MessageFactory.text("Please give your age as a number."),
            ),
        )

    async def finish(step: WaterfallStepContext):
        profile = await profile_property.get(step.context, UserProfile)
        profile.name, profile.age = step.values["name"], step.result
        kind = type(profile.age).__name__
        await step.context.send_activity(f"Thanks {profile.name}, age {profile.age} ({kind}).")
        return await step.end_dialog()

    dialogs.add(WaterfallDialog("profile", [ask_name, ask_age, finish]))
    dialogs.add(TextPrompt("name"))
    dialogs.add(NumberPrompt("age", default_locale="en-us"))
    seen = {}

    async def logic(context: TurnContext):
        profile = await profile_property.get(context, UserProfile)
        profile.turns += 1
        seen.update(type=type(profile).__name__, turns=profile.turns)
        dialog_context = await dialogs.create_context(context)
        result = await dialog_context.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            await dialog_context.begin_dialog("profile")
        await conversation_state.save_changes(context)
        await user_state.save_changes(context)
        seen.update(name=profile.name, age=None if profile.age is None else str(profile.age))

    template = Activity(
        channel_id="msteams",
        service_url="https://smba.trafficmanager.net/emea/",
        from_property=ChannelAccount(id="29:1AbC-x_y", name="Ada"),
        recipient=ChannelAccount(id="28:bot-id", name="Bot"),
        conversation=ConversationAccount(id=conversation),
    )
    adapter = TestAdapter(logic, template)
    await adapter.send(text)
    replies = []
    while (reply := adapter.get_next_activity()) is not None:
        replies.append(reply.text)
    return {"replies": replies, "profile": seen}


async def main(spec, text, conversation):
    try:
        async with open_storage(spec) as storage:
            result = await turn(storage, text, conversation)
    except Exception as exc:  # the storage's refusal, reported to the test
        result = {
            "error": type(exc).__name__,
            "message": str(exc),
            "key": getattr(exc, "key", None),
            "type_name": getattr(exc, "type_name", None),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(json.loads(args[0]), args[1], args[2] if len(args) > 2 else CONVERSATION))
