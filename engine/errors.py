"""Errors the engine raises, each with a message a person can act on.

`web/` turns them into a page or a JSON problem in one place; nothing else catches them broadly.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base class: `str(error)` is safe to show to the person who caused it."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(EngineError):
    """The thing does not exist, or the person may not know that it does."""

    status = 404


class Forbidden(EngineError):
    """The person is known but may not do this."""

    status = 403


class Conflict(EngineError):
    """Someone else changed it first; reload and try again. Nothing was written."""

    status = 409


class FormInvalid(EngineError):
    """Submitted data breaks the task's form schema. `errors` maps each field to its message."""

    status = 422

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = errors


class ScriptError(EngineError):
    """A script or expression in a diagram was refused by the sandbox or failed while running."""

    status = 422


class DiagramInvalid(EngineError):
    """A diagram or form cannot be deployed. `problems` lists every problem found, not just the first."""

    status = 422

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems) or "The diagram is not valid.")
        self.problems = problems


class Problem:
    """One problem in a diagram: where it is and what to do about it."""

    def __init__(self, message: str, *, file: str = "", element_id: str = "", element_name: str = "",
                 line: int | None = None) -> None:
        self.message = message
        self.file = file
        self.element_id = element_id
        self.element_name = element_name
        self.line = line

    def as_dict(self) -> dict[str, object]:
        return {"message": self.message, "file": self.file, "element_id": self.element_id,
                "element_name": self.element_name, "line": self.line}

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
        if self.element_id:
            where += f" {self.element_id}"
            if self.element_name:
                where += f' "{self.element_name}"'
        return f"{where.strip()}: {self.message}" if where.strip() else self.message

    def __repr__(self) -> str:
        return f"Problem({self!s})"
