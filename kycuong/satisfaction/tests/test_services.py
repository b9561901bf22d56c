"""The index arithmetic on a hand-made set, the counts kept beside the ratings, receipt codes, erasure."""

import dataclasses
import datetime
import math

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kycuong.core.audit import audit_verify_chain
from kycuong.core.models import AuditRecord
from kycuong.satisfaction import selectors, services
from kycuong.satisfaction.figures import margin_of_error
from kycuong.satisfaction.models import DailyCount, Feedback, MonthlyCount, Rating

pytestmark = pytest.mark.django_db


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def test_margin_of_error_formula():
    # p = 0.8 out of 100 answers: 1.96 * sqrt(0.16 / 100) = 0.0784 -> 7.84 points.
    assert margin_of_error(80, 100) == pytest.approx(7.84)
    assert margin_of_error(0, 0) is None
    assert margin_of_error(10, 10) == 0


def test_index_of_a_hand_made_set(rate, points):
    day = datetime.date(2025, 3, 10)
    # Ten ratings. access: 8 of 10 satisfied; procedure: 5 of 10; civil_servant: 10 of 10;
    # result: 6 of 8 answered; feedback: never answered.
    for n in range(10):
        scores = {
            "access": 5 if n < 8 else 2,
            "procedure": 4 if n < 5 else 3,
            "civil_servant": 4,
        }
        if n < 8:
            scores["result"] = 5 if n < 6 else 1
        rate(submitted_at=at(day), **scores)
    figures = selectors.satisfaction_index(
        actor=points.user("superuser"),
        filters=selectors.IndexFilters(unit_id=points.hoangmai.pk, date_from=day, date_to=day),
    )
    assert figures.ratings == 10
    access, procedure = figures.factors["access"], figures.factors["procedure"]
    assert (access.answers, access.satisfied, access.percent) == (10, 8, 80)
    assert access.margin == pytest.approx(100 * 1.96 * math.sqrt(0.8 * 0.2 / 10))
    assert procedure.percent == 50
    assert figures.factors["civil_servant"].margin == 0
    assert figures.factors["result"].answers == 8 and figures.factors["result"].percent == 75
    assert figures.factors["feedback"].answers == 0 and figures.factors["feedback"].percent is None
    overall = figures.overall
    # The mean of the four factors with answers: (80 + 50 + 100 + 75) / 4.
    assert overall.percent == pytest.approx(76.25) and overall.factors_used == 4
    margins = [figures.factors[f].margin for f in ("access", "procedure", "civil_servant", "result")]
    assert overall.margin == pytest.approx(sum(margins) / 4)


def test_the_counts_agree_with_the_ratings_across_months_and_edges(rate, points):
    # Ratings on both sides of month ends: the period mixes whole months (monthly rows) and edge days.
    days = [datetime.date(2025, 1, 31), datetime.date(2025, 2, 1), datetime.date(2025, 2, 28)]
    days += [datetime.date(2025, 3, 1), datetime.date(2025, 3, 15), datetime.date(2025, 4, 2)]
    for index, day in enumerate(days):
        rate(submitted_at=at(day), access=1 + index % 5, result=5)
    leader = points.user("city_leader")
    for start, end in [
        (datetime.date(2025, 1, 31), datetime.date(2025, 3, 15)),
        (datetime.date(2025, 2, 1), datetime.date(2025, 3, 31)),
        (datetime.date(2025, 2, 2), datetime.date(2025, 2, 27)),
        (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)),
    ]:
        figures = selectors.satisfaction_index(
            actor=leader, filters=selectors.IndexFilters(unit_id=points.city.pk, date_from=start, date_to=end)
        )
        expected = [d for d in days if start <= d <= end]
        assert figures.ratings == len(expected)
        assert figures.factors["result"].satisfied == len(expected)
        assert figures.factors["access"].answers == len(expected)
        # The same figures summed from the ratings themselves.
        ratings = Rating.objects.filter(day__range=(start, end))
        assert figures.factors["access"].satisfied == sum(r.access_satisfied for r in ratings)
    assert DailyCount.objects.count() == len(days)
    assert MonthlyCount.objects.count() == 4


