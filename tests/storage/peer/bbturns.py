"""The turns of the botbuilder-python 4.17.1 bot that shares a store with us.

Run in the botbuilder venv (``tests/storage/peer`` on ``PYTHONPATH``) by the
blob and cosmos bots of ``test_blob_botbuilder.py`` / ``test_cosmos_botbuilder.py``,
which only differ in the storage they pass. ``run_turns(storage, conversation,
texts)`` drives one Teams-style user through ``texts`` with botbuilder's own
``UserState``, ``ConversationState`` and ``PrivateConversationState`` and
``TestAdapter``; each turn records what it loaded (``seen``: the profile's
class, name, age and turns, the conversation's messages, the private
``secret``), then counts the turn, sets the name on the first one, appends the
text, sets ``secret["token"]`` and saves all three states (botbuilder's
If-Match writes). Returns ``{"seen": [...], "replies": [...]}``.
"""

from bbmodels import ConversationData, UserProfile
from botbuilder.core import ConversationState, PrivateConversationState, UserState
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount


def template(conversation):
    return Activity(
        channel_id="msteams",
        service_url="https://smba.trafficmanager.net/emea/",
        from_property=ChannelAccount(id="29:1AbC-x_y", name="Ada"),
        recipient=ChannelAccount(id="28:bot-id", name="Bot"),
        conversation=ConversationAccount(id=conversation),
    )


async def run_turns(storage, conversation, texts):
    user_state = UserState(storage)
    conversation_state = ConversationState(storage)
    private_state = PrivateConversationState(storage)
    profile_property = user_state.create_property("UserProfile")
    data_property = conversation_state.create_property("ConversationData")
    secret_property = private_state.create_property("secret")
    seen = []

    async def logic(context):
        profile = await profile_property.get(context, UserProfile)
        data = await data_property.get(context, ConversationData)
        secret = await secret_property.get(context, dict)
        seen.append(
            {
                "class": type(profile).__name__,
                "name": profile.name,
                "age": profile.age,
                "turns": profile.turns,
                "messages": list(data.messages),
                "secret": dict(secret),
            }
        )
        profile.turns += 1
        if profile.name is None:
            profile.name, profile.age = "Ada", 38
        data.messages.append(context.activity.text)
        secret["token"] = f"t{profile.turns}"
        await context.send_activity(f"{profile.name} ({profile.age}) turn {profile.turns}")
        for state in (user_state, conversation_state, private_state):
            await state.save_changes(context)

    adapter = TestAdapter(logic, template(conversation))
    replies = []
    for text in texts:
        flow = await adapter.send(text)
        replies.append(flow.adapter.get_next_activity().text)
    return {"seen": seen, "replies": replies}
