"""Forms for the reviews pages. They parse and check input; services enforce the rules again
and their errors are shown beside the field they name. Split by concept; import from here."""

from reviews.forms.appointments import (
    AppointmentFilterForm,
    AppointmentForm,
    BookingRequestForm,
    CancelForm,
    NotRebookingForm,
    PatientCancelForm,
    RearrangeForm,
    RescheduleForm,
    ReviewForm,
)
from reviews.forms.episodes import DischargeForm, ResponsibleClinicianForm
from reviews.forms.groups import GroupSessionForm, InviteForm
from reviews.forms.mdt import MdtCaseForm, MdtDiscussionForm
from reviews.forms.questionnaires import AlertActionForm, AnswersForm, QuestionnaireRequestForm

__all__ = [
    "AlertActionForm",
    "AnswersForm",
    "AppointmentFilterForm",
    "AppointmentForm",
    "BookingRequestForm",
    "CancelForm",
    "DischargeForm",
    "GroupSessionForm",
    "InviteForm",
    "MdtCaseForm",
    "MdtDiscussionForm",
    "NotRebookingForm",
    "PatientCancelForm",
    "QuestionnaireRequestForm",
    "RearrangeForm",
    "RescheduleForm",
    "ResponsibleClinicianForm",
    "ReviewForm",
]
