"""The roles people hold, named as the guidance names them; a lane in a diagram is one of these names."""

from __future__ import annotations

COUNCILLOR = "councillor"
SUPPORT_OFFICER = "support-officer"
GROUP_SUPPORT_CONTACT = "group-support-contact"
POLICE_LIAISON = "police-liaison"
WELLBEING_CHAMPION = "wellbeing-champion"
INSURANCE_OFFICER = "insurance-officer"
MONITORING_OFFICER = "monitoring-officer"
DEMOCRATIC_SERVICES = "democratic-services"
ADMIN = "admin"

ROLES: dict[str, str] = {
    COUNCILLOR: "Councillor",
    SUPPORT_OFFICER: "Support officer",
    GROUP_SUPPORT_CONTACT: "Group support contact",
    POLICE_LIAISON: "Police liaison",
    WELLBEING_CHAMPION: "Wellbeing champion",
    INSURANCE_OFFICER: "Insurance officer",
    MONITORING_OFFICER: "Monitoring officer",
    DEMOCRATIC_SERVICES: "Democratic services",
    ADMIN: "Admin",
}

# Admins edit diagrams but never work cases, so no lane maps to them.
LANE_ROLES: dict[str, str] = {name: slug for slug, name in ROLES.items() if slug != ADMIN}
LANE_ROLES |= {name.lower(): slug for name, slug in list(LANE_ROLES.items())}

OFFICER_ROLES = frozenset(ROLES) - {COUNCILLOR, ADMIN}

# Who may see the persistent-offender register, and the anonymised briefing figures (DOMAIN.md).
REGISTER_ROLES = frozenset({SUPPORT_OFFICER, POLICE_LIAISON, MONITORING_OFFICER})
BRIEFING_ROLES = frozenset({DEMOCRATIC_SERVICES, MONITORING_OFFICER})
# Roles whose tasks belong to one person (the councillor's own, their group's contact): never shared,
# claimable or broadcast to everyone holding the role.
PERSONAL_ROLES = frozenset({COUNCILLOR, GROUP_SUPPORT_CONTACT})

# Who may start a process by hand (admins may start any). Support cases start from a report, and timer-started
# processes start themselves; briefings are also started by hand after elections for new councillors (DOMAIN.md).
STARTERS: dict[str, frozenset[str]] = {
    "online_meeting_safety": frozenset({DEMOCRATIC_SERVICES}),
    "briefing_cycle": frozenset({DEMOCRATIC_SERVICES}),
}