def test_previous_period_and_peers(rate, points):
    rate(submitted_at=at(datetime.date(2025, 2, 10)), access=5)
    rate(submitted_at=at(datetime.date(2025, 3, 10)), access=1)
    rate(point=points.other_point, submitted_at=at(datetime.date(2025, 3, 11)), access=5)
    report = selectors.index_report(
        actor=points.user("city_leader"),
        filters=selectors.IndexFilters(
            unit_id=points.hoangliet.pk,
            date_from=datetime.date(2025, 3, 1),
            date_to=datetime.date(2025, 3, 31),
        ),
        unit=points.hoangliet,
    )
    assert (report.previous_from, report.previous_to) == (
        datetime.date(2025, 2, 1),
        datetime.date(2025, 2, 28),
    )
    assert report.current.overall.percent == 0
    assert report.previous.overall.percent == 100
    # Two wards in the leader's scope rated in March: one of two answers satisfied.
    assert report.peers.ratings == 2 and report.peers.overall.percent == 50


def test_breakdowns_by_unit_point_staff_and_procedure(rate, points):
    day = datetime.date(2025, 5, 5)
    rate(submitted_at=at(day), access=5, staff=points.hoangliet_staff, procedure_name="Đăng ký khai sinh")
    rate(submitted_at=at(day), access=2, procedure_name="Chứng thực bản sao")
    rate(point=points.other_point, submitted_at=at(day), access=4)
    leader = points.user("city_leader")
    filters = selectors.IndexFilters(unit_id=points.city.pk, date_from=day, date_to=day)
    by_unit = selectors.satisfaction_breakdown(actor=leader, filters=filters, group_by="unit")
    assert {row.label: row.figures.ratings for row in by_unit} == {"Quận Hoàng Mai": 2, "Quận Ba Đình": 1}
    by_staff = selectors.satisfaction_breakdown(actor=leader, filters=filters, group_by="staff")
    assert [(row.label, row.figures.ratings) for row in by_staff] == [("Nguyễn Văn Hùng", 1)]
    by_procedure = selectors.satisfaction_breakdown(actor=leader, filters=filters, group_by="procedure")
    assert {row.key: row.figures.overall.percent for row in by_procedure} == {
        "Đăng ký khai sinh": 100,
        "Chứng thực bản sao": 0,
    }
    one_servant = selectors.satisfaction_index(
        actor=leader,
        filters=selectors.IndexFilters(
            unit_id=points.city.pk, staff_id=points.hoangliet_staff.pk, date_from=day, date_to=day
        ),
    )
    assert one_servant.ratings == 1


def test_the_index_is_scoped(rate, points):
    day = datetime.date(2025, 5, 5)
    rate(submitted_at=at(day), access=5)
    rate(point=points.other_point, submitted_at=at(day), access=1)
    filters = selectors.IndexFilters(date_from=day, date_to=day)
    assert selectors.satisfaction_index(actor=points.user("city_leader"), filters=filters).ratings == 2
    assert selectors.satisfaction_index(actor=points.user("hoangmai_head"), filters=filters).ratings == 1
    assert selectors.satisfaction_index(actor=points.user("no_grant"), filters=filters).ratings == 0


def test_one_rating_per_receipt_code(rate, points):
    rate(access=5, receipt_code="h26.01-0001")
    records = AuditRecord.objects.count()
    with pytest.raises(ValidationError) as refused:
        rate(access=1, receipt_code=" H26.01-0001 ")
    assert "receipt_code" in refused.value.message_dict
    assert Rating.objects.count() == 1 and AuditRecord.objects.count() == records
    # The same code at another service point is another dossier.
    rate(point=points.other_point, access=4, receipt_code="H26.01-0001")
    assert Rating.objects.count() == 2


def test_the_unique_constraint_holds_without_the_check(rate, points):
    from django.db import IntegrityError, transaction

    rating = rate(access=5, receipt_code="X1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(
            service_point=rating.service_point,
            unit=rating.unit,
            template=rating.template,
            submitted_at=rating.submitted_at,
            day=rating.day,
            source=rating.source,
            receipt_code="X1",
        )


