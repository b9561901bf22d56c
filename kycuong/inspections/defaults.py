"""The kinds of inspection and supervision a new installation starts with (data with a validity period,
edited in the admin afterwards). The data migration and the demo loader write them with `kinds_sync`, which
adds missing kinds and leaves existing ones as they are."""

import datetime

KINDS = [
    # code, name, English name, category, Party, legal basis, valid from
    (
        "party-supervision-regular",
        "Giám sát thường xuyên",
        "Regular supervision",
        "supervision",
        True,
        "Quy định 296-QĐ/TW",
    ),
    (
        "party-supervision-thematic",
        "Giám sát chuyên đề",
        "Thematic supervision",
        "supervision",
        True,
        "Quy định 296-QĐ/TW",
    ),
    (
        "party-inspection",
        "Kiểm tra của tổ chức đảng",
        "Party inspection",
        "inspection",
        True,
        "Quy định 296-QĐ/TW",
    ),
    (
        "party-inspection-signs",
        "Kiểm tra khi có dấu hiệu vi phạm",
        "Inspection on signs of violation",
        "inspection",
        True,
        "Quy định 296-QĐ/TW",
    ),
    (
        "administrative-inspection",
        "Thanh tra hành chính",
        "Administrative inspection",
        "inspection",
        False,
        "Luật Thanh tra 2022",
    ),
    (
        "public-service-inspection",
        "Kiểm tra công vụ",
        "Public-service inspection",
        "inspection",
        False,
        "Chỉ thị 24-CT/TU",
    ),
]


def kinds_sync(kind_model=None) -> None:
    if kind_model is None:
        from .models import InspectionKind as kind_model
    for order, (code, name, name_en, category, is_party, basis) in enumerate(KINDS, start=1):
        kind_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "category": category,
                "is_party": is_party,
                "legal_basis": basis,
                "valid_from": datetime.date(2021, 1, 1),
                "order": order * 10,
            },
        )
