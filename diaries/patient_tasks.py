"""The diary's line on the patient's home page (pathway.patient_tasks): today's diary, until it
is filled in."""

from django.urls import reverse
from django.utils import timezone

from diaries.models import DiaryEntry
from diaries.selectors import pain_first
from pathway.extensions import Task


def todays_diary(patient) -> list[Task]:
    """While the patient is under the team's care (as the evening diary reminder): after
    discharge the diary is theirs to keep or not, and is not asked for."""
    today = timezone.localdate()
    if not patient.episodes.open().exists():
        return []
    if DiaryEntry.objects.live().filter(patient=patient, day=today).exists():
        return []
    if pain_first(patient):
        text = "You have not filled in today's diary yet. One tap scores your pain."
    else:
        text = (
            "You have not filled in today's diary yet. One tap is enough on a day without a "
            "headache."
        )
    return [
        Task(
            text=text,
            url=reverse("diaries:today"),
            link_text="Fill in today's diary",
        )
    ]
