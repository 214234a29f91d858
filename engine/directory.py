"""The directory admins keep: people, the roles they hold, political groups and each group's support
contact, police forces and the council's resource links; and each person's own API tokens. Every change is
audited."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from engine import audit, clock, people, tokens
from engine.db import Database
from engine.directory_models import (
    COLLAR_NUMBER_LENGTH,
    CONTACT_LENGTH,
    DESCRIPTION_LENGTH,
    NAME_LENGTH,
    URL_LENGTH,
    PoliceForce,
    ResourceLink,
)
from engine.errors import EngineError, FormInvalid, NotFound
from engine.models import PoliticalGroup, User, UserRole


def users(db: Database) -> list[User]:
    with db.read() as session:
        return list(session.scalars(select(User).order_by(User.name)))


def user(db: Database, user_id: int) -> User:
    """One person with their roles, in one statement: every signed-in page starts with this."""
    with db.read() as session:
        found = session.get(User, user_id, options=[joinedload(User.roles)])
        if found is None:
            raise NotFound("There is no such person.")
        return found


def holders_of(db: Database, role: str) -> list[User]:
    with db.read() as session:
        return people.holders_of(session, role)


def add_user(db: Database, *, email: str, name: str, password: str | None, roles: Iterable[str],
             known_roles: Iterable[str], political_group_id: int | None, actor_id: int | None) -> User:
    with db.write() as session:
        created = people.create_user(session, email=email, name=name, password=password, roles=roles,
                                     known_roles=known_roles, political_group_id=political_group_id)
        audit.append(session, "user.created", actor_id=actor_id,
                     detail={"user_id": created.id, "roles": sorted(created.role_slugs)})
        return created


def change_user(db: Database, user_id: int, *, roles: Iterable[str], known_roles: Iterable[str],
                political_group_id: int | None, active: bool, actor_id: int | None) -> None:
    roles = sorted(set(roles))
    unknown = set(roles) - set(known_roles)
    if unknown:
        raise EngineError(f"Unknown role: {', '.join(sorted(unknown))}.", field="roles")
    with db.write() as session:
        found = session.get(User, user_id)
        if found is None:
            raise NotFound("There is no such person.")
        if political_group_id is not None and session.get(PoliticalGroup, political_group_id) is None:
            raise EngineError("Choose a political group from the list.", field="political_group_id")
        found.roles = [UserRole(role=r) for r in roles]
        found.political_group_id, found.active = political_group_id, active
        audit.append(session, "user.changed", actor_id=actor_id,
                     detail={"user_id": user_id, "roles": roles, "active": active,
                             "political_group_id": political_group_id})


def groups(db: Database) -> list[PoliticalGroup]:
    with db.read() as session:
        return list(session.scalars(select(PoliticalGroup).order_by(PoliticalGroup.name)))


def add_group(db: Database, name: str, actor_id: int | None) -> PoliticalGroup:
    name = name.strip()
    if not name:
        raise EngineError("Enter the group's name.", field="name")
    if len(name) > 200:
        raise EngineError("The group's name must be 200 characters or fewer.", field="name")
    with db.write() as session:
        if session.scalar(select(PoliticalGroup).where(func.lower(PoliticalGroup.name) == name.lower())):
            raise EngineError(f"There is already a group called {name}.", field="name")
        group = PoliticalGroup(name=name)
        session.add(group)
        session.flush()
        audit.append(session, "group.created", actor_id=actor_id, detail={"group_id": group.id, "name": name})
        return group


def set_support_contact(db: Database, group_id: int, contact_id: int | None, *, contact_role: str,
                        actor_id: int | None) -> None:
    with db.write() as session:
        group = session.get(PoliticalGroup, group_id)
        if group is None:
            raise NotFound("There is no such group.")
        if contact_id is not None:
            contact = session.get(User, contact_id)
            if contact is None or contact_role not in contact.role_slugs:
                raise EngineError("Choose someone who holds the group support contact role.",
                                  field="support_contact_id")
        group.support_contact_id = contact_id
        audit.append(session, "group.contact_changed", actor_id=actor_id,
                     detail={"group_id": group_id, "support_contact_id": contact_id})


# Police forces and resource links: what councillors read on the Resources page. The audit records which
# fields changed, never the people's details, because the log cannot be edited later and those are personal data.

MAX_POSITION = 999


@dataclass(frozen=True)
class ForceDetails:
    """A police force as an admin enters it; every field but the name may be left blank until known."""

    name: str
    officer_name: str = ""
    officer_collar_number: str = ""
    officer_contact: str = ""
    adviser_name: str = ""
    adviser_contact: str = ""

    def values(self) -> dict[str, str]:
        return {key: (value or "").strip() for key, value in asdict(self).items()}

    def problems(self) -> dict[str, str]:
        values = self.values()
        problems = {} if values["name"] else {"name": "Enter the police force's name."}
        limits = {"name": (NAME_LENGTH, "The police force's name"),
                  "officer_name": (NAME_LENGTH, "The police officer's name"),
                  "officer_collar_number": (COLLAR_NUMBER_LENGTH, "The collar number"),
                  "officer_contact": (CONTACT_LENGTH, "The police officer's contact details"),
                  "adviser_name": (NAME_LENGTH, "The adviser's name"),
                  "adviser_contact": (CONTACT_LENGTH, "The adviser's contact details")}
        return _too_long(values, limits) | problems


@dataclass(frozen=True)
class LinkDetails:
    """A resource link as an admin enters it; `position` is as typed (a whole number, 1 shows first)."""

    title: str
    url: str
    description: str = ""
    position: str | int = 1

    def values(self) -> dict[str, str]:
        return {key: str(value if value is not None else "").strip() for key, value in asdict(self).items()}

    def problems(self) -> dict[str, str]:
        values = self.values()
        problems = _too_long(values, {"title": (NAME_LENGTH, "The title"),
                                      "description": (DESCRIPTION_LENGTH, "The description")})
        if not values["title"]:
            problems["title"] = "Enter the link's title."
        url_problem = _url_problem(values["url"])
        if url_problem:
            problems["url"] = url_problem
        if _position(values["position"]) is None:
            problems["position"] = f"Enter the position as a whole number from 1 to {MAX_POSITION}."
        return problems

    def row_values(self) -> dict[str, str | int]:
        values: dict[str, str | int] = dict(self.values())
        values["position"] = _position(self.values()["position"]) or 1
        return values


def _position(text: str) -> int | None:
    # isdecimal, not isdigit: "²" is a digit that int() refuses; the length check keeps int() cheap.
    if not (text.isdecimal() and len(text) <= len(str(MAX_POSITION))):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_POSITION else None


def _too_long(values: dict[str, str], limits: dict[str, tuple[int, str]]) -> dict[str, str]:
    return {field: f"{label} must be {limit} characters or fewer."
            for field, (limit, label) in limits.items() if len(values[field]) > limit}


def _url_problem(url: str) -> str | None:
    """Why a resource link's address cannot be used, or None: only web addresses, so no script can hide in one."""
    example = "Enter a web address that starts with https://, like https://www.example.gov.uk/code-of-conduct"
    if not url:
        return "Enter the link's web address, like https://www.example.gov.uk/code-of-conduct"
    if len(url) > URL_LENGTH:
        return f"The web address must be {URL_LENGTH} characters or fewer."
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return example
    if parts.scheme.lower() not in ("https", "http") or not host or any(c.isspace() for c in url):
        return example
    return None


