"""Signals the kernel defines so that apps lower in the import order (DESIGN.md section 2) can
tell apps above them what happened, without importing them."""

from django.dispatch import Signal

# Sent by a service right after it stores a completed questionnaire (`assessment=`), inside the
# same transaction. The reviews app raises a PHQ-9 item 9 safety alert from it, so a risky answer
# reaches the care team whichever app recorded it.
assessment_recorded = Signal()
