"""Runs the scripts and expressions admins write in diagrams, without letting them reach the server.

RestrictedPython refuses imports, dunder names and unguarded attribute, item and iteration access at
compile time. On top of that:
- a time limit, checked on every bytecode of the script's own frames;
- operators that could build a huge value in one C call (`**`, `*`, `<<`, `%`-formatting) and
  format widths are bounded before they run, as is `range`;
- str methods that allocate by an argument (`ljust`, `zfill`, ...) are not reachable.
Every refusal is a `ScriptError` whose message says what was refused.

Scripts, and expressions that do more than compare and combine values, run in a worker process
(`engine.script_worker`) where the operating system holds them to a memory limit and the caller kills
them when they overrun, even inside one long C-level operation. Simple expressions (gateway conditions,
due dates) run in place: a fixed number of bounded operations on data whose stored size is bounded.
"""

from __future__ import annotations

import ast
import gc
import math
import operator
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.transformer import RestrictingNodeTransformer

from engine import script_worker
from engine.errors import ScriptError

SCRIPT_FILENAME = "<diagram script>"
DEFAULT_TIME_LIMIT = 0.5
MAX_HELPER_SECONDS = 2.0
"""At most this much time in trusted helpers is left out of the limit, so a loop calling them still stops."""
MAX_ITEMS = script_worker.MAX_ITEMS
MAX_INT_BITS = 100_000
MAX_FORMAT_WIDTH = 1_000

_BOUNDED = {ast.Pow: "**", ast.Mult: "*", ast.LShift: "<<", ast.Mod: "%", ast.Add: "+"}
_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "**": operator.pow, "*": operator.mul, "<<": operator.lshift, "%": operator.mod,
    "+": operator.add, "-": operator.sub, "/": operator.truediv, "//": operator.floordiv,
    ">>": operator.rshift, "&": operator.and_, "|": operator.or_, "^": operator.xor,
}
_CATCHABLE = frozenset({"ValueError", "KeyError", "TypeError"})
_ALLOCATING_STR_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs", "format", "format_map"})
_WIDE_FORMAT = re.compile(r"\d{4,}|\*")


class _ScriptTimeout(BaseException):
    """Raised inside a script that ran past its time; BaseException so `except Exception` can't keep it."""


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's checks, plus size bounds on operators and format specs."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        symbol = _BOUNDED.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(func=ast.Name("_bounded_op_", ast.Load()),
                        args=[ast.Constant(symbol), node.left, node.right], keywords=[])
        for new_node in (call, call.func, call.args[0]):
            ast.copy_location(new_node, node)
        return call

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self.error(node, "Imports are not allowed in a diagram script.")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        self.error(node, "Imports are not allowed in a diagram script.")
        return node

    def visit_Try(self, node: ast.Try) -> ast.AST:
        # Python stops tracing once the time limit has been raised, so a handler that caught it, or a
        # `finally` block, would run on with no limit: only named, catchable errors may be handled.
        if node.finalbody:
            self.error(node, "try ... finally is not allowed in a diagram script.")
        for handler in node.handlers:
            names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            if not all(isinstance(n, ast.Name) and n.id in _CATCHABLE for n in names):
                self.error(handler, f"Only these errors may be caught: {', '.join(sorted(_CATCHABLE))}.")
        return self.node_contents_visit(node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        spec = node.format_spec
        if spec is not None:
            parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
            for part in parts:
                if not isinstance(part, ast.Constant) or _WIDE_FORMAT.search(str(part.value)):
                    self.error(node, f"Format widths above {MAX_FORMAT_WIDTH - 1} and computed widths "
                                     "are not allowed.")
        return self.node_contents_visit(node)


_SEQUENCES = (str, bytes, list, tuple)


def _check_size(value: Any) -> Any:
    # Counted as stored, so `[big] * 1000` is as large as the copies it stands for.
    too_big = len(value) > MAX_ITEMS if isinstance(value, (str, bytes)) else \
        isinstance(value, (list, tuple)) and script_worker.stored_size(value) > MAX_ITEMS
    if too_big:
        raise ScriptError(f"A value of more than {MAX_ITEMS:,} items is not allowed in a diagram script.")
    return value


def _bounded_op(symbol: str, left: Any, right: Any) -> Any:
    if symbol == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0:
        if right * math.log2(abs(left)) > MAX_INT_BITS:
            raise ScriptError(f"A power that large ({left} ** {right}) is not allowed in a diagram script.")
    elif symbol == "<<" and isinstance(right, int) and right > MAX_INT_BITS:
        raise ScriptError("A shift that large is not allowed in a diagram script.")
    elif symbol == "*":
        sequence, count = (left, right) if isinstance(right, int) else (right, left)
        if isinstance(sequence, _SEQUENCES) and isinstance(count, int) \
                and len(sequence) * count > MAX_ITEMS:
            raise ScriptError(f"A value of more than {MAX_ITEMS:,} items is not allowed in a diagram script.")
    elif symbol == "+" and isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES) \
            and len(left) + len(right) > MAX_ITEMS:
        raise ScriptError(f"A value of more than {MAX_ITEMS:,} items is not allowed in a diagram script.")
    elif symbol == "%" and isinstance(left, str) and _WIDE_FORMAT.search(left):
        raise ScriptError(f"Format widths above {MAX_FORMAT_WIDTH - 1} and computed widths are not allowed.")
    return _check_size(_OPERATORS[symbol](left, right))


