"""A server on its own event loop in a daemon thread (the base of the test proxies).

``LoopThreadServer.start()`` creates a new event loop in a daemon thread, runs
the subclass's ``_serve()`` there (bind a listening socket, set ``self.port``),
and returns once it has; an exception from ``_serve()`` is raised from
``start()``, and a ``_serve()`` that has not finished after ``START_TIMEOUT``
seconds raises ``RuntimeError``. The loop then serves until ``stop()``, which
runs ``_shutdown()`` on it, stops the loop and joins the thread (at most
``START_TIMEOUT`` seconds); ``stop()`` on a server that is not running is a
no-op. Because the loop is its own, the server keeps serving while the caller's
loop is busy or blocked. Usable as a context manager (``with P(...) as p``).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Self


class LoopThreadServer:
    #: the thread's name, and how long start() and stop() wait for it
    THREAD_NAME = "loop-thread-server"
    START_TIMEOUT = 15.0

    def __init__(self) -> None:
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    async def _serve(self) -> None:
        """Start listening (on the server's loop) and set ``self.port``."""
        raise NotImplementedError

    async def _shutdown(self) -> None:
        """Close what ``_serve`` opened (on the server's loop, before it stops)."""

    def new_loop(self) -> asyncio.AbstractEventLoop:
        """The loop the server runs on (a subclass may pick a faster one)."""
        return asyncio.new_event_loop()

    def start(self) -> Self:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = self.new_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._serve())
            except BaseException as exc:  # reported to start()
                self._loop = None  # nothing to stop
                loop.close()
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            _finish(loop)

        self._thread = threading.Thread(target=run, name=self.THREAD_NAME, daemon=True)
        self._thread.start()
        if not ready.wait(self.START_TIMEOUT):
            raise RuntimeError(
                f"{self.THREAD_NAME} did not start within {self.START_TIMEOUT:.0f} s"
            )
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return

        async def shutdown() -> None:
            await self._shutdown()
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        if self._thread is not None:
            self._thread.join(self.START_TIMEOUT)
        self._loop = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _finish(loop: asyncio.AbstractEventLoop) -> None:
    """Close ``loop`` as ``asyncio.run`` does: cancel and await every task still there
    (a relay accepted while ``_shutdown`` ran), let closed transports close, close the
    async generators. Nothing is left for the GC to report as destroyed or unclosed."""
    for _ in range(3):
        tasks = asyncio.all_tasks(loop)
        if not tasks:
            break
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    for _ in range(5):  # a transport closes a loop turn after close()
        loop.run_until_complete(asyncio.sleep(0))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()
