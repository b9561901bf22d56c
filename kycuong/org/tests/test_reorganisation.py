import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from kycuong.accounts.models import Grant
from kycuong.core.audit import audit_verify_chain
from kycuong.core.models import AuditRecord
from kycuong.org.models import (
    EventKind,
    EventState,
    GrantProposal,
    HandoverMove,
    Post,
    ProposalState,
    ShareKind,
    Unit,
    UnitClosure,
    UnitKind,
)
from kycuong.org.reorganisation import (
    LinkSpec,
    NewUnitSpec,
    event_apply,
    event_create,
    event_preview,
    event_set_choice,
    event_undo,
    grant_proposal_decide,
)
from kycuong.satisfaction.models import ServicePoint
from kycuong.satisfaction.services import service_point_create
from kycuong.targets.services import project_create
from kycuong.tasks.models import Task, TaskState
from kycuong.tasks.tally import tally_differences

from .conftest import EFFECTIVE, SYSTEM

pytestmark = pytest.mark.django_db
CLOSE_DAY = datetime.date(2025, 6, 30)


def merge_hoangmai_wards(actor, world):
    return event_create(
        actor=actor,
        kind=EventKind.MERGE,
        title="Hợp nhất phường Hoàng Liệt và Định Công",
        effective_date=EFFECTIVE,
        legal_basis="Nghị quyết 1656/NQ-UBTVQH15",
        new_units=[
            NewUnitSpec(code="N001", name="Phường Hoàng Mai mới", kind=UnitKind.WARD, parent=world.city)
        ],
        links=[
            LinkSpec(predecessor=world.hoangliet, successor="N001"),
            LinkSpec(predecessor=world.dinhcong, successor="N001"),
        ],
    )


def test_merge_hands_every_open_record_to_the_new_unit_and_keeps_history(world, reorg_admin, open_task):
    open_one = open_task(world.hoangliet)
    open_two = open_task(world.dinhcong, title="Kiểm tra công vụ")
    closed = open_task(world.hoangliet, title="Đã hủy")
    closed.state = TaskState.CANCELLED
    closed.save()
    point = service_point_create(
        actor=SYSTEM, unit=world.dinhcong, code="MC-DC", name="Bộ phận một cửa Định Công", kind="one_stop"
    )
    project = project_create(
        actor=SYSTEM,
        code="DA-1",
        name="Cải tạo trụ sở",
        investor_unit=world.city,
        responsible_unit=world.hoangliet,
    )
    event = merge_hoangmai_wards(reorg_admin, world)
    preview = event_preview(event=event)
    assert [row.unit.code for row in preview.closing] == ["T00337", "T00331"]
    assert {key: total for key, total in preview.totals.items() if total} == {
        "satisfaction.servicepoint": 1,
        "targets.project": 1,
        "tasks.task": 2,
    }
    assert preview.blocking == []
    # the ward staff's grant is proposed for the new ward after applying
    assert [(g.username, g.unit_id) for g in preview.grants] == [("staff.hl", world.hoangliet.pk)]
    before = AuditRecord.objects.latest("id").id

    event_apply(actor=reorg_admin, event=event)

    new = Unit.objects.get(code="N001")
    assert new.valid_from == EFFECTIVE and new.parent_id == world.city.pk
    for ward in (world.hoangliet, world.dinhcong):
        ward.refresh_from_db()
        assert ward.valid_to == CLOSE_DAY
        # closed units keep their place in the tree
        assert UnitClosure.objects.filter(ancestor=world.hoangmai, descendant=ward).exists()
    assert set(
        Task.objects.filter(pk__in=[open_one.pk, open_two.pk]).values_list("lead_unit_id", flat=True)
    ) == {new.pk}
    closed.refresh_from_db()
    assert closed.lead_unit_id == world.hoangliet.pk
    point.refresh_from_db()
    project.refresh_from_db()
    assert point.unit_id == new.pk and project.responsible_unit_id == new.pk
    assert tally_differences() == []
    world.hoangliet_staff.refresh_from_db()
    assert world.hoangliet_staff.unit_id == new.pk
    # the head's post ends; nobody is head of the new ward until appointed
    assert Post.objects.get(staff=world.hoangliet_staff).end_date == CLOSE_DAY
    # every move audited: 2 tasks + 1 point + 1 project handed over
    handed = AuditRecord.objects.filter(pk__gt=before, action="hand_over")
    assert handed.count() == 4
    assert HandoverMove.objects.filter(event=event).count() == 4
    assert AuditRecord.objects.filter(pk__gt=before, action="close", object_type="org.unit").count() == 2
    # grants wait for an administrator
    proposal = GrantProposal.objects.get(event=event)
    assert (proposal.user.username, proposal.to_unit_id, proposal.state) == ("staff.hl", new.pk, "proposed")
    assert not Grant.objects.filter(user=proposal.user, unit=new).exists()
    grant_proposal_decide(actor=reorg_admin, proposal=proposal, confirm=True)
    grant = Grant.objects.get(user=proposal.user, unit=new)
    assert grant.role.code == "unit_staff" and grant.include_descendants is False
    assert grant.valid_from == EFFECTIVE
    assert audit_verify_chain().ok


