#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - loads the settings
    except ImproperlyConfigured as error:
        # Django would hide this behind "AppRegistryNotReady: Models aren't loaded yet".
        sys.exit(f"manage.py: the settings are incomplete: {error}")

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
