"""Scripts that would hold the server in one long C-level operation, or fill its memory, are stopped by
the worker process they run in; the next script runs as usual. Trusted helpers still run in the
caller's process."""

from __future__ import annotations

import os
import sys
import time

import pytest

from engine import script_worker
from engine.errors import ScriptError
from engine.sandbox import Sandbox

SHARED = "a = [1] * 1000\nb = [a] * 1000\nc = [b] * 1000\n"  # a thousand million items, shared


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox({"caller_pid": os.getpid, "refuse": _refuse}, time_limit=0.3)


def _refuse(reason: str) -> None:
    raise ValueError(reason)


@pytest.mark.parametrize("script", [
    # One comparison, one string conversion: a single C call each, which the sandbox's own clock
    # (checked between bytecodes) cannot interrupt.
    SHARED + "d = [[list(a)] * 1000] * 1000\nsame = c == d",
    SHARED + "text = str(c)",
    SHARED + "text = f'{c}'",
    "s = 'a' * 1000000\nt = s.replace('a', s)",
    "s = 'a' * 1000000\nt = ''.join([s] * 1000000)",
])
def test_a_single_huge_operation_is_stopped_and_the_next_script_runs(sandbox, script):
    data = {"kept": 1}
    with pytest.raises(ScriptError, match=r"stopped|resources|not allowed"):
        sandbox.execute(script, data)
    assert data == {"kept": 1}
    sandbox.execute("after = kept + 1", data)
    assert data == {"kept": 1, "after": 2}


def test_a_condition_that_builds_a_huge_value_is_stopped(sandbox):
    expression = "[[[1] * 1000] * 1000] * 1000 == [[[1] * 1000] * 1000] * 1000"
    with pytest.raises(ScriptError, match="not allowed"):
        sandbox.evaluate(expression, {})


def test_data_that_would_be_huge_once_stored_is_refused_and_nothing_is_kept(sandbox):
    data = {"kept": 1}
    script = "a = [1] * 100\nb = [a] * 100\nc = []\nfor i in range(1000):\n    c.append(b)"
    with pytest.raises(ScriptError, match="once stored"):
        sandbox.execute(script, data)
    assert data == {"kept": 1}


def test_data_that_contains_itself_is_refused(sandbox):
    with pytest.raises(ScriptError, match="once stored"):
        sandbox.execute("loop = []\nloop.append(loop)", {})


def test_only_plain_data_comes_back_from_a_script(sandbox):
    with pytest.raises(ScriptError, match="cannot be kept"):
        sandbox.execute("numbers = range(3)", {})


def test_helpers_run_in_the_callers_process_and_their_errors_reach_the_script(sandbox):
    data: dict = {}
    sandbox.execute("pid = caller_pid()\ntry:\n    refuse('no')\n    outcome = 'ran'\n"
                    "except ValueError:\n    outcome = 'caught'", data)
    assert data == {"pid": os.getpid(), "outcome": "caught"}


def test_changes_a_script_makes_to_its_data_in_place_come_back(sandbox):
    data = {"items": [3, 1, 2], "counts": {"calls": 1}}
    sandbox.execute("items.sort()\ncounts['calls'] = counts['calls'] + 1\nlargest = max(items)", data)
    assert data == {"items": [1, 2, 3], "counts": {"calls": 2}, "largest": 3}


# --- starting a worker ---------------------------------------------------------------------------

@pytest.fixture
def no_idle_workers(monkeypatch):
    """An empty pool, so the next script starts a new worker, and no grace beyond a script's own limit."""
    monkeypatch.setattr(script_worker, "_POOL", script_worker._Pool())
    monkeypatch.setattr(script_worker, "GRACE_SECONDS", 0.0)


def test_a_new_workers_start_up_is_not_counted_in_the_scripts_time(no_idle_workers):
    started = time.monotonic()
    script_worker._Worker().kill()
    start_up = time.monotonic() - started
    # Half a start-up is far more than `1 + 1` needs, and far less than starting a worker takes.
    assert script_worker.run("eval", "1 + 1", {}, None, {}, time_limit=start_up / 2, max_helper_seconds=0) == 2


def test_a_worker_that_cannot_start_is_reported_as_such(no_idle_workers, monkeypatch):
    monkeypatch.setattr(script_worker, "_command", lambda fd: [sys.executable, "-c", "raise SystemExit(1)"])
    with pytest.raises(ScriptError, match="The script worker did not start"):
        script_worker.run("eval", "1 + 1", {}, None, {}, time_limit=0.3, max_helper_seconds=0)