def test_split_follows_the_default_rule_or_the_choice_per_record(world, reorg_admin, open_task):
    first = open_task(world.hoangliet, title="Việc thứ nhất")
    second = open_task(world.hoangliet, title="Việc thứ hai")
    event = event_create(
        actor=reorg_admin,
        kind=EventKind.SPLIT,
        title="Chia phường Hoàng Liệt",
        effective_date=EFFECTIVE,
        legal_basis="Nghị quyết 1656/NQ-UBTVQH15",
        new_units=[NewUnitSpec(code="N-A", name="Phường A", kind=UnitKind.WARD, parent=world.city)],
        links=[
            LinkSpec(predecessor=world.hoangliet, successor="N-A", share=ShareKind.PART_DEFAULT),
            LinkSpec(predecessor=world.hoangliet, successor=world.dinhcong, share=ShareKind.PART),
        ],
    )
    preview = event_preview(event=event)
    row = preview.closing[0]
    assert row.unit == world.hoangliet and row.needs_decision
    assert len(preview.choices["tasks.task"]) == 2
    event_set_choice(
        actor=reorg_admin,
        event=event,
        handler_key="tasks.task",
        record_id=second.pk,
        successor_unit_id=world.dinhcong.pk,
    )
    with pytest.raises(ValidationError):
        event_set_choice(
            actor=reorg_admin,
            event=event,
            handler_key="tasks.task",
            record_id=second.pk,
            successor_unit_id=world.phucxa.pk,
        )
    event.refresh_from_db()
    event_apply(actor=reorg_admin, event=event)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.lead_unit.code == "N-A"
    assert second.lead_unit_id == world.dinhcong.pk
    world.dinhcong.refresh_from_db()
    assert world.dinhcong.valid_to is None  # a successor that existed stays open
    assert tally_differences() == []


def test_undo_reverts_units_records_staff_posts_and_grants(world, reorg_admin, open_task):
    task = open_task(world.hoangliet)
    event = merge_hoangmai_wards(reorg_admin, world)
    event_apply(actor=reorg_admin, event=event)
    proposal = GrantProposal.objects.get(event=event)
    grant_proposal_decide(actor=reorg_admin, proposal=proposal, confirm=True)
    records = AuditRecord.objects.latest("id").id

    event_undo(actor=reorg_admin, event=event)

    event.refresh_from_db()
    assert event.state == EventState.UNDONE
    assert not Unit.objects.filter(code="N001").exists()
    task.refresh_from_db()
    assert task.lead_unit_id == world.hoangliet.pk
    world.hoangliet.refresh_from_db()
    assert world.hoangliet.valid_to is None
    world.hoangliet_staff.refresh_from_db()
    assert world.hoangliet_staff.unit_id == world.hoangliet.pk
    assert Post.objects.get(staff=world.hoangliet_staff).end_date is None
    assert (
        not Grant.objects.filter(user=proposal.user, role__code="unit_staff")
        .exclude(unit=world.hoangliet)
        .exists()
    )
    assert tally_differences() == []
    assert AuditRecord.objects.filter(pk__gt=records, action="undo").count() == 1
    assert audit_verify_chain().ok
    with pytest.raises(ValidationError):
        event_undo(actor=reorg_admin, event=event)


def test_an_event_followed_by_another_change_cannot_be_undone(world, reorg_admin):
    first = merge_hoangmai_wards(reorg_admin, world)
    event_apply(actor=reorg_admin, event=first)
    new = Unit.objects.get(code="N001")
    second = event_create(
        actor=reorg_admin,
        kind=EventKind.RENAME,
        title="Đổi tên",
        effective_date=datetime.date(2026, 1, 1),
        legal_basis="Quyết định 1/QĐ",
        unit=new,
        new_name="Phường Hoàng Mai",
    )
    event_apply(actor=reorg_admin, event=second)
    new.refresh_from_db()
    assert new.name == "Phường Hoàng Mai"
    with pytest.raises(ValidationError):
        event_undo(actor=reorg_admin, event=first)
    assert Unit.objects.filter(code="N001").exists()
    event_undo(actor=reorg_admin, event=second)
    new.refresh_from_db()
    assert new.name == "Phường Hoàng Mai mới"
    # the rename, even undone, is a record of the new unit: the merge stays, and nothing half-undone
    with pytest.raises(ValidationError):
        event_undo(actor=reorg_admin, event=first)
    first.refresh_from_db()
    assert first.state == EventState.APPLIED
    world.hoangliet.refresh_from_db()
    assert world.hoangliet.valid_to == CLOSE_DAY


def test_dissolving_with_open_work_and_no_successor_is_refused(world, reorg_admin, open_task):
    open_task(world.phucxa)
    event = event_create(
        actor=reorg_admin,
        kind=EventKind.DISSOLVE,
        title="Giải thể",
        effective_date=EFFECTIVE,
        legal_basis="Quyết định 2/QĐ",
        unit=world.phucxa,
    )
    assert event_preview(event=event).blocking
    with pytest.raises(ValidationError):
        event_apply(actor=reorg_admin, event=event)
    world.phucxa.refresh_from_db()
    assert world.phucxa.valid_to is None


