from django.apps import AppConfig


class CommandsAppConfig(AppConfig):
    name = "commands_app"
    verbose_name = "Commands"
