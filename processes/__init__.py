"""The council's processes as the engine runs them: which role each lane is, who gets each new task, the
service-task handlers and the settings' defaults (DOMAIN.md's **(default)** values)."""

from processes.catalogue import CATALOGUE, DIAGRAMS

__all__ = ["CATALOGUE", "DIAGRAMS"]
