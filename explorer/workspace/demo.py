"""Realistic demo state: what a mix of Python, JS, .NET and Agents SDK bots leave behind.

``demo_items(seed)`` returns raw items exactly as those bots store them
(formats.md): python bodies with ``", "`` separators, ``py/object`` tags, a
stale ``e_tag`` and pickled prompt activities (``py/reduce`` enums: shown,
never executed); js bodies compact with trailing ``/`` keys; .NET bodies with
``$type`` first and lists wrapped in ``$values``; Agents SDK app keys
(``{channel}/{agent}/users/{user}``), sign-in and proactive keys. Channels:
msteams, webchat, slack, directline, msteams:COPILOT. Ids are the odd real
kinds: Teams ``29:1AbC…`` / ``a:1…`` / ``19:<hex>@thread.tacv2;messageid=…``,
Direct Line ``dl_…`` or GUID users and ``<22 chars>-us`` conversations, Web
Chat ``…|livechat`` suffixes, Slack ``U0…:T0…``, unicode, spaces, ``?#*\\`` and literal
``%`` sequences that are not escapes.

Deterministic: the same seed gives the same items, byte for byte. Personal
data is fake (names from a fixed list, ``example.com`` emails, 555 numbers).
Stdlib only; the GUI and the CLI both use it.
"""

from __future__ import annotations

import asyncio
import json
import random
import string
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from explorer.core.items import RawItem
from explorer.storage.abilities import Abilities
from explorer.storage.base import Storage

DEFAULT_SEED = 20240501
CHANNELS = ("msteams", "webchat", "slack", "directline", "msteams:COPILOT")
_FIRST = (
    "Ada", "Grace", "Alan", "Zoë", "José", "Björn", "Mei", "Amara", "Dmitri", "Priya",
    "Noah", "Fatima", "Kenji", "Chloé", "Olu", "Sven", "Ana", "Lars", "Hana", "Omar",
)  # fmt: skip
_LAST = (
    "Lovelace", "Hopper", "Turing", "Núñez", "Okafor", "Tanaka", "Müller", "Singh",
    "O'Brien", "Kowalski", "Zhang", "Haddad", "Rossi", "Nakamura", "Silva",
)  # fmt: skip
_ALNUM = string.ascii_letters + string.digits
_B64 = _ALNUM + "-_"
_PY_DIALOG = "botbuilder.dialogs.dialog_state.DialogState"
_PY_INSTANCE = "botbuilder.dialogs.dialog_instance.DialogInstance"
_NET_ASM = "Microsoft.Bot.Builder.Dialogs"
_NET_DICT = (
    "System.Collections.Generic.Dictionary`2[[System.String, System.Private.CoreLib],"
    "[System.Object, System.Private.CoreLib]], System.Private.CoreLib"
)
_NET_LIST = (
    f"System.Collections.Generic.List`1[[{_NET_ASM}.DialogInstance, {_NET_ASM}]], "
    "System.Private.CoreLib"
)
AGENT_ID = "28:8b0c2a3e-4f5d-4c6b-9a7e-1d2c3b4a5f60"


def _py(doc: dict[str, Any], rng: random.Random) -> bytes:
    """botbuilder-python BlobStorage: jsonpickle's ``", "`` separators and a stale e_tag."""
    doc = {**doc, "e_tag": f"0x8DC{rng.randrange(16**12):012X}"}
    return json.dumps(doc, ensure_ascii=False).encode()


