"""The announced exceptions to the working-day rule for 2025 and 2026, as editable data.

Most of them agree with what the `holidays` package already computes; they are recorded here so that the
calendar does not depend on the package version installed, and so that administrators see (and can
correct) the announcement behind each day. Every row is audited like any other change. Rows that exist
already are left alone, and undoing the migration leaves the data in place: it is the administrators'
from the moment it is loaded.
"""

import datetime

from django.db import migrations
from django.utils import timezone

LABOUR_CODE_HOLIDAYS = (
    "Bộ luật Lao động 2019, điều 112 khoản 1: Quốc khánh được nghỉ 02 ngày (ngày 02/9 dương lịch "
    "và 01 ngày liền kề trước hoặc sau)."
)
TET_2025 = (
    "Thông báo số 6150/TB-BLĐTBXH năm 2024 của Bộ Lao động – Thương binh và Xã hội: cán bộ, công chức, "
    "viên chức nghỉ Tết Âm lịch Ất Tỵ từ thứ Bảy 25/01/2025 đến hết Chủ nhật 02/02/2025."
)
SWAP_2025_04 = (
    "Phương án hoán đổi ngày làm việc dịp 30/4 – 1/5/2025 được Thủ tướng Chính phủ đồng ý: cán bộ, công "
    "chức, viên chức nghỉ thứ Sáu 02/05/2025 và làm bù thứ Bảy 26/04/2025 (nghỉ liên tục từ 30/04 đến hết "
    "04/05/2025)."
)
NATIONAL_DAY_2025 = (
    LABOUR_CODE_HOLIDAYS + " Năm 2025 cán bộ, công chức, viên chức nghỉ từ thứ Bảy 30/08/2025 đến hết "
    "thứ Ba 02/09/2025."
)
HUNG_KINGS_2026 = (
    "Bộ luật Lao động 2019, điều 111 khoản 3: ngày lễ trùng ngày nghỉ hằng tuần thì được nghỉ bù vào ngày "
    "làm việc kế tiếp. Giỗ Tổ Hùng Vương (10/3 âm lịch) năm 2026 rơi vào Chủ nhật 26/04/2026."
)
NATIONAL_DAY_2026 = (
    LABOUR_CODE_HOLIDAYS + " Lịch nghỉ Quốc khánh 2026 (từ thứ Bảy 29/08/2026 đến hết thứ Tư 02/09/2026, "
    "làm bù thứ Bảy 22/08/2026) theo dữ liệu của thư viện holidays (nguồn: thuvienphapluat.vn); cần đối "
    "chiếu với văn bản thông báo chính thức."
)

# (day, is a working day, name, legal basis)
EXCEPTIONS = [
    (datetime.date(2025, 1, 27), False, "Nghỉ Tết Nguyên Đán Ất Tỵ", TET_2025),
    (datetime.date(2025, 4, 26), True, "Làm bù cho ngày 02/05/2025", SWAP_2025_04),
    (datetime.date(2025, 5, 2), False, "Nghỉ hoán đổi dịp 30/4 – 1/5 (làm bù ngày 26/04/2025)", SWAP_2025_04),
    (datetime.date(2025, 9, 1), False, "Nghỉ Quốc khánh (ngày liền kề trước 02/9)", NATIONAL_DAY_2025),
    (datetime.date(2026, 4, 27), False, "Nghỉ bù Giỗ Tổ Hùng Vương", HUNG_KINGS_2026),
    (datetime.date(2026, 8, 22), True, "Làm bù cho ngày 31/08/2026", NATIONAL_DAY_2026),
    (datetime.date(2026, 8, 31), False, "Nghỉ hoán đổi dịp Quốc khánh (làm bù ngày 22/08/2026)", NATIONAL_DAY_2026),
    (datetime.date(2026, 9, 1), False, "Nghỉ Quốc khánh (ngày liền kề trước 02/9)", NATIONAL_DAY_2026),
]

ACTOR_LABEL = "migration:core.0004_calendar_days_2025_2026"


def load_exceptions(apps, schema_editor):
    # Historical models and the audit module's pure functions only: the live models may have moved on.
    from kycuong.core.audit import hashed_fields, record_hash, snapshot

    CalendarDay = apps.get_model("core", "CalendarDay")
    AuditRecord = apps.get_model("core", "AuditRecord")
    AuditChainHead = apps.get_model("core", "AuditChainHead")
    existing = set(CalendarDay.objects.values_list("day", flat=True))
    created = []
    for day, is_working_day, name, legal_basis in EXCEPTIONS:
        if day in existing:
            continue
        created.append(
            CalendarDay.objects.create(day=day, is_working_day=is_working_day, name=name, legal_basis=legal_basis)
        )
    if not created:
        return
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    last_id, last_hash = head.last_id, head.last_hash
    now = timezone.now()
    records = []
    for calendar_day in created:
        kind = "ngày làm việc" if calendar_day.is_working_day else "ngày nghỉ"
        record = AuditRecord(
            id=last_id + 1,
            created_at=now,
            actor_id=None,
            actor_label=ACTOR_LABEL,
            request_id="",
            unit_id=None,
            unit_label="",
            object_type="core.calendarday",
            object_id=str(calendar_day.pk),
            object_repr=f"{calendar_day.day:%d/%m/%Y} ({kind}): {calendar_day.name}"[:255],
            action="create",
            before=None,
            after=snapshot(calendar_day),
            prev_hash=last_hash,
        )
        record.hash = record_hash(hashed_fields(record))
        records.append(record)
        last_id, last_hash = record.id, record.hash
    AuditRecord.objects.bulk_create(records)
    head.last_id, head.last_hash = last_id, last_hash
    head.save(update_fields=["last_id", "last_hash"])


class Migration(migrations.Migration):
    dependencies = [("core", "0003_calendar_day")]
    operations = [migrations.RunPython(load_exceptions, migrations.RunPython.noop)]
