"""Care plans, their versions and contents, treatment trials, leaflets and PDF documents.

A plan belongs to a patient's episode. Its contents live in versions: a draft is edited, then
agreed, after which it never changes; a new version starts as a copy and supersedes it when agreed.
Treatment trials and medication reductions belong to the plan itself, because they outlive
versions. TextChoices used by constraints sit at module level (a Meta class cannot see a nested
class body) and are aliased on the models.

* `plans`: the plan and its versions.
* `items`: a version's rows (goals, self-management, support, responsibilities, acute treatments).
* `trials`: treatment trials and medication reductions.
* `leaflets`: leaflets and the leaflets attached to a plan.
* `documents`: PDF documents.

Django finds the models through the imports below; they take the app's label from this package.
"""

# isort: off
# Plans first, then what refers to them (each module refers only to those above it): Django
# registers the models, and creates their content types, in this order.
from careplans.models.plans import CarePlan, CarePlanVersion, VersionStatus
from careplans.models.items import (
    AcuteClass,
    AcuteTreatment,
    Goal,
    Owner,
    Responsibility,
    ResponsibilityOwner,
    SelfManagementCategory,
    SelfManagementItem,
    SupportItem,
    SupportKind,
    VersionItem,
)
from careplans.models.trials import (
    MedicationReduction,
    MedicineClass,
    MedicineCode,
    ReductionStep,
    ReviewDecision,
    TreatmentTrial,
    TrialOutcome,
    TrialRole,
)
from careplans.models.leaflets import CarePlanLeaflet, Leaflet, LeafletCondition
from careplans.models.documents import Document, DocumentKind, DocumentStatus
# isort: on

__all__ = [
    "AcuteClass",
    "AcuteTreatment",
    "CarePlan",
    "CarePlanLeaflet",
    "CarePlanVersion",
    "Document",
    "DocumentKind",
    "DocumentStatus",
    "Goal",
    "Leaflet",
    "LeafletCondition",
    "MedicationReduction",
    "MedicineClass",
    "MedicineCode",
    "Owner",
    "ReductionStep",
    "Responsibility",
    "ResponsibilityOwner",
    "ReviewDecision",
    "SelfManagementCategory",
    "SelfManagementItem",
    "SupportItem",
    "SupportKind",
    "TreatmentTrial",
    "TrialOutcome",
    "TrialRole",
    "VersionItem",
    "VersionStatus",
]
