"""The Hanoi demo data set: the 2024 city structure, its agencies and Party organisations, staff, demo users.

Loaders are registered in order with `demo_loader`; later domain apps add their own. Everything is written in
bulk (thousands of rows) but every row still gets its audit record, under the actor `command:seed-demo`.
"""

import csv
import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction

from kycuong.accounts.models import Grant, Role, User
from kycuong.accounts.services import roles_sync
from kycuong.core.audit import audit_write, entry_for, snapshot
from kycuong.core.context import SystemActor
from kycuong.core.text import fold
from kycuong.org import hanoi2025
from kycuong.org.models import (
    ADMINISTRATIVE_KINDS,
    Post,
    PostRole,
    Staff,
    StaffCategory,
    Unit,
    UnitClosure,
    UnitKind,
)

from .names import NameMaker

DATA_DIR = Path(__file__).parent / "data"
CITY_CODE = "01"
DEMO_ACTOR = SystemActor("seed-demo", kind="command")
DEMO_SEED = 2023_08_07  # the date of Directive 24-CT/TU

DISTRICT_KINDS = {"Quận": UnitKind.URBAN_DISTRICT, "Huyện": UnitKind.RURAL_DISTRICT, "Thị xã": UnitKind.TOWN}
WARD_KINDS = {"Phường": UnitKind.WARD, "Xã": UnitKind.COMMUNE, "Thị trấn": UnitKind.TOWNSHIP}
ENGLISH_SUFFIX = {
    UnitKind.URBAN_DISTRICT: "Urban District",
    UnitKind.RURAL_DISTRICT: "District",
    UnitKind.TOWN: "Town",
    UnitKind.WARD: "Ward",
    UnitKind.COMMUNE: "Commune",
    UnitKind.TOWNSHIP: "Township",
}

CITY_DEPARTMENTS = [
    ("VP", "Văn phòng Ủy ban nhân dân Thành phố", "Office of the City People's Committee"),
    ("SNV", "Sở Nội vụ", "Department of Home Affairs"),
    ("STC", "Sở Tài chính", "Department of Finance"),
    ("SXD", "Sở Xây dựng", "Department of Construction"),
    ("SGD", "Sở Giáo dục và Đào tạo", "Department of Education and Training"),
    ("SYT", "Sở Y tế", "Department of Health"),
    ("STP", "Sở Tư pháp", "Department of Justice"),
    ("SCT", "Sở Công Thương", "Department of Industry and Trade"),
    ("SNNMT", "Sở Nông nghiệp và Môi trường", "Department of Agriculture and Environment"),
    ("SKHCN", "Sở Khoa học và Công nghệ", "Department of Science and Technology"),
    ("SVHTT", "Sở Văn hóa và Thể thao", "Department of Culture and Sports"),
    ("SDL", "Sở Du lịch", "Department of Tourism"),
    ("SQHKT", "Sở Quy hoạch - Kiến trúc", "Department of Planning and Architecture"),
    ("SDTTG", "Sở Dân tộc và Tôn giáo", "Department of Ethnic and Religious Affairs"),
    ("TTTP", "Thanh tra Thành phố", "City Inspectorate"),
]
DISTRICT_OFFICES = [
    ("VP", "Văn phòng HĐND và UBND", "Office of the People's Council and Committee"),
    ("PNV", "Phòng Nội vụ", "Home Affairs Office"),
    ("PTCKH", "Phòng Tài chính - Kế hoạch", "Finance and Planning Office"),
    ("PTP", "Phòng Tư pháp", "Justice Office"),
    ("PTNMT", "Phòng Tài nguyên và Môi trường", "Natural Resources and Environment Office"),
    ("PKT", "Phòng Kinh tế", "Economic Office"),
    ("PGD", "Phòng Giáo dục và Đào tạo", "Education and Training Office"),
    ("PVHTT", "Phòng Văn hóa và Thông tin", "Culture and Information Office"),
    ("TT", "Thanh tra", "Inspectorate"),
]
DISTRICT_MASS_ORGANISATIONS = [
    ("MTTQ", "Ủy ban Mặt trận Tổ quốc Việt Nam", "Vietnam Fatherland Front Committee"),
    ("HPN", "Hội Liên hiệp Phụ nữ", "Women's Union"),
    ("DTN", "Đoàn Thanh niên Cộng sản Hồ Chí Minh", "Ho Chi Minh Communist Youth Union"),
]
DISTRICT_SERVICE_UNITS = [
    ("TTYT", "Trung tâm Y tế", "Health Centre"),
    ("BQLDA", "Ban Quản lý dự án đầu tư xây dựng", "Construction Investment Project Management Board"),
]
PARTY_CELL_NAMES = ["Chi bộ cơ quan", "Chi bộ khu dân cư số 1", "Chi bộ khu dân cư số 2"]

