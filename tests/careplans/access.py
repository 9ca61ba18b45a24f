from tests.access import STAFF, Rule
from tests.careplans import builders

CARE_TEAM_EDITORS = frozenset({"clinician", "admin"})
DOCUMENT_USERS = STAFF | {"patient"}


def _draft(world):
    return {"version_uuid": builders.plan(world.patient).versions.get(number=1).uuid}


def _agreed(world):
    return {"version_uuid": builders.agreed_plan(world.patient).versions.get(number=1).uuid}


def _plan(world):
    return {"plan_uuid": builders.plan(world.patient).uuid}


def _trial(world):
    return {"trial_uuid": builders.trial(builders.plan(world.patient)).uuid}


RULES = {
    "careplans:my-plan": Rule(allowed=frozenset({"patient", "other_patient"})),
    "careplans:my-leaflet": Rule(
        allowed=frozenset({"patient", "other_patient"}),
        kwargs=lambda w: {"slug": "understanding-migraine"},
    ),
    "careplans:patient-plan": Rule(
        allowed=STAFF, kwargs=lambda w: {"patient_uuid": w.patient.uuid}
    ),
    # An empty form: the tab again with the question's error.
    "careplans:plan-start": Rule(
        allowed=CARE_TEAM_EDITORS,
        method="post",
        ok=(400,),
        kwargs=lambda w: {"patient_uuid": w.patient.uuid},
    ),
    "careplans:version-detail": Rule(allowed=STAFF, kwargs=_agreed),
    "careplans:draft-edit": Rule(allowed=CARE_TEAM_EDITORS, kwargs=_draft),
    "careplans:draft-agree": Rule(allowed=CARE_TEAM_EDITORS, kwargs=_draft),
    "careplans:version-new": Rule(
        allowed=CARE_TEAM_EDITORS, method="post", ok=(302,), kwargs=_plan
    ),
    "careplans:trial-add": Rule(allowed=CARE_TEAM_EDITORS, kwargs=_plan),
    "careplans:trial-review": Rule(allowed=CARE_TEAM_EDITORS, kwargs=_trial),
    "careplans:reduction-add": Rule(allowed=CARE_TEAM_EDITORS, kwargs=_trial),
    # An empty form: the tab again with the question's error.
    "careplans:leaflet-attach": Rule(
        allowed=CARE_TEAM_EDITORS, method="post", ok=(400,), kwargs=_plan
    ),
    "careplans:leaflet-remove": Rule(
        allowed=CARE_TEAM_EDITORS,
        method="post",
        ok=(302,),
        kwargs=lambda w: {"link_uuid": builders.attached(builders.plan(w.patient)).uuid},
    ),
    "careplans:plan-pdf": Rule(allowed=DOCUMENT_USERS, method="post", ok=(302,), kwargs=_agreed),
    "careplans:leaflet-pdf": Rule(
        allowed=DOCUMENT_USERS,
        method="post",
        ok=(302,),
        kwargs=lambda w: {"patient_uuid": w.patient.uuid, "slug": "topiramate"},
    ),
    "careplans:document-status": Rule(
        allowed=DOCUMENT_USERS,
        kwargs=lambda w: {"document_uuid": builders.ready_document(w.patient).uuid},
    ),
    "careplans:document-download": Rule(
        allowed=DOCUMENT_USERS,
        kwargs=lambda w: {"document_uuid": builders.ready_document(w.patient).uuid},
    ),
    "careplans:leaflet-list": Rule(public=True),
    "careplans:leaflet-detail": Rule(
        public=True, kwargs=lambda w: {"slug": "understanding-migraine"}
    ),
}
