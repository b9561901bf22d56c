from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kycuong.core.context import SystemActor, request_context
from kycuong.org.hanoi2025 import TITLE, build_event
from kycuong.org.models import EventState, ReorganisationEvent
from kycuong.org.reorganisation import event_apply, event_preview

ACTOR = SystemActor("reorganise-hanoi-2025", kind="command")


class Command(BaseCommand):
    help = (
        "Build the Hanoi 2025 reorganisation (526 wards and communes and 30 districts into 126 wards and "
        "communes, Resolution 1656/NQ-UBTVQH15) from the data shipped with the product, and apply it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--city-code", default="01", help="Code of the city unit (default 01)")
        parser.add_argument(
            "--preview", action="store_true", help="Build the draft and show its preview only"
        )

    def handle(self, *args, **options):
        existing = ReorganisationEvent.objects.filter(title=TITLE).exclude(state=EventState.UNDONE).first()
        with request_context():
            try:
                event = existing or build_event(actor=ACTOR, city_code=options["city_code"])
                preview = event_preview(event=event, record_limit=0)
                self.stdout.write(
                    f"{event.title}: {len(preview.closing)} units close, "
                    f"{event.successors.filter(is_new=True).count()} new units, "
                    f"{sum(preview.totals.values())} open records to hand over, "
                    f"{len(preview.grants)} grants on closing units"
                )
                for message in preview.blocking:
                    self.stdout.write(self.style.WARNING(message))
                if options["preview"] or event.state != EventState.DRAFT:
                    if event.state == EventState.APPLIED:
                        self.stdout.write("Already applied; nothing changed.")
                    return
                event_apply(actor=ACTOR, event=event)
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from error
        event.refresh_from_db()
        self.stdout.write(
            self.style.SUCCESS(
                f"Applied: {event.applied_changes.get('handed_over', 0)} records handed over, "
                f"{event.applied_changes.get('grant_proposals', 0)} grants awaiting confirmation."
            )
        )
