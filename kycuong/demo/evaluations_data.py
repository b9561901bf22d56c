"""Demo evaluation cycles: monthly evaluations of staff and quarterly scorecards of units."""
