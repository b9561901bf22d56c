import re

from .context import new_request_id, request_context

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Gives every request an id (or keeps a sane one from a proxy) that the audit records carry."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else new_request_id()
        with request_context(request_id):
            request.request_id = request_id
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
