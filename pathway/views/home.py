from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from pathway import patient_tasks, referrer_tasks
from pathway.navigation import first_installed
from pathway.permissions import own_patient_record
from pathway.selectors import episodes_with_milestones
from pathway.views.access import patient_required, role_required

# Each role's landing page after sign-in; the first installed URL wins, so a feature app
# (the reviews worklist, the commissioner dashboard) can take over a role's home.
HOME_FOR_ROLE = {
    "patient": ("pathway:patient-home",),
    "gp": ("pathway:gp-home",),
    "clinician": ("reviews:worklist", "pathway:team-home"),
    "commissioner": ("dashboard:home",),
    "admin": ("admin:index",),
}


def start(request):
    """The front page: signed-in users go to their home, others see what the service is."""
    if request.user.is_authenticated:
        return redirect("pathway:home")
    return render(request, "pathway/start.html")


def about(request):
    """What the service is, for anyone: the footer links here from every page, signed in or not."""
    return render(request, "pathway/start.html")


@login_required
def home(request):
    names = HOME_FOR_ROLE.get(request.user.role, ("pathway:login",))
    return redirect(first_installed(*names))


@patient_required
def patient_home(request):
    patient = own_patient_record(request.user)
    return render(
        request,
        "pathway/patient_home.html",
        {
            "patient": patient,
            "episodes": episodes_with_milestones(patient),
            "tasks": patient_tasks.for_patient(patient),
        },
    )


@role_required("gp")
def gp_home(request):
    return render(request, "pathway/gp_home.html", {"tasks": referrer_tasks.for_user(request.user)})


@role_required("clinician")
def team_home(request):
    """The care team's worklist where a feature app installs one; this placeholder otherwise
    (an old bookmark or a typed address lands on the real list, not an empty one)."""
    home = first_installed(*HOME_FOR_ROLE["clinician"])
    if home != "pathway:team-home":
        return redirect(home)
    return render(request, "pathway/team_home.html")
