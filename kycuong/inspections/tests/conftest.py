import datetime

import pytest

from conftest import SYSTEM
from kycuong.discipline.defaults import forms_sync
from kycuong.inspections import services
from kycuong.inspections.defaults import kinds_sync
from kycuong.inspections.models import InspectionKind
from kycuong.org.models import PostRole, UnitKind
from kycuong.org.services import post_create, staff_create, unit_create


@pytest.fixture
def insp(world):
    """The world, plus: the ward staff user linked to their staff record, a Party cell in Hoàng Liệt, a
    second person in Hoàng Liệt (a Party member), and the kinds by code."""
    user = world.user("hoangliet_staff")
    user.staff = world.hoangliet_staff
    user.save(update_fields=["staff"])
    world.cell = unit_create(
        actor=SYSTEM,
        parent=world.hoangliet,
        kind=UnitKind.PARTY_CELL,
        code="T00337-CB1",
        name="Chi bộ khu dân cư số 1",
    )
    world.colleague = staff_create(
        actor=SYSTEM,
        unit=world.hoangliet,
        full_name="Lê Văn Minh",
        birth_year=1978,
        is_party_member=True,
        party_unit=world.cell,
    )
    post_create(
        actor=SYSTEM,
        staff=world.colleague,
        unit=world.hoangliet,
        title="Phó Chủ tịch UBND phường",
        role=PostRole.DEPUTY,
        start_date=datetime.date(2019, 1, 1),
    )
    kinds_sync()  # rows of a data migration are gone after a test that flushed the database
    forms_sync()
    world.kinds = {kind.code: kind for kind in InspectionKind.objects.all()}
    return world


@pytest.fixture
def make_inspection(insp):
    def make(**overrides):
        fields = {
            "actor": insp.user("hoangmai_inspector"),
            "kind": insp.kinds["public-service-inspection"],
            "deciding_unit": insp.hoangmai,
            "topic": "Kiểm tra công vụ tại bộ phận một cửa",
            "decision_number": "15/QĐ-UBND",
            "decision_date": datetime.date(2025, 3, 10),
            "subject_units": [insp.hoangliet],
            "subject_staff": [insp.colleague],
        }
        fields.update(overrides)
        return services.inspection_create(**fields)

    return make
