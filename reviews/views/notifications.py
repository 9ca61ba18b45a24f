from django.contrib import messages
from django.shortcuts import redirect, render

from pathway.views.access import clinician_required
from reviews import messaging, selectors
from reviews.errors import ReviewsError
from reviews.services import notifications as services
from reviews.views.paging import page_of
from reviews.views.refusals import post_only


@clinician_required
def failed_list(request):
    """Messages that could not be delivered, so staff can contact the patient another way."""
    page = page_of(request, selectors.failed_notifications_for(request.user))
    return render(
        request,
        "reviews/failed_notifications.html",
        {"page": page, "rows": [(row, messaging.kind_label(row.kind)) for row in page]},
    )


@clinician_required
def notification_retry(request, notification_uuid):
    notification = selectors.failed_notification_for(request.user, notification_uuid)
    if refused := post_only(request):
        return refused
    try:
        services.retry_notification(actor=request.user, notification=notification)
    except ReviewsError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The message is queued to be sent again.")
    return redirect("reviews:failed-notifications")
