from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from pathway.audit import record_view
from pathway.views.access import clinician_required
from reviews import selectors
from reviews.errors import ReviewsError
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
    case = selectors.mdt_case_for(request.user, case_uuid)
    form = MdtDiscussionForm(request.POST or None)
    if request.method == "POST" and case.status == MdtCase.Status.OPEN and form.is_valid():
        try:
            services.record_mdt_discussion(actor=request.user, case=case, **form.cleaned_data)
        except ReviewsError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Discussion recorded.")
            return redirect("reviews:mdt")
    record_view(actor=request.user, patient=case.patient, obj=case)
    return render(
        request, "reviews/mdt_case.html", {"case": case, "patient": case.patient, "form": form}
    )
