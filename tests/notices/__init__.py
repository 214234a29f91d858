"""Tests for notices and wellbeing check-in emails, and the signed check-in link."""