def test_bad_input_and_missing_rights_change_nothing(world, reorg_admin):
    head = world.user("hoangmai_head")
    records = AuditRecord.objects.count()
    with pytest.raises(PermissionDenied):
        merge_hoangmai_wards(head, world)
    with pytest.raises(ValidationError):
        event_create(
            actor=reorg_admin,
            kind=EventKind.SPLIT,
            title="Chia",
            effective_date=EFFECTIVE,
            legal_basis="NQ",
            links=[
                LinkSpec(predecessor=world.hoangliet, successor=world.dinhcong, share=ShareKind.PART),
                LinkSpec(predecessor=world.hoangliet, successor=world.phucxa, share=ShareKind.PART),
            ],
        )
    with pytest.raises(ValidationError):
        event_create(
            actor=reorg_admin,
            kind=EventKind.SPLIT,
            title="Chia",
            effective_date=EFFECTIVE,
            legal_basis="NQ",
            links=[
                LinkSpec(
                    predecessor=world.hoangliet,
                    successor=world.dinhcong,
                    share=ShareKind.PART_DEFAULT,
                    weight=Decimal("0.5"),
                ),
                LinkSpec(
                    predecessor=world.hoangliet,
                    successor=world.phucxa,
                    share=ShareKind.PART,
                    weight=Decimal("0.4"),
                ),
            ],
        )
    assert AuditRecord.objects.count() == records
    event = merge_hoangmai_wards(reorg_admin, world)
    with pytest.raises(PermissionDenied):
        event_apply(actor=head, event=event)
    event_apply(actor=reorg_admin, event=event)
    proposal = GrantProposal.objects.get(event=event)
    with pytest.raises(PermissionDenied):
        grant_proposal_decide(actor=head, proposal=proposal, confirm=True)
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.PROPOSED


def test_the_ready_made_unit_field_handler_counts_lists_moves_and_refuses(world):
    from django.db.models import Q

    from kycuong.org.handover import UnitFieldHandover

    handler = UnitFieldHandover(
        key="test.servicepoint",
        label="points",
        model=ServicePoint,
        field="unit",
        open_filter=Q(active=True),
        label_field="name",
    )
    first = service_point_create(
        actor=SYSTEM, unit=world.hoangliet, code="P1", name="Điểm 1", kind="one_stop"
    )
    second = service_point_create(
        actor=SYSTEM, unit=world.hoangliet, code="P2", name="Điểm 2", kind="one_stop"
    )
    service_point_create(actor=SYSTEM, unit=world.dinhcong, code="P3", name="Điểm 3", kind="one_stop")
    ServicePoint.objects.filter(pk=second.pk).update(active=False)
    assert handler.open_counts([world.hoangliet.pk, world.dinhcong.pk]) == {
        world.hoangliet.pk: 1,
        world.dinhcong.pk: 1,
    }
    assert [r.label for r in handler.open_records([world.hoangliet.pk], None)] == ["Điểm 1"]
    records = AuditRecord.objects.latest("id").id
    with transaction.atomic():
        handler.move(actor=SYSTEM, moves=[(first.pk, world.hoangliet.pk, world.phucxa.pk)], note="test")
    first.refresh_from_db()
    assert first.unit_id == world.phucxa.pk
    assert (
        AuditRecord.objects.filter(pk__gt=records, action="hand_over", object_id=str(first.pk)).count() == 1
    )
    with pytest.raises(ValidationError), transaction.atomic():
        handler.move(actor=SYSTEM, moves=[(first.pk, world.hoangliet.pk, world.dinhcong.pk)], note="test")
    first.refresh_from_db()
    assert first.unit_id == world.phucxa.pk


def test_merging_into_an_existing_unit_keeps_it_and_hands_it_the_work(world, reorg_admin, open_task):
    task = open_task(world.dinhcong)
    event = event_create(
        actor=reorg_admin,
        kind=EventKind.MERGE,
        title="Sáp nhập Định Công vào Hoàng Liệt",
        effective_date=EFFECTIVE,
        legal_basis="Nghị quyết 1656/NQ-UBTVQH15",
        links=[LinkSpec(predecessor=world.dinhcong, successor=world.hoangliet)],
    )
    event_apply(actor=reorg_admin, event=event)
    world.hoangliet.refresh_from_db()
    world.dinhcong.refresh_from_db()
    task.refresh_from_db()
    assert world.hoangliet.valid_to is None and world.dinhcong.valid_to == CLOSE_DAY
    assert task.lead_unit_id == world.hoangliet.pk
    with pytest.raises(ValidationError):  # a merge of one unit into a new one is no merge
        event_create(
            actor=reorg_admin,
            kind=EventKind.MERGE,
            title="Sai",
            effective_date=EFFECTIVE,
            legal_basis="NQ",
            new_units=[NewUnitSpec(code="X", name="X", kind=UnitKind.WARD, parent=world.city)],
            links=[LinkSpec(predecessor=world.phucxa, successor="X")],
        )
