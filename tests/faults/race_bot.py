"""A bot writing one key in a loop, last writer wins (driven by ``test_race``).

``python -m tests.faults.race_bot URL OPTIONS_JSON KEY``: opens the store with
this project's own storage library, prints ``ready``, then writes ``KEY``
without an etag (as a bot that does not check) as fast as it can, with a
random pause of up to 40 ms, until its stdin is closed. After each write it
prints one JSON line: ``n`` (the bot's write number, also stored in the
document as ``bot``), ``t0`` / ``t1`` (``time.monotonic()`` before the request
and after the answer: one clock for all processes on Linux) and ``etag`` (the
etag the store gave that write).
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import threading
import time

from explorer.storage.registry import open_store


async def run(url: str, options: dict[str, object], key: str) -> None:
    stop = threading.Event()

    def watch_stdin() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    rng = random.Random(11)
    async with open_store(url, **options) as store:
        print("ready", flush=True)
        n = 0
        while not stop.is_set():
            n += 1
            item = store.encode(key, {"bot": n, "UserProfile": {"name": "bot", "turns": n}})
            t0 = time.monotonic()
            written = await store.write_raw(item)
            t1 = time.monotonic()
            print(json.dumps({"n": n, "t0": t0, "t1": t1, "etag": written.etag}), flush=True)
            await asyncio.sleep(rng.uniform(0, 0.04))


def main() -> None:
    asyncio.run(run(sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]))


if __name__ == "__main__":
    main()
