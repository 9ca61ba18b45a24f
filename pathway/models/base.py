import uuid

from django.conf import settings
from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ClinicalRecord(TimeStampedModel):
    """A clinical row: public UUID for URLs and audit, and who created and last changed it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True


def choices_constraint(field: str, choices: type[models.TextChoices], name: str):
    """A named CheckConstraint keeping `field` inside its TextChoices vocabulary."""
    return models.CheckConstraint(condition=models.Q(**{f"{field}__in": choices.values}), name=name)
