"""Forecast, status and the disbursement path on hand-made series, computed by hand."""

import datetime
from decimal import Decimal as D

from kycuong.targets import progress
from kycuong.targets.progress import Status


def test_flow_forecast_is_the_run_rate():
    # 10 + 12 + 14 = 36 in three months: 36 × 12 ÷ 3 = 144 by December.
    assert progress.forecast([(1, 10), (2, 12), (3, 14)], flow=True) == D(144)
    assert progress.year_to_date([(1, 10), (2, 12), (3, 14)], flow=True) == D(36)


def test_quarterly_flow_counts_the_months_covered():
    # Quarters 1 and 2 (recorded at months 3 and 6): 30 + 30 = 60 in six months → 120.
    assert progress.forecast([(3, 30), (6, 30)], flow=True) == D(120)


def test_year_to_date_forecast_is_the_linear_trend():
    # GRDP growth so far: 6.0 (Q1), 6.2 (H1), 6.4 (9 months): +0.2 a quarter reaches 6.6 by December.
    assert progress.forecast([(3, D("6.0")), (6, D("6.2")), (9, D("6.4"))], flow=False) == D("6.6")
    assert progress.year_to_date([(3, D("6.0")), (9, D("6.4"))], flow=False) == D("6.4")
    assert progress.forecast([(6, D("6.52"))], flow=False) == D("6.52")
    assert progress.forecast([], flow=False) is None


def test_status_higher_is_better_with_a_range():
    goal = progress.goal(D("6.5"), D("7"), higher_is_better=True)
    assert goal == D("6.5")
    assert progress.status(D("6.52"), goal, higher_is_better=True) == Status.ON_TRACK
    # 6.3 misses 6.5 by 0.2 = 3.08 % of the goal: within the 5 % band.
    assert progress.status(D("6.3"), goal, higher_is_better=True) == Status.AT_RISK
    # 6.0 misses by 7.7 %: off track.
    assert progress.status(D("6.0"), goal, higher_is_better=True) == Status.OFF_TRACK
    assert progress.status(None, goal, higher_is_better=True) == Status.NO_DATA


def test_status_weighs_time_elapsed():
    # Target 1,000. 400 after six months forecasts 800 (20 % short): off track; after four months, 1,200.
    assert (
        progress.status(progress.forecast([(6, 400)], flow=True), D(1000), higher_is_better=True)
        == "off_track"
    )
    assert (
        progress.status(progress.forecast([(4, 400)], flow=True), D(1000), higher_is_better=True)
        == "on_track"
    )


def test_status_lower_is_better():
    goal = progress.goal(None, D("3"), higher_is_better=False)
    assert progress.status(D("2.9"), goal, higher_is_better=False) == Status.ON_TRACK
    assert progress.status(D("3.1"), goal, higher_is_better=False) == Status.AT_RISK
    assert progress.status(D("3.5"), goal, higher_is_better=False) == Status.OFF_TRACK


def test_path_follows_the_profile_and_ends_at_the_target():
    profile = [D(v) for v in ("2", "5", "10", "15", "21", "30", "37", "45", "55", "65", "76", "90", "100")]
    # End of June: 95 × 30 % = 28.5 %.
    assert progress.path_percent(
        2024, datetime.date(2024, 6, 30), target_percent=D(95), profile=profile
    ) == D("28.5")
    # 15 July 2024: 30 + (37 − 30) × 15/31 of the way, × 0.95.
    expected = D(95) * (D(30) + D(7) * 15 / 31) / 100
    assert (
        progress.path_percent(2024, datetime.date(2024, 7, 15), target_percent=D(95), profile=profile)
        == expected
    )
    assert progress.path_percent(
        2024, datetime.date(2025, 1, 31), target_percent=D(95), profile=profile
    ) == D(95)
    assert (
        progress.path_percent(2024, datetime.date(2023, 12, 31), target_percent=D(95), profile=profile) == 0
    )
    assert progress.window_month(2024, datetime.date(2025, 1, 15)) == 13


def test_rate_to_two_decimals():
    assert progress.rate(60, 120) == D("50.00")
    assert progress.rate(2, 3) == D("66.67")
    assert progress.rate(5, 0) is None
