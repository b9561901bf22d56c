"""Violations, discipline cases and their decisions."""
