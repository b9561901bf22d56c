"""The Hanoi reorganisation of 1 July 2025 (Resolution 1656/NQ-UBTVQH15) as one reorganisation event.

Data shipped with the product (kycuong/org/data): the 126 wards and communes of 2025 with their official
codes, and the 794 pairs (2024 ward or commune → 2025 ward or commune) with their share: `whole`, `part`, or
`part-default` (the part that takes the old unit's open work by default).

The event closes the 526 wards and communes of 2024 and, with them, the 30 district-level units (the district
level was abolished); it creates the 126 new units directly under the city. The official codes of 2025 reuse
codes of 2024 units for other places, so a new unit's code is the official code prefixed with `2025-`.
Open work of district-level bodies goes to the city (a link that carries no grants: a district's grants are
proposed for the new units that took its wards).
"""

import csv
import datetime
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kycuong.core.text import fold

from .models import EventKind, ReorganisationEvent, ShareKind, Unit, UnitKind
from .reorganisation import LinkSpec, NewUnitSpec, event_create

DATA_DIR = Path(__file__).parent / "data"
EFFECTIVE_DATE = datetime.date(2025, 7, 1)
LEGAL_BASIS = (
    "Nghị quyết số 1656/NQ-UBTVQH15 ngày 16/6/2025 của Ủy ban Thường vụ Quốc hội về việc sắp xếp các đơn vị "
    "hành chính cấp xã của thành phố Hà Nội năm 2025"
)
TITLE = "Sắp xếp đơn vị hành chính cấp xã thành phố Hà Nội năm 2025"
NEW_CODE_PREFIX = "2025-"
KINDS = {"Phường": UnitKind.WARD, "Xã": UnitKind.COMMUNE}
SHARES = {"whole": ShareKind.WHOLE, "part": ShareKind.PART, "part-default": ShareKind.PART_DEFAULT}
ENGLISH = {UnitKind.WARD: "Ward", UnitKind.COMMUNE: "Commune"}


@dataclass(frozen=True)
class NewUnitRow:
    code: str
    name: str
    kind: str


def read_units() -> list[NewUnitRow]:
    with open(DATA_DIR / "hanoi_units_2025.csv", encoding="utf-8") as source:
        return [
            NewUnitRow(row["ward_code"], row["ward_name"], KINDS[row["ward_type"]])
            for row in csv.DictReader(source)
        ]


def read_pairs() -> list[tuple[str, str, str]]:
    """(2024 code, 2025 code, share) for every pair of the official mapping."""
    with open(DATA_DIR / "hanoi_reorg_2025.csv", encoding="utf-8") as source:
        return [
            (row["old_ward_code"], row["new_ward_code"], SHARES[row["share"]])
            for row in csv.DictReader(source)
        ]


def _english(name: str, kind: str) -> str:
    bare = name.split(" ", 1)[1] if " " in name else name
    return f"{fold(bare).title()} {ENGLISH[kind]}"


def build_event(*, actor, city_code: str = "01") -> ReorganisationEvent:
    """Prepare the Hanoi 2025 event as a draft (preview it, then apply it with `event_apply`)."""
    city = Unit.objects.filter(code=city_code).first()
    if city is None:
        raise ValidationError(_("There is no unit with the code %(code)s.") % {"code": city_code})
    units = read_units()
    pairs = read_pairs()
    old_codes = sorted({old for old, _new, _share in pairs})
    old_units = {unit.code: unit for unit in Unit.objects.filter(code__in=old_codes).select_related("parent")}
    missing = [code for code in old_codes if code not in old_units]
    if missing:
        raise ValidationError(
            _("%(count)d wards and communes of 2024 are missing, for example %(codes)s.")
            % {"count": len(missing), "codes": ", ".join(missing[:5])}
        )
    new_units = [
        NewUnitSpec(
            code=NEW_CODE_PREFIX + row.code,
            name=row.name,
            name_en=_english(row.name, row.kind),
            kind=row.kind,
            parent=city,
        )
        for row in units
    ]
    links = [
        LinkSpec(predecessor=old_units[old], successor=NEW_CODE_PREFIX + new, share=share)
        for old, new, share in pairs
    ]
    districts: dict[int, Unit] = {}
    for unit in old_units.values():
        if unit.parent_id and unit.parent_id != city.pk:
            districts[unit.parent_id] = unit.parent
    links += [
        LinkSpec(predecessor=district, successor=city, share=ShareKind.WHOLE, carries_grants=False)
        for district in sorted(districts.values(), key=lambda unit: unit.code)
    ]
    return event_create(
        actor=actor,
        kind=EventKind.REORGANISE,
        title=TITLE,
        effective_date=EFFECTIVE_DATE,
        legal_basis=LEGAL_BASIS,
        note=_("%(old)d wards and communes and %(districts)d districts become %(new)d wards and communes.")
        % {"old": len(old_codes), "districts": len(districts), "new": len(units)},
        links=links,
        new_units=new_units,
    )


def successors_by_old_code() -> dict[str, list[tuple[str, str]]]:
    mapping: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for old, new, share in read_pairs():
        mapping[old].append((NEW_CODE_PREFIX + new, share))
    return dict(mapping)
