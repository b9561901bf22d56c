"""The staff record and post history of a person, for their data export (core.personal_export)."""


def collect(staff) -> dict[str, list[dict]]:
    record = {
        "full_name": staff.full_name,
        "birth_year": staff.birth_year,
        "gender": staff.gender,
        "category": staff.category,
        "managing_unit": staff.unit.display_name,
        "party_member": staff.is_party_member,
        "party_unit": staff.party_unit.display_name if staff.party_unit_id else None,
        "party_joined_on": staff.party_joined_on,
        "email": staff.email,
        "phone": staff.phone,
        "active": staff.is_active,
    }
    posts = [
        {
            "unit": post.unit.display_name,
            "title": post.title,
            "role": post.role,
            "from": post.start_date,
            "to": post.end_date,
            "concurrent": post.is_concurrent,
        }
        for post in staff.posts.select_related("unit").order_by("start_date")
    ]
    return {"staff_record": [record], "posts": posts}
