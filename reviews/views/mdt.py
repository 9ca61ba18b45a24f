from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from pathway.audit import record_view
from pathway.views.access import clinician_required
from pathway.views.not_saved import not_saved
from reviews import selectors
from reviews.errors import ReviewsError, StaleState
from reviews.forms import MdtDiscussionForm
from reviews.models import MdtCase
from reviews.services import mdt as services
from reviews.views.paging import page_of


@clinician_required
def mdt_list(request):
    """Cases flagged for the MDT meeting (oldest first), and recently discussed ones."""
    return render(
        request,
        "reviews/mdt_list.html",
        {
            "page": page_of(request, selectors.mdt_cases_for(request.user)),
            "discussed": list(
                selectors.mdt_cases_for(request.user, status=MdtCase.Status.DISCUSSED)[:10]
            ),
        },
    )


@clinician_required
@require_http_methods(["GET", "HEAD", "POST"])
def mdt_case(request, case_uuid):
    """An MDT case: its question, and the form to record the discussion and agreed actions.
    Sent after someone else recorded them (another clinician, another tab), the page answers
    409 with their outcome and, beside it, what this user wrote: shown, never saved."""
    case = selectors.mdt_case_for(request.user, case_uuid)
    form = MdtDiscussionForm(request.POST or None)
    if request.method == "POST" and case.status == MdtCase.Status.OPEN and form.is_valid():
        try:
            services.record_mdt_discussion(actor=request.user, case=case, **form.cleaned_data)
        except StaleState:
            # Recorded between this page reading the case and saving: read it again to show.
            case = selectors.mdt_case_for(request.user, case_uuid)
        except ReviewsError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Discussion recorded.")
            return redirect("reviews:mdt")
    record_view(actor=request.user, patient=case.patient, obj=case)
    refused = request.method == "POST" and case.status != MdtCase.Status.OPEN
    return render(
        request,
        "reviews/mdt_case.html",
        {
            "case": case,
            "patient": case.patient,
            # Refused, the form is not shown again (nor checked: its words are shown as sent).
            "form": None if refused else form,
            "not_saved": (
                not_saved(form, by=case.updated_by, at=case.discussed_at) if refused else None
            ),
        },
        status=409 if refused else 200,
    )
