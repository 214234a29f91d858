"""The catalogue handed to the engine: roles, lanes, assignment, handlers, settings."""

from __future__ import annotations

from pathlib import Path

from engine.catalogue import Catalogue
from processes.assignment import assign
from processes.briefing import STATISTICS_FIELDS
from processes.deadlines import HELPERS
from processes.handlers import HANDLERS
from processes.roles import LANE_ROLES, PERSONAL_ROLES, ROLES
from processes.settings import CHOICES, DEFAULTS

DIAGRAMS = Path(__file__).resolve().parent.parent / "bpmn"

CATALOGUE = Catalogue(roles=ROLES, lane_roles=LANE_ROLES, settings=DEFAULTS, setting_choices=CHOICES,
                      handlers=HANDLERS, assign=assign,
                      helpers=HELPERS, initial_data=frozenset({"case_reference"}),
                      personal_roles=PERSONAL_ROLES, audit_facts=STATISTICS_FIELDS)
