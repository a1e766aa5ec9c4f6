"""A local TCP proxy that adds latency, for network-shaped tests and benchmarks.

``LatencyProxy(target_port, delay=0.020).start()`` listens on a free port of
``listen_host`` and forwards every connection to ``target_host:target_port``,
counting the bytes the target sends back (``received``).
Bytes from the client reach the target ``delay`` seconds after they arrived
(order kept, chunks not serialised behind each other), so every request/response
round trip costs ``delay`` more, as a distant server would. TLS passes through
untouched as bytes. It runs its own event loop in a daemon thread, so it serves
a peer in another process while the caller's loop is busy or blocked.

``spawn(target_port, delay)`` runs it in a child process instead (``python -m
tests.support.latency_proxy TARGET_PORT DELAY`` prints the port), so that it
takes no time from a benchmarked event loop; stop it with ``stop_process``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support import processes
from tests.support.loop_thread import LoopThreadServer

ROOT = Path(__file__).resolve().parents[2]


class LatencyProxy(LoopThreadServer):
    THREAD_NAME = "latency-proxy"
    START_TIMEOUT = 10.0

    def __init__(
        self,
        target_port: int,
        *,
        delay: float = 0.0,
        target_host: str = "127.0.0.1",
        listen_host: str = "127.0.0.1",
    ) -> None:
        super().__init__()
        self.target = (target_host, target_port)
        self.delay = delay
        self.listen_host = listen_host
        self.connections = 0
        #: bytes the target sent back through the proxy
        self.received = 0
        self._server: asyncio.Server | None = None
        #: the relays running (``_handle``): held until they end
        self._relays: set[asyncio.Task[None]] = set()

    async def _serve(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.listen_host, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        """Stop listening, end every relay (also one accepted while stopping) and let
        the closed connections finish closing: no task or socket is left to the GC."""
        if self._server is not None:
            self._server.close()
        me = asyncio.current_task()
        for _ in range(10):
            tasks = [t for t in asyncio.all_tasks() if t is not me]
            if not tasks:
                break
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for _ in range(5):  # a transport closes a loop turn after close()
            await asyncio.sleep(0)
        self._server = None

    def endpoint(self, scheme: str = "https") -> str:
        return f"{scheme}://{self.listen_host}:{self.port}/"

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        """Relay one connection until both sides end (or ``stop()``).

        The relay's task is held in ``_relays`` while it runs: a relay waiting on
        sockets the loop no longer polls is otherwise unreachable, and the GC
        destroys it pending and reports its writers unclosed (a TLS test whose
        client rejects the certificate hit it about once in six runs).
        """
        relay = asyncio.current_task()
        if relay is not None:
            self._relays.add(relay)
        self.connections += 1
        try:
            try:
                target_r, target_w = await asyncio.open_connection(*self.target)
            except OSError:
                return
            try:
                await asyncio.gather(
                    self._pipe(client_r, target_w, self.delay),
                    self._pipe(target_r, client_w, 0.0, counted=True),
                )
            except asyncio.CancelledError:
                pass  # stop(): end quietly (asyncio reports a cancelled handler as an error)
            finally:
                target_w.close()
        finally:
            client_w.close()
            self._relays.discard(relay)

    def _forwarding(self, data: bytes) -> None:
        """Told each chunk the client sends on (a subclass may log requests)."""

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        delay: float,
        *,
        counted: bool = False,
    ) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def send() -> None:
            while True:
                due, data = await queue.get()
                if not data:
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
            with contextlib.suppress(OSError):
                if writer.can_write_eof():
                    writer.write_eof()

        sender = asyncio.ensure_future(send())
        try:
            while True:
                data = await reader.read(65536)
                if counted:
                    self.received += len(data)
                else:
                    self._forwarding(data)
                queue.put_nowait((time.monotonic() + delay, data))
                if not data:
                    break
            await sender
        except (OSError, asyncio.IncompleteReadError):
            sender.cancel()
        finally:
            if not sender.done():
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender


def spawn(target_port: int, delay: float) -> tuple[subprocess.Popen[str], int]:
    """The proxy in a child process: ``(process, port)``."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.latency_proxy", str(target_port), str(delay)],
        cwd=str(ROOT),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.strip().isdigit():
        stop_process(proc)
        raise RuntimeError(f"the latency proxy did not start: {line!r}")
    return proc, int(line)


def stop_process(proc: subprocess.Popen[str]) -> None:
    """Stop a proxy started by ``spawn`` (by its PID: SIGTERM, SIGKILL after 10 s)
    and close its stdout pipe."""
    processes.stop(proc)
    if proc.stdout is not None:
        proc.stdout.close()


class _SpawnedProxy(LatencyProxy):
    """The child-process proxy runs on uvloop: it relays every byte of a benchmark
    twice, and on 2 cores its CPU time otherwise slows the emulator and the client."""

    def new_loop(self) -> asyncio.AbstractEventLoop:
        try:
            import uvloop
        except ImportError:  # Windows: no uvloop
            return super().new_loop()
        return uvloop.new_event_loop()


def main(argv: list[str]) -> None:
    proxy = _SpawnedProxy(int(argv[0]), delay=float(argv[1])).start()
    print(proxy.port, flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    proxy.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    main(sys.argv[1:])
