"""``botstate-explorer watch ...`` in a child process, its lines read as they come.

``WatchProcess(argv, data_dir)`` starts ``python -m explorer watch ...``; a
daemon thread reads stdout and one reads stderr into queues (so a pipe never
fills); ``line()`` waits for the next stdout line, ``wait_err(text)`` for a
stderr line holding ``text``; ``interrupt()`` sends SIGINT (Ctrl+C) by PID and
returns the exit status; ``stop()`` kills it by PID if it is still running.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from explorer.workspace.environment import DATA_DIR_ENV

ROOT = Path(__file__).resolve().parents[2]


def _pump(stream: IO[str], into: queue.Queue[str]) -> None:
    with stream:  # closed at EOF (the process ended): no pipe is left to the GC
        for line in stream:
            into.put(line.rstrip("\n"))


class WatchProcess:
    def __init__(self, argv: list[str], data_dir: Path, env: dict[str, str] | None = None) -> None:
        full_env = {**os.environ, DATA_DIR_ENV: str(data_dir), "PYTHONPATH": str(ROOT)}
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "explorer", "watch", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=full_env,
            cwd=ROOT,
        )
        self.out: queue.Queue[str] = queue.Queue()
        self.err: queue.Queue[str] = queue.Queue()
        self.err_lines: list[str] = []
        assert self.proc.stdout is not None
        assert self.proc.stderr is not None
        for stream, into in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=_pump, args=(stream, into), daemon=True).start()

    def line(self, timeout: float = 30.0) -> str:
        try:
            return self.out.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(
                f"no output within {timeout:g} s; stderr: {self.drain_err()}"
            ) from None

    def json_line(self, timeout: float = 30.0) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.line(timeout))
        return value

    def drain_err(self) -> list[str]:
        while True:
            try:
                self.err_lines.append(self.err.get_nowait())
            except queue.Empty:
                return self.err_lines

    def wait_err(self, text: str, timeout: float = 30.0) -> str:
        end = time.monotonic() + timeout
        for line in self.drain_err():
            if text in line:
                return line
        while time.monotonic() < end:
            try:
                line = self.err.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                break
            self.err_lines.append(line)
            if text in line:
                return line
        raise AssertionError(f"no stderr line with {text!r} within {timeout:g} s: {self.err_lines}")

    def interrupt(self, timeout: float = 30.0) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.wait(timeout)

    def wait(self, timeout: float = 30.0) -> int:
        code = self.proc.wait(timeout)
        time.sleep(0.05)  # let the reader threads take the last lines
        self.drain_err()
        return code

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
