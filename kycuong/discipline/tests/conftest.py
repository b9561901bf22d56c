import datetime

import pytest

from kycuong.discipline import services
from kycuong.discipline.defaults import forms_sync
from kycuong.discipline.models import DisciplineForm
from kycuong.inspections.tests.conftest import insp, make_inspection  # noqa: F401 - shared fixtures


@pytest.fixture
def forms(db):
    forms_sync()  # rows of a data migration are gone after a test that flushed the database
    return {form.code: form for form in DisciplineForm.objects.all()}


@pytest.fixture
def make_case(insp):  # noqa: F811 - the fixture imported above
    def make(**overrides):
        fields = {
            "actor": insp.user("hoangmai_inspector"),
            "regime": "civil_servant",
            "competent_unit": insp.hoangmai,
            "staff": insp.colleague,
            "violation": "Chậm giải quyết hồ sơ của công dân",
            "committed_on": datetime.date(2025, 2, 1),
            "severity": "less_serious",
            "opened_on": datetime.date(2025, 8, 1),
        }
        fields.update(overrides)
        return services.case_open(**fields)

    return make
