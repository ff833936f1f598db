from django.apps import AppConfig


class CommandsAppConfig(AppConfig):
    name = "commands_app"
    verbose_name = "Commands"

    def ready(self) -> None:
        # The aggregates register their stream types (snapshotted ones too) as their classes are
        # defined: every process that has started Django knows them, not only one that loaded one.
        from commands_app.domain import customer, order, product  # noqa: F401
