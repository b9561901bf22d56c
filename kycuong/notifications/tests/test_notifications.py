import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from kycuong.core.context import SystemActor
from kycuong.core.models import AuditRecord
from kycuong.notifications.models import Notification
from kycuong.notifications.services import notify

pytestmark = pytest.mark.django_db
JOB = SystemActor("test")


def test_one_notice_per_event_and_user(world):
    users = [world.user("hoangliet_staff"), world.user("phucxa_staff")]
    first = notify(actor=JOB, users=users, kind="x", title="Nhắc việc", event_key="task:1:due")
    second = notify(actor=JOB, users=users, kind="x", title="Nhắc việc", event_key="task:1:due")
    assert len(first) == 2 and second == []
    assert Notification.objects.count() == 2
    assert AuditRecord.objects.filter(action="notify", object_id="task:1:due").count() == 1


@pytest.mark.django_db(transaction=True)
def test_email_goes_out_once_through_the_worker(world, mailoutbox):
    user = world.user("hoangliet_staff")
    user.email = "canbo@example.vn"
    user.save()
    notify(actor=JOB, users=[user], kind="x", title="Nhiệm vụ mới", url="/tasks/1/", event_key="task:1:new")
    call_command("worker", batch=True, no_scheduler=True, verbosity=0)
    assert [message.subject for message in mail.outbox] == ["Nhiệm vụ mới"]
    assert "/tasks/1/" in mail.outbox[0].body
    call_command("worker", batch=True, no_scheduler=True, verbosity=0)
    assert len(mail.outbox) == 1


def test_bell_inbox_and_mark_read(world, login):
    user = world.user("hoangliet_staff")
    notify(actor=JOB, users=[user], kind="x", title="Việc A", event_key="a")
    notify(actor=JOB, users=[user], kind="x", title="Việc B", event_key="b")
    notify(actor=JOB, users=[world.user("phucxa_staff")], kind="x", title="Của người khác", event_key="c")
    client = login(user)
    bell = client.get(reverse("notifications:bell")).content.decode()
    assert 'data-testid="unread-count">2' in bell
    inbox = client.get(reverse("notifications:inbox")).content.decode()
    assert "Việc A" in inbox and "Của người khác" not in inbox
    other = Notification.objects.get(event_key="c")
    client.post(reverse("notifications:mark-read"), {"id": other.pk})  # not theirs: nothing happens
    assert Notification.objects.get(pk=other.pk).read_at is None
    mine = Notification.objects.get(event_key="a")
    client.post(reverse("notifications:mark-read"), {"id": mine.pk})
    assert 'data-testid="unread-count">1' in client.get(reverse("notifications:bell")).content.decode()
    client.post(reverse("notifications:mark-read"))
    assert "unread-count" not in client.get(reverse("notifications:bell")).content.decode()


def test_notifications_api(world, api_client):
    user = world.user("hoangliet_staff")
    notify(actor=JOB, users=[user], kind="x", title="Việc A", event_key="a")
    client = api_client(user)
    listing = client.get("/api/v1/notifications").json()
    assert listing["unread"] == 1 and [n["title"] for n in listing["items"]] == ["Việc A"]
    marked = client.post("/api/v1/notifications/read", data=json.dumps({}), content_type="application/json")
    assert marked.json() == {"marked": 1}
    assert api_client(None).get("/api/v1/notifications").status_code == 401