# (title of the head, of a deputy, of a member) by unit kind; None: the unit has no staff of its own.
TITLES: dict[str, tuple[str, str, str]] = {
    UnitKind.CITY: ("Chủ tịch UBND Thành phố", "Phó Chủ tịch UBND Thành phố", "Chuyên viên"),
    UnitKind.DEPARTMENT: ("Giám đốc", "Phó Giám đốc", "Chuyên viên"),
    UnitKind.URBAN_DISTRICT: ("Chủ tịch UBND quận", "Phó Chủ tịch UBND quận", "Chuyên viên"),
    UnitKind.RURAL_DISTRICT: ("Chủ tịch UBND huyện", "Phó Chủ tịch UBND huyện", "Chuyên viên"),
    UnitKind.TOWN: ("Chủ tịch UBND thị xã", "Phó Chủ tịch UBND thị xã", "Chuyên viên"),
    UnitKind.OFFICE: ("Trưởng phòng", "Phó Trưởng phòng", "Chuyên viên"),
    UnitKind.WARD: ("Chủ tịch UBND phường", "Phó Chủ tịch UBND phường", "Công chức"),
    UnitKind.COMMUNE: ("Chủ tịch UBND xã", "Phó Chủ tịch UBND xã", "Công chức"),
    UnitKind.TOWNSHIP: ("Chủ tịch UBND thị trấn", "Phó Chủ tịch UBND thị trấn", "Công chức"),
    UnitKind.PARTY_COMMITTEE: ("Bí thư", "Phó Bí thư", "Ủy viên"),
    UnitKind.PARTY_AGENCY: ("Chủ nhiệm", "Phó Chủ nhiệm", "Kiểm tra viên"),
    UnitKind.MASS_ORGANISATION: ("Chủ tịch", "Phó Chủ tịch", "Cán bộ"),
    UnitKind.PUBLIC_SERVICE_UNIT: ("Giám đốc", "Phó Giám đốc", "Viên chức"),
}
# (deputies, members) by kind: about 5,000 staff across the city.
HEADCOUNT = {
    UnitKind.CITY: (3, 0),
    UnitKind.DEPARTMENT: (2, 10),
    UnitKind.URBAN_DISTRICT: (2, 0),
    UnitKind.RURAL_DISTRICT: (2, 0),
    UnitKind.TOWN: (2, 0),
    UnitKind.OFFICE: (1, 2),
    UnitKind.WARD: (1, 2),
    UnitKind.COMMUNE: (1, 2),
    UnitKind.TOWNSHIP: (1, 2),
    UnitKind.PARTY_COMMITTEE: (1, 0),
    UnitKind.PARTY_AGENCY: (1, 2),
    UnitKind.MASS_ORGANISATION: (1, 1),
    UnitKind.PUBLIC_SERVICE_UNIT: (1, 2),
}

DEMO_USERS = [
    # username, role, unit code, covers sub-units, staff to link (unit code, post role)
    ("lanhdao.thanhpho", "city_leader", CITY_CODE, True, (CITY_CODE, PostRole.HEAD)),
    ("truong.hoangmai", "unit_head", "008", True, ("008", PostRole.HEAD)),
    ("thanhtra.hoangmai", "inspector", "008", True, ("008-TT", PostRole.HEAD)),
    ("canbo.hoangliet", "unit_staff", "00337", False, ("00337", PostRole.MEMBER)),
    ("canbo.phucxa", "unit_staff", "00001", False, ("00001", PostRole.MEMBER)),
    ("truong.unghoa", "unit_head", "281", True, ("281", PostRole.HEAD)),
    ("truong.donganh", "unit_head", "017", True, ("017", PostRole.HEAD)),
]


