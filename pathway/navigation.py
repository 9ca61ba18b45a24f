"""Role-aware header navigation. URL names only, so the kernel imports no feature app."""

from functools import lru_cache

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

# (label, URL name) per role, in display order; entries whose URL is not installed are skipped.
NAVIGATION = {
    "patient": [
        ("Home", "pathway:patient-home"),
        ("My diary", "diaries:today"),
        ("My care plan", "careplans:my-plan"),
        ("Appointments", "reviews:my-appointments"),
        ("Questionnaires", "reviews:my-questionnaires"),
    ],
    "gp": [
        ("Home", "pathway:gp-home"),
        ("Refer a patient", "referrals:create"),
        ("My referrals", "referrals:mine"),
        ("Find a patient", "pathway:patient-search"),
    ],
    "clinician": [
        ("Worklist", "reviews:worklist"),
        ("Worklist", "pathway:team-home"),
        ("Triage", "referrals:triage-queue"),
        ("Waiting list", "referrals:waiting-list"),
        ("Appointments", "reviews:appointments"),
        ("Group sessions", "reviews:group-sessions"),
        ("Find a patient", "pathway:patient-search"),
        ("GP attendance import", "pathway:attendance-import"),
    ],
    "commissioner": [("Dashboard", "dashboard:home")],
    "admin": [
        ("Administration", "admin:index"),
        ("Dashboard", "dashboard:home"),
        ("GP attendance import", "pathway:attendance-import"),
    ],
}


def items_for(user, current_path: str) -> list[dict]:
    if not getattr(user, "is_authenticated", False):
        return []
    links = _links(user.role, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    return [{"label": label, "url": url, "current": current_path == url} for label, url in links]


@lru_cache(maxsize=64)
def _links(role: str, urlconf: str, prefix: str) -> tuple[tuple[str, str], ...]:
    """A role's (label, URL) pairs: the same for every page a process serves with these URLs,
    so worked out once rather than on every page."""
    links, labels = [], set()
    for label, name in NAVIGATION.get(role, []):
        if label in labels:
            continue  # an earlier entry (a feature app's page) took this slot
        try:
            url = reverse(name, urlconf=urlconf)
        except NoReverseMatch:
            continue
        labels.add(label)
        links.append((label, url))
    return tuple(links)


# Tabs on the staff patient page: (label, URL name taking `patient_uuid`).
PATIENT_TABS = [
    ("Summary", "pathway:patient-detail"),
    ("Diary", "diaries:patient-diary"),
    ("Referrals", "referrals:patient-referrals"),
    ("Care plan", "careplans:patient-plan"),
    ("Reviews", "reviews:patient-reviews"),
]


def patient_tabs(patient, current_path: str) -> list[dict]:
    tabs = []
    for label, name in PATIENT_TABS:
        try:
            url = reverse(name, kwargs={"patient_uuid": patient.uuid})
        except NoReverseMatch:
            continue
        tabs.append({"label": label, "url": url, "current": current_path == url})
    return tabs


def first_installed(*names: str) -> str:
    """The first URL name that resolves, for homes that a feature app may take over."""
    for name in names:
        try:
            reverse(name)
        except NoReverseMatch:
            continue
        return name
    raise NoReverseMatch(f"none of {names} is installed")
