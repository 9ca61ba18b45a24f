"""A referral letter's download, the referrals tab of the patient's page, and the letters
about the episode a referral opened."""

from django.shortcuts import render

from pathway import episode_letters
from pathway.audit import record_view
from pathway.navigation import patient_tabs
from pathway.pdf import pdf_download
from pathway.permissions import patient_for
from pathway.views.access import staff_required
from referrals import letters, selectors


def with_episode_letters(referrals: list, user) -> list:
    """The referrals, each given `episode_letters`: the letters other apps wrote about the
    episode it opened that `user` may download (pathway.episode_letters), such as the discharge
    summary."""
    found = episode_letters.by_episode([referral.episode_id for referral in referrals], user)
    for referral in referrals:
        referral.episode_letters = found.get(referral.episode_id, [])
    return referrals


@staff_required
def letter(request, letter_uuid):
    found = selectors.letter_for(request.user, letter_uuid)
    letters.record_letter_download(actor=request.user, letter=found)
    return pdf_download(found.pdf, found.filename)


@staff_required
def patient_referrals(request, patient_uuid):
    patient = patient_for(request.user, patient_uuid)
    record_view(actor=request.user, patient=patient, object_type="referrals.referral")
    return render(
        request,
        "referrals/patient_referrals.html",
        {
            "patient": patient,
            "tabs": patient_tabs(patient, request.path),
            "referrals": with_episode_letters(
                list(selectors.referrals_for_patient(patient)), request.user
            ),
        },
    )
