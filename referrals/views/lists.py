"""The lists of referrals: the referrer's own, the triage queue, the outcomes the team still has
to tell self-referrers, and the waiting list."""

from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone

from pathway import first_contacts
from pathway.links import uuid_link
from pathway.models.episodes import Condition
from referrals import rules, selectors
from referrals.forms import WaitingListFilterForm
from referrals.models import Referral
from referrals.rendering import triage_rows
from referrals.views.records import with_episode_letters
from referrals.views.referral import gp_required
from referrals.views.triage import triage_required

PAGE_SIZE = 25


def _page(request, items):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


@gp_required
def mine(request):
    page = _page(request, selectors.referrals_for_referrer(request.user))
    page.object_list = with_episode_letters(list(page.object_list), request.user)
    return render(
        request,
        "referrals/referral_mine.html",
        {
            "page": page,
            "stops": selectors.recent_emergency_stops(request.user),
            "stop_days": selectors.RECENT_STOP_DAYS,
        },
    )


# What a triage queue row shows (templates/referrals/triage_queue.html): nothing else is loaded.
TRIAGE_ROW_FIELDS = (
    "uuid",
    "patient",
    "stated_given_name",
    "stated_family_name",
    "urgency",
    "condition",
    "source",
    "submitted_at",
    "age_at_referral",
    "resends",
    "patient__given_name",
    "patient__family_name",
    "patient__nhs_number",
    "patient__registered_practice__name",
)


def _triage_target_text(targets) -> str:
    """The queue's target sentence: one figure, or one for each urgency when they differ."""
    urgent, routine = (rules.target_days_for(targets, level) for level in ("urgent", "routine"))
    if urgent == routine:
        return f"Target: triage within {urgent} days of the referral arriving." if urgent else ""
    parts = [
        f"{label} referrals within {days} days"
        for label, days in (("urgent", urgent), ("routine", routine))
        if days
    ]
    return f"Target: triage {' and '.join(parts)} of the referral arriving."


@triage_required
def triage_queue(request):
    # The whole queue's ids in order (one query, which also gives the count), then one page's
    # referrals with their joins by id: sorting the queue with its patient and practice joins
    # attached costs far more than sorting ids, and the ids are already the user's to see.
    ids = list(selectors.triage_queue_for(request.user).values_list("id", flat=True))
    page = _page(request, ids)
    loaded = (
        Referral.objects.select_related("patient__registered_practice")
        .only(*TRIAGE_ROW_FIELDS)
        .in_bulk(page.object_list)
    )
    # The referral-to-triage target for each referral's urgency, or the one for any referral.
    targets = selectors.triage_targets()
    now = timezone.now()
    link = uuid_link("referrals:detail", "referral_uuid")
    risky = selectors.with_risky_answers(page.object_list)
    rows = [
        {
            "referral": referral,
            "url": link(referral.uuid),
            # What the triager must not miss beside the urgency: a self-harm answer on a
            # questionnaire sent with the referral, and a patient too young for the service.
            "risky_answer": referral.pk in risky,
            "under_age": referral.age_at_referral is not None
            and not rules.is_adult(referral.age_at_referral),
            "condition": Condition(referral.condition).label,
            "source": Referral.Source(referral.source).label,
            "clock": rules.triage_clock(
                submitted_at=referral.submitted_at,
                urgency=referral.urgency,
                targets=targets,
                now=now,
            ),
        }
        for referral in (loaded[pk] for pk in page.object_list if pk in loaded)
    ]
    return render(
        request,
        "referrals/triage_queue.html",
        {
            "page": page,
            "rows": rows,
            # Written in Python (referrals.rendering): the loop's template cost.
            "rows_html": triage_rows(rows, adult_age=rules.ADULT_AGE),
            "target": _triage_target_text(targets),
            "to_tell": _to_tell_counts(request.user),
        },
    )


def _to_tell_counts(user) -> dict[str, int]:
    """How many outcomes the team still has to tell, and how many of those had red flags."""
    return selectors.outcomes_to_tell_for(user).aggregate(
        total=Count("id"), flagged=Count("id", filter=~selectors.NO_RED_FLAGS)
    )


@triage_required
def outcomes_to_tell(request):
    """Self-referrals rejected or redirected that no message could lead the patient to, still to
    be told by phone or letter: red flags first, then the oldest."""
    page = _page(request, selectors.outcomes_to_tell_for(request.user))
    link = uuid_link("referrals:detail", "referral_uuid")
    rows = [{"referral": referral, "url": link(referral.uuid)} for referral in page]
    return render(request, "referrals/outcomes_to_tell.html", {"page": page, "rows": rows})


@triage_required
def waiting_list(request):
    filters = WaitingListFilterForm(request.GET or None, user=request.user)
    practice, priority = None, ""
    if filters.is_bound:
        if not filters.is_valid():
            # A filter that cannot be used lists nobody rather than everyone, which would read
            # as the filtered list.
            return render(
                request,
                "referrals/waiting_list.html",
                {"page": None, "rows": [], "filters": filters},
            )
        practice = filters.cleaned_data.get("practice")
        priority = filters.cleaned_data.get("priority") or ""
    targets = selectors.contact_targets()
    referrals = selectors.waiting_list_for(
        request.user,
        targets=targets,
        practice_id=practice.id if practice else None,
        priority=priority,
    )
    page = _page(request, referrals)
    now = timezone.now()
    # Whether each one's first conversation is booked, missed or still to book.
    page.object_list = list(page.object_list)
    arranged = first_contacts.for_referrals(page.object_list)
    rows = []
    for referral in page:
        target = rules.first_contact_target(
            targets,
            referral.priority,
            received_at=referral.submitted_at,
            triaged_at=referral.triaged_at or referral.decided_at,
        )
        clock = (
            rules.wait_clock(started_at=target.started_at, target_days=target.days, now=now)
            if target
            else None
        )
        rows.append(
            {
                "referral": referral,
                "clock": clock,
                "target": target,
                "first_contact": arranged.get(referral.episode_id),
            }
        )
    return render(
        request,
        "referrals/waiting_list.html",
        {"page": page, "rows": rows, "filters": filters},
    )
