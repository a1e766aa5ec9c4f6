"""The benchmark runner's lines: every value comes with the spread of its repeats."""

from __future__ import annotations

import json

import pytest

from tests.benchmarks import run
from tests.benchmarks.run import Context, Result


async def test_each_line_carries_repeats_and_spread(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def noisy(ctx: Context) -> Result:
        ours, theirs = [1.0, 1.2, 3.0], [1.0, 1.0, 1.0]
        return Result(run.ratio(ours, theirs), "x", {"n": ctx.pick(1, 9)}, run.paired(ours, theirs))

    async def silent(ctx: Context) -> Result:
        return Result(1.0, "x")  # no runs: no way to tell noise from a value

    monkeypatch.setattr(run, "REGISTRY", {"noisy": noisy, "silent": silent})
    assert await run._run(["noisy", "silent"], Context(quick=True)) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["value"] == 1.2
    assert lines[0]["detail"]["n"] == 1
    assert lines[0]["detail"]["repeats"] == 3
    assert lines[0]["detail"]["spread"] == [1.0, 3.0]
    assert lines[1]["value"] is None
    assert "no runs" in lines[1]["detail"]["error"]


def test_ratio_is_of_the_medians_and_paired_is_per_repeat() -> None:
    assert run.ratio([3.0, 1.0, 2.0], [1.0, 1.0, 4.0]) == 2.0
    assert run.paired([2.0, 3.0], [1.0, 2.0]) == [2.0, 1.5]
    assert run.spread([0.12345, 2.0, 1.0]) == [0.123, 2.0]
