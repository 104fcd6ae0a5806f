from django.apps import AppConfig


class HotwashConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "hotwash"
    verbose_name = "Hot wash"
