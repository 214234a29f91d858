"""Defaults for every number DOMAIN.md marks **(default)**. A council changes them on the settings page;
a change applies to deadlines and timers set after it. Diagrams read them with `setting("name")`."""

from __future__ import annotations

from typing import Any

from engine.working_time import REGIONS

DEFAULTS: dict[str, Any] = {
    # Working time
    "bank_holiday_region": "england-and-wales",
    # Support
    "triage_due_working_days": 1,
    "triage_due_hours_in_danger": 4,
    "group_contact_due_working_days": 2,
    "closure_confirmation_working_days": 10,
    "closure_reminder_working_days": 5,
    # Police liaison
    "police_referral_due_working_days": 1,
    "police_referral_due_hours_severe": 4,
    "police_follow_up_days": 14,
    "police_unchanged_follow_ups_before_notice": 2,
    # Wellbeing
    "wellbeing_first_contact_working_days": 2,
    "wellbeing_first_check_in_days": 7,
    "wellbeing_second_check_in_days": 21,
    "wellbeing_check_in_interval_days": 28,
    "wellbeing_review_months": 6,
    "wellbeing_check_in_answer_working_days": 5,
    "wellbeing_call_due_working_days": 1,
    # Insurance
    "insurance_check_cover_working_days": 5,
    "insurance_more_information_working_days": 10,
    "insurance_reminder_working_days": 5,
    "insurance_notification_period_days": 30,
    "insurance_chase_working_days": 20,
    # Local resolution
    "local_resolution_acknowledge_working_days": 5,
    "local_resolution_assess_working_days": 15,
    "local_resolution_limit_months": 3,
    # Severe-threat mitigation
    "risk_assessment_due_hours": 4,
    "risk_review_days": 28,
    # Online meeting safety and briefings
    "meeting_checklist_working_days_before": 2,
    "briefing_cycle_months": 3,
    # Retention
    "closed_case_retention_years": 6,
    "wellbeing_notes_retention_months": 12,
}

CHOICES: dict[str, tuple[str, ...]] = {"bank_holiday_region": tuple(REGIONS)}

