from tests.access import STAFF, Rule

SIGNED_IN = (
    "patient",
    "other_patient",
    "gp",
    "other_gp",
    "clinician",
    "other_clinician",
    "commissioner",
    "admin",
)


def _import(world):
    from pathway.models import AttendanceImport

    return AttendanceImport.objects.create(
        imported_by=world.clinician, filename="counts.csv", row_count=0
    )


RULES = {
    "pathway:start": Rule(public=True, expect=dict.fromkeys(SIGNED_IN, (302,))),
    "pathway:about": Rule(public=True),
    "pathway:home": Rule(allowed=frozenset(SIGNED_IN), ok=(302,)),
    "pathway:login": Rule(public=True, expect=dict.fromkeys(SIGNED_IN, (302,))),
    "pathway:logout": Rule(public=True, ok=(405,)),
    # The link in a message: anyone holding it, signed in or not; a made-up token is a 404.
    "pathway:stop-messages": Rule(public=True, kwargs=lambda w: {"token": "x" * 34}, ok=(404,)),
    # Answers 401 to no one signed in, rather than sending them to sign in.
    "pathway:still-here": Rule(public=True, ok=(204, 401)),
    "pathway:sign-out-everywhere": Rule(allowed=frozenset(SIGNED_IN), ok=(405,)),
    "pathway:mfa-verify": Rule(allowed=frozenset(SIGNED_IN), ok=(200, 302)),
    "pathway:mfa-setup": Rule(allowed=frozenset(SIGNED_IN), ok=(200, 302)),
    "pathway:password-change": Rule(allowed=frozenset(SIGNED_IN), ok=(200, 302)),
    "pathway:password-reset": Rule(public=True),
    "pathway:password-reset-done": Rule(public=True),
    "pathway:password-reset-confirm": Rule(
        public=True, kwargs=lambda w: {"uidb64": "MQ", "token": "set-password"}
    ),
    "pathway:password-reset-complete": Rule(public=True),
    "pathway:patient-home": Rule(allowed=frozenset({"patient", "other_patient"})),
    "pathway:record-access": Rule(allowed=frozenset({"patient", "other_patient"})),
    "pathway:contact-preferences": Rule(allowed=frozenset({"patient", "other_patient"})),
    "pathway:gp-home": Rule(allowed=frozenset({"gp", "other_gp"})),
    # Sends the care team on to the reviews worklist.
    "pathway:team-home": Rule(allowed=frozenset({"clinician", "other_clinician"}), ok=(302,)),
    "pathway:patient-search": Rule(allowed=frozenset(STAFF | {"other_gp", "other_clinician"})),
    "pathway:patient-create": Rule(
        allowed=frozenset({"gp", "other_gp", "clinician", "other_clinician"})
    ),
    # The patient belongs to practice A in PCN 1: only their GP, PCN 1's clinician and admin.
    "pathway:patient-detail": Rule(
        allowed=STAFF, kwargs=lambda w: {"patient_uuid": w.patient.uuid}
    ),
    # Changing the record is for the care team and GPs, as adding a patient: not an admin.
    "pathway:patient-contact": Rule(
        allowed=frozenset({"gp", "clinician"}), kwargs=lambda w: {"patient_uuid": w.patient.uuid}
    ),
    "pathway:patient-details": Rule(
        allowed=frozenset({"gp", "clinician"}), kwargs=lambda w: {"patient_uuid": w.patient.uuid}
    ),
    "pathway:portal-invite": Rule(
        allowed=STAFF, kwargs=lambda w: {"patient_uuid": w.patient.uuid}, method="post", ok=(302,)
    ),
    "pathway:health": Rule(public=True, ok=(200, 503)),
    "pathway:attendance-import": Rule(allowed=frozenset({"clinician", "other_clinician", "admin"})),
    # An import is withdrawn by whoever imported it, or an administrator.
    "pathway:attendance-withdraw": Rule(
        allowed=frozenset({"clinician", "admin"}), kwargs=lambda w: {"import_id": _import(w).pk}
    ),
    "dashboard:home": Rule(allowed=frozenset({"commissioner", "admin"})),
    "dashboard:print": Rule(allowed=frozenset({"commissioner", "admin"})),
    "dashboard:export": Rule(
        allowed=frozenset({"commissioner", "admin"}), kwargs=lambda w: {"key": "waits"}
    ),
}