def _compact(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.clock = 1714564800  # 2024-05-01T12:00:00Z, advanced per item

    def run(self, n: int) -> str:
        """``n`` base64url characters, the first one a letter or digit (as real ids)."""
        return self.rng.choice(_ALNUM) + "".join(self.rng.choice(_B64) for _ in range(n - 1))

    def alnum(self, n: int) -> str:
        return "".join(self.rng.choice(_ALNUM) for _ in range(n))

    def hex(self, n: int) -> str:
        return f"{self.rng.randrange(16**n):0{n}x}"

    def guid(self) -> str:
        h = self.hex(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def when(self) -> str:
        self.clock += self.rng.randrange(30, 4000)
        days, rem = divmod(self.clock - 1714521600, 86400)
        month, day = divmod(days, 28)
        hms = f"{rem // 3600:02d}:{rem % 3600 // 60:02d}:{rem % 60:02d}"
        return f"2024-{5 + month % 7:02d}-{1 + day:02d}T{hms}Z"

    def user_id(self, channel: str, i: int) -> str:
        """Ids of the shape each channel sends (Teams AAD-bound ``29:1…``, Direct Line
        ``dl_…`` from Web Chat or a GUID from other clients, Slack ``U…:T…``)."""
        if channel.startswith("msteams"):
            return "29:1" + self.run(43)
        if channel == "webchat":
            return f"dl_{self.hex(32)}" if i % 3 else self.guid()
        if channel == "slack":
            return f"U0{self.alnum(8).upper()}:T0{self.alnum(8).upper()}"
        return self.guid() if i % 2 else f"dl_{self.alnum(20)}"

    def conversation_id(self, channel: str) -> str:
        """Teams personal ``a:1…`` and channel ``19:…@thread.tacv2`` (with a reply
        chain's ``;messageid=``), Direct Line ``<22>-<region>`` and Web Chat /
        Omnichannel ``…|livechat`` forms, Slack ``B…:T…:C…``."""
        r = self.rng.random()
        region = self.rng.choice(("us", "eu", "in", "jp"))
        if channel.startswith("msteams"):
            if r < 0.5:
                return "a:1" + self.run(86)
            return f"19:{self.hex(32)}@thread.tacv2;messageid={self.rng.randrange(10**12, 10**13)}"
        if channel == "webchat":
            if r < 0.7:
                return f"{self.alnum(22)}-{region}|livechat"
            return f"{self.alnum(22)}-{region}"
        if channel == "slack":
            return f"B0{self.alnum(8).upper()}:T0{self.alnum(8).upper()}:C0{self.alnum(8).upper()}"
        return f"{self.alnum(22)}-{region}"

    def person(self) -> dict[str, Any]:
        first, last = self.rng.choice(_FIRST), self.rng.choice(_LAST)
        plain = unicodedata.normalize("NFKD", f"{first}.{last}".lower())
        mail = plain.encode("ascii", "ignore").decode().replace("'", "")
        return {
            "name": f"{first} {last}",
            "email": f"{mail}@example.com",
            "phone": f"+1 425 555 {self.rng.randrange(10000):04d}",
            "age": self.rng.randrange(18, 90),
            "transport": self.rng.choice(("bike", "car", "train", "bus", None)),
        }

    def frames(self, n: int) -> list[dict[str, Any]]:
        """Dialog frames, outermost first."""
        names = ["mainDialog", "bookingDialog", "TextPrompt", "ConfirmPrompt", "dateResolver"]
        return [
            {"id": names[min(i, len(names) - 1)], "state": {"turn": self.rng.randrange(1, 9)}}
            for i in range(n)
        ]


def _python_dialog(frames: list[dict[str, Any]], gen: _Gen) -> dict[str, Any]:
    stack = []
    for frame in reversed(frames):  # python: active first
        state: dict[str, Any] = dict(frame["state"])
        if frame["id"].endswith("Prompt"):
            state["options"] = {
                "py/object": "botbuilder.dialogs.prompts.prompt_options.PromptOptions",
                "prompt": {
                    "py/object": "botbuilder.schema._models_py3.Activity",
                    "type": {
                        "py/reduce": [
                            {"py/type": "botbuilder.schema._models_py3.ActivityTypes"},
                            {"py/tuple": ["message"]},
                        ]
                    },
                    "text": "Where would you like to travel to?",
                    "input_hint": "expectingInput",
                },
            }
        stack.append({"py/object": _PY_INSTANCE, "id": frame["id"], "state": state})
    return {"py/object": _PY_DIALOG, "_dialog_stack": stack}


def _net_dialog(frames: list[dict[str, Any]]) -> dict[str, Any]:
    values = [
        {"$type": f"{_NET_ASM}.DialogInstance, {_NET_ASM}", "id": f["id"],
         "state": {"$type": _NET_DICT, **f["state"]}, "StackIndex": i, "Version": None}
        for i, f in enumerate(reversed(frames))
    ]  # fmt: skip
    return {
        "$type": f"{_NET_ASM}.DialogState, {_NET_ASM}",
        "dialogStack": {"$type": _NET_LIST, "$values": values},
    }


def _item(key: str, body: bytes, dialect: str) -> RawItem:
    ctype = "application/octet-stream" if dialect == "python" else "application/json"
    return RawItem(key=key, body=body, content_type=ctype, dialect=dialect)


def _bot_items(gen: _Gen, users: int, conversations: int) -> Iterator[RawItem]:
    rng = gen.rng
    dialects = ("python", "js", "dotnet", "js", "python")  # per channel, as bots of one team
    user_ids: dict[str, list[str]] = {c: [] for c in CHANNELS}
    for i in range(users):
        channel = CHANNELS[i % len(CHANNELS)]
        dialect = dialects[CHANNELS.index(channel)]
        uid = gen.user_id(channel, i)
        user_ids[channel].append(uid)
        profile = gen.person()
        prefs = {"lang": rng.choice(("en", "fr", "de", "ja", "pt-BR")), "count": rng.randrange(50)}
        if dialect == "python":
            body = _py({"UserProfile": {"py/object": "bbmodels.UserProfile", **profile},
                        "prefs": prefs}, rng)  # fmt: skip
            yield _item(f"{channel}/users/{uid}", body, "python")
        elif dialect == "js":
            yield _item(
                f"{channel}/users/{uid}/", _compact({"UserProfile": profile, "prefs": prefs}), "js"
            )
        else:
            net_profile = {"$type": "EchoBot.UserProfile, EchoBot", **profile}
            net = {
                "$type": _NET_DICT,
                "UserProfile": net_profile,
                "prefs": {"$type": _NET_DICT, **prefs},
            }
            yield _item(f"{channel}/users/{uid}", _compact(net), "dotnet")
    for i in range(conversations):
        channel = CHANNELS[i % len(CHANNELS)]
        dialect = dialects[CHANNELS.index(channel)]
        cid = gen.conversation_id(channel)
        frames = gen.frames(rng.randrange(0, 4))
        data = {
            "timestamp": gen.when(),
            "channel_id": channel,
            "prompted_for_user_name": rng.random() < 0.5,
        }
        if dialect == "python":
            doc: dict[str, Any] = {
                "ConversationData": {"py/object": "bbmodels.ConversationData", **data}
            }
            if frames:
                doc["DialogState"] = _python_dialog(frames, gen)
            yield _item(f"{channel}/conversations/{cid}", _py(doc, rng), "python")
        elif dialect == "js":
            doc = {"ConversationData": data}
            if frames:
                doc["DialogState"] = {"dialogStack": frames}  # js: active last
            yield _item(f"{channel}/conversations/{cid}/", _compact(doc), "js")
        else:
            doc = {
                "$type": _NET_DICT,
                "ConversationData": {"$type": "EchoBot.ConversationData, EchoBot", **data},
            }
            if frames:
                doc["DialogState"] = _net_dialog(frames)
            yield _item(f"{channel}/conversations/{cid}", _compact(doc), "dotnet")
        if i % 2 == 0 and user_ids[channel]:  # private state of one participant
            uid = rng.choice(user_ids[channel])
            private = {"secret": {"token": f"tok-{gen.run(16)}"}, "lastSeen": gen.when()}
            if dialect == "python":
                body = _py(private, rng)
                yield _item(f"{channel}/conversations/{cid}/users/{uid}/", body, "python")
            elif dialect == "js":
                yield _item(f"{channel}/conversations/{cid}/users/{uid}/", _compact(private), "js")
            else:
                body = _compact({"$type": _NET_DICT, **private})
                yield _item(f"{channel}/conversations/{cid}/users/{uid}", body, "dotnet")


def _agents_and_odd_items(gen: _Gen) -> Iterator[RawItem]:
    rng = gen.rng
    for n in range(6):  # Agents SDK AgentApplication turn state (js), on Teams and Copilot
        channel = "msteams" if n % 2 else "msteams:COPILOT"
        uid, cid = gen.user_id(channel, n), gen.conversation_id(channel)
        yield _item(
            f"{channel}/{AGENT_ID}/users/{uid}/", _compact({"user": {"visits": n + 1}}), "js"
        )
        yield _item(
            f"{channel}/{AGENT_ID}/conversations/{cid}/",
            _compact(
                {"conversation": {"topic": rng.choice(("billing", "travel", "hr"))}, "eTag": ""}
            ),
            "js",
        )
        yield _item(
            f"auth:_SignInState:{channel}:{uid}",
            _compact(
                {"handlerId": "graph", "continuationActivity": {"type": "message", "text": "hi"}}
            ),
            "js",
        )
    odd: dict[str, dict[str, Any]] = {
        "direct/dict-key": {"a": 1, "nested": {"b": [1, 2, "x"]}, "when": "2024-01-01"},
        "direct/storeitem": {"py/object": "__main__.MyItem", "counter": 7, "label": "hello"},
        "weird key?#*\\with chars": {"v": 1},
        "webchat/users/Zoë 🚀 space": {"UserProfile": {"name": "Zoë 🚀"}},
        "webchat/conversations/100%25 sure %zz|livechat": {"ConversationData": {"literal": "%2F"}},
        "msteams/users/29:1AbC…": {"UserProfile": {"name": "Ellipsis id"}},
        "msteams/conversations/a:1…;messageid=17": {
            "DialogState": {"dialogStack": [{"id": "mainDialog", "state": {"turn": 17}}]}
        },
        "proactive/conversations/19:meeting@thread.v2": {
            "reference": {"serviceUrl": "https://smba.example/"}
        },
        "auth/msteams/29:1AbC/graph": {"token_cache": "opaque"},
        "slack/users/U0TAB\tID:T01": {"UserProfile": {"name": "tab in id"}},
    }
    for key, doc in odd.items():
        yield _item(key, _compact(doc), "js" if key.endswith("/") else "plain")


def demo_items(
    seed: int = DEFAULT_SEED, *, users: int = 300, conversations: int = 200
) -> list[RawItem]:
    """The demo store's items, deterministic for a seed.

    About ``users + 1.5 * conversations + 30`` items (628 with the defaults).
    """
    gen = _Gen(seed)
    items = {i.key: i for i in _bot_items(gen, users, conversations)}
    items.update((i.key, i) for i in _agents_and_odd_items(gen))
    return list(items.values())


async def fill_store(store: Storage, items: list[RawItem]) -> int:
    """Write ``items`` to ``store`` as creates (an existing key is left alone and not counted).

    Uses the backend's bulk path when it has one and the store is empty of
    those keys. Returns how many items were written.
    """
    existing = await store.read_raw([i.key for i in items])
    fresh = [i for i in items if i.key not in existing]
    bulk = Abilities.of(store).bulk
    if bulk is not None:
        return await bulk.write_raw_many(fresh)
    for item in fresh:
        await store.write_raw(item, create=True)
    return len(fresh)


async def ensure_demo_store_async(path: str | Path, *, seed: int = DEFAULT_SEED) -> str:
    """The ``sqlite:`` URL of a demo store at ``path``, creating and filling it if missing.

    The parent directory is created. An existing file is opened as it is (the
    user's edits to the demo survive). A fresh demo file holds nothing to lose,
    so it is filled directly, without backups.
    """
    from explorer.storage.registry import open_store

    def prepare() -> tuple[Path, bool]:
        target = Path(path).expanduser()
        if target.exists():
            return target, False
        target.parent.mkdir(parents=True, exist_ok=True)
        target.with_name(target.name + ".partial").unlink(missing_ok=True)
        return target, True

    target, fresh = await asyncio.to_thread(prepare)
    if fresh:
        partial = target.with_name(target.name + ".partial")
        async with open_store(f"sqlite:{partial}") as store:
            await fill_store(store, demo_items(seed))
        # a crash mid-fill never leaves a half demo under the real name
        await asyncio.to_thread(partial.replace, target)
    return f"sqlite:{target}"


def ensure_demo_store(path: str | Path, *, seed: int = DEFAULT_SEED) -> str:
    """Blocking ``ensure_demo_store_async``: call it before the event loop runs.

    Safe from inside a running loop too (it then works on a helper thread).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(ensure_demo_store_async(path, seed=seed))
    result: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            result.append(asyncio.run(ensure_demo_store_async(path, seed=seed)))
        except BaseException as exc:  # re-raised on the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=work, name="demo-store")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]
