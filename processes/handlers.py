"""Service-task handlers: the Python behind `spiffworkflow:serviceTaskOperator` ids in the diagrams."""

from __future__ import annotations

from collections.abc import Mapping

from engine.catalogue import ServiceHandler

HANDLERS: Mapping[str, ServiceHandler] = {}