def test_a_rating_writes_one_audit_record_without_contact_details(rate, points):
    records = AuditRecord.objects.count()
    rating = rate(access=5, comment="Tốt", contact_name="Lê Văn An", contact_phone="0912345678")
    assert AuditRecord.objects.count() == records + 1
    record = AuditRecord.objects.latest("id")
    assert record.actor_label == "public:public-rating" and record.unit_id == points.hoangliet.pk
    assert "0912345678" not in str(record.after) and "Lê Văn An" not in str(record.after)
    assert record.after["contact_given"] is True and record.object_id == str(rating.pk)


def test_bad_answers_are_refused(rate, points, questions):
    with pytest.raises(ValidationError):
        services.rating_submit(service_point=points.point, scores={})
    with pytest.raises(ValidationError):
        services.rating_submit(service_point=points.point, scores={questions["access"]: 6})
    with pytest.raises(ValidationError):
        services.rating_submit(service_point=points.point, scores={999999: 5})
    with pytest.raises(ValidationError):
        rate(access=5, staff=points.phucxa_staff)
    assert Rating.objects.count() == 0 and DailyCount.objects.count() == 0


def test_erasure_of_contact_details(rate, points):
    rating = rate(access=5, contact_name="Lê Văn An", contact_email="an@example.vn")
    for refused in ("phucxa_staff", "hoangmai_inspector", "hoangliet_staff"):
        records = AuditRecord.objects.count()
        with pytest.raises(PermissionDenied):
            services.rating_erase_contact(actor=points.user(refused), rating=rating)
        assert AuditRecord.objects.count() == records
        assert Rating.objects.get(pk=rating.pk).contact_name == "Lê Văn An"
    services.rating_erase_contact(actor=points.user("hoangmai_head"), rating=rating)
    rating.refresh_from_db()
    assert (rating.contact_name, rating.contact_email) == ("", "")
    assert rating.contact_erased_at is not None
    record = AuditRecord.objects.latest("id")
    assert record.action == "erase_contact" and record.after == {"fields": ["contact_name", "contact_email"]}
    assert "an@example.vn" not in str(list(AuditRecord.objects.values_list("before", "after")))
    assert audit_verify_chain().ok


def test_feedback_is_tagged_answered_and_closed_with_the_on_time_rate(rate, points):
    staff = points.user("hoangliet_staff")
    late = rate(access=1, comment="Chờ lâu quá", submitted_at=at(datetime.date(2025, 1, 6)))
    on_time = rate(access=2, comment="Cần thêm ghế", submitted_at=at(datetime.date(2025, 1, 6)))
    waiting = rate(access=2, comment="Chưa trả lời", submitted_at=at(datetime.date(2025, 1, 7)))
    with pytest.raises(PermissionDenied):
        services.feedback_tag(actor=points.user("phucxa_staff"), rating=late, kind="complaint")
    first = services.feedback_tag(actor=staff, rating=late, kind="complaint", topic="Thời gian chờ")
    # Ten working days from Monday 6 January 2025.
    assert first.deadline == datetime.date(2025, 1, 20)
    second = services.feedback_tag(actor=staff, rating=on_time, kind="suggestion")
    services.feedback_tag(actor=staff, rating=waiting, kind="complaint")
    with pytest.raises(ValidationError):
        services.feedback_tag(actor=staff, rating=late, kind="complaint")
    services.feedback_answer(
        actor=staff, feedback=first, answer="Đã bố trí thêm người", answered_on=datetime.date(2025, 1, 22)
    )
    services.feedback_answer(
        actor=staff, feedback=second, answer="Đã bổ sung", answered_on=datetime.date(2025, 1, 10)
    )
    services.feedback_close(actor=staff, feedback=second)
    assert Feedback.objects.get(pk=second.pk).state == "closed"
    summary = selectors.feedback_summary(actor=points.user("hoangmai_head"))
    assert (summary.received, summary.answered_on_time, summary.answered_late, summary.open_overdue) == (
        3,
        1,
        1,
        1,
    )
    assert summary.on_time_rate == pytest.approx(100 / 3)
    assert selectors.feedback_summary(actor=points.user("phucxa_staff")).received == 0