def police_forces(db: Database) -> list[PoliceForce]:
    with db.read() as session:
        return list(session.scalars(select(PoliceForce).order_by(PoliceForce.name)))


def police_force(db: Database, force_id: int) -> PoliceForce:
    with db.read() as session:
        return _get(session, PoliceForce, force_id, "There is no such police force.")


def save_police_force(db: Database, details: ForceDetails, *, force_id: int | None = None,
                      actor_id: int | None) -> PoliceForce:
    """Add a police force (no `force_id`) or change one. Every problem is reported at once, naming its field."""
    problems = details.problems()
    if problems:
        raise FormInvalid(problems)
    values = details.values()
    with db.write() as session:
        clash = select(PoliceForce.id).where(func.lower(PoliceForce.name) == values["name"].lower())
        if session.scalar(clash.where(PoliceForce.id != force_id) if force_id else clash) is not None:
            raise EngineError(f"There is already a police force called {values['name']}.", field="name")
        force, changed = _upsert(session, PoliceForce, force_id, values, "There is no such police force.")
        audit.append(session, "police_force.created" if force_id is None else "police_force.changed",
                     actor_id=actor_id, detail={"force_id": force.id, "name": force.name, "fields": changed})
        return force


def remove_police_force(db: Database, force_id: int, *, actor_id: int | None) -> None:
    with db.write() as session:
        force = _get(session, PoliceForce, force_id, "There is no such police force.")
        session.delete(force)
        audit.append(session, "police_force.removed", actor_id=actor_id,
                     detail={"force_id": force_id, "name": force.name})


