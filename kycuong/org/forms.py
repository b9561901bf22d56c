"""Forms of the organisation pages: preparing a reorganisation event."""

import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kycuong.core.forms import StyledFormMixin

from .models import EventKind, ShareKind, Unit, UnitKind
from .reorganisation import LinkSpec, NewUnitSpec


def _unit_by_code(code: str, visible, line: int) -> Unit:
    unit = visible.filter(code=code.strip()).first()
    if unit is None:
        raise forms.ValidationError(
            _("Line %(line)d: there is no unit with the code %(code)s.")
            % {"line": line, "code": code.strip()}
        )
    return unit


class EventForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=EventKind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    effective_date = forms.DateField(
        label=gettext_lazy("Effective date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    legal_basis = forms.CharField(label=gettext_lazy("Legal basis"), max_length=300)
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    new_units = forms.CharField(
        label=gettext_lazy("New units"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "One a line: code; name; kind (ward, commune, office…); code of the parent unit"
        ),
    )
    links = forms.CharField(
        label=gettext_lazy("Predecessors and successors"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "One a line: code of the predecessor; code of the successor (existing or new); "
            "share (whole, part, part_default); weight of the part (optional, e.g. 0.5)"
        ),
    )
    unit_code = forms.CharField(
        label=gettext_lazy("Unit renamed, moved or dissolved (code)"), required=False, max_length=40
    )
    new_name = forms.CharField(label=gettext_lazy("New name"), required=False, max_length=255)
    new_parent_code = forms.CharField(
        label=gettext_lazy("New parent unit (code)"), required=False, max_length=40
    )

    def __init__(self, *args, visible_units, **kwargs):
        super().__init__(*args, **kwargs)
        self.visible_units = visible_units

    def clean_new_units(self) -> list[NewUnitSpec]:
        specs = []
        for number, line in enumerate(self.cleaned_data["new_units"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split(";")]
            if len(parts) != 4 or not all(parts[:3]):
                raise forms.ValidationError(
                    _("Line %(line)d: write code; name; kind; code of the parent unit.") % {"line": number}
                )
            if parts[2] not in UnitKind.values:
                raise forms.ValidationError(
                    _("Line %(line)d: unknown kind %(kind)s.") % {"line": number, "kind": parts[2]}
                )
            parent = _unit_by_code(parts[3], self.visible_units, number) if parts[3] else None
            specs.append(NewUnitSpec(code=parts[0], name=parts[1], kind=parts[2], parent=parent))
        return specs

    def clean_links(self) -> list[tuple[str, str, str, Decimal | None, int]]:
        rows = []
        for number, line in enumerate(self.cleaned_data["links"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split(";")] + ["", ""]
            predecessor, successor, share, weight = parts[:4]
            share = share or ShareKind.WHOLE
            if not predecessor or not successor:
                raise forms.ValidationError(
                    _("Line %(line)d: write the code of the predecessor and of the successor.")
                    % {"line": number}
                )
            if share not in ShareKind.values:
                raise forms.ValidationError(
                    _("Line %(line)d: the share is whole, part or part_default.") % {"line": number}
                )
            try:
                value = Decimal(weight.replace(",", ".")) if weight else None
            except InvalidOperation:
                raise forms.ValidationError(
                    _("Line %(line)d: the weight is a number such as 0.5.") % {"line": number}
                ) from None
            rows.append((predecessor, successor, share, value, number))
        return rows

    def event_arguments(self) -> dict:
        data = self.cleaned_data
        new_codes = {spec.code for spec in data["new_units"]}
        links = []
        for predecessor, successor, share, weight, number in data["links"]:
            links.append(
                LinkSpec(
                    predecessor=_unit_by_code(predecessor, self.visible_units, number),
                    successor=successor
                    if successor in new_codes
                    else _unit_by_code(successor, self.visible_units, number),
                    share=share,
                    weight=weight,
                )
            )
        unit = _unit_by_code(data["unit_code"], self.visible_units, 0) if data["unit_code"] else None
        parent = (
            _unit_by_code(data["new_parent_code"], self.visible_units, 0) if data["new_parent_code"] else None
        )
        return {
            "kind": data["kind"],
            "title": data["title"],
            "effective_date": data["effective_date"],
            "legal_basis": data["legal_basis"],
            "note": data["note"],
            "new_units": data["new_units"],
            "links": links,
            "unit": unit,
            "new_name": data["new_name"],
            "new_parent": parent,
        }


class PeriodForm(StyledFormMixin, forms.Form):
    date_from = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise forms.ValidationError(_("The end of the period comes before its start."))
        return data


def default_period() -> tuple[datetime.date, datetime.date]:
    """Last calendar year: the usual question is how today's units did before the change."""
    year = timezone.localdate().year - 1
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
