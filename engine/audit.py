"""The append-only audit log. Each event's hash covers its content and the previous event's hash, so an
edited, removed or inserted row breaks the chain at that point and `verify` names it.

Personal data an event carries (what someone submitted) is kept beside the chain, in `audit_payloads`, with
only a salted digest of it in the chain: retention removes it (`forget_personal`) and the chain still
verifies, and while it exists `verify` proves it unchanged."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, text, update
from sqlalchemy import event as orm_events
from sqlalchemy.orm import Session

from engine import clock
from engine.models import AuditEvent, AuditHead, AuditPayload

GENESIS = "0" * 64


def _digest(event: AuditEvent) -> str:
    return _digest_of(event.id, event.at, event.actor_id, event.action, event.case_id, event.instance_id,
                      event.task_id, event.detail, event.prev_hash)


def _digest_of(id: int, at: datetime, actor_id: int | None, action: str, case_id: int | None,
               instance_id: int | None, task_id: str | None, detail: Any, prev_hash: str) -> str:
    body = json.dumps({
        "id": id, "at": clock.parse_instant(at).isoformat(), "actor_id": actor_id, "action": action,
        "case_id": case_id, "instance_id": instance_id, "task_id": task_id, "detail": detail, "prev": prev_hash,
    }, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def append(session: Session, action: str, *, actor_id: int | None, case_id: int | None = None,
           instance_id: int | None = None, task_id: str | None = None,
           detail: dict[str, Any] | None = None, personal: dict[str, Any] | None = None) -> None:
    """Add an event at the end of the chain, inside the caller's transaction: it is written, numbered and
    hashed when that transaction commits (see `_write_pending`), or never if it rolls back. `personal` is
    kept beside the chain, for retention to remove."""
    detail = json.loads(json.dumps(detail or {}, default=str))
    pending = session.info.setdefault(_PENDING, [])
    payload = None
    if personal:
        payload = {"salt": secrets.token_hex(16), "data": json.loads(json.dumps(personal, default=str))}
        detail[PERSONAL_DIGEST] = _personal_digest(payload["salt"], payload["data"])
    pending.append(({"at": clock.now(), "actor_id": actor_id, "action": action, "case_id": case_id,
                     "instance_id": instance_id, "task_id": task_id, "detail": detail}, payload))


PERSONAL_DIGEST = "personal_sha256"


def _personal_digest(salt: str, data: Any) -> str:
    return hashlib.sha256((salt + json.dumps(data, sort_keys=True, separators=(",", ":"))).encode()).hexdigest()


def forget_personal(session: Session, *, case_id: int, task_ids: Iterable[str] | None = None) -> int:
    """Remove the personal data of a case's events (of only those tasks, if given); their place in the chain
    stays. Returns how many events had some."""
    events = select(AuditEvent.id).where(AuditEvent.case_id == case_id)
    if task_ids is not None:
        events = events.where(AuditEvent.task_id.in_(list(task_ids)))
    return session.execute(delete(AuditPayload).where(AuditPayload.event_id.in_(events.scalar_subquery()))).rowcount


_PENDING = "audit_events_pending"
_EVENTS = AuditEvent.__table__
_PAYLOADS = AuditPayload.__table__
_HEAD = AuditHead.__table__
_TAKE_NUMBERS = update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq + bindparam("count")) \
    .returning(_HEAD.c.seq, _HEAD.c.last_hash)
_SET_HASH = update(_HEAD).where(_HEAD.c.id == 1).values(last_hash=bindparam("hash"))


@orm_events.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    """Write the transaction's events at the end of the chain, last thing before it commits.

    Taking the numbers updates the head row first, which locks it, so concurrent transactions queue here
    instead of forking the chain; doing it last keeps that lock for the commit alone, not for the whole
    transaction. Three statements whatever the number of events (two on PostgreSQL): number them all, insert
    them all, move the head."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    seq, prev_hash = session.execute(_TAKE_NUMBERS, {"count": len(pending)}).one()
    rows, payloads = [], []
    for number, (row, payload) in enumerate(pending, start=seq - len(pending) + 1):
        row = {**row, "id": number, "prev_hash": prev_hash}
        row["hash"] = prev_hash = _digest_of(**row)
        rows.append(row)
        if payload is not None:
            payloads.append({"event_id": number, **payload})
    if session.get_bind().dialect.name == "postgresql":
        # One round trip for all of it, so the head's lock is held as briefly as the commit allows.
        parameters = {f"e{n}_{name}": value for n, row in enumerate(rows) for name, value in row.items()}
        parameters.update({f"p{n}_{name}": value for n, row in enumerate(payloads) for name, value in row.items()})
        session.execute(_write_and_move_head(len(rows), len(payloads)), {**parameters, "hash": prev_hash})
        return
    session.execute(insert(_EVENTS), rows)
    session.execute(_SET_HASH, {"hash": prev_hash})
    if payloads:
        session.execute(insert(_PAYLOADS), payloads)


_WRITE_AND_MOVE_HEAD: dict[tuple[int, int], Any] = {}


def _write_and_move_head(events: int, payloads: int) -> Any:
    """`WITH written AS (INSERT events), kept AS (INSERT payloads) UPDATE audit_head SET last_hash = :hash`, made
    once per count of each as text with typed parameters, so SQLAlchemy compiles it once rather than for every
    transaction (a multi-row INSERT built as an expression is compiled afresh each time)."""
    statement = _WRITE_AND_MOVE_HEAD.get((events, payloads))
    if statement is None:
        inserts = [_insert_text("written", _EVENTS, "e", events)]
        if payloads:
            inserts.append(_insert_text("kept", _PAYLOADS, "p", payloads))
        clauses = ", ".join(clause for clause, _ in inserts)
        statement = text(f"WITH {clauses} UPDATE {_HEAD.name} SET last_hash = :hash WHERE id = 1"
                         ).bindparams(*(b for _, binds in inserts for b in binds))
        _WRITE_AND_MOVE_HEAD[(events, payloads)] = statement
    return statement


def _insert_text(name: str, table: Any, prefix: str, count: int) -> tuple[str, list[Any]]:
    """`name AS (INSERT INTO table (…) VALUES (:prefix0_column, …), …)` and its typed parameters."""
    columns = list(table.columns)
    rows = ", ".join("(" + ", ".join(f":{prefix}{n}_{c.name}" for c in columns) + ")" for n in range(count))
    clause = f"{name} AS (INSERT INTO {table.name} ({', '.join(c.name for c in columns)}) VALUES {rows})"
    return clause, [bindparam(f"{prefix}{n}_{c.name}", type_=c.type) for n in range(count) for c in columns]


@orm_events.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


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
        payload = event.payload
        if payload is not None and \
                _personal_digest(payload.salt, payload.data) != (event.detail or {}).get(PERSONAL_DIGEST):
            return ChainReport(count, event.id, f"the personal data of event {event.id} was changed")
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
