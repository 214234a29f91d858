"""The same app, people and clock as the register and briefing tests."""

from tests.registers.conftest import app, client_as, clock, people, run, workflow  # noqa: F401
