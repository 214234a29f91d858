"""Each folder keeps to its job: only engine/ talks to SpiffWorkflow, and neither engine/ nor processes/
knows about Flask."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imports(folder: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        found[str(path.relative_to(ROOT))] = {name.split(".")[0] for name in names}
    return found


@pytest.mark.parametrize("folder", ["web", "processes", "bench", "tests"])
def test_only_the_engine_imports_spiffworkflow(folder):
    offenders = [path for path, names in _imports(folder).items() if "SpiffWorkflow" in names]
    assert offenders == []


@pytest.mark.parametrize("folder", ["engine", "processes"])
def test_engine_and_processes_know_nothing_of_flask(folder):
    offenders = [path for path, names in _imports(folder).items() if names & {"flask", "flask_babel", "web"}]
    assert offenders == []
