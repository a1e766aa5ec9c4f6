"""State benchmarks against botbuilder-python 4.17.1, measured in the same run.

``turn_loop_vs_botbuilder``: turns per second of the loop every bot runs, ours
over botbuilder's. Each turn: a new turn object, ``accessor.get`` with a
default, mutate, ``accessor.set``, ``save_changes``. Ours: ``Turn`` +
``UserState`` + our ``MemoryStorage``. Theirs: ``TurnContext`` (from a
``TestAdapter`` and a prepared ``Activity``) + their ``UserState`` + their
``MemoryStorage``, in the botbuilder venv as a long-lived subprocess. Both
cycle over the same 100 users (prepared ids / activities, so the loop times
state handling, not building activities) and run the same number of turns.
Repeats alternate who goes first so a busy machine slows both alike; the
value is median(ours) / median(theirs).
"""

from __future__ import annotations

import asyncio
import time

from explorer.state import Turn, UserState
from explorer.storage import MemoryStorage
from tests.benchmarks.run import Context, Result, benchmark, median, paired, ratio
from tests.support import botbuilder_venv

USERS = 100
# sizes and repeats, full run / --quick: about 20 s, so --quick measures the same
# (3 repeats of 5,000 turns gave 1.37 where the full run gave 1.69)
TURNS, TURNS_QUICK = 20_000, 20_000
REPEATS, REPEATS_QUICK = 7, 7

PEER = """
import asyncio, sys, time
from botbuilder.core import MemoryStorage, TurnContext, UserState
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

USERS = int(sys.argv[1])
adapter = TestAdapter()
state = UserState(MemoryStorage())
counter = state.create_property("counter")
activities = [
    Activity(
        type=ActivityTypes.message,
        channel_id="msteams",
        from_property=ChannelAccount(id=f"29:user-{i}"),
        recipient=ChannelAccount(id="28:bot"),
        conversation=ConversationAccount(id=f"19:conv-{i}"),
    )
    for i in range(USERS)
]

async def loop(turns):
    started = time.perf_counter()
    for i in range(turns):
        turn = TurnContext(adapter, activities[i % USERS])
        value = await counter.get(turn, {"count": 0})
        value["count"] += 1
        await counter.set(turn, value)
        await state.save_changes(turn)
    return turns / (time.perf_counter() - started)

async def check(turns):
    turn = TurnContext(adapter, activities[0])
    return (await counter.get(turn))["count"]

print("ready", flush=True)
for line in sys.stdin:
    command, turns = line.split()
    if command == "run":
        rate = asyncio.run(loop(int(turns)))
    else:
        rate = asyncio.run(check(int(turns)))
    print(rate, flush=True)
"""


async def our_loop(state: UserState, ids: list[str], turns: int) -> float:
    counter = state.create_property("counter")
    users = len(ids)
    started = time.perf_counter()
    for i in range(turns):
        turn = Turn("msteams", ids[i % users], None)
        value = await counter.get(turn, {"count": 0})
        value["count"] += 1
        await counter.set(turn, value)
        await state.save_changes(turn)
    return turns / (time.perf_counter() - started)


class Peer:
    """botbuilder-python's loop in its venv, driven line by line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls) -> Peer:
        python = await asyncio.to_thread(botbuilder_venv.ensure)
        process = await asyncio.create_subprocess_exec(
            str(python),
            "-c",
            PEER,
            str(USERS),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        peer = cls(process)
        assert (await peer._line()) == "ready"
        return peer

    async def _line(self) -> str:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout=300)
        if not line:
            raise RuntimeError(f"the botbuilder peer exited ({await self.process.wait()})")
        return line.decode().strip()

    async def ask(self, command: str, turns: int) -> float:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{command} {turns}\n".encode())
        await self.process.stdin.drain()
        return float(await self._line())

    async def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        await self.process.wait()


@benchmark("turn_loop_vs_botbuilder")
async def turn_loop_vs_botbuilder(ctx: Context) -> Result:
    turns = ctx.pick(TURNS_QUICK, TURNS)
    repeats = ctx.pick(REPEATS_QUICK, REPEATS)
    peer = await Peer.start()
    try:
        state = UserState(MemoryStorage())
        ids = [f"29:user-{i}" for i in range(USERS)]
        await our_loop(state, ids, 1_000)  # warm up both, not timed
        await peer.ask("run", 1_000)
        ours: list[float] = []
        theirs: list[float] = []
        for index in range(repeats):  # who goes first alternates
            if index % 2:
                theirs.append(await peer.ask("run", turns))
            ours.append(await our_loop(state, ids, turns))
            if not index % 2:
                theirs.append(await peer.ask("run", turns))
        # both did the same work: every user's counter reached the same value
        expected = (1_000 + repeats * turns) // USERS
        check = Turn("msteams", ids[0], None)
        our_count = (await state.create_property("counter").get(check))["count"]
        their_count = int(await peer.ask("check", 0))
        if our_count != expected or their_count != expected:
            raise AssertionError(f"counts differ: ours {our_count}, theirs {their_count}")
    finally:
        await peer.stop()
    return Result(
        value=ratio(ours, theirs),
        unit="x botbuilder-python turns/s",
        detail={
            "ours_turns_per_s": round(median(ours)),
            "botbuilder_turns_per_s": round(median(theirs)),
            "turns_per_run": turns,
            "users": USERS,
            "goal": ">= 1.0",
        },
        runs=paired(ours, theirs),
    )
