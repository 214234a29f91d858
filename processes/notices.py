"""What the council's processes email, beyond "you have a task": notices a diagram sends to a role, and the
wellbeing check-in, whose email carries a signed link that works for as long as the check-in can be answered.

Every email names only what kind of message it is, the case reference and a link: never case details.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import clock, outbox, people
from engine.catalogue import Assignment
from engine.errors import ScriptError
from engine.models import Case, Task, User
from engine.outbox import LinkInvalid
from engine.service import stored_setting
from engine.working_time import WorkingCalendar
from processes.assignment import assign
from processes.roles import LANE_ROLES, PERSONAL_ROLES, ROLES
from processes.settings import DEFAULTS

# Roles whose work on a case belongs to one person: their notices go to that person or to nobody, never to
# everyone holding the role (one councillor's reminder must not reach every councillor).

CHECK_IN_FORM = "wellbeing_check_in.schema.json"
CHECK_IN_PURPOSE = "check-in"
CHECK_IN_PATH = "/check-in/{token}"
ANSWER_WINDOW_SETTING = "wellbeing_check_in_answer_working_days"

# Notice id (as a diagram names it) → subject and body. {ref} is " (CS-…)" or nothing.
NOTICES: Mapping[str, tuple[str, str]] = {
    "closure_reminder": ("Reminder: can your case be closed?{ref}",
                         "We are waiting for you to tell us whether case {reference} can be closed.\n\n"
                         "Sign in to answer: {link}"),
    "claim_information_reminder": ("Reminder: information is needed for your claim{ref}",
                                   "We are still waiting for information for the claim on case {reference}.\n\n"
                                   "Sign in to see what is needed: {link}"),
}
OTHER_NOTICE = ("There is an update on your case{ref}", "There is an update for you on case {reference}.\n\n"
                "Sign in to see it: {link}")


def _setting(session: Session, name: str) -> Any:
    return stored_setting(session, name, DEFAULTS)


# --- notices a diagram sends (the `send_notice` service task) -------------------------------------

def role_slug(role: str) -> str:
    """A role as a diagram may name it (slug or lane name) → its slug, or ScriptError naming it."""
    slug = role if role in ROLES else LANE_ROLES.get(role) or LANE_ROLES.get(role.strip().lower())
    if slug is None:
        raise ScriptError(f"There is no role called {role!r} to send a notice to. Use one of: "
                          f"{', '.join(sorted(ROLES))}.")
    return slug


def notice_recipients(session: Session, role: str, case: Case | None) -> list[User]:
    """Who a notice for `role` on this case reaches: the one person the role means for this case (the
    councillor, their group's contact), or else every active holder of a shared role."""
    person_id = assign(Assignment(session, role, case, spec_name="", data={}))
    if person_id is not None:
        person = session.get(User, person_id)
        return [person] if person is not None else []
    return [] if role in PERSONAL_ROLES else people.holders_of(session, role)


def send_notice(session: Session, *, notice: str, role: str, case: Case | None) -> int:
    """Email a notice to the role, in the caller's transaction; returns how many people it went to."""
    slug = role_slug(role)
    reference = case.reference if case is not None else None
    subject, body = NOTICES.get(notice, OTHER_NOTICE)
    words = {"ref": f" ({reference})" if reference else "", "reference": reference or "(no case)",
             "link": outbox.case_link(reference)}
    return outbox.enqueue_to(session, notice_recipients(session, slug, case), subject=subject.format(**words),
                             body=body.format(**words), kind="notice", case_id=case.id if case else None)


# --- the wellbeing check-in email and its link ----------------------------------------------------

@dataclass(frozen=True)
class CheckInLink:
    """What a check-in link names: the check-in task and the councillor it was sent to."""

    task_id: str
    councillor_id: int


def check_in_closes_at(session: Session, opened_at: datetime) -> datetime:
    """When a check-in opened at `opened_at` stops waiting for an answer: the same working-day deadline as
    the check-in's "No answer" timer in bpmn/wellbeing.bpmn, so the link dies when the check-in does."""
    calendar = WorkingCalendar(_setting(session, "bank_holiday_region"))
    return calendar.add_working_days(opened_at, _setting(session, ANSWER_WINDOW_SETTING))


def check_in_link(link: CheckInLink, *, expires_at: datetime, secret: str | None = None) -> str:
    token = outbox.sign({"task": link.task_id, "councillor": link.councillor_id}, purpose=CHECK_IN_PURPOSE,
                        expires_at=expires_at, secret=secret)
    return outbox.public_url() + CHECK_IN_PATH.format(token=token)


def read_check_in_link(token: str, *, secret: str | None = None) -> CheckInLink:
    """The check-in a link's token names, or LinkInvalid / LinkExpired saying what to do."""
    payload = outbox.verify_link(token, purpose=CHECK_IN_PURPOSE, secret=secret)
    task_id, councillor_id = payload.get("task"), payload.get("councillor")
    if not isinstance(task_id, str) or not isinstance(councillor_id, int):
        raise LinkInvalid("This link is not valid. Check you copied all of it, or sign in instead.")
    return CheckInLink(task_id, councillor_id)


def check_in_opened(session: Session, task: Task, reference: str | None) -> None:
    """The councillor's check-in email: a link straight to the form, signed for them and this check-in."""
    councillor = session.get(User, task.assignee_id) if task.assignee_id is not None else None
    if councillor is None or not councillor.active:
        return  # a check-in belongs to the case's councillor alone; nobody else is told about it
    if not outbox.can_sign():
        # Without a signing key the check-in still goes out, as an ordinary task email (sign in to answer).
        outbox.notify_task(session, task, "task.opened", reference=reference)
        return
    closes_at = check_in_closes_at(session, clock.now())
    link = check_in_link(CheckInLink(task.id, councillor.id), expires_at=closes_at)
    ref = f" ({reference})" if reference else ""
    outbox.enqueue(session, to=councillor.email, subject=f"A check-in is due{ref}",
                   body=("It is time for your check-in: a few short questions about how you are doing.\n\n"
                         f"Answer here: {link}\n\n"
                         f"This link works until {outbox.london_time(closes_at)}. If you have not answered by "
                         "then, your wellbeing champion will phone you instead."),
                   kind="check-in", case_id=task.case_id, task_id=task.id)


outbox.on_task_opened(CHECK_IN_FORM, check_in_opened)
