"""Bearer-token authentication: `Authorization: Bearer <token>` makes the caller its user, with that
user's roles and nothing more. Session cookies are never accepted here, which is why the API needs no CSRF
token."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g
from flask_babel import gettext as _

from engine import tokens
from engine.service import Actor, WorkflowService
from web.api.problems import ApiProblem

_CHALLENGE = 'Bearer realm="councillor-support"'


@dataclass(frozen=True)
class Caller:
    user_id: int
    email: str
    actor: Actor


def workflow() -> WorkflowService:
    return current_app.extensions["workflow"]


def caller() -> Caller:
    return g.api_caller


def authenticate(header: str | None) -> Caller:
    """The caller a request's Authorization header names; raises a 401 problem otherwise."""
    scheme, _sep, secret = (header or "").strip().partition(" ")
    if not header:
        raise ApiProblem(401, "unauthorised", _("Send an API token in the header Authorization: Bearer <token>."),
                         headers={"WWW-Authenticate": _CHALLENGE})
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiProblem(401, "unauthorised", _("Only bearer tokens are accepted: Authorization: Bearer <token>."),
                         headers={"WWW-Authenticate": _CHALLENGE})
    secret = secret.strip()
    # A read first, of one statement: only a token not used for a while costs a write (on SQLite, the
    # database's write lock).
    with workflow().db.lookup() as session:
        holder = tokens.holder(session, secret)
    if holder is None:
        raise ApiProblem(401, "unauthorised", _("This API token is not valid, or it has been revoked."),
                         headers={"WWW-Authenticate": f'{_CHALLENGE}, error="invalid_token"'})
    if holder.needs_touch:
        with workflow().db.write() as session:
            tokens.touch(session, secret)
    return Caller(holder.user_id, holder.email, Actor(holder.user_id, holder.roles))
