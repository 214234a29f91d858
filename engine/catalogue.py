"""What the engine needs to know about the council's processes, supplied by `processes/`: which role
each lane is, who gets a new task, the service-task handlers, and the settings' defaults."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from engine.models import Case


@dataclass(frozen=True)
class Assignment:
    """A new task looking for an owner: None from the rule leaves it for anyone in the role to claim."""

    session: Session
    role: str
    case: Case | None
    spec_name: str
    data: Mapping[str, Any]


@dataclass
class ServiceCall:
    """What a service-task handler gets: the task's data, its parameters, and the transaction it runs in."""

    session: Session
    case: Case | None
    instance_id: int | None
    operation: str
    params: dict[str, Any]
    data: dict[str, Any]
    now: datetime
    setting: Callable[[str], Any]
    start_case: Callable[..., Case]


class ServiceHandler(Protocol):
    def __call__(self, call: ServiceCall) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Catalogue:
    roles: Mapping[str, str]
    """Role slug → the role's name as people (and lane names) say it."""
    lane_roles: Mapping[str, str]
    """Lane name, as written in diagrams → role slug."""
    settings: Mapping[str, Any]
    """Setting name → default value."""
    setting_choices: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    """Settings that take one of a list of values (others are whole numbers of 1 or more)."""
    handlers: Mapping[str, ServiceHandler] = field(default_factory=dict)
    assign: Callable[[Assignment], int | None] = lambda _: None
    helpers: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    """Extra trusted functions diagram expressions may call, besides `setting` and the deadline helpers."""
    personal_roles: frozenset[str] = frozenset()
    """Roles whose tasks always belong to one person (assigned by `assign`): never shared or claimable."""
    initial_data: frozenset[str] = frozenset()
    """Names every instance starts with (e.g. the case reference), so expressions may read them."""
    audit_facts: frozenset[str] = frozenset()
    """Form answers that are categories rather than personal data (a severity, say): the audit log keeps
    them in its chain, for statistics, when retention removes a case's personal data."""

    @property
    def lane_roles_display(self) -> list[str]:
        return sorted({self.roles[slug] for slug in self.lane_roles.values() if slug in self.roles})

    def role_for_lane(self, lane: str | None) -> str | None:
        if lane is None:
            return None
        return self.lane_roles.get(lane) or self.lane_roles.get(lane.strip().lower())
