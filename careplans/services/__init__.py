"""Care-plan writes. Each runs in one transaction with its audit row; side effects (PDF rendering,
messages) are queued on commit. Domain errors are CarePlanError subclasses with a message fit to
show the user; views turn them into messages, never a 500.

* `errors`: the domain errors, and the check that a change is based on the copy saved now.
* `notifications`: telling the patient there is something new to read.
* `plans`: starting a plan, saving and agreeing a draft, starting a new version.
* `trials`: recording, reviewing and reducing a medicine.
* `leaflets`: attaching a leaflet to a plan and taking it off.
* `documents`: care-plan and leaflet PDFs, their rendering and the sweep of pending ones.
"""

from careplans.services.documents import (
    MAX_RENDER_ATTEMPTS,
    REQUEUE_AFTER,
    render_document,
    request_careplan_pdf,
    request_leaflet_pdf,
    requeue_pending_documents,
)
from careplans.services.errors import (
    CannotAgree,
    CarePlanError,
    ChangedSinceOpened,
    EpisodeEnded,
    NeedsAcknowledgement,
    VersionLocked,
)
from careplans.services.leaflets import attach_leaflet, remove_leaflet
from careplans.services.plans import (
    ITEM_FIELDS,
    ITEM_MODELS,
    VERSION_FIELDS,
    ItemChange,
    agree_problems,
    agree_version,
    start_new_version,
    start_plan,
    update_draft,
)
from careplans.services.trials import (
    LONDON,
    REVIEW_FIELDS,
    add_trial,
    mark_trial_entered_in_error,
    record_reduction,
    remove_latest_reduction,
    review_trial,
)

__all__ = [
    "ITEM_FIELDS",
    "ITEM_MODELS",
    "LONDON",
    "REQUEUE_AFTER",
    "REVIEW_FIELDS",
    "VERSION_FIELDS",
    "CannotAgree",
    "CarePlanError",
    "ChangedSinceOpened",
    "EpisodeEnded",
    "ItemChange",
    "NeedsAcknowledgement",
    "VersionLocked",
    "add_trial",
    "agree_problems",
    "agree_version",
    "attach_leaflet",
    "mark_trial_entered_in_error",
    "record_reduction",
    "remove_latest_reduction",
    "remove_leaflet",
    "render_document",
    "request_careplan_pdf",
    "request_leaflet_pdf",
    "requeue_pending_documents",
    "MAX_RENDER_ATTEMPTS",
    "review_trial",
    "start_new_version",
    "start_plan",
    "update_draft",
]
