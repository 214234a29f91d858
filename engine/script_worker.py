"""Admins' scripts run in worker processes with a memory limit, and a worker that overruns its time is killed.

The sandbox's own time check runs between bytecodes, so a single long C-level operation (comparing two
huge shared structures, turning one into a string) would hold a web worker or the scheduler for as long
as it liked, or take all the memory. In a separate process the operating system enforces both limits:
an address-space limit turns a huge allocation into a clean error, and the parent kills a worker that
has not answered in time and starts a fresh one for the next script.

Trusted helpers (working days, settings read from the database) still run in the caller's process: the
worker asks for each call over its pipe. Replies from a worker are unpickled with a whitelist of plain
data types, so even an escaped script could not send the caller code to run.
"""

from __future__ import annotations

import io
import os
import pickle
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from typing import Any

from engine.errors import ScriptError

MEMORY_LIMIT = 1024 * 1024 * 1024
"""Address space a worker may use: enough for the interpreter and any reasonable script."""
MAX_MESSAGE_BYTES = 32 * 1024 * 1024
GRACE_SECONDS = 1.0
"""Added to the script's own time limit before the worker is killed: the sandbox's check usually stops a
Python-level loop first, with a clearer message."""
STARTUP_SECONDS = 30.0
"""How long a new worker may take to start: a fresh interpreter on a busy machine can take seconds, and
that is waited for before a script is sent, so no script's time limit pays for it."""
MAX_IDLE_WORKERS = 4
MAX_ITEMS = 1_000_000
"""A script's data, counted as it will be stored (a value shared N times counts N times): items plus
characters. The same figure bounds single values inside the sandbox."""
MAX_DEPTH = 100
_READY = ("ready",)
"""What a new worker sends once it has started, before it is given any script."""

_ALLOWED_CLASSES = frozenset({
    ("datetime", "date"), ("datetime", "datetime"), ("datetime", "time"), ("datetime", "timedelta"),
    ("datetime", "timezone"), ("decimal", "Decimal"), ("builtins", "set"), ("builtins", "frozenset"),
})
_CATCHABLE = {"ValueError": ValueError, "KeyError": KeyError, "TypeError": TypeError}


class _PlainData(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_CLASSES:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name}")


def _plain_loads(raw: bytes) -> Any:
    return _PlainData(io.BytesIO(raw)).load()


def stored_size(value: Any, budget: int = MAX_ITEMS) -> int:
    """How big a value is once written out, with shared references expanded (each shared value is
    measured once and counted each time it appears). Anything past `budget`, nested deeper than
    MAX_DEPTH or containing itself counts as `budget + 1`."""
    too_big = budget + 1
    sizes: dict[int, int] = {}

    def size(item: Any, depth: int) -> int:
        if isinstance(item, (str, bytes)):
            return len(item) + 1
        if not isinstance(item, (dict, list, tuple, set, frozenset)):
            return 1
        known = sizes.get(id(item))
        if known is not None:
            return known
        if depth > MAX_DEPTH:
            return too_big
        sizes[id(item)] = too_big  # met again while it is being measured: it contains itself
        total = len(item) + 1
        for child in ([*item.keys(), *item.values()] if isinstance(item, dict) else item):
            total += size(child, depth + 1)
            if total > budget:
                break
        sizes[id(item)] = min(total, too_big)
        return sizes[id(item)]

    return size(value, 0)


def check_stored_size(value: Any, source: str) -> None:
    if stored_size(value) > MAX_ITEMS:
        raise ScriptError(f"The script's data would be more than {MAX_ITEMS:,} items and characters once stored "
                          f"(values shared many times count each time) (in: {source.strip()[:80]!r}).")


# --- the worker process ---------------------------------------------------------------------------

def _serve(conn: Connection) -> None:
    """The worker's loop: run one script or expression at a time, asking the caller for helper calls."""
    from engine.sandbox import Sandbox

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    conn.send_bytes(pickle.dumps(_READY))
    while True:
        try:
            mode, source, data, extra, helper_names, time_limit = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        helpers = {name: _remote_helper(conn, name) for name in helper_names}
        sandbox = Sandbox(helpers, time_limit, isolated=False)
        where = f"(in: {source.strip()[:80]!r})"
        try:
            if mode == "eval":
                reply: tuple[str, Any] = ("value", sandbox.evaluate(source, data, extra))
            else:
                sandbox.execute(source, data, extra)
                check_stored_size(data, source)
                reply = ("data", data)
            payload = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except ScriptError as error:
            payload = pickle.dumps(("error", error.message))
        except MemoryError:
            payload = pickle.dumps(("error", f"The script used too much memory and was stopped {where}."))
        except Exception as error:  # a value that cannot be sent back (pickling), reported, not fatal
            payload = pickle.dumps(("error", f"The script produced a value that cannot be kept "
                                             f"({type(error).__name__}) {where}."))
        conn.send_bytes(payload)