def _inplace(symbol: str, left: Any, right: Any) -> Any:
    op = symbol[:-1]
    if op in ("**", "*", "<<", "%", "+"):
        return _bounded_op(op, left, right)
    if op not in _OPERATORS:
        raise ScriptError(f"The operator {symbol} is not allowed in a diagram script.")
    return _check_size(_OPERATORS[op](left, right))


def _getattr(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, (str, bytes)) and name in _ALLOCATING_STR_METHODS:
        raise ScriptError(f"The string method {name}() is not allowed in a diagram script.")
    return safer_getattr(obj, name, default)


def _getitem(obj: Any, key: Any) -> Any:
    return obj[key]


def _write(obj: Any) -> Any:
    # Scripts may change the data they were given (dicts and lists), never other objects.
    if isinstance(obj, (dict, list)):
        return obj
    raise ScriptError(f"A diagram script may not change a {type(obj).__name__}.")


def _range(*args: int) -> range:
    values = range(*args)
    if len(values) > MAX_ITEMS:
        raise ScriptError(f"A range of more than {MAX_ITEMS:,} numbers is not allowed in a diagram script.")
    return values


def _apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


SAFE_BUILTINS: dict[str, Any] = {
    "None": None, "True": True, "False": False,
    "abs": abs, "all": all, "any": any, "bool": bool, "dict": dict, "divmod": divmod,
    "enumerate": enumerate, "float": float, "int": int, "isinstance": isinstance, "len": len,
    "list": list, "max": max, "min": min, "range": _range, "reversed": reversed, "round": round,
    "set": set, "sorted": sorted, "str": str, "sum": sum, "tuple": tuple, "zip": zip,
    "ValueError": ValueError, "KeyError": KeyError, "TypeError": TypeError,
}

_GUARDS: dict[str, Any] = {
    "_getattr_": _getattr,
    "_getitem_": _getitem,
    "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": _write,
    "_inplacevar_": _inplace,
    "_bounded_op_": _bounded_op,
    "_apply_": _apply,
}


@lru_cache(maxsize=2048)
def _compile(source: str, mode: str) -> CodeType:
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source, filename=SCRIPT_FILENAME, policy=_Policy)
    if result.errors:
        raise ScriptError(_explain(result.errors, source))
    return result.code


def _explain(errors: Iterable[str], source: str) -> str:
    first = next(iter(errors))
    return f"Refused by the script sandbox: {first} (in: {source.strip()[:80]!r})"


# What an expression may use and still run in place: no loops, comprehensions, lambdas or methods, and
# only literal displays, so it does a fixed number of operations, each bounded, on values whose stored
# size is bounded (scripts' results are checked before they are kept; operators check what they build).
_IN_PLACE_NODES = (
    ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Name, ast.Constant,
    ast.Subscript, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.JoinedStr, ast.FormattedValue, ast.Call,
    ast.Load, ast.boolop, ast.operator, ast.unaryop, ast.cmpop,
)
_IN_PLACE_CALLS = frozenset({"abs", "bool", "float", "int", "len", "round", "str"})


@lru_cache(maxsize=2048)
def _runs_in_place(expression: str, helper_names: frozenset[str]) -> bool:
    callable_names = _IN_PLACE_CALLS | helper_names
    for node in ast.walk(ast.parse(expression, mode="eval")):
        if not isinstance(node, _IN_PLACE_NODES):
            return False
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in callable_names
                                               and not node.keywords):
            return False
        # Only literal lists like ("high", "urgent"): a display of data values could repeat a large one.
        parts = [*node.keys, *node.values] if isinstance(node, ast.Dict) else getattr(node, "elts", [])
        if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)) and \
                not all(isinstance(part, ast.Constant) for part in parts):
            return False
    return True


