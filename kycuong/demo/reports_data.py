"""Demo reports: what the leaders of the city and of Hoàng Mai asked for, and one monthly e-mail subscription.

The reports are asked for through the reports service like any user's request, so the background worker that
`kycuong serve` starts beside the web server makes their files (PDF, .docx, .xlsx) shortly after the demo is
up; seeding the demo does not wait for them.
"""

import datetime

from kycuong.accounts.models import User
from kycuong.reports.models import ReportKind
from kycuong.reports.selectors import review_period, year_period
from kycuong.reports.services import report_request, subscription_create

from .loader import CITY_CODE, DemoContext, demo_loader

DIRECTIVE = "Chỉ thị số 24-CT/TU"
DIRECTIVE_ISSUED = datetime.date(2023, 8, 7)


@demo_loader("reports")
def load_reports(ctx: DemoContext) -> None:
    users = {
        user.username: user
        for user in User.objects.filter(username__in=["lanhdao.thanhpho", "truong.hoangmai"])
    }
    city_leader = users.get("lanhdao.thanhpho")
    if city_leader is None or CITY_CODE not in ctx.units:  # a partial city has no city leader to ask
        return
    city = ctx.units[CITY_CODE]
    asked = []
    # The review of the directive's first two years, as the city presents it to the Standing Committee.
    if review_period(DIRECTIVE_ISSUED, 2).end < ctx.today:
        asked.append(
            report_request(
                actor=city_leader,
                unit=city,
                kind=ReportKind.REVIEW,
                period=review_period(DIRECTIVE_ISSUED, 2),
                directive=DIRECTIVE,
                years=2,
            )
        )
    asked.append(
        report_request(
            actor=city_leader, unit=city, kind=ReportKind.YEAR, period=year_period(ctx.today.year - 1)
        )
    )
    # A district's last full year before the district level was abolished.
    district_head, district = users.get("truong.hoangmai"), ctx.units.get("008")
    if district_head is not None and district is not None:
        asked.append(
            report_request(actor=district_head, unit=district, kind=ReportKind.YEAR, period=year_period(2024))
        )
    subscription_create(actor=city_leader, unit=city, user=city_leader)
    ctx.log(f"  {len(asked)} reports asked for (the worker makes them), 1 monthly e-mail subscription")
