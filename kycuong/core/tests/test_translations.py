"""The Vietnamese catalogue covers every string the code marks for translation."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[3]
CATALOGUE = ROOT / "locale" / "vi" / "LC_MESSAGES" / "django.po"


def untranslated_or_fuzzy(catalogue: Path, selection: str) -> list[str]:
    assert shutil.which("msgattrib"), "gettext is missing: `make test` installs it"
    found = subprocess.run(
        ["msgattrib", selection, "--no-wrap", str(catalogue)], capture_output=True, text=True, check=True
    ).stdout
    return [line for line in found.splitlines() if line.startswith("msgid ") and line != 'msgid ""']


@pytest.mark.parametrize("selection", ["--untranslated", "--only-fuzzy"])
def test_no_message_is_left_untranslated_or_fuzzy(selection):
    assert untranslated_or_fuzzy(CATALOGUE, selection) == []


def catalogues(root: Path) -> list[Path]:
    """The project's catalogue and those of apps that keep their own (kycuong/<app>/locale)."""
    return [
        root / "locale" / "vi" / "LC_MESSAGES" / "django.po",
        *sorted((root / "kycuong").glob("*/locale/vi/LC_MESSAGES/django.po")),
    ]


@pytest.mark.parametrize("selection", ["--untranslated", "--only-fuzzy"])
def test_app_catalogues_are_complete(selection):
    for catalogue in catalogues(ROOT)[1:]:
        assert untranslated_or_fuzzy(catalogue, selection) == [], catalogue


def test_catalogue_is_up_to_date_with_the_code(tmp_path):
    """Extract the strings anew in a copy of the tree: a new string without a translation fails here."""
    shutil.copytree(
        ROOT / "kycuong", tmp_path / "kycuong", ignore=shutil.ignore_patterns("__pycache__", "*.mo")
    )
    shutil.copytree(ROOT / "locale", tmp_path / "locale", ignore=shutil.ignore_patterns("*.mo"))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        call_command("makemessages", locale=["vi"], no_obsolete=True, verbosity=0)
    finally:
        os.chdir(cwd)
    for fresh in catalogues(tmp_path):
        assert untranslated_or_fuzzy(fresh, "--untranslated") == [], fresh.relative_to(tmp_path)
        # makemessages guesses a translation from a similar message and marks it fuzzy: never a good one.
        assert untranslated_or_fuzzy(fresh, "--only-fuzzy") == [], fresh.relative_to(tmp_path)