@dataclass
class DemoContext:
    rng: random.Random
    today: datetime.date
    units: dict[str, Unit] = field(default_factory=dict)
    ancestors: dict[int, list[int]] = field(default_factory=dict)
    party_unit_for: dict[str, str] = field(default_factory=dict)
    staff_by_post: dict[tuple[str, str], Staff] = field(default_factory=dict)
    log: Callable[[str], None] = print
    # Codes of the districts to load (None: all 30); the city-scale generator's small scale loads one.
    district_codes: set[str] | None = None


DemoLoader = Callable[[DemoContext], None]
LOADERS: list[tuple[str, DemoLoader]] = []


def demo_loader(name: str):
    def register(function: DemoLoader) -> DemoLoader:
        LOADERS.append((name, function))
        return function

    return register


def english_name(name: str, kind: str) -> str:
    for prefix in ("Quận ", "Huyện ", "Thị xã ", "Phường ", "Xã ", "Thị trấn "):
        if name.startswith(prefix):
            bare = fold(name[len(prefix) :]).title()
            return f"{bare} {ENGLISH_SUFFIX[kind]}"
    return fold(name).title()


def add_units(ctx: DemoContext, specs: list[dict]) -> list[Unit]:
    """Create units whose parents exist already, with their closure rows and audit records."""
    units = []
    for spec in specs:
        parent = ctx.units.get(spec.pop("parent_code")) if spec.get("parent_code") else None
        spec.pop("parent_code", None)
        unit = Unit(parent=parent, depth=(parent.depth + 1) if parent else 0, **spec)
        unit.refresh_search_text()
        units.append(unit)
    Unit.objects.bulk_create(units, batch_size=500)
    links = []
    for unit in units:
        path = [*ctx.ancestors[unit.parent_id], unit.pk] if unit.parent_id else [unit.pk]
        ctx.ancestors[unit.pk] = path
        links += [
            UnitClosure(ancestor_id=a, descendant_id=unit.pk, depth=d) for d, a in enumerate(reversed(path))
        ]
        ctx.units[unit.code] = unit
    UnitClosure.objects.bulk_create(links, batch_size=1000)
    audit_write(actor=DEMO_ACTOR, entries=[entry_for(u, "create", after=snapshot(u)) for u in units])
    return units


