"""Inspection and supervision plans, inspections, findings and recommendations."""
