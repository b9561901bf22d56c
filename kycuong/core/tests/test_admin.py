"""Changes made in the Django admin go through the same services and leave the same audit records."""

import pytest
from django.urls import reverse

from kycuong.core.models import AuditRecord
from kycuong.org.models import Unit, UnitClosure

pytestmark = pytest.mark.django_db


def test_admin_is_for_superusers_only(world, login):
    assert login(world.user("city_leader")).get(reverse("admin:index")).status_code == 302
    assert login(world.user("superuser")).get(reverse("admin:index")).status_code == 200


def test_admin_unit_creation_keeps_the_tree_and_is_audited(world, login):
    client = login(world.user("superuser"))
    response = client.post(
        reverse("admin:org_unit_add"),
        {
            "parent": world.hoangmai.pk,
            "kind": "ward",
            "code": "T00999",
            "name": "Phường Thử",
            "name_en": "",
            "valid_from": "",
            "valid_to": "",
            "latitude": "",
            "longitude": "",
        },
    )
    assert response.status_code == 302, response.content
    unit = Unit.objects.get(code="T00999")
    assert UnitClosure.objects.filter(ancestor=world.city, descendant=unit, depth=2).exists()
    record = AuditRecord.objects.get(object_type="org.unit", object_id=str(unit.pk))
    assert record.action == "create" and record.actor_label == "root"


def test_admin_staff_change_is_audited_with_before_and_after(world, login):
    client = login(world.user("superuser"))
    staff = world.hoangliet_staff
    url = reverse("admin:org_staff_change", args=[staff.pk])
    form = {
        "full_name": "Nguyễn Văn Hùng",
        "birth_year": "1981",
        "gender": "",
        "category": "civil_servant",
        "unit": staff.unit_id,
        "party_unit": "",
        "party_joined_on": "",
        "email": "",
        "phone": "",
        "is_active": "on",
        "posts-TOTAL_FORMS": "1",
        "posts-INITIAL_FORMS": "1",
        "posts-MIN_NUM_FORMS": "0",
        "posts-MAX_NUM_FORMS": "1000",
        "posts-0-id": staff.posts.get().pk,
        "posts-0-staff": staff.pk,
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    record = (
        AuditRecord.objects.filter(object_type="org.staff", object_id=str(staff.pk)).order_by("-id").first()
    )
    assert (
        record.action == "update"
        and record.before == {"birth_year": 1980}
        and record.after == {"birth_year": 1981}
    )


def test_audit_records_cannot_be_changed_in_the_admin(world, login):
    client = login(world.user("superuser"))
    record = AuditRecord.objects.first()
    assert (
        client.post(reverse("admin:core_auditrecord_delete", args=[record.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert AuditRecord.objects.filter(pk=record.pk).exists()
