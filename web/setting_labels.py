"""What each council setting means, in words an admin reads on the settings page (grouped, translatable)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _

LABELS: dict[str, tuple[Any, Any]] = {
    "bank_holiday_region": (_("Working time"), _("Bank holidays of")),
    "triage_due_working_days": (_("Support"), _("Acknowledge and triage a report within (working days)")),
    "triage_due_hours_in_danger": (_("Support"), _("Triage a report from someone in danger within (hours)")),
    "group_contact_due_working_days": (
        _("Support"),
        _("Group support contact calls the councillor within (working days)"),
    ),
    "closure_confirmation_working_days": (
        _("Support"),
        _("Close a case the councillor has not confirmed after (working days)"),
    ),
    "closure_reminder_working_days": (_("Support"), _("Remind the councillor to confirm closure after (working days)")),
    "police_referral_due_working_days": (_("Police liaison"), _("Refer to the police within (working days)")),
    "police_referral_due_hours_severe": (_("Police liaison"), _("Refer a severe case to the police within (hours)")),
    "police_follow_up_days": (_("Police liaison"), _("Follow up with the police every (days)")),
    "police_unchanged_follow_ups_before_notice": (
        _("Police liaison"),
        _("Tell the Monitoring officer after this many follow-ups with no change"),
    ),
    "wellbeing_first_contact_working_days": (_("Wellbeing"), _("First contact within (working days)")),
    "wellbeing_first_check_in_days": (_("Wellbeing"), _("First check-in after (days)")),
    "wellbeing_second_check_in_days": (_("Wellbeing"), _("Second check-in after (days)")),
    "wellbeing_check_in_interval_days": (_("Wellbeing"), _("Then check in every (days)")),
    "wellbeing_review_months": (_("Wellbeing"), _("Review support after (months)")),
    "wellbeing_check_in_answer_working_days": (
        _("Wellbeing"),
        _("Phone the councillor when a check-in is not answered within (working days)"),
    ),
    "wellbeing_call_due_working_days": (
        _("Wellbeing"),
        _("Call a councillor who asked for a call within (working days)"),
    ),
    "insurance_check_cover_working_days": (_("Insurance"), _("Check cover within (working days)")),
    "insurance_more_information_working_days": (
        _("Insurance"),
        _("Close a claim as withdrawn when more information does not come within (working days)"),
    ),
    "insurance_reminder_working_days": (
        _("Insurance"),
        _("Remind the councillor about missing information after (working days)"),
    ),
    "insurance_notification_period_days": (
        _("Insurance"),
        _("Flag incidents older than the policy's notification period (days)"),
    ),
    "insurance_chase_working_days": (_("Insurance"), _("Chase the insurer every (working days)")),
    "local_resolution_acknowledge_working_days": (
        _("Local resolution"),
        _("Acknowledge a complaint within (working days)"),
    ),
    "local_resolution_assess_working_days": (_("Local resolution"), _("Assess a complaint within (working days)")),
    "local_resolution_limit_months": (
        _("Local resolution"),
        _("Refer to the standards process when not resolved within (months)"),
    ),
    "risk_assessment_due_hours": (_("Severe-threat mitigation"), _("Assess the risk within (hours)")),
    "risk_review_days": (_("Severe-threat mitigation"), _("Review the risk every (days)")),
    "meeting_checklist_working_days_before": (
        _("Online meeting safety"),
        _("Complete the safety checklist before the meeting (working days)"),
    ),
    "briefing_cycle_months": (_("Briefings"), _("Prepare a councillor briefing every (months)")),
    "closed_case_retention_years": (_("Data protection"), _("Anonymise closed cases after (years)")),
    "wellbeing_notes_retention_months": (_("Data protection"), _("Delete wellbeing notes after support ends (months)")),
}

CHOICE_LABELS: dict[str, Any] = {
    "england-and-wales": _("England and Wales"),
    "scotland": _("Scotland"),
    "northern-ireland": _("Northern Ireland"),
}