@demo_loader("units")
def load_administrative_units(ctx: DemoContext) -> None:
    add_units(
        ctx,
        [
            {
                "code": CITY_CODE,
                "name": "Thành phố Hà Nội",
                "name_en": "Hanoi City",
                "kind": UnitKind.CITY,
                "latitude": Decimal("21.028511"),
                "longitude": Decimal("105.804817"),
            }
        ],
    )
    with open(DATA_DIR / "hanoi_units_2024.csv", encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    if ctx.district_codes is not None:
        rows = [row for row in rows if row["district_code"] in ctx.district_codes]
    districts, wards = {}, []
    for row in rows:
        kind = DISTRICT_KINDS[row["district_type"]]
        districts[row["district_code"]] = {
            "code": row["district_code"],
            "name": row["district_name"],
            "kind": kind,
            "name_en": english_name(row["district_name"], kind),
            "parent_code": CITY_CODE,
        }
        ward_kind = WARD_KINDS[row["ward_type"]]
        wards.append(
            {
                "code": row["ward_code"],
                "name": row["ward_name"],
                "kind": ward_kind,
                "name_en": english_name(row["ward_name"], ward_kind),
                "parent_code": row["district_code"],
                "latitude": Decimal(row["lat"]).quantize(Decimal("0.000001")),
                "longitude": Decimal(row["lon"]).quantize(Decimal("0.000001")),
            }
        )
    add_units(ctx, list(districts.values()))
    add_units(ctx, wards)
    ctx.log(f"  {len(districts)} districts, {len(wards)} wards and communes")


@demo_loader("agencies")
def load_agencies(ctx: DemoContext) -> None:
    specs = [
        {
            "code": f"{CITY_CODE}-{code}",
            "name": name,
            "name_en": name_en,
            "kind": UnitKind.DEPARTMENT,
            "parent_code": CITY_CODE,
        }
        for code, name, name_en in CITY_DEPARTMENTS
    ]
    districts = [unit for unit in ctx.units.values() if unit.parent_id and unit.depth == 1]
    for district in districts:
        short = _bare_name(district)
        for code, name, name_en in DISTRICT_OFFICES:
            if code == "PKT" and district.kind == UnitKind.URBAN_DISTRICT:
                name, name_en = "Phòng Quản lý đô thị", "Urban Management Office"
            specs.append(
                {
                    "code": f"{district.code}-{code}",
                    "name": f"{name} {district.name}" if code != "TT" else f"Thanh tra {district.name}",
                    "name_en": f"{name_en}, {district.name_en}",
                    "kind": UnitKind.OFFICE,
                    "parent_code": district.code,
                }
            )
        for code, name, name_en in DISTRICT_MASS_ORGANISATIONS:
            specs.append(
                {
                    "code": f"{district.code}-{code}",
                    "name": f"{name} {district.name}",
                    "name_en": f"{name_en}, {district.name_en}",
                    "kind": UnitKind.MASS_ORGANISATION,
                    "parent_code": district.code,
                }
            )
        for code, name, name_en in DISTRICT_SERVICE_UNITS:
            specs.append(
                {
                    "code": f"{district.code}-{code}",
                    "name": f"{name} {short}",
                    "name_en": f"{name_en}, {district.name_en}",
                    "kind": UnitKind.PUBLIC_SERVICE_UNIT,
                    "parent_code": district.code,
                }
            )
    add_units(ctx, specs)
    ctx.log(f"  {len(specs)} departments, offices, mass organisations and public service units")


def _bare_name(unit: Unit) -> str:
    """'Quận Hoàng Mai' -> 'Hoàng Mai'; 'Thị xã Sơn Tây' -> 'Sơn Tây'."""
    prefix = "Thị xã " if unit.kind == UnitKind.TOWN else unit.name.split(" ", 1)[0] + " "
    return unit.name[len(prefix) :]


def _party_committee_name(unit: Unit) -> str:
    if unit.kind == UnitKind.CITY:
        return "Thành ủy Hà Nội"
    if unit.kind in (UnitKind.URBAN_DISTRICT, UnitKind.RURAL_DISTRICT, UnitKind.TOWN):
        word = {"urban_district": "Quận ủy", "rural_district": "Huyện ủy", "town": "Thị ủy"}[unit.kind]
        return f"{word} {_bare_name(unit)}"
    return f"Đảng ủy {unit.name[0].lower()}{unit.name[1:]}"


@demo_loader("party")
def load_party_organisations(ctx: DemoContext) -> None:
    """A Party committee beside each administrative unit, its inspection committee, and cells under wards."""
    admin_units = [unit for unit in ctx.units.values() if unit.kind in ADMINISTRATIVE_KINDS]
    committees = []
    for unit in admin_units:
        name = _party_committee_name(unit)
        committees.append(
            {
                "code": f"DU-{unit.code}",
                "name": name,
                "name_en": f"Party Committee of {unit.name_en}",
                "kind": UnitKind.PARTY_COMMITTEE,
                "parent_code": unit.code,
            }
        )
    add_units(ctx, committees)
    agencies, cells = [], []
    for unit in admin_units:
        committee_code = f"DU-{unit.code}"
        if unit.depth <= 1:
            agencies.append(
                {
                    "code": f"UBKT-{unit.code}",
                    "name": f"Ủy ban Kiểm tra {ctx.units[committee_code].name}",
                    "name_en": f"Inspection Committee, Party Committee of {unit.name_en}",
                    "kind": UnitKind.PARTY_AGENCY,
                    "parent_code": committee_code,
                }
            )
            ctx.party_unit_for[unit.code] = committee_code
        else:
            for index, cell_name in enumerate(PARTY_CELL_NAMES, start=1):
                cells.append(
                    {
                        "code": f"CB-{unit.code}-{index}",
                        "name": f"{cell_name} {unit.name[0].lower()}{unit.name[1:]}",
                        "name_en": f"Party cell {index}, {unit.name_en}",
                        "kind": UnitKind.PARTY_CELL,
                        "parent_code": committee_code,
                    }
                )
            ctx.party_unit_for[unit.code] = f"CB-{unit.code}-1"
    add_units(ctx, agencies + cells)
    ctx.log(
        f"  {len(committees)} Party committees, {len(agencies)} inspection committees, "
        f"{len(cells)} Party cells"
    )


def _party_unit_code(ctx: DemoContext, unit: Unit, party_by_pk: dict[int, str]) -> str:
    """The Party organisation a person working in `unit` belongs to: the nearest one of their area."""
    for ancestor_id in reversed(ctx.ancestors[unit.pk]):
        if ancestor_id in party_by_pk:
            return party_by_pk[ancestor_id]
    return f"DU-{CITY_CODE}"


@demo_loader("staff")
def load_staff(ctx: DemoContext) -> None:
    rng = ctx.rng
    names = NameMaker(rng)
    party_by_pk = {ctx.units[code].pk: target for code, target in ctx.party_unit_for.items()}
    siblings_of: dict[tuple[int | None, str], list[Unit]] = {}
    for unit in ctx.units.values():
        siblings_of.setdefault((unit.parent_id, unit.kind), []).append(unit)
    people: list[tuple[Staff, list[Post]]] = []
    for unit in list(ctx.units.values()):
        if unit.kind not in TITLES or (unit.kind == UnitKind.PARTY_COMMITTEE and unit.depth == 0):
            continue
        head_title, deputy_title, member_title = TITLES[unit.kind]
        deputies, members = HEADCOUNT[unit.kind]
        party_unit = ctx.units[_party_unit_code(ctx, unit, party_by_pk)]
        roles = [PostRole.HEAD] + [PostRole.DEPUTY] * deputies + [PostRole.MEMBER] * members
        for role in roles:
            full_name, gender = names.person()
            leader = role != PostRole.MEMBER
            is_party_member = rng.random() < (0.97 if leader else 0.55)
            category = (
                StaffCategory.CADRE
                if leader and unit.kind not in (UnitKind.OFFICE, UnitKind.DEPARTMENT)
                else (
                    StaffCategory.PUBLIC_EMPLOYEE
                    if unit.kind == UnitKind.PUBLIC_SERVICE_UNIT
                    else StaffCategory.CIVIL_SERVANT
                )
            )
            birth_year = rng.randint(1966, 1982) if leader else rng.randint(1970, 2000)
            staff = Staff(
                full_name=full_name,
                gender=gender,
                birth_year=birth_year,
                category=category,
                unit=unit,
                is_party_member=is_party_member,
                party_unit=party_unit if is_party_member else None,
                party_joined_on=datetime.date(
                    birth_year + rng.randint(22, 35), rng.randint(1, 12), rng.randint(1, 28)
                )
                if is_party_member
                else None,
            )
            staff.refresh_search_text()
            title = {PostRole.HEAD: head_title, PostRole.DEPUTY: deputy_title, PostRole.MEMBER: member_title}[
                role
            ]
            start = datetime.date(rng.randint(2016, 2024), rng.randint(1, 12), 1)
            posts = [Post(unit=unit, title=title, role=role, start_date=start)]
            if rng.random() < 0.15 and unit.parent_id:
                # An earlier post in a sibling unit, ended when this one began.
                siblings = [u for u in siblings_of[(unit.parent_id, unit.kind)] if u.pk != unit.pk]
                if siblings:
                    earlier = rng.choice(siblings)
                    posts.append(
                        Post(
                            unit=earlier,
                            title=TITLES[earlier.kind][2],
                            role=PostRole.MEMBER,
                            start_date=datetime.date(start.year - rng.randint(3, 8), 1, 1),
                            end_date=start - datetime.timedelta(days=1),
                        )
                    )
            people.append((staff, posts))
    Staff.objects.bulk_create([staff for staff, _ in people], batch_size=500)
    all_posts = []
    for staff, posts in people:
        for post in posts:
            post.staff = staff
            all_posts.append(post)
        if posts[0].role in (PostRole.HEAD, PostRole.MEMBER):
            ctx.staff_by_post.setdefault((posts[0].unit.code, posts[0].role), staff)
    # Heads of administrative units also sit, concurrently, as deputy secretaries of their Party committee.
    for (code, role), staff in list(ctx.staff_by_post.items()):
        committee = ctx.units.get(f"DU-{code}")
        if role == PostRole.HEAD and committee is not None and staff.is_party_member:
            all_posts.append(
                Post(
                    staff=staff,
                    unit=committee,
                    title="Phó Bí thư",
                    role=PostRole.DEPUTY,
                    start_date=datetime.date(2021, 1, 1),
                    is_concurrent=True,
                )
            )
    Post.objects.bulk_create(all_posts, batch_size=500)
    audit_write(actor=DEMO_ACTOR, entries=[entry_for(s, "create", after=snapshot(s)) for s, _ in people])
    audit_write(actor=DEMO_ACTOR, entries=[entry_for(p, "create", after=snapshot(p)) for p in all_posts])
    ctx.log(f"  {len(people)} staff with {len(all_posts)} posts")


@demo_loader("users")
def load_demo_users(ctx: DemoContext) -> None:
    roles_sync()
    roles = {role.code: role for role in Role.objects.all()}
    password = settings.DEMO_PASSWORD
    users, grants = [], []
    admin_user = User(
        username="admin", first_name="Quản trị", last_name="hệ thống", is_superuser=True, is_staff=True
    )
    admin_user.set_password(password)
    admin_user.save()
    users.append(admin_user)
    grants.append(
        Grant(
            user=admin_user, role=roles["system_admin"], unit=ctx.units[CITY_CODE], include_descendants=True
        )
    )
    for username, role_code, unit_code, with_descendants, (staff_unit_code, staff_role) in DEMO_USERS:
        if unit_code not in ctx.units:  # a partial city (district_codes) lacks some demo users' units
            continue
        staff = ctx.staff_by_post.get((staff_unit_code, staff_role))
        family, _, given = staff.full_name.rpartition(" ") if staff else ("", "", username)
        user = User(
            username=username,
            first_name=given,
            last_name=family,
            staff=staff,
            email=f"{username}@demo.kycuong.vn",
        )
        user.set_password(password)
        user.save()
        users.append(user)
        grants.append(
            Grant(
                user=user,
                role=roles[role_code],
                unit=ctx.units[unit_code],
                include_descendants=with_descendants,
            )
        )
    Grant.objects.bulk_create(grants)
    audit_write(actor=DEMO_ACTOR, entries=[entry_for(u, "create", after=snapshot(u)) for u in users])
    audit_write(actor=DEMO_ACTOR, entries=[entry_for(g, "create", after=snapshot(g)) for g in grants])
    ctx.log(f"  {len(users)} demo users")


def demo_loaded() -> bool:
    return Unit.objects.filter(code=CITY_CODE).exists() and User.objects.filter(username="admin").exists()


def seed_demo(
    *, log: Callable[[str], None] = print, today: datetime.date | None = None, reorganise: bool = True
) -> bool:
    """Load every registered demo data set once; False when the demo data is there already. With
    `reorganise=False` the demo stays on the 2024 structure (the reorganisation benchmark applies the event
    itself)."""
    if demo_loaded():
        return False
    if Unit.objects.exists():
        raise RuntimeError("The database holds other data; the demo is loaded only into an empty database.")
    ctx = DemoContext(rng=random.Random(DEMO_SEED), today=today or datetime.date.today(), log=log)
    with transaction.atomic():
        for name, loader in LOADERS:
            log(f"Loading {name}…")
            loader(ctx)
        if reorganise and ctx.today >= hanoi2025.EFFECTIVE_DATE:
            log("Applying the Hanoi 2025 reorganisation…")
            apply_hanoi_2025(ctx)
    return True


def apply_hanoi_2025(ctx: DemoContext) -> None:
    """The demo ends as Hanoi did: the 2025 reorganisation applied to everything loaded for 2024, open work
    handed to the new wards and communes, and the demo users' grants decided by the system as an
    administrator would on the page of proposed grants: a grant over a unit and its sub-units follows to
    every successor; a grant over one unit alone follows the person to the unit they now work in."""
    from kycuong.org.models import GrantProposal, ProposalState
    from kycuong.org.reorganisation import event_apply, grant_proposal_decide

    event = event_apply(actor=DEMO_ACTOR, event=hanoi2025.build_event(actor=DEMO_ACTOR, city_code=CITY_CODE))
    demo_usernames = ["admin", *(username for username, *_rest in DEMO_USERS)]
    proposals = list(
        GrantProposal.objects.filter(
            event=event, state=ProposalState.PROPOSED, user__username__in=demo_usernames
        )
        .select_related("user__staff")
        .order_by("pk")
    )
    confirmed = 0
    for proposal in proposals:
        staff = proposal.user.staff
        confirm = proposal.include_descendants or (staff is not None and staff.unit_id == proposal.to_unit_id)
        grant_proposal_decide(actor=DEMO_ACTOR, proposal=proposal, confirm=confirm)
        confirmed += confirm
    ctx.log(
        f"  {len(event.applied_changes['created_units'])} new units, "
        f"{event.applied_changes['handed_over']} open records handed over, "
        f"{confirmed} grants carried over"
    )
