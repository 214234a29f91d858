"""The tables. Instances keep their whole workflow as JSON; the tasks table is the projection the inbox
reads; audit events form a hash chain."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from engine import clock


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC without a zone (SQLite has none) and always gives back an aware datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return clock.parse_instant(value).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


JSONDocument = JSON().with_variant(JSONB(), "postgresql")
FormDocument = JSON()
"""Forms are plain JSON on PostgreSQL too: JSONB sorts an object's keys, and a form asks its questions in the
order its author wrote them."""

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONDocument}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    political_group_id: Mapped[int | None] = mapped_column(ForeignKey("political_groups.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    """Raised at sign-out: every session signed in before it stops working, copied cookies included."""

    roles: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def role_slugs(self) -> frozenset[str]:
        return frozenset(r.role for r in self.roles)


class UserRole(Base):
    """A role a user holds; a user may hold several."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)


class PoliticalGroup(Base):
    __tablename__ = "political_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    support_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", use_alter=True, ondelete="SET NULL"))


class Case(Base):
    """One report and everything that follows from it."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    councillor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    closed_at: Mapped[datetime | None]


class CaseSequence(Base):
    """The last reference number issued each year, so references stay gapless under concurrency."""

    __tablename__ = "case_sequences"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class ProcessModelVersion(Base):
    """One deployed version of one diagram with the forms its user tasks use."""

    __tablename__ = "process_model_versions"
    __table_args__ = (
        UniqueConstraint("process_id", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    forms: Mapped[dict[str, Any]] = mapped_column(FormDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SpecBundle(Base):
    """The serialized specs an instance runs on: its process and every process it calls, deduplicated."""

    __tablename__ = "spec_bundles"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    specs: Mapped[dict[str, Any]]
    forms: Mapped[dict[str, Any]] = mapped_column(FormDocument, default=dict)


class Instance(Base):
    __tablename__ = "instances"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), index=True)
    model_version_id: Mapped[int] = mapped_column(ForeignKey("process_model_versions.id"), index=True)
    spec_bundle_id: Mapped[int] = mapped_column(ForeignKey("spec_bundles.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    state: Mapped[dict[str, Any]]
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    next_wake_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    completed_at: Mapped[datetime | None]
    # Failed wakes so far (reset by a successful one); the retry waits in next_wake_at, not in a sleep.
    wake_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)

    __mapper_args__ = {"version_id_col": lock_version}


_CLAIMABLE = text("status = 'open' AND assignee_id IS NULL")


class Task(Base):
    """The projection of user tasks the inbox reads: never rebuilt by deserialising workflows on read."""

    __tablename__ = "tasks"
    __table_args__ = (
        # Each inbox tab reads one range per role, already in due order: claimable (nobody holds it) and all.
        # Claimable needs an index of its own: PostgreSQL does not take `assignee_id IS NULL` as pinning a
        # column, so an index with assignee_id before due_at cannot give claimable tasks in due order.
        Index("ix_tasks_claimable", "role", "due_at", "created_at", "id", postgresql_where=_CLAIMABLE,
              sqlite_where=_CLAIMABLE),
        Index("ix_tasks_open_by_role_due", "status", "role", "due_at", "created_at"),
        # The counts: "all" and, filtered on the assignee, "claimable" in one index-only scan.
        Index("ix_tasks_open_by_role", "status", "role", "assignee_id", "due_at", "created_at"),
        Index("ix_tasks_open_by_assignee", "assignee_id", "status", "due_at", "created_at"),
        Index("ix_tasks_to_remind", "status", "reminded_at", "due_at"),
        Index("ix_tasks_to_escalate", "status", "escalated_at", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(100))
    spec_name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(60))
    form: Mapped[str | None] = mapped_column(String(200))
    ui_form: Mapped[str | None] = mapped_column(String(200))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default="open")
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Set when the reminder before the due time, and the escalation after it, went out: each is sent once.
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]


class AuditEvent(Base):
    """Append-only. Each row's hash covers its content and the previous row's hash."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[AuditPayload | None] = relationship(
        primaryjoin="AuditEvent.id == foreign(AuditPayload.event_id)", lazy="selectin", viewonly=True)

    @property
    def data(self) -> dict[str, Any]:
        """The personal data the event carried (what was submitted), or {} once retention removed it."""
        return self.payload.data if self.payload is not None else {}


class AuditPayload(Base):
    """An audit event's personal data, outside the chain so that retention can remove it. The chain holds a
    salted digest of it (`detail["personal_sha256"]`): verifying proves it unchanged while it exists, and
    once it and its salt are gone the digest reveals nothing."""

    __tablename__ = "audit_payloads"

    # No foreign key: the chain, not the database, says which events exist, and `verify` must be able to
    # report an event removed from under its payload.
    event_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    salt: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]]


class AuditHead(Base):
    """One row: the chain's last sequence number and hash. Updating it first serialises appends."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class Setting(Base):
    """A council's value for a setting; absent means the default in `processes/`."""

    __tablename__ = "settings"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONDocument)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Incident(Base):
    """An instance the scheduler could not move on after its retries: the error, for an admin to retry."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)  # open | retried
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class OutboxMessage(Base):
    """An email written in the same transaction as the change that causes it; the scheduler sends it.

    status: pending → sending (claimed, with claimed_at as a lease) → sent, or failed after the last try.
    The Message-ID stays the same on every attempt so a receiving server can drop a repeat."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=clock.now)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Draft(Base):
    """Work in progress from an admin's editor (a diagram or a form), kept on the server until it is
    deployed or discarded. Never run: only deployed versions are."""

    __tablename__ = "drafts"
    __table_args__ = (
        UniqueConstraint("kind", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # diagram | form
    name: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    # Counts saves, so a save made over an older copy is refused instead of overwriting someone's work.
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class UnusedForm(Base):
    """A task form published from the form editor that no deployed diagram names yet, so a diagram can
    name it. Process versions carry the forms they use; this table holds only the ones waiting for a
    diagram (engine/form_versions.py says why)."""

    __tablename__ = "unused_forms"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # like check_in.schema.json
    schema: Mapped[dict[str, Any]] = mapped_column(FormDocument)
    ui_schema: Mapped[dict[str, Any]] = mapped_column(FormDocument, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
