"""Kỷ Cương: discipline and accountability work for Vietnamese public bodies."""
