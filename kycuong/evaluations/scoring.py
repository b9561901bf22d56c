"""The arithmetic of the methods: task-result points, totals, levels and quotas, read from a method's `rules`.

A staff method's rules (all numbers are data, see the shipped methods in migrations/0002):

    kind                        "points"
    general_max, task_max, bonus_max   points of each part (30/70/0 for Decree 335; 20/70/10 for 3814)
    dimensions                  weights of quantity, quality and progress in the task-result percentage
    quality_deduction_percent   per time a product is sent back for rework, of that task's quality points
    progress_deduction_percent  per late task, of that task's progress points
    no_tasks_percent            task-result percentage of someone with no task due in the period
    leader_unit_weight          share of a head's or deputy's task points that comes from the unit's results
    levels                      [{"code", "min", "name", "name_en"}], highest first; the last is the lowest
    top_requires_all_done       the top level needs every task done (Decree 90/2020)
    quota                       {"level", "percent", "of_level" (or null: of everyone evaluated),
                                 "outstanding_percent" (optional)}, per unit
    grounds                     codes of registered grounds that force the lowest level

A unit scorecard's rules: kind "scorecard", criteria [{"code", "name", "name_en", "weight", "guidance",
"from_tasks"}], levels, quota (usually null), grounds.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
DIMENSIONS = ("quantity", "quality", "progress")


def rounded(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def validate_rules(rules: Any, subject: str) -> None:
    """Refuse rules the scoring cannot apply, with a message that says what is wrong."""
    if not isinstance(rules, dict):
        raise ValidationError({"rules": _("The rules must be an object.")})
    levels = rules.get("levels")
    if not isinstance(levels, list) or len(levels) < 2:
        raise ValidationError({"rules": _("Give at least two levels, highest first.")})
    minimums = [level.get("min") for level in levels if isinstance(level, dict)]
    if len(minimums) != len(levels) or any(not isinstance(m, int | float) for m in minimums):
        raise ValidationError({"rules": _("Every level needs a code, a name and a minimum score.")})
    if minimums != sorted(minimums, reverse=True) or len(set(minimums)) != len(minimums):
        raise ValidationError({"rules": _("Levels must be listed from the highest minimum to the lowest.")})
    codes = [level.get("code") for level in levels]
    quota = rules.get("quota")
    unknown_level = quota and (
        quota.get("level") not in codes or (quota.get("of_level") and quota["of_level"] not in codes)
    )
    if unknown_level:
        raise ValidationError({"rules": _("The quota names a level the method does not have.")})
    if rules.get("kind") == "scorecard":
        criteria = rules.get("criteria")
        if not isinstance(criteria, list) or not criteria:
            raise ValidationError({"rules": _("A scorecard needs at least one content.")})
        if sum(Decimal(str(item.get("weight", 0))) for item in criteria) != HUNDRED:
            raise ValidationError({"rules": _("The weights of the contents must add up to 100.")})
        return
    for key in ("general_max", "task_max", "bonus_max"):
        if not isinstance(rules.get(key, 0), int | float) or rules.get(key, 0) < 0:
            raise ValidationError({"rules": _("Points of each part must be zero or more.")})
    if rules.get("general_max", 0) + rules.get("task_max", 0) + rules.get("bonus_max", 0) != 100:
        raise ValidationError({"rules": _("General, task and bonus points must add up to 100.")})
    for key in ("quality_deduction_percent", "progress_deduction_percent"):
        if not 0 <= rules.get(key, 0) <= 100:
            raise ValidationError({"rules": _("A deduction is a percentage from 0 to 100.")})
    if not 0 <= rules.get("leader_unit_weight", 0) <= 1:
        raise ValidationError({"rules": _("The weight of the unit's results is between 0 and 1.")})


def level_name(rules: dict, code: str) -> str:
    for level in rules.get("levels", []):
        if level["code"] == code:
            return level.get("name_en") or level["name"] if get_language() == "en" else level["name"]
    return code


def level_codes(rules: dict) -> list[str]:
    return [level["code"] for level in rules["levels"]]


_THRESHOLDS: dict[int, tuple[list, list[tuple[Decimal, str]]]] = {}


def _thresholds(rules: dict) -> list[tuple[Decimal, str]]:
    # Converted once per list of levels: a city-wide cycle classifies 150,000 people with the same one.
    levels = rules["levels"]
    cached = _THRESHOLDS.get(id(levels))
    if cached is None or cached[0] is not levels:
        cached = (levels, [(Decimal(str(level["min"])), level["code"]) for level in levels])
        if len(_THRESHOLDS) > 100:
            _THRESHOLDS.clear()
        _THRESHOLDS[id(levels)] = cached
    return cached[1]


def level_for(rules: dict, score: Decimal) -> str:
    for minimum, code in _thresholds(rules):
        if score >= minimum:
            return code
    return rules["levels"][-1]["code"]


def level_below(rules: dict, code: str) -> str:
    codes = level_codes(rules)
    index = codes.index(code) if code in codes else len(codes) - 1
    return codes[min(index + 1, len(codes) - 1)]


def dimension_percents(
    rules: dict, *, assigned: int, done: int, late: int, quality_deducted: int
) -> dict[str, Decimal]:
    """Quantity, quality and progress as percentages of the tasks assigned.

    `quality_deducted` is the sum over done tasks of min(times sent back × deduction %, 100): each task counts
    1, its quality points lose that share, its progress points lose `progress_deduction_percent` if late.
    """
    if assigned == 0:
        value = Decimal(str(rules.get("no_tasks_percent", 100)))
        return dict.fromkeys(DIMENSIONS, value)
    late_deducted = late * Decimal(str(rules.get("progress_deduction_percent", 0)))
    return {
        "quantity": Decimal(done) * HUNDRED / assigned,
        "quality": (Decimal(done) * HUNDRED - quality_deducted) / assigned,
        "progress": (Decimal(done) * HUNDRED - late_deducted) / assigned,
    }


def weighted_percent(rules: dict, percents: dict[str, Decimal]) -> Decimal:
    weights = {key: Decimal(str(value)) for key, value in rules.get("dimensions", {}).items()}
    total_weight = sum(weights.get(key, Decimal(0)) for key in DIMENSIONS)
    if not total_weight:
        return percents["quantity"]
    return sum(percents[key] * weights.get(key, Decimal(0)) for key in DIMENSIONS) / total_weight


def task_points(rules: dict, own_percent: Decimal, unit_percent: Decimal | None) -> Decimal:
    weight = Decimal(str(rules.get("leader_unit_weight", 0)))
    percent = own_percent
    if unit_percent is not None and weight:
        percent = (1 - weight) * own_percent + weight * unit_percent
    return rounded(Decimal(str(rules.get("task_max", 0))) * percent / HUNDRED)


def clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(high, value))


def scorecard_points(rules: dict, evaluation) -> dict[str, Decimal]:
    """Each content's points: the reviewer's, else the self-assessment's, else the figure computed from the
    unit's tasks (contents marked `from_tasks`), else nothing; never more than the content's weight."""
    computed = (evaluation.explanation or {}).get("suggested", {})
    points = {}
    for item in rules.get("criteria", []):
        code = item["code"]
        for source in (evaluation.criteria_points or {}, evaluation.self_criteria_points or {}, computed):
            if source.get(code) is not None:
                weight = Decimal(str(item["weight"]))
                points[code] = clamp(Decimal(str(source[code])), Decimal(0), weight)
                break
    return points


def evaluation_total(rules: dict, evaluation) -> Decimal:
    if rules.get("kind") == "scorecard":
        base = sum(scorecard_points(rules, evaluation).values(), Decimal(0))
    else:
        general = evaluation.general_used or Decimal(0)
        base = general + evaluation.task_points + evaluation.bonus_points
    return rounded(clamp(base + evaluation.adjustment, Decimal(0), HUNDRED))


def classify(rules: dict, evaluation) -> None:
    """Set total, level by score and final level: grounds force the lowest level, a quota move one lower."""
    evaluation.total = evaluation_total(rules, evaluation)
    evaluation.score_level = level_for(rules, evaluation.total)
    level = evaluation.score_level
    codes = level_codes(rules)
    all_done = evaluation.tasks_done >= evaluation.tasks_assigned
    if rules.get("top_requires_all_done") and level == codes[0] and not all_done:
        level = codes[1]
    if evaluation.quota_moved:
        level = level_below(rules, level)
    if evaluation.ground_reason or evaluation.manual_ground:
        level = codes[-1]
    evaluation.level = level


def quota_allowed(rules: dict, counts: dict[str, int], *, outstanding: bool) -> int | None:
    """How many may hold the quota's level in one unit, given the counts of final levels there."""
    quota = rules.get("quota")
    if not quota:
        return None
    percent = Decimal(str(quota.get("outstanding_percent") or quota["percent"]))
    if not outstanding:
        percent = Decimal(str(quota["percent"]))
    base = counts.get(quota["of_level"], 0) if quota.get("of_level") else sum(counts.values())
    return int((percent * base / HUNDRED).to_integral_value(rounding="ROUND_FLOOR"))
