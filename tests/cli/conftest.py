"""CLI test helpers: run ``main(argv)`` in-process (fast) or ``python -m explorer`` (real entry).

Stores are real SQLite files (``memory:`` lives only as long as one process).
The user data directory (backups, audit log) is a temporary directory, set
through ``$BOTSTATE_EXPLORER_DATA_DIR``. ``place`` runs a support workflow test
once per store kind a command line can reopen (``support_params(cli=True)``),
filled with ``support_stores.ALL``.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from explorer.cli.main import main
from explorer.workspace.environment import DATA_DIR_ENV
from explorer.workspace.redact import forget_secrets
from tests.support.support_stores import Place, filled_place, support_params

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "userdata"
    monkeypatch.setenv(DATA_DIR_ENV, str(path))
    forget_secrets()
    return path


@pytest.fixture
def store(tmp_path: Path) -> str:
    return f"sqlite:{tmp_path / 'state.db'}"


@pytest.fixture(params=support_params(cli=True))
async def place(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Place]:
    async with filled_place(request, tmp_path) as made:
        yield made


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Run:
    """``cli("get", store, key)`` -> Result(code, out, err), in-process."""

    def run(*argv: str, stdin: bytes | None = None) -> Result:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
        code = main(list(argv))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture
def cli_process(data_dir: Path) -> Run:
    """The real console entry: ``python -m explorer ...`` in a subprocess."""

    def run(*argv: str, stdin: bytes | None = None, cwd: Path | None = None) -> Result:
        env = {**os.environ, DATA_DIR_ENV: str(data_dir), "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-m", "explorer", *argv],
            input=stdin,
            capture_output=True,
            env=env,
            cwd=cwd or ROOT,
            timeout=120,
        )
        return Result(
            done.returncode,
            done.stdout.decode("utf-8", "replace"),
            done.stderr.decode("utf-8", "replace"),
        )

    return run


def one_error_line(result: Result) -> str:
    """The single stderr line of a failed command (asserts there is exactly one, no traceback)."""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    assert lines[0].startswith("botstate-explorer: ")
    return lines[0]


def raw_of_all(cli: Run, place: Place) -> dict[str, str]:
    """Every key ``ls --json`` lists in ``place``, with what ``get --raw`` prints for it:
    the stored forms, to compare byte for byte before and after a run."""
    rows = [json.loads(x) for x in cli("ls", place.url, "--json", *place.options).out.splitlines()]
    return {r["key"]: cli("get", place.url, r["key"], "--raw", *place.options).out for r in rows}
