"""Service-task handlers: the Python behind `spiffworkflow:serviceTaskOperator` ids in the diagrams."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from engine import audit
from engine.catalogue import ServiceCall, ServiceHandler
from engine.errors import ScriptError
from engine.models import User
from processes import briefing, notices
from processes.register import Sighting, normalised_handle, normalised_name, record


def check_offender(call: ServiceCall) -> dict[str, Any]:
    """Match the report's perpetrator against the register; link the case, add a newcomer."""
    data = call.data
    sighting = Sighting(name=normalised_name(data.get("perpetrator_name")),
                        handle=normalised_handle(data.get("perpetrator_handle")),
                        platform=(data.get("platform") or "").strip() or None)
    if data.get("perpetrator") == "unknown" and not sighting.identified:
        return {"repeat": False, "offender_id": None, "linked_cases": []}
    offender, others = record(call.session, sighting, call.case, call.now)
    return {"repeat": bool(others), "offender_id": offender.id if offender else None, "linked_cases": others}


def send_notice(call: ServiceCall) -> dict[str, Any]:
    """Email a notice (a reminder, a decision) to the role the diagram names, in this transaction, and record
    that it was sent. The email says only which notice it is, the case reference and a link to the case."""
    notice, role = str(call.params.get("notice", "")), str(call.params.get("role", ""))
    sent_to = notices.send_notice(call.session, notice=notice, role=role, case=call.case)
    audit.append(call.session, "notice.requested", actor_id=None, case_id=call.case.id if call.case else None,
                 instance_id=call.instance_id, detail={"notice": notice, "role": role, "recipients": sent_to})
    return {"notice": notice, "role": role, "at": call.now.isoformat(), "recipients": sent_to}


def close_case(call: ServiceCall) -> dict[str, Any]:
    if call.case is not None:
        call.case.status, call.case.closed_at = "closed", call.now
    return {"closed_at": call.now.isoformat()}


def start_case_from_meeting(call: ServiceCall) -> dict[str, Any]:
    """Abuse at an online meeting opens a support case for the councillor affected."""
    email = str(call.data.get("affected_councillor_email", "")).strip().lower()
    councillor = call.session.scalar(select(User).where(func.lower(User.email) == email))
    if councillor is None:
        raise ScriptError(f"There is no account for {email or 'the councillor affected'}. Check the email "
                          "address of the councillor affected.")
    meeting = call.data.get("meeting_name", "an online meeting")
    report = {
        "incident_date": call.data.get("meeting_date") or call.now.date().isoformat(),
        "how": "online_meeting",
        "perpetrator": "unknown",
        "what_happened": f"At {meeting}: {call.data.get('abuse_description', '')}"[:5000],
        "in_danger": "no",
        # Nobody has asked the councillor yet: "not now" makes the support officer ask at closure.
        "wellbeing_support": "not_now",
        "share_with_group": "no",
        "share_with_police": "ask",
    }
    case = call.start_case(report, councillor_id=councillor.id)
    return {"case_reference": case.reference}


def briefing_summary(call: ServiceCall) -> dict[str, Any]:
    return briefing.summary(call.session, since_months=int(call.setting("briefing_cycle_months")), now=call.now)


HANDLERS: Mapping[str, ServiceHandler] = {
    "check_offender": check_offender,
    "send_notice": send_notice,
    "close_case": close_case,
    "start_case_from_meeting": start_case_from_meeting,
    "briefing_summary": briefing_summary,
}