def check(source: str, mode: str = "eval") -> str | None:
    """None if the source compiles under the sandbox, or the message saying why not."""
    try:
        _compile(source, mode)
    except ScriptError as error:
        return error.message
    return None


class _CollectorPauses:
    """How long the garbage collector stops the process while a script runs. In a large process a full
    collection takes as long as a script's whole limit, and it is not the script's time, so it is not
    counted (up to MAX_HELPER_SECONDS, as for helpers)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started: float | None = None

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        now = time.monotonic()
        if phase == "start":
            self._started = now
        elif self._started is not None:
            self.seconds += now - self._started
            self._started = None


class Sandbox:
    """Evaluates expressions and runs scripts over a task's data with trusted helper functions."""

    def __init__(self, helpers: Mapping[str, Callable[..., Any]] | None = None,
                 time_limit: float = DEFAULT_TIME_LIMIT, *, isolated: bool = True) -> None:
        self._trusted = dict(helpers or {})
        self.helpers = {name: self._untimed(function) for name, function in self._trusted.items()}
        self._helper_seconds = 0.0
        self.time_limit = time_limit
        self.isolated = isolated

    def _globals(self, data: Mapping[str, Any], extra: Mapping[str, Any] | None) -> dict[str, Any]:
        scope: dict[str, Any] = {"__builtins__": SAFE_BUILTINS, **_GUARDS, **self.helpers}
        scope.update(extra or {})
        scope.update(data)
        return scope

    def evaluate(self, expression: str, data: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> Any:
        code = _compile(expression.strip(), "eval")
        if self.isolated and not _runs_in_place(expression.strip(), frozenset(self.helpers)):
            return script_worker.run("eval", expression, dict(data), extra, self._trusted, self.time_limit,
                                     MAX_HELPER_SECONDS)
        return self._run(lambda: eval(code, self._globals(data, extra)), expression)

    def execute(self, script: str, data: dict[str, Any], extra: Mapping[str, Any] | None = None) -> None:
        """Run a script; the names it assigns become (or replace) entries in `data`."""
        code = _compile(script, "exec")
        if self.isolated:
            script_worker.run("exec", script, data, extra, self._trusted, self.time_limit, MAX_HELPER_SECONDS)
            return
        scope = self._globals(data, extra)
        injected = set(scope) - set(data)
        self._run(lambda: exec(code, scope), script)
        for name, value in scope.items():
            if name in injected and name not in data:
                continue
            if callable(value) or name.startswith("_"):
                continue
            data[name] = value

    def _untimed(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """A trusted helper whose own running time (e.g. loading a year's bank holidays on first use) does
        not count against the script's time limit: the limit is for the admin's code."""

        def helper(*args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            try:
                return function(*args, **kwargs)
            finally:
                self._helper_seconds += time.monotonic() - started

        return helper

    def _run(self, call: Callable[[], Any], source: str) -> Any:
        self._helper_seconds = 0.0
        pauses = _CollectorPauses()
        deadline = time.monotonic() + self.time_limit

        def on_opcode(frame: Any, event: str, arg: Any) -> Any:
            excused = min(self._helper_seconds, MAX_HELPER_SECONDS) + min(pauses.seconds, MAX_HELPER_SECONDS)
            if time.monotonic() - excused > deadline:
                raise _ScriptTimeout
            return on_opcode

        def on_call(frame: Any, event: str, arg: Any) -> Any:
            if frame.f_code.co_filename != SCRIPT_FILENAME:
                return None
            frame.f_trace_opcodes = True
            return on_opcode

        previous = sys.gettrace()
        gc.callbacks.append(pauses)
        sys.settrace(on_call)
        try:
            return call()
        except _ScriptTimeout:
            raise ScriptError(f"The script ran for more than {self.time_limit:g} s and was stopped "
                              f"(in: {source.strip()[:80]!r}).") from None
        except ScriptError:
            raise
        except (MemoryError, RecursionError) as error:
            raise ScriptError(f"The script used too many resources ({type(error).__name__}) "
                              f"(in: {source.strip()[:80]!r}).") from None
        except Exception as error:
            raise ScriptError(f"The script failed: {type(error).__name__}: {error} "
                              f"(in: {source.strip()[:80]!r}).") from error
        finally:
            sys.settrace(previous)
            gc.callbacks.remove(pauses)
