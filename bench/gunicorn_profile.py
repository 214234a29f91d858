"""A gunicorn configuration that profiles each worker with pyinstrument for its whole life and writes what
it found when the worker exits: `python -m bench.throughput --profile FOLDER` uses it.

Not a benchmark (bench/run.py skips it)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pyinstrument import Profiler

FOLDER = Path(os.environ.get("BENCH_PROFILE_FOLDER", "."))
_profiler: Profiler | None = None


def post_fork(_server: Any, _worker: Any) -> None:
    global _profiler
    _profiler = Profiler(interval=0.0005, async_mode="disabled")
    _profiler.start()


def worker_exit(_server: Any, worker: Any) -> None:
    if _profiler is None:
        return
    _profiler.stop()
    text = _profiler.output_text(unicode=True, color=False, processor_options={"filter_threshold": 0.01})
    flat = _profiler.output_text(unicode=True, color=False, flat=True)
    (FOLDER / f"worker-{worker.pid}.txt").write_text(text + "\n\n" + "\n".join(flat.splitlines()[:40]))