def resource_links(db: Database) -> list[ResourceLink]:
    with db.read() as session:
        return list(session.scalars(select(ResourceLink).order_by(ResourceLink.position, ResourceLink.title)))


def resource_link(db: Database, link_id: int) -> ResourceLink:
    with db.read() as session:
        return _get(session, ResourceLink, link_id, "There is no such link.")


def save_resource_link(db: Database, details: LinkDetails, *, link_id: int | None = None,
                       actor_id: int | None) -> ResourceLink:
    """Add a resource link (no `link_id`) or change one. Every problem is reported at once, naming its field."""
    problems = details.problems()
    if problems:
        raise FormInvalid(problems)
    with db.write() as session:
        link, changed = _upsert(session, ResourceLink, link_id, details.row_values(), "There is no such link.")
        audit.append(session, "resource_link.created" if link_id is None else "resource_link.changed",
                     actor_id=actor_id, detail={"link_id": link.id, "title": link.title, "url": link.url,
                                                "fields": changed})
        return link


def remove_resource_link(db: Database, link_id: int, *, actor_id: int | None) -> None:
    with db.write() as session:
        link = _get(session, ResourceLink, link_id, "There is no such link.")
        session.delete(link)
        audit.append(session, "resource_link.removed", actor_id=actor_id,
                     detail={"link_id": link_id, "title": link.title, "url": link.url})


Row = TypeVar("Row", PoliceForce, ResourceLink)


def _get(session: Session, model: type[Row], row_id: int, missing: str) -> Row:
    found = session.get(model, row_id)
    if found is None:
        raise NotFound(missing)
    return found


def _upsert(session: Session, model: type[Row], row_id: int | None, values: dict[str, Any],
            missing: str) -> tuple[Row, list[str]]:
    """The new or changed row, and the names of the fields whose values changed."""
    row = model() if row_id is None else _get(session, model, row_id, missing)
    changed = sorted(key for key, value in values.items() if getattr(row, key, None) != value)
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = clock.now()
    session.add(row)
    session.flush()
    return row, changed


@dataclass(frozen=True)
class GroupContact:
    """A political group and the person who supports its councillors, if one is named and can sign in."""

    group: str
    contact_name: str | None
    contact_email: str | None


def group_contacts(db: Database) -> list[GroupContact]:
    with db.read() as session:
        rows = session.execute(select(PoliticalGroup.name, User.name, User.email, User.active)
                               .outerjoin(User, User.id == PoliticalGroup.support_contact_id)
                               .order_by(PoliticalGroup.name))
        return [GroupContact(group, name if active else None, email if active else None)
                for group, name, email, active in rows]


# A person's own API tokens, for their account page: each creation and revocation is audited, the secret never.

def personal_tokens(db: Database, user_id: int) -> list[tokens.ApiToken]:
    with db.read() as session:
        return tokens.tokens_of(session, user_id)


def create_personal_token(db: Database, user_id: int, name: str) -> str:
    with db.write() as session:
        secret = tokens.create_token(session, user_id, name)
        created = tokens.tokens_of(session, user_id)[0]
        audit.append(session, "api_token.created", actor_id=user_id,
                     detail={"token_id": created.id, "name": created.name})
        return secret


def revoke_personal_token(db: Database, token_id: int, *, user_id: int) -> tokens.ApiToken:
    with db.write() as session:
        token = tokens.revoke(session, token_id, user_id=user_id)
        audit.append(session, "api_token.revoked", actor_id=user_id, detail={"token_id": token.id})
        return token
