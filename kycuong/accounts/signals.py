from django.apps import apps
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def create_default_roles(sender, **kwargs):
    # Permissions of every app exist only once the last app with models has migrated (Django sends the
    # signal only to apps that have a models module).
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender is with_models[-1]:
        from django.contrib.auth.management import create_permissions

        from .services import roles_sync

        # Receivers run in app order and this app comes first: make sure every permission exists already.
        for config in with_models:
            create_permissions(config, verbosity=0, using=kwargs.get("using", "default"))
        roles_sync()


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    from .services import user_logged_in_record

    user_logged_in_record(user=user)


@receiver(user_logged_in)
def clear_login_failures(sender, request, user, **kwargs):
    from .lockout import login_success_record

    login_success_record(username=user.get_username())


@receiver(user_login_failed)
def count_login_failure(sender, credentials, request=None, **kwargs):
    if request is None:
        return
    from kycuong.core.access import client_address

    from .lockout import login_failure_record

    login_failure_record(username=credentials.get("username", ""), client=client_address(request))
