"""Figures on dashboards and in reports: the active language's separators, grouped by threes, half up."""

import random
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import translation
from django.utils.formats import number_format

from kycuong.core.dashboard import format_number, format_percent


@pytest.mark.parametrize(
    "value,decimals,vietnamese,english",
    [
        (1520, 0, "1.520", "1,520"),
        (86.5, 1, "86,5", "86.5"),
        (Decimal("1234567.85"), 1, "1.234.567,9", "1,234,567.9"),  # half up, where Python rounds to even
        (Decimal("0.125"), 2, "0,13", "0.13"),
        (-3313, 0, "-3.313", "-3,313"),
        (-0.4, 0, "0", "0"),  # never "-0"
        (999, 0, "999", "999"),
        (None, 0, "—", "—"),
    ],
)
def test_format_number(value, decimals, vietnamese, english):
    with translation.override("vi"):
        assert format_number(value, decimals) == vietnamese
    with translation.override("en"):
        assert format_number(value, decimals) == english


def test_format_number_agrees_with_djangos_number_format():
    rng = random.Random(5)
    values = [rng.uniform(-1e8, 1e8) for _ in range(500)] + [
        rng.randint(-(10**12), 10**12) for _ in range(500)
    ]
    for language in ("vi", "en"):
        with translation.override(language):
            for value in values:
                for decimals in (0, 1, 2):
                    rounded = Decimal(str(value)).quantize(
                        Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP
                    )
                    expected = number_format(
                        rounded, decimal_pos=decimals, use_l10n=True, force_grouping=True
                    )
                    assert format_number(value, decimals) == expected, (language, value, decimals)


def test_format_percent():
    with translation.override("vi"):
        assert format_percent(Decimal("86.45")) == "86,5 %"
        assert format_percent(None) == "—"
