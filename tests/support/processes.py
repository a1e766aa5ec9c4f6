"""Child processes of the test support: started in their own session, stopped by PID.

Shared by the emulators (``azurite``, ``cosmos_emulator``) and the spawned
latency proxy:

- ``launch(argv, ready=..., output=...)``: start a server whose stdout+stderr
  is read by a daemon thread for the process's whole lifetime (so the pipe never
  fills), keeping its first 200 lines in ``output``; wait until a line matches
  ``ready`` and return that match, or ``None`` when the process exited or
  ``timeout`` passed first (the caller stops it and reports ``tail(output)``).
- ``stop(proc)``: SIGTERM by PID, SIGKILL after ``timeout`` seconds; a process
  that already exited (or was never started: ``None``) is left alone.
- ``kill(proc)``: SIGKILL by PID at once.
- ``require_node(what, error)``: the ``node`` binary, or ``error`` saying to
  install Node.js.
- ``serve_until_interrupted(...)``: the body of ``python -m tests.support.X``.
- ``started(what, start, error)`` / ``running(...)`` (for fixtures): a server
  that cannot start (``start()`` raises ``error``) FAILS the test with the
  reason, never a skip; ``running`` also stops it afterwards.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

import pytest

#: lines of a server's output kept for an error message
KEPT_LINES = 200


class Stoppable(Protocol):
    def stop(self) -> None: ...


S = TypeVar("S", bound=Stoppable)


def require_node(what: str, error: type[Exception]) -> str:
    """The path of ``node``; raises ``error`` naming ``what`` when it is not on PATH."""
    node = shutil.which("node")
    if node is None:
        raise error(f"node is not on PATH; install Node.js 20 to run {what}")
    return node


def launch(
    argv: list[str],
    *,
    ready: re.Pattern[str],
    output: list[str],
    timeout: float,
    name: str,
    hold_stdin: bool = False,
) -> tuple[subprocess.Popen[str], re.Match[str] | None]:
    """Start ``argv`` in a new session and wait for its first line matching ``ready``.

    ``hold_stdin``: give it a stdin pipe that stays open as long as this process
    lives (a server started with ``--exit-with-stdin`` then dies with us).
    Returns the process and the match; the match is ``None`` when the process
    exited or ``timeout`` seconds passed without it (the process may still be
    running: the caller stops it).
    """
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE if hold_stdin else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    found: list[re.Match[str]] = []
    seen = threading.Event()

    def pump() -> None:  # keeps the pipe drained for the server's lifetime, then closes it
        assert proc.stdout is not None
        with proc.stdout:
            for line in proc.stdout:
                if len(output) < KEPT_LINES:
                    output.append(line.rstrip())
                match = ready.search(line)
                if match and not seen.is_set():
                    found.append(match)
                    seen.set()

    threading.Thread(target=pump, name=f"{name}-output", daemon=True).start()
    deadline = time.monotonic() + timeout
    while not seen.wait(0.1):
        if proc.poll() is not None or time.monotonic() > deadline:
            return proc, None
    return proc, found[0]


def tail(output: list[str], lines: int = 20) -> str:
    """The last ``lines`` kept lines of a server's output, for an error message."""
    return "\n".join(output[-lines:])


def stop(proc: subprocess.Popen[str] | None, timeout: float = 10) -> None:
    """SIGTERM ``proc`` by PID, SIGKILL after ``timeout``; no-op if it is ``None`` or gone.
    Its stdin pipe is closed either way (its stdout is closed by the pump at EOF)."""
    if proc is None:
        return
    try:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout)
    except ProcessLookupError:
        pass  # it exited between poll() and kill()
    finally:
        close_stdin(proc)


def kill(proc: subprocess.Popen[str] | None, timeout: float = 10) -> None:
    """SIGKILL ``proc`` by PID and reap it; no-op if it is ``None`` or gone."""
    if proc is not None and proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout)
    if proc is not None:
        close_stdin(proc)


def close_stdin(proc: subprocess.Popen[str]) -> None:
    """Close the stdin pipe we hold for ``proc`` (a ``hold_stdin`` server), if any."""
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()


def serve_until_interrupted(
    proc: subprocess.Popen[str] | None, lines: list[str], stop_server: Callable[[], None]
) -> int:
    """Print ``lines`` (``NAME=value`` for a shell), wait for ``proc`` or Ctrl-C, then stop."""
    for line in lines:
        print(line, flush=True)
    try:
        assert proc is not None
        proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop_server()
    return 0


def started(what: str, start: Callable[[], S], error: type[Exception]) -> S:
    """``start()``, or fail the test naming ``what`` and the reason (see the module docstring)."""
    try:
        return start()
    except error as exc:
        pytest.fail(f"{what} could not be started: {exc}", pytrace=False)


def running(what: str, start: Callable[[], S], error: type[Exception]) -> Iterator[S]:
    """``started(...)`` for a yield fixture: yields the server, stops it afterwards."""
    server = started(what, start, error)
    try:
        yield server
    finally:
        server.stop()
