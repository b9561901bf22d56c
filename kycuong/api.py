"""The API at /api/v1: assembles the routers of every app under one authentication and error format."""

from ninja import NinjaAPI

from kycuong.accounts.api import router as accounts_router
from kycuong.accounts.auth import API_AUTH
from kycuong.core.api import router as audit_router
from kycuong.core.api_support import install_problem_handlers
from kycuong.discipline.api import router as discipline_router
from kycuong.evaluations.api import router as evaluations_router
from kycuong.inspections.api import router as inspections_router
from kycuong.notifications.api import router as notifications_router
from kycuong.org.api import router as org_router
from kycuong.processes.api import router as processes_router
from kycuong.reports.api import router as reports_router
from kycuong.satisfaction.api import router as satisfaction_router
from kycuong.targets.api import router as targets_router
from kycuong.tasks.api import router as tasks_router


class KyCuongAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """Error answers are problem+json (RFC 9457, core.api_support.problem): say so in the document."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) < 400 or "application/json" not in content:
                        continue
                    body = content["application/json"]
                    if body.get("schema", {}).get("$ref", "").endswith("/Problem"):
                        content["application/problem+json"] = content.pop("application/json")
                    else:  # a result of its own (an import's rows with errors), or a problem
                        content["application/problem+json"] = body
        return schema


api = KyCuongAPI(
    title="Kỷ Cương API",
    version="1",
    description="Organisation, accounts and audit of Kỷ Cương. Every list and object is limited to the units "
    "your grants cover; an object outside them answers 404 like a missing one. Errors are RFC 9457 "
    "problem+json.",
    auth=API_AUTH,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_problem_handlers(api)
api.add_router("", accounts_router)
api.add_router("", org_router)
api.add_router("", audit_router)
api.add_router("", notifications_router)
api.add_router("", tasks_router)
api.add_router("", satisfaction_router)
api.add_router("", targets_router)
api.add_router("", inspections_router)
api.add_router("", discipline_router)
api.add_router("", processes_router)
api.add_router("", evaluations_router)
api.add_router("", reports_router)
