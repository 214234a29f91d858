"""The admin's diagram pages: process models and their versions, what changed between versions, the
diagram editor (validate, deploy), moving running instances to a newer version, and the instance viewer."""

from web.diagrams.blueprint import bp

__all__ = ["bp"]
