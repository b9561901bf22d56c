from django.apps import apps
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def create_default_roles(sender, **kwargs):
    # Permissions of every app exist only once the last app has migrated.
    if sender is list(apps.get_app_configs())[-1]:
        from .services import roles_sync

        roles_sync()


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    from .services import user_logged_in_record

    user_logged_in_record(user=user)
