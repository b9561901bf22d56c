"""The arithmetic of the satisfaction index, on counts, without the database.

- A factor's index is the share of its answers that were 4 or 5, in percent.
- Its 95 % margin of error is 1.96 · sqrt(p(1 − p)/n) (normal approximation for a proportion p out of n
  answers), in percent points. No finite-population correction is applied: the number of visits a sample
  is drawn from is not known here, and leaving the correction out can only widen the margin.
- The overall index is the mean of the indices of the five SIPAS factors that have answers. Its margin is
  the mean of their margins: the standard deviation of a mean of k estimates is at most the mean of their
  standard deviations, whatever their correlation (answers of one person to several factors are correlated),
  so this is an upper bound rather than an estimate that assumes independence.
- The kiosk's single question ("visit") is reported beside the overall index, not inside it.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from .models import ALL_FACTORS, INDEX_FACTORS, Factor, answers_field, satisfied_field

Z_95 = 1.96


def margin_of_error(satisfied: int, answers: int) -> float | None:
    """Half-width of the 95 % confidence interval of the share satisfied, in percent points."""
    if answers <= 0:
        return None
    p = satisfied / answers
    return 100 * Z_95 * math.sqrt(p * (1 - p) / answers)


@dataclass(frozen=True)
class Figure:
    answers: int
    satisfied: int

    @property
    def percent(self) -> float | None:
        return 100 * self.satisfied / self.answers if self.answers else None

    @property
    def margin(self) -> float | None:
        return margin_of_error(self.satisfied, self.answers)


@dataclass(frozen=True)
class Overall:
    percent: float | None
    margin: float | None
    factors_used: int


@dataclass(frozen=True)
class IndexFigures:
    """The index of a set of ratings: per factor, overall, and how many ratings it rests on."""

    ratings: int
    factors: dict[str, Figure] = field(default_factory=dict)

    @property
    def overall(self) -> Overall:
        used = [self.factors[f] for f in INDEX_FACTORS if self.factors[f].answers]
        if not used:
            return Overall(None, None, 0)
        percent = sum(f.percent for f in used) / len(used)
        margin = sum(f.margin for f in used) / len(used)
        return Overall(percent, margin, len(used))

    @property
    def visit(self) -> Figure:
        return self.factors[Factor.VISIT]

    def rows(self) -> list[tuple[str, str, Figure]]:
        """(factor, label, figure) in the order of the model, for tables."""
        return [(f, Factor(f).label, self.factors[f]) for f in ALL_FACTORS]


def figures_from_counts(counts: Mapping[str, int | None], ratings: int | None) -> IndexFigures:
    """Build the figures from sums named like the count columns (`access_answers`, `access_satisfied`...)."""
    factors = {
        f: Figure(int(counts.get(answers_field(f)) or 0), int(counts.get(satisfied_field(f)) or 0))
        for f in ALL_FACTORS
    }
    return IndexFigures(ratings=int(ratings or 0), factors=factors)


def change(current: float | None, previous: float | None) -> float | None:
    if current is None or previous is None:
        return None
    return current - previous
