"""The roles a new installation starts with. They are data: administrators may change them afterwards."""

from django.utils.translation import gettext_noop as N_

VIEW_ORG = ["org.view_unit", "org.view_staff", "org.view_post"]
MANAGE_STAFF = ["org.add_staff", "org.change_staff", "org.add_post", "org.change_post"]
MANAGE_UNITS = ["org.add_unit", "org.change_unit"]
VIEW_AUDIT = ["core.view_auditrecord"]
VIEW_CALENDAR = ["core.view_calendarday"]
MANAGE_CALENDAR = [
    *VIEW_CALENDAR,
    "core.add_calendarday",
    "core.change_calendarday",
    "core.delete_calendarday",
]
VIEW_TASKS = ["tasks.view_task", "tasks.view_sourcedocument"]
WORK_TASKS = [*VIEW_TASKS, "tasks.work_task"]
ASSIGN_TASKS = [*VIEW_TASKS, "tasks.assign_task"]
VIEW_TARGETS = ["targets.view_indicator", "targets.view_project"]
RECORD_TARGETS = [
    *VIEW_TARGETS,
    "targets.manage_indicator",
    "targets.record_actual",
    "targets.plan_project",
    "targets.record_disbursement",
]
MANAGE_GRANTS = [
    "accounts.unlock_login",
    "accounts.view_grant",
    "accounts.add_grant",
    "accounts.change_grant",
    "accounts.delete_grant",
]
VIEW_SATISFACTION = [
    "satisfaction.view_servicepoint",
    "satisfaction.view_rating",
    "satisfaction.view_feedback",
]
HANDLE_SATISFACTION = [*VIEW_SATISFACTION, "satisfaction.handle_feedback", "satisfaction.view_contact"]
MANAGE_SATISFACTION = [
    *HANDLE_SATISFACTION,
    "satisfaction.add_servicepoint",
    "satisfaction.change_servicepoint",
    "satisfaction.import_rating",
    "satisfaction.erase_contact",
]

DEFAULT_ROLES: dict[str, dict] = {
    "system_admin": {
        "name": "Quản trị hệ thống",
        "name_en": N_("System administrator"),
        "permissions": VIEW_ORG
        + MANAGE_CALENDAR
        + MANAGE_STAFF
        + MANAGE_UNITS
        + VIEW_AUDIT
        + MANAGE_GRANTS
        + ASSIGN_TASKS
        + WORK_TASKS
        + RECORD_TARGETS
        + MANAGE_SATISFACTION,
    },
    "city_leader": {
        "name": "Lãnh đạo thành phố",
        "name_en": N_("City leader"),
        "permissions": VIEW_ORG
        + VIEW_CALENDAR
        + VIEW_AUDIT
        + ["accounts.view_grant"]
        + ASSIGN_TASKS
        + RECORD_TARGETS
        + VIEW_SATISFACTION,
    },
    "unit_head": {
        "name": "Người đứng đầu đơn vị",
        "name_en": N_("Head of unit"),
        "permissions": VIEW_ORG
        + VIEW_CALENDAR
        + MANAGE_STAFF
        + VIEW_AUDIT
        + ["accounts.view_grant"]
        + ASSIGN_TASKS
        + WORK_TASKS
        + RECORD_TARGETS
        + MANAGE_SATISFACTION,
    },
    "unit_staff": {
        "name": "Cán bộ đơn vị",
        "name_en": N_("Unit staff"),
        "permissions": VIEW_ORG + VIEW_CALENDAR + WORK_TASKS + VIEW_TARGETS + HANDLE_SATISFACTION,
    },
    "inspector": {
        "name": "Cán bộ kiểm tra",
        "name_en": N_("Inspector"),
        "permissions": VIEW_ORG + VIEW_CALENDAR + VIEW_AUDIT + VIEW_TASKS + VIEW_TARGETS + VIEW_SATISFACTION,
    },
    "observer": {
        "name": "Quan sát viên (chỉ xem)",
        "name_en": N_("Observer (read only)"),
        "permissions": VIEW_ORG + VIEW_CALENDAR + VIEW_TASKS + VIEW_TARGETS + VIEW_SATISFACTION,
    },
}


def default_roles() -> dict[str, dict]:
    """DEFAULT_ROLES with the permissions that later apps give to these roles. An app declares them on its
    AppConfig as `role_permissions = {"unit_head": ["evaluations.review_cycle", …], …}`, so that accounts, on
    the left of the dependency order, never imports the apps to its right."""
    from django.apps import apps

    roles = {code: {**spec, "permissions": list(spec["permissions"])} for code, spec in DEFAULT_ROLES.items()}
    for config in apps.get_app_configs():
        for code, permissions in getattr(config, "role_permissions", {}).items():
            roles[code]["permissions"].extend(permissions)
    return roles
