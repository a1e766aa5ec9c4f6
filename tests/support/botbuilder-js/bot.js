// A botbuilder-js 4.23.3 bot on BlobsStorage: `node bot.js CONNECTION_STRING CONTAINER TEXT...`.
// UserState, ConversationState and PrivateConversationState as in the samples; each
// turn records what it loaded, changes it and saves. Prints one JSON line:
// {"seen": [...], "replies": [...]}.
const { BlobsStorage } = require('botbuilder-azure-blobs');
const { TestAdapter, UserState, ConversationState, PrivateConversationState } = require('botbuilder-core');

async function main(connectionString, container, texts) {
    const storage = new BlobsStorage(connectionString, container);
    const userState = new UserState(storage);
    const conversationState = new ConversationState(storage);
    const privateState = new PrivateConversationState(storage);
    const profileProperty = userState.createProperty('UserProfile');
    const dataProperty = conversationState.createProperty('ConversationData');
    const secretProperty = privateState.createProperty('secret');
    const seen = [];
    const adapter = new TestAdapter(
        async (context) => {
            const profile = await profileProperty.get(context, { name: null, age: null, turns: 0 });
            const data = await dataProperty.get(context, { messages: [] });
            const secret = await secretProperty.get(context, {});
            seen.push(JSON.parse(JSON.stringify({ profile, messages: data.messages, secret })));
            profile.turns += 1;
            if (profile.name === null) {
                profile.name = 'Ada';
                profile.age = 38;
            }
            data.messages.push(context.activity.text);
            secret.token = `t${profile.turns}`;
            await context.sendActivity(`${profile.name} (${profile.age}) turn ${profile.turns}`);
            await userState.saveChanges(context);
            await conversationState.saveChanges(context);
            await privateState.saveChanges(context);
        },
        {
            channelId: 'msteams',
            serviceUrl: 'https://smba.trafficmanager.net/emea/',
            from: { id: '29:1AbC-x_y', name: 'Ada' },
            recipient: { id: '28:bot-id', name: 'Bot' },
            conversation: { id: 'a:1Xyz;messageid=1700000000000' },
        },
    );
    const replies = [];
    for (const text of texts) {
        await adapter.receiveActivity(text);
        replies.push(adapter.activeQueue.shift().text);
    }
    console.log(JSON.stringify({ seen, replies }));
}

main(process.argv[2], process.argv[3], process.argv.slice(4)).catch((err) => {
    console.error(err);
    process.exit(1);
});
