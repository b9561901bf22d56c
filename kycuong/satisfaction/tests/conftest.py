import pytest

from kycuong.core.context import SystemActor
from kycuong.satisfaction import services
from kycuong.satisfaction.models import FormKind, ServicePointKind

SETUP = SystemActor("test-setup", kind="command")


@pytest.fixture
def points(world):
    """A one-stop desk in Phường Hoàng Liệt (with its civil servant) and one in Phường Phúc Xá."""
    services.survey_templates_ensure(actor=SETUP)
    hoangliet = services.service_point_create(
        actor=SETUP,
        unit=world.hoangliet,
        code="T00337-MC",
        name="Bộ phận một cửa phường Hoàng Liệt",
        kind=ServicePointKind.ONE_STOP,
        procedures="Đăng ký khai sinh\nChứng thực bản sao",
        staff=[world.hoangliet_staff],
    )
    phucxa = services.service_point_create(
        actor=SETUP,
        unit=world.phucxa,
        code="T00001-MC",
        name="Bộ phận một cửa phường Phúc Xá",
        kind=ServicePointKind.ONE_STOP,
    )
    kiosk = services.service_point_create(
        actor=SETUP,
        unit=world.dinhcong,
        code="T00331-KIOSK",
        name="Kiosk phường Định Công",
        kind=ServicePointKind.ONE_STOP,
        form_kind=FormKind.KIOSK,
    )
    world.point = hoangliet
    world.other_point = phucxa
    world.kiosk = kiosk
    return world


@pytest.fixture
def questions(points):
    """Question ids of the five-factor template, by factor."""
    template = services.template_for(FormKind.SURVEY, services.today())
    return {question.factor: question.pk for question in template.questions.all()}


@pytest.fixture
def rate(points, questions):
    """Submit a rating at Hoàng Liệt's desk: rate(access=5, procedure=3, ...)."""

    def do(point=None, submitted_at=None, **kwargs):
        scores = {questions[factor]: kwargs.pop(factor) for factor in list(kwargs) if factor in questions}
        if "procedure_name" in kwargs:  # "procedure" is a factor too
            kwargs["procedure"] = kwargs.pop("procedure_name")
        return services.rating_submit(
            service_point=point or points.point, scores=scores, submitted_at=submitted_at, **kwargs
        )

    return do
