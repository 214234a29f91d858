"""Need-to-know, decided on the server for every page and download: who is signed in, what they may
open, and which parts of a case they may read (DOMAIN.md's role table)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, session, url_for
from flask_babel import gettext as _
from flask_login import UserMixin, current_user

from engine import directory, records
from engine.db import Database
from engine.errors import NotFound
from engine.models import User
from engine.service import Actor, WorkflowService
from processes.roles import (
    ADMIN,
    BRIEFING_ROLES,
    COUNCILLOR,
    GROUP_SUPPORT_CONTACT,
    MONITORING_OFFICER,
    OFFICER_ROLES,
    REGISTER_ROLES,
    SUPPORT_OFFICER,
    WELLBEING_CHAMPION,
)

# Leads see every open task in their roles, not only their own and the unclaimed ones.
LEAD_ROLES = frozenset({SUPPORT_OFFICER, MONITORING_OFFICER})
WELLBEING_PROCESS = "wellbeing"


class SignedIn(UserMixin):
    """The person behind this request, as Flask-Login holds them: no database session attached."""

    def __init__(self, user: User) -> None:
        self.id = user.id
        self.name = user.name
        self.email = user.email
        self.roles = user.role_slugs
        self.session_version = user.session_version

    def get_id(self) -> str:
        return str(self.id)

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.roles)

    @property
    def is_officer(self) -> bool:
        return bool(self.roles & OFFICER_ROLES)

    @property
    def is_councillor(self) -> bool:
        return COUNCILLOR in self.roles

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles

    @property
    def is_lead(self) -> bool:
        return bool(self.roles & LEAD_ROLES)

    @property
    def may_report(self) -> bool:
        return self.is_councillor or SUPPORT_OFFICER in self.roles


SESSION_VERSION = "session_version"


def load_user(user_id: str) -> SignedIn | None:
    try:
        user = directory.user(database(), int(user_id))
    except (NotFound, ValueError):
        return None
    # A session from before the person last signed out (a copied cookie) no longer counts.
    current = session.get(SESSION_VERSION, 0) == user.session_version
    return SignedIn(user) if user.active and current else None


def database() -> Database:
    return current_app.extensions["database"]


def workflow() -> WorkflowService:
    return current_app.extensions["workflow"]


def me() -> SignedIn:
    return current_user  # type: ignore[return-value]


def require(allowed: bool) -> None:
    if not allowed:
        abort(403)


@dataclass(frozen=True)
class CaseAccess:
    """What one person may read of one case."""

    facts: records.CaseFacts
    as_officer: bool
    as_councillor: bool
    sees_wellbeing: bool

    @property
    def case(self) -> Any:
        return self.facts.case

    def shows_instance(self, instance_id: int | None) -> bool:
        return self.sees_wellbeing or self.facts.processes.get(instance_id or -1) != WELLBEING_PROCESS


def case_access(reference: str, person: SignedIn) -> CaseAccess:
    """The person's access to the case, or a 404 that does not say whether the case exists."""
    facts = records.case_facts(database(), reference)
    case = facts.case
    as_councillor = person.id in (case.councillor_id, case.reported_by_id) and not person.is_officer
    working_roles = {role for role in person.roles & OFFICER_ROLES & facts.task_roles
                     if role != GROUP_SUPPORT_CONTACT or person.id in facts.assignees}
    as_officer = bool(working_roles)
    if not (as_officer or as_councillor):
        raise NotFound("There is no such case.")
    sees_wellbeing = as_councillor or (as_officer and WELLBEING_CHAMPION in person.roles)
    return CaseAccess(facts, as_officer, as_councillor, sees_wellbeing)


def home_endpoint(person: SignedIn) -> str:
    if person.is_officer:
        return "inbox.index"
    if person.is_councillor:
        return "cases.mine"
    if person.is_admin:
        return "admin.users"
    return "pages.start"


def navigation(person: Any, endpoint: str | None) -> list[dict[str, Any]]:
    """The service navigation a person sees, by their roles."""
    if not getattr(person, "is_authenticated", False):
        return []
    items = []
    if person.is_officer:
        items.append(("inbox.index", _("Inbox"), ("inbox.", "tasks.")))
    if person.is_councillor:
        items.append(("cases.mine", _("My cases"), ("cases.",)))
    if person.may_report:
        items.append(("report.start", _("Report an incident"), ("report.",)))
    if person.roles & REGISTER_ROLES:
        items.append(("registers.offenders", _("Offender register"), ("registers.",)))
    if person.roles & BRIEFING_ROLES:
        items.append(("briefings.dashboard", _("Briefings"), ("briefings.",)))
    if MONITORING_OFFICER in person.roles:
        items.append(("data_protection.search", _("Data protection"), ("data_protection.",)))
    if person.is_councillor or person.is_officer:
        items.append(("directories.resources", _("Resources"), ("directories.resources",)))
    if person.is_admin:
        items.append(("admin.users", _("Admin"), ("admin.", "directories.index", "directories.force",
                                                  "directories.link", "directories.remove_")))
        items.append(("diagrams.index", _("Processes"), ("diagrams.",)))
    items.append(("account.tokens", _("API tokens"), ("account.",)))
    items.append(("auth.sign_out", _("Sign out"), ("auth.sign_out",)))
    return [{"href": url_for(target), "text": text, "active": bool(endpoint and endpoint.startswith(prefixes))}
            for target, text, prefixes in items]
