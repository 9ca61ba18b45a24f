"""A referral letter's download, the referrals tab of the patient's page, the letters about the
episode a referral opened, and a patient's page about their own self-referral."""

from django.shortcuts import render

from pathway import episode_letters
from pathway.audit import record_view
from pathway.navigation import patient_tabs
from pathway.pdf import pdf_download
from pathway.permissions import own_patient_record, patient_for
from pathway.views.access import patient_required, staff_required
from referrals import letters, patient_view, selectors


def with_episode_letters(referrals: list, user) -> list:
    """The referrals, each given `episode_letters`: the letters other apps wrote about the
    episode it opened that `user` may download (pathway.episode_letters), such as the discharge
    summary."""
    found = episode_letters.by_episode([referral.episode_id for referral in referrals], user)
    for referral in referrals:
        referral.episode_letters = found.get(referral.episode_id, [])
    return referrals


@patient_required
def yours(request, referral_uuid):
    """A patient's own self-referral: the care team's decision and their advice, in words for
    the patient (referrals.patient_view)."""
    patient = own_patient_record(request.user)
    referral = selectors.own_self_referral(patient, referral_uuid)
    record_view(actor=request.user, patient=patient, obj=referral)
    return render(
        request,
        "referrals/yours.html",
        {"referral": referral, "outcome": patient_view.outcome_for_patient(referral)},
    )


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
