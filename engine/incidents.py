"""When the scheduler cannot move an instance on: retry later with backoff, and after the last try open an
incident an admin can see and retry. Retries wait in the instance's next_wake_at, never in a sleep."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit, clock
from engine.errors import Conflict, NotFound
from engine.models import Incident, Instance

RETRY_BACKOFF = (timedelta(minutes=1), timedelta(minutes=5))
MAX_ATTEMPTS = len(RETRY_BACKOFF) + 1


def describe(error: BaseException) -> str:
    """The error as an admin reads it: our own errors' messages as they are, others with their type."""
    message = getattr(error, "message", None)
    return str(message) if message else f"{type(error).__name__}: {error}"


def record_failure(session: Session, instance_id: int, error: BaseException) -> Incident | None:
    """Count a failed wake: schedule the next try, or after the last one open an incident and stop."""
    instance = session.get(Instance, instance_id)
    if instance is None or instance.status != "running":
        return None
    now = clock.now()
    instance.wake_attempts = (instance.wake_attempts or 0) + 1
    instance.last_error = describe(error)
    if instance.wake_attempts < MAX_ATTEMPTS:
        instance.next_wake_at = now + RETRY_BACKOFF[instance.wake_attempts - 1]
        audit.append(session, "timer.failed", actor_id=None, case_id=instance.case_id, instance_id=instance.id,
                     detail={"attempt": instance.wake_attempts, "error": instance.last_error,
                             "retry_at": instance.next_wake_at.isoformat()})
        return None
    instance.status, instance.next_wake_at = "incident", None
    incident = Incident(instance_id=instance.id, case_id=instance.case_id, error=instance.last_error,
                        attempts=instance.wake_attempts, status="open", created_at=now)
    session.add(incident)
    session.flush()
    audit.append(session, "incident.opened", actor_id=None, case_id=instance.case_id, instance_id=instance.id,
                 detail={"incident_id": incident.id, "error": incident.error, "attempts": incident.attempts})
    return incident


def retry(session: Session, incident_id: int, actor_id: int | None) -> Incident:
    """Put the instance back in the scheduler's hands now, with a fresh set of tries."""
    incident = session.scalar(select(Incident).where(Incident.id == incident_id).with_for_update())
    if incident is None:
        raise NotFound("There is no such incident.")
    if incident.status != "open":
        raise Conflict("This incident has already been retried.")
    instance = session.get(Instance, incident.instance_id)
    now = clock.now()
    incident.status, incident.resolved_at, incident.resolved_by_id = "retried", now, actor_id
    if instance is not None and instance.status == "incident":
        # A moment in the past, so the next sweep treats it as due whatever its timers say.
        instance.status, instance.wake_attempts, instance.next_wake_at = "running", 0, now - timedelta(seconds=1)
    audit.append(session, "incident.retried", actor_id=actor_id, case_id=incident.case_id,
                 instance_id=incident.instance_id, detail={"incident_id": incident.id})
    return incident


def listing(session: Session, *, status: str | None = "open") -> list[Incident]:
    statement = select(Incident).order_by(Incident.created_at.desc(), Incident.id.desc())
    if status is not None:
        statement = statement.where(Incident.status == status)
    return list(session.scalars(statement))
