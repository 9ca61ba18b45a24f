"""Care-plan pages. Thin: check access through pathway.permissions, parse a form, call one
service, redirect or render. Another patient's objects answer 404; domain errors become messages.

* `lookups`: a plan, version, treatment or leaflet the user may see, else 404; staff page context.
* `plans`: the care plan tab of the staff patient page, and starting a plan.
* `versions`: a version in full, editing and agreeing a draft, starting a new version.
* `trials`: recording, reviewing and reducing a medicine.
* `leaflets`: leaflets on a plan, and the public leaflet library.
* `portal`: the patient's own plan and leaflets.
* `documents`: asking for PDFs, their status, and the download.
"""

from careplans.views.documents import (
    SLOW_AFTER_SECONDS,
    document_download,
    document_status,
    document_users,
    leaflet_pdf,
    plan_pdf,
)
from careplans.views.leaflets import (
    LEAFLETS_PER_PAGE,
    leaflet_attach,
    leaflet_detail,
    leaflet_list,
    leaflet_remove,
)
from careplans.views.plans import patient_plan, plan_start
from careplans.views.portal import my_leaflet, my_plan
from careplans.views.trials import reduction_add, trial_add, trial_review
from careplans.views.versions import (
    DIFFERENCES_ID,
    NOT_SAVED,
    draft_agree,
    draft_edit,
    version_detail,
    version_new,
)

__all__ = [
    "DIFFERENCES_ID",
    "LEAFLETS_PER_PAGE",
    "NOT_SAVED",
    "SLOW_AFTER_SECONDS",
    "document_download",
    "document_status",
    "document_users",
    "draft_agree",
    "draft_edit",
    "leaflet_attach",
    "leaflet_detail",
    "leaflet_list",
    "leaflet_pdf",
    "leaflet_remove",
    "my_leaflet",
    "my_plan",
    "patient_plan",
    "plan_pdf",
    "plan_start",
    "reduction_add",
    "trial_add",
    "trial_review",
    "version_detail",
    "version_new",
]
