"""The time the engine reads. Everything asks `now()`, so tests move time with time-machine."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def parse_instant(value: str | datetime) -> datetime:
    """An ISO 8601 instant as an aware UTC datetime; a naive value is taken as UTC."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
