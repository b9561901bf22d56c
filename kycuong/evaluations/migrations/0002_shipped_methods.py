"""The methods shipped with the product, as data with validity periods (see docs/guide/evaluations.md)."""

import datetime

from django.db import migrations

CIVIL_SERVANT_LEVELS = [
    {"code": "excellent", "min": 90, "name": "Hoàn thành xuất sắc nhiệm vụ", "name_en": "Excellent"},
    {"code": "good", "min": 70, "name": "Hoàn thành tốt nhiệm vụ", "name_en": "Good"},
    {"code": "completed", "min": 50, "name": "Hoàn thành nhiệm vụ", "name_en": "Completed"},
    {"code": "not_completed", "min": 0, "name": "Không hoàn thành nhiệm vụ", "name_en": "Not completed"},
]

DECREE_90 = {
    "kind": "points",
    "general_max": 30,
    "task_max": 70,
    "bonus_max": 0,
    "dimensions": {"quantity": 1, "quality": 1, "progress": 1},
    "quality_deduction_percent": 0,
    "progress_deduction_percent": 0,
    "no_tasks_percent": 100,
    "leader_unit_weight": 0.5,
    "levels": CIVIL_SERVANT_LEVELS,
    "top_requires_all_done": True,
    "quota": {"level": "excellent", "percent": 20, "of_level": "good"},
    "grounds": ["discipline"],
}

DECREE_335 = {
    **DECREE_90,
    "quality_deduction_percent": 25,
    "progress_deduction_percent": 25,
    "top_requires_all_done": False,
}

HANOI_3814 = {
    "kind": "points",
    "general_max": 20,
    "task_max": 70,
    "bonus_max": 10,
    "dimensions": {"quantity": 1, "quality": 1, "progress": 1},
    "quality_deduction_percent": 25,
    "progress_deduction_percent": 25,
    "no_tasks_percent": 100,
    "leader_unit_weight": 0.5,
    "levels": [
        {"code": "A", "min": 90, "name": "Loại A", "name_en": "Grade A"},
        {"code": "B", "min": 70, "name": "Loại B", "name_en": "Grade B"},
        {"code": "C", "min": 50, "name": "Loại C", "name_en": "Grade C"},
        {"code": "D", "min": 0, "name": "Loại D", "name_en": "Grade D"},
    ],
    "top_requires_all_done": False,
    "quota": {"level": "A", "percent": 30, "of_level": None, "outstanding_percent": 40},
    "grounds": ["discipline"],
}


def content(code, name, name_en, weight, guidance, from_tasks=False):
    return {
        "code": code,
        "name": name,
        "name_en": name_en,
        "weight": weight,
        "guidance": guidance,
        "from_tasks": from_tasks,
    }


