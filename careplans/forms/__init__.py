"""Care-plan forms. Messages follow the NHS.UK style: say what to do, not what went wrong.

* `fields`: the shared fields and widgets, the revision a form is based on, the error summary.
* `plans`: starting a plan, a version's own fields, agreeing a draft.
* `items`: a draft's rows (goals, self-management, support, responsibilities, acute treatments).
* `trials`: recording a medicine, its review, and a step of reducing it.
* `leaflets`: attaching a leaflet to a plan, and the admin's leaflet editor.
"""

from careplans.forms.fields import (
    TEXT_LIMIT,
    BasedOnMixin,
    DateInput,
    days_field,
    error_links,
    mme_field,
    no_future_date,
    rating_field,
)
from careplans.forms.items import (
    DRAFT_FORMSETS,
    AcuteForm,
    AcuteFormSet,
    GoalForm,
    GoalFormSet,
    ItemFormSet,
    ResponsibilityForm,
    ResponsibilityFormSet,
    SelfManagementForm,
    SelfManagementFormSet,
    SupportForm,
    SupportFormSet,
)
from careplans.forms.leaflets import AttachLeafletForm, LeafletAdminForm
from careplans.forms.plans import AgreeForm, StartPlanForm, VersionForm
from careplans.forms.trials import ReductionForm, TrialForm, TrialReviewForm

__all__ = [
    "DRAFT_FORMSETS",
    "TEXT_LIMIT",
    "AcuteForm",
    "AcuteFormSet",
    "AgreeForm",
    "AttachLeafletForm",
    "BasedOnMixin",
    "DateInput",
    "GoalForm",
    "GoalFormSet",
    "ItemFormSet",
    "LeafletAdminForm",
    "ReductionForm",
    "ResponsibilityForm",
    "ResponsibilityFormSet",
    "SelfManagementForm",
    "SelfManagementFormSet",
    "StartPlanForm",
    "SupportForm",
    "SupportFormSet",
    "TrialForm",
    "TrialReviewForm",
    "VersionForm",
    "days_field",
    "error_links",
    "mme_field",
    "no_future_date",
    "rating_field",
]