def test_template_validity_keeps_old_ratings_with_their_template(rate, points):
    from kycuong.satisfaction.models import FormKind, SurveyTemplate

    old = services.template_for(FormKind.SURVEY, datetime.date(2025, 1, 1))
    rating = rate(access=5, submitted_at=at(datetime.date(2025, 1, 2)))
    new = SurveyTemplate.objects.create(
        code="SIPAS-2026", name="Mẫu 2026", form_kind=FormKind.SURVEY, valid_from=datetime.date(2026, 1, 1)
    )
    assert services.template_for(FormKind.SURVEY, datetime.date(2026, 2, 1)) == new
    assert services.template_for(FormKind.SURVEY, datetime.date(2025, 6, 1)) == old
    assert Rating.objects.get(pk=rating.pk).template == old


def test_the_template_in_force_is_kept_and_a_new_one_is_seen_at_once(points, django_assert_num_queries):
    from kycuong.satisfaction.models import FormKind, Question, SurveyTemplate

    day = services.today()
    first = services.template_for(FormKind.KIOSK, day)
    with django_assert_num_queries(0):
        assert services.template_for(FormKind.KIOSK, day) == first
    newer = SurveyTemplate.objects.create(
        code="KIOSK-2", name="Đánh giá nhanh", form_kind=FormKind.KIOSK, valid_from=first.valid_from
    )
    Question.objects.create(template=newer, position=1, factor="visit", text="Ông/Bà hài lòng không?")
    found = services.template_for(FormKind.KIOSK, day)
    assert found == newer
    assert [question.text for question in found.questions.all()] == ["Ông/Bà hài lòng không?"]


def test_a_rating_costs_a_fixed_number_of_queries(rate, points):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rate(access=5)  # the template is read once per process
    with CaptureQueriesContext(connection) as captured:
        rate(access=4, procedure=5)
    statements = [
        query["sql"]
        for query in captured.captured_queries
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]
    # The rating, taking a chain, the audit record with the chain's head, the daily and monthly counts; the
    # unit's name for the audit record comes with the service point. PostgreSQL: the commit setting first,
    # the record and the head in one statement, both counts in one (5). SQLite: the chain's head and the
    # last id, then one statement each (7).
    assert len(statements) == (5 if connection.vendor == "postgresql" else 7), statements
    assert not any("org_unit" in sql for sql in statements)


def test_a_breakdown_over_whole_months_and_edge_days_counts_each_rating_once(rate, points):
    # 15 April – 10 June: the edges are read from the daily counts, May from the monthly counts.
    inside = [datetime.date(2025, 4, 20), datetime.date(2025, 5, 5), datetime.date(2025, 5, 31)]
    for day in inside:
        rate(submitted_at=at(day), access=5)
    rate(submitted_at=at(datetime.date(2025, 6, 10)), access=1)
    rate(point=points.other_point, submitted_at=at(datetime.date(2025, 5, 12)), access=4)
    for day in (datetime.date(2025, 4, 14), datetime.date(2025, 6, 11)):  # just outside the period
        rate(submitted_at=at(day), access=5)
    leader = points.user("city_leader")
    filters = selectors.IndexFilters(
        unit_id=points.city.pk, date_from=datetime.date(2025, 4, 15), date_to=datetime.date(2025, 6, 10)
    )
    by_point = selectors.satisfaction_breakdown(actor=leader, filters=filters, group_by="service_point")
    assert {row.key: (row.figures.ratings, row.figures.overall.percent) for row in by_point} == {
        points.point.pk: (4, 75),
        points.other_point.pk: (1, 100),
    }
    by_unit = selectors.satisfaction_breakdown(actor=leader, filters=filters, group_by="unit")
    assert {row.label: row.figures.ratings for row in by_unit} == {"Quận Hoàng Mai": 4, "Quận Ba Đình": 1}
    # The same as the index of each service point over the period.
    for row in by_point:
        alone = selectors.satisfaction_index(
            actor=leader, filters=dataclasses.replace(filters, service_point_id=row.key)
        )
        assert alone.ratings == row.figures.ratings