HEADS_SCORECARD = {
    "kind": "scorecard",
    "criteria": [
        content(
            "party", "Công tác xây dựng Đảng và hệ thống chính trị", "Party building and the political system",
            10, "Nghị quyết, kế hoạch được ban hành đúng hạn; sinh hoạt chi bộ, kết nạp đảng viên đạt chỉ tiêu.",
        ),
        content(
            "economy", "Phát triển kinh tế, thu ngân sách", "Economic development and budget revenue",
            10, "Mức đạt các chỉ tiêu kinh tế, thu ngân sách so với kế hoạch giao; trừ theo tỷ lệ không đạt.",
        ),
        content(
            "land", "Quản lý nhà nước về đất đai, trật tự xây dựng", "State management of land and construction order",
            10, "Vi phạm đất đai, trật tự xây dựng phát sinh và được xử lý dứt điểm trong kỳ.",
        ),
        content(
            "reform", "Cải cách hành chính, chuyển đổi số", "Administrative reform and digital transformation",
            10, "Hồ sơ giải quyết đúng hạn, dịch vụ công trực tuyến, chỉ số cải cách hành chính.",
        ),
        content(
            "investment", "Đầu tư công, giải ngân vốn", "Public investment and disbursement",
            8, "Tỷ lệ giải ngân so với kế hoạch vốn; tiến độ các dự án trọng điểm.",
        ),
        content(
            "social", "Văn hóa, giáo dục, y tế, an sinh xã hội", "Culture, education, health and social welfare",
            8, "Các chỉ tiêu văn hóa - xã hội được giao; chính sách an sinh thực hiện đầy đủ, kịp thời.",
        ),
        content(
            "environment", "Tài nguyên, môi trường", "Natural resources and environment",
            6, "Vệ sinh môi trường, xử lý rác thải, điểm nóng ô nhiễm được giải quyết.",
        ),
        content(
            "security", "Quốc phòng, an ninh, trật tự an toàn xã hội", "Defence, security and public order",
            8, "Giao quân đạt chỉ tiêu; không để xảy ra điểm nóng về an ninh trật tự.",
        ),
        content(
            "citizens", "Tiếp công dân, giải quyết khiếu nại, tố cáo", "Citizen reception, complaints and denunciations",
            8, "Tỷ lệ đơn thư được giải quyết đúng hạn; không có khiếu kiện đông người, vượt cấp.",
        ),
        content(
            "integrity", "Phòng, chống tham nhũng, lãng phí; thanh tra, kiểm tra", "Anti-corruption, thrift, inspection",
            7, "Kết luận thanh tra, kiểm tra được thực hiện; không có cán bộ vi phạm bị xử lý.",
        ),
        content(
            "discipline", "Kỷ luật, kỷ cương hành chính; sự hài lòng của người dân", "Discipline and people's satisfaction",
            5, "Thực hiện Chỉ thị 24-CT/TU; chỉ số hài lòng của người dân tại đơn vị.",
        ),
        content(
            "tasks", "Kết quả thực hiện nhiệm vụ được giao", "Results of the tasks assigned",
            10, "Tính từ nhiệm vụ của đơn vị trong kỳ: số lượng, chất lượng, tiến độ (trừ 25% mỗi lần trả lại, mỗi lần chậm).", True,
        ),
    ],
    "quality_deduction_percent": 25,
    "progress_deduction_percent": 25,
    "no_tasks_percent": 100,
    "dimensions": {"quantity": 1, "quality": 1, "progress": 1},
    "levels": CIVIL_SERVANT_LEVELS,
    "quota": None,
    "grounds": ["discipline"],
}

METHODS = [
    {
        "code": "civil-servants",
        "name": "Đánh giá, xếp loại công chức (Nghị định 90/2020/NĐ-CP)",
        "name_en": "Civil servants' evaluation (Decree 90/2020/ND-CP)",
        "legal_basis": "Nghị định 90/2020/NĐ-CP ngày 13/8/2020 của Chính phủ",
        "subject": "staff",
        "valid_from": datetime.date(2020, 8, 13),
        "valid_to": datetime.date(2025, 12, 31),
        "rules": DECREE_90,
    },
    {
        "code": "civil-servants",
        "name": "Đánh giá, xếp loại chất lượng công chức (Nghị định 335/2025/NĐ-CP)",
        "name_en": "Civil servants' quality evaluation (Decree 335/2025/ND-CP)",
        "legal_basis": "Nghị định 335/2025/NĐ-CP của Chính phủ, hiệu lực từ 01/01/2026",
        "subject": "staff",
        "valid_from": datetime.date(2026, 1, 1),
        "valid_to": None,
        "rules": DECREE_335,
    },
    {
        "code": "hanoi-monthly",
        "name": "Chấm điểm hằng tháng (Quyết định 3814-QĐ/TU)",
        "name_en": "Hanoi monthly scoring (Decision 3814-QD/TU)",
        "legal_basis": "Quyết định 3814-QĐ/TU (2018) của Ban Thường vụ Thành ủy Hà Nội",
        "subject": "staff",
        "valid_from": datetime.date(2018, 1, 1),
        "valid_to": None,
        "rules": HANOI_3814,
    },
    {
        "code": "heads-scorecard",
        "name": "Bảng 12 nội dung đánh giá người đứng đầu",
        "name_en": "12-content scorecard for heads of units",
        "legal_basis": "Mẫu mặc định theo cách làm của huyện Ứng Hòa (sơ kết Chỉ thị 24-CT/TU, 2024); sửa được",
        "subject": "unit",
        "valid_from": datetime.date(2024, 1, 1),
        "valid_to": None,
        "rules": HEADS_SCORECARD,
    },
]


def ship(apps, schema_editor):
    method = apps.get_model("evaluations", "Method")
    for spec in METHODS:
        if not method.objects.filter(code=spec["code"], valid_from=spec["valid_from"]).exists():
            method.objects.create(**spec)


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0001_initial")]

    operations = [migrations.RunPython(ship, migrations.RunPython.noop)]
