"""A version in full, editing and agreeing a draft, and starting a new version."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from careplans import rules, selectors, services
from careplans.forms import DRAFT_FORMSETS, AgreeForm, VersionForm, error_links
from careplans.forms.items import rows_removed_meanwhile_as_new
from careplans.models import CarePlanVersion
from careplans.views.lookups import _plan_or_404, _plan_page, _staff_context, _version_or_404
from pathway.audit import record_view
from pathway.views.access import clinician_required, staff_required
from pathway.views.not_saved import not_saved


@staff_required
def version_detail(request, version_uuid):
    """One version in full, with what changed from the version before."""
    version = _version_or_404(request.user, version_uuid)
    patient = version.plan.patient
    record_view(actor=request.user, patient=patient, obj=version)
    previous, changes = selectors.changes_since_previous(version)
    return render(
        request,
        "careplans/version_detail.html",
        _staff_context(
            request,
            patient,
            view=selectors.version_view(version),
            version=version,
            previous=previous,
            changes=changes,
            can_edit=request.user.role in ("clinician", "admin"),
        ),
    )


# After a save refused because someone else saved first (services.ChangedSinceOpened).
DIFFERENCES_ID = "saved-now"
NOT_SAVED = (
    "Your changes have not been saved. Check what the saved draft says now, then save again "
    "to replace it with what is in the form."
)


def _locked_redirect(request, version: CarePlanVersion):
    messages.info(
        request,
        f"Version {version.number} was agreed and cannot be changed. Start a new version to make "
        "changes.",
    )
    return redirect("careplans:version-detail", version_uuid=version.uuid)


def _agreed_meanwhile(request, version: CarePlanVersion, form, formsets):
    """The draft was agreed (by another tab or colleague) after this page was opened: nothing
    sent is saved, and what was typed is shown back, to carry into a new version."""
    typed = not_saved(
        form,
        by=version.agreed_by,
        at=version.agreed_at or version.updated_at,
        more=[
            (f"{heading} {number}", row)
            for _, formset, heading, _ in formsets
            for number, row in enumerate(formset.forms, start=1)
        ],
        done=f"agreed version {version.number}",
    )
    return render(
        request,
        "careplans/draft_not_saved.html",
        _staff_context(request, version.plan.patient, version=version, not_saved=typed),
        status=409,
    )


def _ended_redirect(request, plan):
    """To the plan page, saying why a plan of an ended episode cannot change."""
    messages.info(request, str(services.EpisodeEnded(plan.episode)))
    return redirect(_plan_page(plan.patient))


@clinician_required
@require_http_methods(["GET", "HEAD", "POST"])
def draft_edit(request, version_uuid):
    """Edit a draft: its fields and its lists, saved together or not at all."""
    version = _version_or_404(request.user, version_uuid)
    data = None
    if request.method == "POST":
        data, _ = rows_removed_meanwhile_as_new(request.POST, version)
    if not version.is_draft and data is None:
        return _locked_redirect(request, version)
    if not version.plan.episode.is_open:
        return _ended_redirect(request, version.plan)
    patient = version.plan.patient
    form = VersionForm(data, instance=version)
    formsets = [
        (relation, formset_class(data, instance=version, prefix=prefix), heading, item_label)
        for relation, formset_class, prefix, heading, item_label in DRAFT_FORMSETS
    ]
    if not version.is_draft:
        return _agreed_meanwhile(request, version, form, formsets)
    # NICE's advice against a medicine for attacks (CG150: no opioids for headache), beside it.
    condition = version.plan.episode.condition
    for relation, formset, _, _ in formsets:
        if relation == "acute_treatments":
            for row in formset:
                row.start_warning = rules.start_warning(
                    condition=condition, medicine_class=row["medication_class"].value() or ""
                )
                # Only the classes the plan's condition offers (a row saved with another before
                # keeps it, so the draft can still be saved).
                saved = row.initial.get("medication_class", "")
                offered = {"", saved, *rules.acute_classes_for(condition)}
                field = row.fields["medication_class"]
                field.choices = [
                    (value, label) for value, label in field.choices if value in offered
                ]
    errors: list[tuple[str, str]] = []
    differences: list[selectors.SavedDifference] = []
    if request.method == "POST":
        # Validate every form (not stopping at the first invalid one) so all errors show.
        checks = [form.is_valid(), *[fs.is_valid() for _, fs, _, _ in formsets]]
        if all(checks):
            fields = dict(form.cleaned_data)
            based_on = fields.pop("based_on", None)
            items = {
                relation: fs.changes(whole_list=based_on is not None)
                for relation, fs, _, _ in formsets
            }
            try:
                services.update_draft(
                    actor=request.user,
                    version=version,
                    fields=fields,
                    items=items,
                    based_on=based_on,
                )
            except services.VersionLocked:
                version.refresh_from_db()
                return _agreed_meanwhile(request, version, form, formsets)
            except services.ChangedSinceOpened as exc:
                # Keep what they typed, now based on the saved copy: saving again is a choice
                # made after seeing what the other person saved.
                errors.append((DIFFERENCES_ID, f"{exc} {NOT_SAVED}"))
                labels = {name: field.label for name, field in form.fields.items()}
                labels.update((relation, heading) for relation, _, heading, _ in formsets)
                differences = selectors.draft_differences(
                    version, fields=fields, items=items, labels=labels
                )
                form.set_based_on(exc.changed_at)
            except services.CarePlanError as exc:
                errors.append(("", str(exc)))
            else:
                if "agree" in request.POST:
                    # What the agree page would refuse is said here, before the patient is
                    # taken through a plan that cannot be agreed.
                    saved = CarePlanVersion.objects.get(pk=version.pk)
                    problems = services.agree_problems(saved)
                    if problems:
                        messages.warning(
                            request,
                            f"Draft version {version.number} saved. It cannot be agreed yet: "
                            + " ".join(problems),
                        )
                        return redirect("careplans:draft-edit", version_uuid=version.uuid)
                messages.success(request, f"Draft version {version.number} saved.")
                if "agree" in request.POST:
                    return redirect("careplans:draft-agree", version_uuid=version.uuid)
                if "add_more" in request.POST:
                    return redirect("careplans:draft-edit", version_uuid=version.uuid)
                return redirect(_plan_page(patient))
        errors = error_links(form, *[(fs, row) for _, fs, _, row in formsets]) + errors
    else:
        record_view(actor=request.user, patient=patient, obj=version)
    return render(
        request,
        "careplans/draft_edit.html",
        _staff_context(
            request,
            patient,
            version=version,
            form=form,
            formsets=formsets,
            errors=errors,
            differences=differences,
        ),
    )


@clinician_required
@require_http_methods(["GET", "HEAD", "POST"])
def draft_agree(request, version_uuid):
    """Check the draft with the patient and agree it."""
    version = _version_or_404(request.user, version_uuid)
    if not version.is_draft:
        return _locked_redirect(request, version)
    if not version.plan.episode.is_open:
        return _ended_redirect(request, version.plan)
    patient = version.plan.patient
    form = AgreeForm(request.POST if request.method == "POST" else None, version=version)
    if request.method == "GET":
        record_view(actor=request.user, patient=patient, obj=version)
    if request.method == "POST" and form.is_valid():
        try:
            services.agree_version(
                actor=request.user, version=version, based_on=form.cleaned_data["based_on"]
            )
        except services.VersionLocked:
            return _locked_redirect(request, version)
        except services.ChangedSinceOpened as exc:
            # The page below shows the draft as saved now; agreeing again agrees that.
            form.add_error(
                None, f"{exc} The plan has not been agreed. Check it again with the patient."
            )
            form.set_based_on(exc.changed_at)
        except services.CarePlanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Version {version.number} of the care plan is agreed.")
            return redirect(_plan_page(patient))
    previous, changes = selectors.changes_since_previous(version)
    return render(
        request,
        "careplans/draft_agree.html",
        _staff_context(
            request,
            patient,
            version=version,
            view=selectors.version_view(version),
            previous=previous,
            changes=changes,
            form=form,
            not_ready=services.agree_problems(version),
        ),
    )


@clinician_required
@require_POST
def version_new(request, plan_uuid):
    plan = _plan_or_404(request.user, plan_uuid)
    try:
        draft = services.start_new_version(actor=request.user, plan=plan)
    except services.EpisodeEnded:
        return _ended_redirect(request, plan)
    return redirect("careplans:draft-edit", version_uuid=draft.uuid)
