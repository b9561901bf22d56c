"""Pages of the organisation: the authorization matrix, htmx partials, diacritic-insensitive search."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = [
    ("unit page", lambda w: reverse("org:unit-detail", args=[w.hoangliet.pk]), "Phường Hoàng Liệt"),
    ("unit branch", lambda w: reverse("org:unit-children", args=[w.hoangmai.pk]), "Phường Định Công"),
    ("staff page", lambda w: reverse("org:staff-detail", args=[w.hoangliet_staff.pk]), "Nguyễn Văn Hùng"),
]
# Who may open pages about Phường Hoàng Liệt (or, for the branch, Quận Hoàng Mai).
EXPECTED = {
    "no_grant": 404,
    "phucxa_staff": 404,
    "badinh_head": 404,
    "hoangmai_inspector": 200,
    "city_leader": 200,
    "superuser": 200,
}


@pytest.mark.parametrize("label,url,text", PAGES, ids=[p[0] for p in PAGES])
@pytest.mark.parametrize("actor,expected", EXPECTED.items(), ids=list(EXPECTED))
def test_page_matrix(world, login, label, url, text, actor, expected):
    response = login(world.user(actor)).get(url(world))
    assert response.status_code == expected
    assert (text in response.content.decode()) == (expected == 200)


def test_staff_of_a_ward_sees_their_ward_only(world, login):
    client = login(world.user("hoangliet_staff"))
    assert client.get(reverse("org:unit-detail", args=[world.hoangliet.pk])).status_code == 200
    assert client.get(reverse("org:unit-detail", args=[world.hoangmai.pk])).status_code == 404
    tree = client.get(reverse("org:unit-tree")).content.decode()
    assert "Phường Hoàng Liệt" in tree and "Quận Hoàng Mai" not in tree and "Phường Phúc Xá" not in tree


def test_unit_page_shows_head_sub_units_staff_and_breadcrumb_within_scope(world, login):
    page = login(world.user("hoangmai_inspector")).get(reverse("org:unit-detail", args=[world.hoangliet.pk]))
    html = page.content.decode()
    assert "Chủ tịch UBND phường" in html and "Nguyễn Văn Hùng" in html
    assert reverse("org:unit-detail", args=[world.hoangmai.pk]) in html  # breadcrumb up to the scope's top
    assert reverse("org:unit-detail", args=[world.city.pk]) not in html  # the city lies outside the scope


def test_htmx_requests_get_the_partial_only(world, login):
    client = login(world.user("city_leader"))
    url = reverse("org:unit-detail", args=[world.hoangliet.pk])
    full = client.get(url, {"q": "nguyen"})
    partial = client.get(url, {"q": "nguyen"}, headers={"HX-Request": "true"})
    assert b"<html" in full.content and b"<html" not in partial.content
    assert "Nguyễn Văn Hùng" in partial.content.decode()
    assert (
        "Nguyễn Văn Hùng"
        not in client.get(url, {"q": "tran thi"}, headers={"HX-Request": "true"}).content.decode()
    )


def test_unit_tree_page_query_count_is_constant(world, login, django_assert_max_num_queries):
    client = login(world.user("city_leader"))
    client.get(reverse("org:unit-tree"))
    with django_assert_max_num_queries(8):
        client.get(reverse("org:unit-children", args=[world.city.pk]))
