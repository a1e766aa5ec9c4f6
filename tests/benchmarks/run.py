"""Benchmark runner: ``python tests/benchmarks/run.py [--quick] [--only NAME ...]``.

Benchmarks are not timed tests. Each one measures this project against a peer
in the same run (the raw Azure SDK, botbuilder-python) and reports a ratio.
Every ``bench_*.py`` module beside this file registers its benchmarks with
``@benchmark("name")``; a benchmark is an ``async def f(ctx) -> Result``.
The runner prints one JSON line per benchmark:
``{"name", "value", "unit", "detail"}``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if __name__ == "__main__":
    # bench modules import `tests.benchmarks.run`: make that this module, so
    # their @benchmark registers in the REGISTRY that main() reads
    sys.modules.setdefault("tests.benchmarks.run", sys.modules[__name__])


@dataclass
class Result:
    value: float
    unit: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    quick: bool
    #: shared, lazily started resources (emulators, venvs) keyed by name
    resources: dict[str, Any] = field(default_factory=dict)
    cleanups: list[Callable[[], Any]] = field(default_factory=list)


Bench = Callable[[Context], Awaitable[Result]]
REGISTRY: dict[str, Bench] = {}


def benchmark(name: str) -> Callable[[Bench], Bench]:
    def register(fn: Bench) -> Bench:
        REGISTRY[name] = fn
        return fn

    return register


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


async def probe(module: str, *args: str) -> dict[str, Any]:
    """Run ``python -m tests.benchmarks.<module> ARGS`` in a fresh offscreen-Qt process.

    The repository is its working directory and ``PYTHONPATH``. Returns the
    JSON object on the last line of its stdout; a non-zero exit raises
    ``RuntimeError`` with the end of its stderr.
    """
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        f"tests.benchmarks.{module}",
        *args,
        cwd=str(ROOT),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{module} failed: {err.decode()[-1500:]}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


def _load_modules() -> None:
    for path in sorted(HERE.glob("bench_*.py")):
        importlib.import_module(f"tests.benchmarks.{path.stem}")


async def _run(names: list[str], ctx: Context) -> int:
    failures = 0
    try:
        for name in names:
            started = time.perf_counter()
            try:
                result = await REGISTRY[name](ctx)
            except Exception as exc:  # report and go on with the others
                failures += 1
                traceback.print_exc(file=sys.stderr)
                line = {"name": name, "value": None, "unit": "", "detail": {"error": repr(exc)}}
            else:
                detail = {**result.detail, "wall_s": round(time.perf_counter() - started, 2)}
                line = {"name": name, "value": result.value, "unit": result.unit, "detail": detail}
            print(json.dumps(line), flush=True)
    finally:
        for cleanup in reversed(ctx.cleanups):
            outcome = cleanup()
            if asyncio.iscoroutine(outcome):
                await outcome
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run just these benchmarks")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    _load_modules()
    if args.list:
        print("\n".join(sorted(REGISTRY)))
        return 0
    names = args.only or sorted(REGISTRY)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        known = ", ".join(sorted(REGISTRY))
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {known}")
    return asyncio.run(_run(names, Context(quick=args.quick)))


if __name__ == "__main__":
    raise SystemExit(main())
