"""What every API router shares: authentication, RFC 9457 problem responses, pagination."""

import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from .concurrency import EditConflict
from .pagination import paginate  # noqa: F401 - re-exported for routers

logger = logging.getLogger("kycuong.api")
PROBLEM_CONTENT_TYPE = "application/problem+json"


class FieldError(Schema):
    field: str
    message: str


class Problem(Schema):
    """RFC 9457 problem details, with the fields that failed validation."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    errors: list[FieldError] = []


# Responses every authenticated operation can give, declared so that the schema tells the whole truth.
# A path or query value of the wrong type answers 422; a request body that is not JSON at all answers 400.
READ_ERRORS: dict[int, Any] = {401: Problem, 404: Problem, 422: Problem}
WRITE_ERRORS: dict[int, Any] = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 422: Problem}
LIST_ERRORS: dict[int, Any] = {401: Problem, 422: Problem}
# Changes that honour `If-Match: "<version>"` (core.concurrency) also answer 409 Conflict.
VERSIONED_WRITE_ERRORS: dict[int, Any] = {**WRITE_ERRORS, 409: Problem}


def problem(request: HttpRequest, status: int, title: str, detail: str = "", errors=None) -> HttpResponse:
    import json

    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "errors": errors or [],
    }
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE
    )


def _django_validation_errors(error: ValidationError) -> list[dict[str, str]]:
    if hasattr(error, "error_dict"):
        return [
            {"field": field, "message": message}
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    return [{"field": "", "message": message} for message in error.messages]


def _pydantic_errors(error: NinjaValidationError) -> list[dict[str, str]]:
    result = []
    for item in error.errors:
        location = [
            str(part) for part in item.get("loc", ()) if part not in ("body", "payload", "query", "path")
        ]
        result.append({"field": ".".join(location), "message": _localised_pydantic_message(item)})
    return result


def _localised_pydantic_message(item: dict) -> str:
    kind = item.get("type", "")
    messages = {
        "missing": _("This field is required."),
        "int_parsing": _("Enter a whole number."),
        "int_type": _("Enter a whole number."),
        "bool_parsing": _("Enter true or false."),
        "date_from_datetime_parsing": _("Enter a valid date (YYYY-MM-DD)."),
        "date_parsing": _("Enter a valid date (YYYY-MM-DD)."),
        "date_type": _("Enter a valid date (YYYY-MM-DD)."),
        "string_type": _("Enter text."),
        "string_too_long": _("This text is too long."),
        "string_too_short": _("This text is too short."),
        "greater_than_equal": _("This number is too small."),
        "less_than_equal": _("This number is too large."),
        "enum": _("Choose one of the allowed values."),
        "literal_error": _("Choose one of the allowed values."),
        "json_invalid": _("The request body is not valid JSON."),
        "model_attributes_type": _("The request body must be a JSON object."),
        "dict_type": _("The request body must be a JSON object."),
        "extra_forbidden": _("This field is not allowed."),
    }
    return messages.get(kind, _("This value is not valid."))


def install_problem_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(NinjaValidationError)
    def on_schema_error(request, error):
        return problem(request, 422, _("The request is not valid."), errors=_pydantic_errors(error))

    @api.exception_handler(EditConflict)
    def on_conflict(request, error):
        return problem(request, 409, error.messages[0])

    @api.exception_handler(ValidationError)
    def on_validation_error(request, error):
        return problem(request, 422, _("The request is not valid."), errors=_django_validation_errors(error))

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request, error):
        response = problem(
            request, 401, _("Authentication required."), _("Send a valid API token or log in.")
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(PermissionDenied)
    def on_forbidden(request, error):
        return problem(request, 403, _("Forbidden."), str(error) or _("You may not do this."))

    @api.exception_handler(Http404)
    def on_not_found(request, error):
        return problem(request, 404, _("Not found."))

    @api.exception_handler(HttpError)
    def on_http_error(request, error):
        return problem(request, error.status_code, str(error.message))

    @api.exception_handler(OverflowError)
    def on_overflow(request, error):
        # An id or number beyond what the database stores: the request is wrong, not the server.
        return problem(
            request, 422, _("The request is not valid."), _("A number in the request is too large.")
        )

    @api.exception_handler(Exception)
    def on_unexpected(request, error):
        logger.exception("Unhandled API error", exc_info=error)
        return problem(request, 500, _("Internal error."), _("The error has been logged."))


def patch_data(payload: Schema, *, required: Iterable[str]) -> dict:
    """The fields a PATCH sent; a required field sent as null is refused instead of being stored."""
    data = payload.dict(exclude_unset=True)
    empty = [name for name in required if name in data and data[name] is None]
    if empty:
        raise ValidationError({name: _("This field cannot be empty.") for name in empty})
    return data


class Page(Schema):
    limit: int
    offset: int
    has_more: bool
