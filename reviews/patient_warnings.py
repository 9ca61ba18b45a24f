"""The reviews app's warnings under a patient's banner on every staff page
(pathway.patient_warnings): open safety alerts."""

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from pathway.patient_warnings import PatientWarning
from reviews import selectors

# Who may open an alert and record the action taken (reviews.views.worklist.alert_detail).
ACTS_ON_ALERTS = ("clinician", "admin")


def open_safety_alerts(patient, user) -> list[PatientWarning]:
    """Each safety alert nobody has acted on yet, newest first, with the way to act on it for
    those who may; a GP is told the care team has it."""
    alerts = selectors.open_alerts_for_patient(patient)
    can_act = user.role in ACTS_ON_ALERTS
    warnings = []
    for alert in alerts:
        raised = date_format(timezone.localtime(alert.raised_at), r"j F Y \a\t H:i")
        text = f"{alert.get_kind_display()}, raised {raised}."
        if not can_act:
            text += " It is on the care team's worklist until a clinician records the action taken."
        warnings.append(
            PatientWarning(
                heading="Open safety alert",
                text=text,
                url=reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid}) if can_act else "",
                link_text="Record the action taken",
            )
        )
    return warnings
