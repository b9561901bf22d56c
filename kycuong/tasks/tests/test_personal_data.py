"""A person's data, gathered from every app, exported for those who manage the person's record."""

import json

from django.test import Client

from kycuong.core.models import AuditRecord
from kycuong.tasks import services


def test_the_export_holds_the_record_the_account_and_the_work_and_is_audited(people, make_task, login):
    task = make_task(title="Rà soát hồ sơ hộ nghèo")
    services.task_accept(actor=people.user("hoangliet_staff"), task=task)
    services.task_report_progress(
        actor=people.user("hoangliet_staff"), task=task, percent=30, text="Đã rà soát 1/3"
    )
    url = f"/staff/{people.hoangliet_staff.pk}/personal-data.json"
    response = login(people.user("hoangmai_head")).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    sections = data["sections"]
    assert sections["org"]["staff_record"][0]["full_name"] == "Nguyễn Văn Hùng"
    assert sections["accounts"]["account"][0]["username"] == "staff.hl"
    assert [item["title"] for item in sections["tasks"]["tasks_responsible"]] == ["Rà soát hồ sơ hộ nghèo"]
    assert sections["tasks"]["progress_reports"][0]["text"] == "Đã rà soát 1/3"
    assert "ratings_naming_them" in sections["satisfaction"]
    # Every app that holds data about people answers, even when it holds nothing about this one.
    assert sections["evaluations"] == {"evaluations": []}
    assert sections["discipline"] == {"discipline_cases": []}
    assert sections["inspections"] == {"inspected_as_subject": [], "findings_about_them": []}
    assert sections["processes"] == {"process_steps_done": []}
    export = AuditRecord.objects.get(action="personal_data_export")
    assert (export.actor_label, export.object_id) == ("head.hm", str(people.hoangliet_staff.pk))


def test_only_those_who_manage_the_person_may_export(people, login):
    url = f"/staff/{people.hoangliet_staff.pk}/personal-data.json"
    page = f"/staff/{people.hoangliet_staff.pk}/"
    assert login(people.user("badinh_head")).get(url).status_code == 404  # out of scope: not found
    observer = login(people.user("hoangmai_observer"))
    assert observer.get(url).status_code == 403  # may see the person, not manage them
    assert 'data-testid="personal-data"' not in observer.get(page).content.decode()
    assert 'data-testid="personal-data"' in login(people.user("hoangmai_head")).get(page).content.decode()
    assert Client().get(url).status_code == 302
    assert not AuditRecord.objects.filter(action="personal_data_export").exists()
