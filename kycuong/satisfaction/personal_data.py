"""Citizens' ratings that name a civil servant, for that person's data export. Citizens' own contact details
are not the civil servant's data and are left out."""

from .models import Rating


def collect(staff) -> dict[str, list[dict]]:
    ratings = [
        {
            "date": rating.day,
            "service_point": rating.service_point.name,
            "procedure": rating.procedure,
            "answers": rating.answers,
            "comment": rating.comment,
        }
        for rating in Rating.objects.filter(staff=staff).select_related("service_point").order_by("day", "id")
    ]
    return {"ratings_naming_them": ratings}
