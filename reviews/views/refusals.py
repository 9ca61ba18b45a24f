"""What a reviews view answers when it does not take a request: a method other than POST
(what someone else had already recorded is shown back by pathway.views.not_saved)."""

from django.http import HttpResponseNotAllowed


def post_only(request):
    """405 for anything but POST, answered after the object lookup so that another team's
    object still answers 404 first. Returns None for a POST."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return None
