import asyncio

from botbuilder.core import ConversationState, MemoryStorage, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import (
    DialogSet,
    DialogTurnStatus,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptOptions, TextPrompt
from botbuilder.schema import Activity, ActivityTypes
from jsonpickle import encode


async def main():
    storage = MemoryStorage()
    convo = ConversationState(storage)
    dstate = convo.create_property("DialogState")
    dialogs = DialogSet(dstate)

    async def step1(step: WaterfallStepContext):
        return await step.begin_dialog("inner")

    async def step2(step):
        return await step.end_dialog()

    async def istep1(step):
        return await step.prompt(
            "text", PromptOptions(prompt=Activity(type=ActivityTypes.message, text="name?"))
        )

    async def istep2(step):
        return await step.end_dialog(step.result)

    dialogs.add(WaterfallDialog("mainDialog", [step1, step2]))
    dialogs.add(WaterfallDialog("inner", [istep1, istep2]))
    dialogs.add(TextPrompt("text"))

    async def logic(tc: TurnContext):
        dc = await dialogs.create_context(tc)
        r = await dc.continue_dialog()
        if r.status == DialogTurnStatus.Empty:
            await dc.begin_dialog("mainDialog")
        await convo.save_changes(tc)

    adapter = TestAdapter(logic)
    await adapter.send("hi")
    for k, v in storage.memory.items():
        print(k)
        print(encode(v))


asyncio.run(main())
