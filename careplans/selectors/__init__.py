"""Care-plan reads. Each returns plain objects with everything a page needs already loaded, so
templates never query through relations and page query counts stay constant.

* `plans`: plans, versions and treatment trials, and the prompts beside them.
* `leaflets`: leaflets and the documents made for a patient.
* `changes`: what changed between versions, and since a page was opened.
"""

from careplans.selectors.changes import (
    SavedDifference,
    changes_since_previous,
    draft_differences,
    trial_differences,
    version_snapshot,
)
from careplans.selectors.leaflets import (
    current_leaflet_document,
    document_for,
    leaflet_body,
    leaflet_by_slug,
    leaflets_for_condition,
    patient_plans_with_leaflet,
    published_leaflets,
    trials_for_leaflet,
)
from careplans.selectors.plans import (
    VERSION_ITEMS,
    AcuteLine,
    DiaryFigures,
    PlanView,
    TrialView,
    VersionView,
    deprescribing_counts,
    diary_figures_from_trials,
    help_for,
    load_version,
    plan_for,
    plan_prompts,
    plan_reviews_past_due,
    plans_changed_since,
    plans_for_patient,
    previous_version,
    printed_trials,
    trial_for,
    trial_view,
    trials_changed_since,
    trials_past_review,
    version_view,
    versions_changed_since,
)

__all__ = [
    "AcuteLine",
    "DiaryFigures",
    "PlanView",
    "SavedDifference",
    "TrialView",
    "VERSION_ITEMS",
    "VersionView",
    "changes_since_previous",
    "current_leaflet_document",
    "deprescribing_counts",
    "diary_figures_from_trials",
    "help_for",
    "document_for",
    "draft_differences",
    "leaflet_body",
    "leaflet_by_slug",
    "leaflets_for_condition",
    "load_version",
    "patient_plans_with_leaflet",
    "plan_for",
    "plan_prompts",
    "plan_reviews_past_due",
    "plans_changed_since",
    "plans_for_patient",
    "previous_version",
    "printed_trials",
    "published_leaflets",
    "trial_differences",
    "trial_for",
    "trial_view",
    "trials_changed_since",
    "trials_for_leaflet",
    "trials_past_review",
    "versions_changed_since",
    "version_snapshot",
    "version_view",
]
