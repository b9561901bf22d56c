"""The forms of discipline a new installation starts with, each with its rules and validity period.

Regulation 69-QĐ/TW (6 Jul 2022) for Party organisations and members; Decree 112/2020/NĐ-CP for cadres and
civil servants until 30 Jun 2025; Decree 172/2025/NĐ-CP from 1 Jul 2025 (demotion and salary-step reduction
gone; dismissal from post only for managers). Limitation: 5 years at reprimand level, 10 years at warning
level and above, none at expulsion level. `forms_sync` adds missing forms and leaves existing ones alone.
"""

import datetime

R69 = ("69-QĐ/TW", datetime.date(2022, 7, 6), None)
D112 = ("112/2020/NĐ-CP", datetime.date(2020, 9, 20), datetime.date(2025, 6, 30))
D172 = ("172/2025/NĐ-CP", datetime.date(2025, 7, 1), None)
FORMS = [
    # code, name, English name, regime, rules, level, limitation years, effect months, managers only
    ("qd69-org-reprimand", "Khiển trách", "Reprimand", "party_organisation", R69, 1, 5, 12, False),
    ("qd69-org-warning", "Cảnh cáo", "Warning", "party_organisation", R69, 2, 10, 12, False),
    ("qd69-org-dissolution", "Giải tán", "Dissolution", "party_organisation", R69, 3, None, None, False),
    ("qd69-member-reprimand", "Khiển trách", "Reprimand", "party_member", R69, 1, 5, 12, False),
    ("qd69-member-warning", "Cảnh cáo", "Warning", "party_member", R69, 2, 10, 12, False),
    ("qd69-member-dismissal", "Cách chức", "Dismissal from post", "party_member", R69, 3, 10, 12, True),
    ("qd69-member-expulsion", "Khai trừ", "Expulsion", "party_member", R69, 4, None, None, False),
    ("nd112-cadre-reprimand", "Khiển trách", "Reprimand", "cadre", D112, 1, 5, 12, False),
    ("nd112-cadre-warning", "Cảnh cáo", "Warning", "cadre", D112, 2, 10, 12, False),
    ("nd112-cadre-dismissal", "Cách chức", "Dismissal from post", "cadre", D112, 3, 10, None, True),
    ("nd112-cadre-removal", "Bãi nhiệm", "Removal", "cadre", D112, 4, 10, None, False),
    ("nd112-cs-reprimand", "Khiển trách", "Reprimand", "civil_servant", D112, 1, 5, 12, False),
    ("nd112-cs-warning", "Cảnh cáo", "Warning", "civil_servant", D112, 2, 10, 12, False),
    ("nd112-cs-salary", "Hạ bậc lương", "Salary-step reduction", "civil_servant", D112, 3, 10, 12, False),
    ("nd112-cs-demotion", "Giáng chức", "Demotion", "civil_servant", D112, 4, 10, None, True),
    ("nd112-cs-dismissal", "Cách chức", "Dismissal from post", "civil_servant", D112, 5, 10, None, True),
    (
        "nd112-cs-resignation",
        "Buộc thôi việc",
        "Forced resignation",
        "civil_servant",
        D112,
        6,
        10,
        None,
        False,
    ),
    ("nd172-cadre-reprimand", "Khiển trách", "Reprimand", "cadre", D172, 1, 5, 12, False),
    ("nd172-cadre-warning", "Cảnh cáo", "Warning", "cadre", D172, 2, 10, 12, False),
    ("nd172-cadre-dismissal", "Cách chức", "Dismissal from post", "cadre", D172, 3, 10, None, True),
    ("nd172-cadre-removal", "Bãi nhiệm", "Removal", "cadre", D172, 4, 10, None, False),
    ("nd172-cs-reprimand", "Khiển trách", "Reprimand", "civil_servant", D172, 1, 5, 12, False),
    ("nd172-cs-warning", "Cảnh cáo", "Warning", "civil_servant", D172, 2, 10, 12, False),
    ("nd172-cs-dismissal", "Cách chức", "Dismissal from post", "civil_servant", D172, 3, 10, None, True),
    (
        "nd172-cs-resignation",
        "Buộc thôi việc",
        "Forced resignation",
        "civil_servant",
        D172,
        4,
        10,
        None,
        False,
    ),
]


def forms_sync(form_model=None) -> None:
    if form_model is None:
        from .models import DisciplineForm as form_model
    for code, name, name_en, regime, (basis, start, end), level, years, months, managers in FORMS:
        form_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "regime": regime,
                "legal_basis": basis,
                "valid_from": start,
                "valid_to": end,
                "level": level,
                "limitation_years": years,
                "effect_months": months,
                "managers_only": managers,
            },
        )
