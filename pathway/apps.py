from django.apps import AppConfig


class PathwayConfig(AppConfig):
    name = "pathway"
    verbose_name = "Pathway kernel"

    def ready(self) -> None:
        from pathway import checks  # noqa: F401  (registers system checks)
