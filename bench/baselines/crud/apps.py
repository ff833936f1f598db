from django.apps import AppConfig


class CrudConfig(AppConfig):
    name = "bench.baselines.crud"
    label = "bench_crud"
    default_auto_field = "django.db.models.BigAutoField"
