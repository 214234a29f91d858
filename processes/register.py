"""The persistent-offender register: people (by name or handle) seen behind more than one case, and the
register's pages' questions: the entries with their cases, and merging two entries found to be one person."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from engine import audit, clock
from engine.db import Database
from engine.errors import EngineError, NotFound
from engine.models import Base, Case


class Offender(Base):
    __tablename__ = "offenders"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), index=True)
    handle: Mapped[str | None] = mapped_column(String(200), index=True)
    platform: Mapped[str | None] = mapped_column(String(100))
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]

    cases: Mapped[list[OffenderCase]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    aliases: Mapped[list[OffenderAlias]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class OffenderCase(Base):
    """A case the offender is linked to."""

    __tablename__ = "offender_cases"

    offender_id: Mapped[int] = mapped_column(ForeignKey("offenders.id", ondelete="CASCADE"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)


class OffenderAlias(Base):
    """Another name or handle the same person was seen under: kept when two entries are merged, so the
    register still recognises them by either."""

    __tablename__ = "offender_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    offender_id: Mapped[int] = mapped_column(ForeignKey("offenders.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(200), index=True)
    handle: Mapped[str | None] = mapped_column(String(200), index=True)
    platform: Mapped[str | None] = mapped_column(String(100))


@dataclass(frozen=True)
class Sighting:
    """Who a report says did it, as far as it is known."""

    name: str | None
    handle: str | None
    platform: str | None

    @property
    def identified(self) -> bool:
        return bool(self.name or self.handle)


def normalised_name(value: str | None) -> str | None:
    value = re.sub(r"\s+", " ", (value or "").strip()).lower()
    return value or None


def normalised_handle(value: str | None) -> str | None:
    value = (value or "").strip().lstrip("@").lower()
    return value or None


def record(session: Session, sighting: Sighting, case: Case | None, now: datetime) -> tuple[Offender | None, list[str]]:
    """Match a sighting against the register, link the case and return the offender and the references of
    the other cases linked to them. An identified newcomer is added; an unidentified one is not."""
    if not sighting.identified:
        return None, []
    conditions = []
    if sighting.handle:
        conditions += [Offender.handle == sighting.handle, OffenderAlias.handle == sighting.handle]
    if sighting.name:
        conditions += [Offender.name == sighting.name, OffenderAlias.name == sighting.name]
    offender = session.scalars(select(Offender).outerjoin(OffenderAlias).where(or_(*conditions))
                               .order_by(Offender.id)).first()
    if offender is None:
        offender = Offender(name=sighting.name, handle=sighting.handle, platform=sighting.platform,
                            first_seen_at=now, last_seen_at=now)
        session.add(offender)
        session.flush()
    else:
        offender.last_seen_at = now
        offender.name = offender.name or sighting.name
        offender.handle = offender.handle or sighting.handle
        offender.platform = offender.platform or sighting.platform
    linked = {link.case_id for link in offender.cases}
    if case is not None and case.id not in linked:
        offender.cases.append(OffenderCase(case_id=case.id))
    others = sorted(linked - {case.id if case else None})
    references = list(session.scalars(select(Case.reference).where(Case.id.in_(others)).order_by(Case.id))) \
        if others else []
    session.flush()
    return offender, references


@dataclass(frozen=True)
class Entry:
    """One register entry as its pages show it."""

    id: int
    name: str | None
    handle: str | None
    platform: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    aliases: list[tuple[str | None, str | None, str | None]]
    cases: list[Case]

    @property
    def label(self) -> str:
        return " / ".join(v for v in (self.name, self.handle and f"@{self.handle}") if v) or f"#{self.id}"


def _entry(session: Session, offender: Offender) -> Entry:
    case_ids = [link.case_id for link in offender.cases]
    cases = list(session.scalars(select(Case).where(Case.id.in_(case_ids)).order_by(Case.created_at))) \
        if case_ids else []
    return Entry(offender.id, offender.name, offender.handle, offender.platform, offender.first_seen_at,
                 offender.last_seen_at, [(a.name, a.handle, a.platform) for a in offender.aliases], cases)


def entries(db: Database) -> list[Entry]:
    """Every entry, most recently seen first."""
    with db.read() as session:
        found = session.scalars(select(Offender).order_by(Offender.last_seen_at.desc(), Offender.id))
        return [_entry(session, o) for o in found]


def entry(db: Database, offender_id: int) -> Entry:
    with db.read() as session:
        offender = session.get(Offender, offender_id)
        if offender is None:
            raise NotFound("There is no such entry in the register.")
        return _entry(session, offender)


def merge(db: Database, keep_id: int, other_id: int, *, actor_id: int | None) -> Entry:
    """Fold `other` into `keep`: its cases move across, its name and handle become aliases (or fill gaps),
    the seen dates widen to cover both, and the merge is audited with everything the other entry held."""
    if keep_id == other_id:
        raise EngineError("Choose a different entry to merge into this one.", field="other_id")
    with db.write() as session:
        keep, other = session.get(Offender, keep_id), session.get(Offender, other_id)
        if keep is None:
            raise NotFound("There is no such entry in the register.")
        if other is None:
            raise EngineError("Choose an entry from the list.", field="other_id")
        held = {"offender_id": other.id, "name": other.name, "handle": other.handle, "platform": other.platform,
                "first_seen_at": other.first_seen_at, "last_seen_at": other.last_seen_at,
                "aliases": [[a.name, a.handle, a.platform] for a in other.aliases],
                "case_ids": sorted(link.case_id for link in other.cases)}
        identities = [(other.name, other.handle, other.platform)] + [(a.name, a.handle, a.platform)
                                                                    for a in other.aliases]
        known = {(keep.name, keep.handle)} | {(a.name, a.handle) for a in keep.aliases}
        for name, handle, platform in identities:
            if (name or handle) and (name, handle) not in known:
                keep.aliases.append(OffenderAlias(name=name, handle=handle, platform=platform))
                known.add((name, handle))
            keep.name, keep.handle = keep.name or name, keep.handle or handle
            keep.platform = keep.platform or platform
        linked = {link.case_id for link in keep.cases}
        keep.cases.extend(OffenderCase(case_id=case_id) for case_id in held["case_ids"] if case_id not in linked)
        keep.first_seen_at = min(keep.first_seen_at, other.first_seen_at)
        keep.last_seen_at = max(keep.last_seen_at, other.last_seen_at)
        session.delete(other)
        session.flush()
        audit.append(session, "offender.merged", actor_id=actor_id,
                     detail={"kept_id": keep.id, "merged": held, "at": clock.now()})
        return _entry(session, keep)
