"""Demo inspection and supervision plans, inspections, findings, recommendations and discipline cases."""
