"""People who use the product and the roles they hold. Passwords are hashed with Argon2."""

from __future__ import annotations

from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, lazyload

from engine.errors import EngineError
from engine.models import User, UserRole

_HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise EngineError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.", field="password")
    return _HASHER.hash(password)


def create_user(session: Session, *, email: str, name: str, password: str | None, roles: Iterable[str],
                known_roles: Iterable[str], political_group_id: int | None = None) -> User:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise EngineError("Enter an email address in the correct format, like name@example.org.", field="email")
    if session.scalar(select(User).where(func.lower(User.email) == email)) is not None:
        raise EngineError(f"There is already an account for {email}.", field="email")
    roles = sorted(set(roles))
    unknown = set(roles) - set(known_roles)
    if unknown:
        raise EngineError(f"Unknown role: {', '.join(sorted(unknown))}.", field="roles")
    user = User(email=email, name=name.strip() or email, political_group_id=political_group_id,
                password_hash=hash_password(password) if password else None,
                roles=[UserRole(role=r) for r in roles])
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.active or not user.password_hash:
        _HASHER.hash(password or "x")  # same work whether or not the account exists
        return None
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    return user


def end_sessions(session: Session, user_id: int) -> None:
    """Sign the person out everywhere: sessions that carry an older version are refused from now on."""
    session.execute(update(User).where(User.id == user_id).values(session_version=User.session_version + 1))


def holders_of(session: Session, role: str) -> list[User]:
    return list(session.scalars(select(User).join(UserRole).where(UserRole.role == role, User.active)
                                .order_by(User.name).options(lazyload(User.roles))))
