"""Evaluation methods, cycles and the scores of units and staff."""
