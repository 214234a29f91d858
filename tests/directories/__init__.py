"""Tests for the directories (police forces, resource links), the Resources page and the API tokens page."""
