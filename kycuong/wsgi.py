import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kycuong.settings")
application = get_wsgi_application()

# Processes that ran with the response cache off did not record their writes in Redis: answers kept before
# this web process started are not used.
from kycuong.core.response_cache import forget_everything  # noqa: E402 - needs the settings above

forget_everything()
