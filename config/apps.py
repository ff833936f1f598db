"""The project's own app: what must happen once Django has started (see `config.local_files`)."""

from django.apps import AppConfig


class ConfigAppConfig(AppConfig):
    name = "config"
    verbose_name = "Project wiring"

    def ready(self) -> None:
        from django.conf import settings

        from config.local_files import prepare_local_files

        prepare_local_files(settings)
