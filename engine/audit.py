"""The append-only audit log. Each event's hash covers its content and the previous event's hash, so an
edited, removed or inserted row breaks the chain at that point and `verify` names it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import clock
from engine.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _digest(event: AuditEvent) -> str:
    body = json.dumps({
        "id": event.id, "at": clock.parse_instant(event.at).isoformat(), "actor_id": event.actor_id,
        "action": event.action, "case_id": event.case_id, "instance_id": event.instance_id,
        "task_id": event.task_id, "detail": event.detail, "prev": event.prev_hash,
    }, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def append(session: Session, action: str, *, actor_id: int | None, case_id: int | None = None,
           instance_id: int | None = None, task_id: str | None = None,
           detail: dict[str, Any] | None = None) -> AuditEvent:
    """Add an event at the end of the chain, inside the caller's transaction."""
    # Updating the head row first takes its lock, so concurrent appends queue instead of forking the chain.
    seq, prev_hash = session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.last_hash)).one()
    event = AuditEvent(id=seq, at=clock.now(), actor_id=actor_id, action=action, case_id=case_id,
                       instance_id=instance_id, task_id=task_id,
                       detail=json.loads(json.dumps(detail or {}, default=str)), prev_hash=prev_hash)
    event.hash = _digest(event)
    session.add(event)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=event.hash))
    return event


def ensure_head(session: Session) -> None:
    if session.get(AuditHead, 1) is None:
        session.add(AuditHead(id=1, seq=0, last_hash=GENESIS))


@dataclass(frozen=True)
class ChainReport:
    events: int
    broken_at: int | None
    reason: str | None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the whole chain; report the first event whose hash, link or sequence does not hold."""
    prev_hash, expected_id, count = GENESIS, 1, 0
    for event in _in_order(session, batch):
        if event.id != expected_id:
            return ChainReport(count, expected_id, f"event {expected_id} is missing")
        if event.prev_hash != prev_hash:
            return ChainReport(count, event.id, f"event {event.id} does not follow event {event.id - 1}")
        if _digest(event) != event.hash:
            return ChainReport(count, event.id, f"event {event.id} was changed after it was written")
        prev_hash, expected_id, count = event.hash, expected_id + 1, count + 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != count or head.last_hash != prev_hash):
        return ChainReport(count, count + 1, f"events after {count} are missing")
    return ChainReport(count, None, None)


def _in_order(session: Session, batch: int) -> Iterable[AuditEvent]:
    last = 0
    while True:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.id > last)
                               .order_by(AuditEvent.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def history(session: Session, *, case_id: int | None = None, instance_id: int | None = None,
            since: datetime | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if case_id is not None:
        query = query.where(AuditEvent.case_id == case_id)
    if instance_id is not None:
        query = query.where(AuditEvent.instance_id == instance_id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    return list(session.scalars(query))
