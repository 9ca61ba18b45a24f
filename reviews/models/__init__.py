"""The reviews app's data: appointments and review outcomes, group sessions, the MDT list,
questionnaire requests, PHQ-9 safety alerts, patients' booking requests, and discharges with
their letters for the GP."""

from reviews.models.appointments import Appointment, BookingRequest, Review
from reviews.models.discharges import Discharge, DischargeLetter
from reviews.models.groups import GroupBooking, GroupSession
from reviews.models.mdt import MdtCase
from reviews.models.questionnaires import QuestionnaireRequest, SafetyAlert

__all__ = [
    "Appointment",
    "BookingRequest",
    "Discharge",
    "DischargeLetter",
    "GroupBooking",
    "GroupSession",
    "MdtCase",
    "QuestionnaireRequest",
    "Review",
    "SafetyAlert",
]
