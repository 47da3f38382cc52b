"""WSGI entry point of the start-up tests' project (``gunicorn startup_wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "startup_settings")
application = get_wsgi_application()
