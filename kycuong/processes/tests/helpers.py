import datetime
from zoneinfo import ZoneInfo

from kycuong.processes import services
from kycuong.processes.bpmn import BuilderStep

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(year, month, day, hour=9, minute=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=VN)


def two_unit_process(world, *, code="QT-01", escalate=True):
    """Ward receives, another ward checks, the ward's head signs: three steps, two units."""
    return services.definition_build(
        actor=world.user("hoangmai_head"),
        owner_unit=world.hoangliet,
        code=code,
        name="Cấp bản sao chứng thực",
        valid_from=datetime.date(2020, 1, 1),
        steps=[
            BuilderStep(name="Tiếp nhận hồ sơ", role="unit_staff", limit_value=1, escalate=escalate),
            BuilderStep(name="Xác minh", unit_ref=world.dinhcong.code, limit_value=2, escalate=escalate),
            BuilderStep(
                name="Ký duyệt", role="unit_head", limit_value=4, limit_unit="hours", escalate=escalate
            ),
        ],
    )


def start(world, definition, *, now, user="hoangliet_staff", reference="HS-001"):
    return services.instance_start(
        actor=world.user(user),
        definition=definition,
        case_kind="dossier",
        case_reference=reference,
        case_title="Chứng thực bản sao giấy khai sinh",
        now=now,
    )


def open_step(instance):
    return instance.steps.get(state="open")
