"""Personal API tokens: a random secret shown once, stored only as its SHA-256, acting as its user.

A token carries no roles of its own: whoever presents it acts with its user's roles at that moment,
so taking a role away from a person takes it away from their tokens too.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import clock
from engine.errors import EngineError, NotFound
from engine.models import Base, User, UserRole

PREFIX = "cs_"
MAX_NAME_LENGTH = 100
# Recording every use would make each API read a write; once a minute is enough to show a token is live.
TOUCH_INTERVAL = timedelta(minutes=1)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(session: Session, user_id: int, name: str) -> str:
    """Make a token for a user and return its secret: the only time anyone sees it."""
    name = (name or "").strip()
    if not name:
        raise EngineError("Enter a name for the token, like the system that will use it.", field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise EngineError(f"The token name must be {MAX_NAME_LENGTH} characters or fewer.", field="name")
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound("There is no such person.")
    secret = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user_id, name=name, token_hash=_digest(secret), created_at=clock.now()))
    session.flush()
    return secret


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    """A person's tokens, newest first, revoked ones included (for their account page)."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke(session: Session, token_id: int, *, user_id: int) -> ApiToken:
    """Revoke one of the person's own tokens. Revoking twice is harmless."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFound("There is no such token.")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
    return token


@dataclass(frozen=True)
class Holder:
    """Whom a live token acts for: its active user and their roles now, and whether this use is due to be
    recorded (see `touch`)."""

    user_id: int
    email: str
    roles: frozenset[str]
    needs_touch: bool


_HOLDER = (select(User.id, User.email, ApiToken.last_used_at, UserRole.role)
           .join(ApiToken, ApiToken.user_id == User.id).outerjoin(UserRole, UserRole.user_id == User.id)
           .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None), User.active))


def holder(session: Session, secret: str) -> Holder | None:
    """The active user a live token belongs to, with their roles, or None: one statement, reads only."""
    if not _plausible(secret):
        return None
    rows = session.execute(_HOLDER, {"token_hash": _digest(secret)}).all()
    if not rows:
        return None
    user_id, email, last_used_at, _role = rows[0]
    return Holder(user_id, email, frozenset(r.role for r in rows if r.role is not None),
                  last_used_at is None or clock.now() - last_used_at >= TOUCH_INTERVAL)


def authenticate(session: Session, secret: str) -> User | None:
    """The active user a live token belongs to, or None. Reads only; see `touch`."""
    token = _live_token(session, secret)
    if token is None:
        return None
    user = session.get(User, token.user_id)
    return user if user is not None and user.active else None


def needs_touch(session: Session, secret: str) -> bool:
    """Whether the token's last use is older than the interval we record it at."""
    token = _live_token(session, secret)
    return token is not None and (token.last_used_at is None or clock.now() - token.last_used_at >= TOUCH_INTERVAL)


def touch(session: Session, secret: str) -> None:
    """Note when the token was last used (at most once an interval, so reads stay reads)."""
    token = _live_token(session, secret)
    if token is not None:
        token.last_used_at = clock.now()


def _plausible(secret: str) -> bool:
    return bool(secret) and secret.startswith(PREFIX) and len(secret) <= 200


def _live_token(session: Session, secret: str) -> ApiToken | None:
    if not _plausible(secret):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    return None if token is None or token.revoked_at is not None else token