def _remote_helper(conn: Connection, name: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        conn.send_bytes(pickle.dumps(("call", name, args, kwargs)))
        kind, *rest = pickle.loads(conn.recv_bytes())
        if kind == "raise":
            error_type, message = rest
            raise _CATCHABLE.get(error_type, ScriptError)(message)
        return rest[0]

    call.__name__ = name
    return call


# --- the caller's side ----------------------------------------------------------------------------

class _Worker:
    """A fresh interpreter (not a fork of a threaded web worker) talking over a socket pair."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen(_command(theirs.fileno()), pass_fds=[theirs.fileno()],
                                            stdin=subprocess.DEVNULL)
        self.conn = Connection(ours.detach())
        try:
            ready = self.conn.poll(STARTUP_SECONDS) and _plain_loads(self.conn.recv_bytes(64)) == _READY
        except (EOFError, OSError, pickle.UnpicklingError):
            ready = False
        if not ready:
            self.kill()
            raise ScriptError("The script worker did not start. Try again; if it keeps failing, tell your "
                              "system administrator.")

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.conn.close()


def _command(fd: int) -> list[str]:
    return [sys.executable, "-m", "engine.script_worker", str(fd)]


class _Pool:
    """Idle workers of this process; a forked child (a web worker) starts its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._pid = os.getpid()

    def take(self) -> _Worker:
        with self._lock:
            if self._pid != os.getpid():
                self._idle, self._pid = [], os.getpid()
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    return worker
        return _Worker()

    def give(self, worker: _Worker) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE_WORKERS and self._pid == os.getpid():
                self._idle.append(worker)
                return
        worker.kill()


_POOL = _Pool()


def run(mode: str, source: str, data: dict[str, Any], extra: Mapping[str, Any] | None,
        helpers: Mapping[str, Callable[..., Any]], time_limit: float, max_helper_seconds: float) -> Any:
    """Evaluate (`mode` "eval") or execute ("exec") in a worker. For "exec", `data` is updated with what the
    script left in it. Raises ScriptError for anything the script did wrong, the worker having been
    replaced if it overran."""
    request = pickle.dumps((mode, source, data, dict(extra or {}), sorted(helpers), time_limit),
                           protocol=pickle.HIGHEST_PROTOCOL)
    worker = _POOL.take()
    healthy = False
    try:
        worker.conn.send_bytes(request)
        kind, value = _await_reply(worker, helpers, time_limit, max_helper_seconds, source)
        healthy = True
    finally:
        if healthy:
            _POOL.give(worker)
        else:
            worker.kill()
    if kind == "error":
        raise ScriptError(value)
    if mode == "exec":
        data.update(value)
        return None
    return value


def _await_reply(worker: _Worker, helpers: Mapping[str, Callable[..., Any]], time_limit: float,
                 max_helper_seconds: float, source: str) -> tuple[str, Any]:
    started, helper_seconds = time.monotonic(), 0.0
    where = f"(in: {source.strip()[:80]!r})"
    while True:
        allowed = time_limit + GRACE_SECONDS + min(helper_seconds, max_helper_seconds)
        remaining = started + allowed - time.monotonic()
        if remaining <= 0 or not worker.conn.poll(remaining):
            raise ScriptError(f"The script ran for more than {time_limit:g} s and was stopped {where}.")
        try:
            message = _plain_loads(worker.conn.recv_bytes(MAX_MESSAGE_BYTES))
        except (EOFError, OSError):
            raise ScriptError(f"The script used too many resources and was stopped {where}.") from None
        except pickle.UnpicklingError:
            raise ScriptError(f"The script produced a value that cannot be kept {where}.") from None
        if message[0] != "call":
            return message[0], message[1]
        _name, name, args, kwargs = message
        called = time.monotonic()
        try:
            reply: tuple[Any, ...] = ("value", helpers[name](*args, **kwargs))
        except ScriptError as error:
            reply = ("raise", "ScriptError", error.message)
        except Exception as error:  # the helper's error reaches the script, as it would in one process
            reply = ("raise", type(error).__name__, str(error))
        helper_seconds += time.monotonic() - called
        worker.conn.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])))
