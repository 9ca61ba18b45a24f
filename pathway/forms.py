import re
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.core.exceptions import ValidationError
from django.utils import timezone

from pathway import nhs_number
from pathway.contact import (
    NOT_A_UK_MOBILE,
    NOT_A_UK_PHONE,
    display_uk_mobile,
    normalise_uk_mobile,
    normalise_uk_phone,
)
from pathway.models import Organisation, Patient
from pathway.permissions import patients_visible_to, practice_ids_for

# The range of a database integer key (PostgreSQL bigint, SQLite INTEGER).
KEY_RANGE = range(-(2**63), 2**63)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's, except that a whole number too large for a database key is an invalid choice:
    Django checks each choice with a lookup that copes with it, then fetches them all with an
    IN query that SQLite cannot bind it in (OverflowError, a 500)."""

    def _check_values(self, value):
        for choice in value if isinstance(value, (list, tuple)) else ():
            try:
                number = int(choice)
            except (TypeError, ValueError):
                continue
            if number not in KEY_RANGE:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": choice},
                )
        return super()._check_values(value)


EMAIL_INVALID = "Enter an email address in the correct format, like name@example.com."


class Textarea(forms.Textarea):
    """A text box whose line breaks count as one character each, as the character counter
    beside it counts them: browsers send each one as two (CR LF), so text the counter allowed
    was refused as too long, and kept with both."""

    def value_from_datadict(self, data, files, name):
        value = super().value_from_datadict(data, files, name)
        return value.replace("\r\n", "\n") if isinstance(value, str) else value


class TooLongInWords:
    """Text over a box's limit is refused in the app's words, with how much was typed, instead
    of Django's "Ensure this value has at most 4000 characters (it has 4210).". A message a
    field sets itself is kept."""

    def full_clean(self):
        # At validation, not construction: some forms add fields in their own __init__.
        for field in self.fields.values():
            limit = getattr(field, "max_length", None)
            if limit and "max_length" not in field.error_messages:
                field.error_messages["max_length"] = (
                    f"Keep this to {limit:,} characters or fewer (it has %(show_value)d)."
                )
        super().full_clean()


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Enter your email address.",
            "invalid": EMAIL_INVALID,
        },
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password."},
    )
    error_messages = {
        "invalid_login": "Enter a correct email address and password.",
        "inactive": "This account is not active.",
    }

    def clean_username(self) -> str:
        # Accounts are kept in lower case (UserManager.create_user); people type it either way.
        return self.cleaned_data["username"].strip().lower()


# Choosing a password, in the app's words (Django's say "This field is required." and "The
# two password fields didn't match.").
NEW_PASSWORD_ERRORS = {
    "password_mismatch": "The two new passwords do not match. Type the same password in both.",
}


def _new_password_fields(form) -> None:
    form.fields["new_password1"].label = "New password"
    form.fields["new_password1"].help_text = (
        "At least 12 characters. Not a common password, not only numbers and not like your "
        "name or email address."
    )
    form.fields["new_password1"].error_messages["required"] = "Enter a new password."
    form.fields["new_password2"].label = "Type the new password again"
    form.fields["new_password2"].help_text = ""
    form.fields["new_password2"].error_messages["required"] = "Type the new password again."


class NewPasswordForm(SetPasswordForm):
    """A new password chosen from a reset link."""

    error_messages = NEW_PASSWORD_ERRORS

    def __init__(self, *args, user, **kwargs):
        super().__init__(user, *args, **kwargs)
        _new_password_fields(self)


class ChangePasswordForm(PasswordChangeForm):
    """A signed-in user's new password, with their current one."""

    error_messages = {
        **NEW_PASSWORD_ERRORS,
        "password_incorrect": "Your current password is not right. Type it again.",
    }

    def __init__(self, *args, user, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["old_password"].error_messages["required"] = "Enter your current password."
        _new_password_fields(self)

    def clean_new_password1(self):
        new = self.cleaned_data.get("new_password1")
        if new and self.user.check_password(new):
            raise forms.ValidationError(
                "Choose a new password that is different from your current one."
            )
        return new


class EmailPasswordResetForm(PasswordResetForm):
    """Asking for a reset link, in the words of the sign-in page."""

    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"required": "Enter your email address.", "invalid": EMAIL_INVALID},
    )

    def save(self, **options):
        """Send the link to the service's own address (SITE_URL), whatever host the request
        named, with the service's name in the subject, as the portal invitation does."""
        site = urlsplit(settings.SITE_URL)
        options["domain_override"] = site.netloc
        options["use_https"] = site.scheme == "https"
        options["extra_email_context"] = {
            **(options.get("extra_email_context") or {}),
            "site_name": settings.SERVICE_NAME,
        }
        return super().save(**options)


class TotpForm(forms.Form):
    code = forms.CharField(
        label="Security code",
        help_text="The 6-digit code from your authenticator app.",
        min_length=6,
        max_length=6,
        error_messages={
            "required": "Enter the 6-digit code from your authenticator app.",
            "min_length": "Enter the 6 digits from your authenticator app.",
            "max_length": "Enter the 6 digits from your authenticator app.",
        },
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]*"}
        ),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise forms.ValidationError("Enter the 6 digits from your authenticator app.")
        return code


class NhsNumberField(forms.CharField):
    """An NHS number typed or pasted as 10 digits or 3-3-4 with single spaces (clinical-rules.md
    section 11; spaces around it are not part of it), stored as the 10-digit string.

    The box has no maxlength: a browser cuts a pasted value at it without a word, and
    " 999 000 0018" (a space before) lost its last digit to the old limit of 12. The length is
    checked here instead, after the spaces around are gone."""

    default_error_messages = {
        "invalid": "Enter a valid 10-digit NHS number, like 943 476 5919.",
        # Too long to be a number at all reads the same as any other invalid number.
        "max_length": "Enter a valid 10-digit NHS number, like 943 476 5919.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("label", "NHS number")
        kwargs.setdefault("help_text", "10 digits, for example 943 476 5919")
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "numeric")
        self.widget.attrs.setdefault("spellcheck", "false")

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return value
        typed = value.strip()
        if not nhs_number.is_valid(typed):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return nhs_number.normalise(typed)


def empty_parts(value) -> list[int]:
    """The positions of a date input's empty boxes when some, not all, are filled in (what a
    "must include" error is about); [] otherwise."""
    parts = [str(part or "").strip() for part in value] if isinstance(value, list | tuple) else []
    empty = [index for index, part in enumerate(parts) if not part]
    return empty if parts and 0 < len(empty) < len(parts) else []


class MemorableDateWidget(forms.MultiWidget):
    """Day, month and year boxes: the NHS.UK date input, for a date the person knows, such as a
    date of birth (a calendar picker is for dates near today). Written by
    templates/nhsuk/date_input.html through pathway.renderers.render_field.

    A single ISO date under the field's own name (`date_of_birth=1980-03-31`, as a client
    posting to the form directly sends it) is read as well."""

    memorable_date = True
    PARTS = (("day", "Day", 2), ("month", "Month", 2), ("year", "Year", 4))

    def __init__(self, attrs=None):
        super().__init__({key: forms.TextInput for key, _, _ in self.PARTS}, attrs)

    def decompress(self, value):
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                return [None, None, None]
        if isinstance(value, date):
            return [str(value.day), str(value.month), str(value.year)]
        return [None, None, None]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        shared = context["widget"]["attrs"]
        for part, (key, label, width) in zip(
            context["widget"]["subwidgets"], self.PARTS, strict=True
        ):
            part["attrs"]["id"] = f"{shared['id']}_{key}" if shared.get("id") else ""
            part["attrs"]["part"], part["attrs"]["width"] = label, width
            if shared.get("autocomplete") == "bday":
                part["attrs"]["autocomplete"] = f"bday-{key}"
        # Some boxes filled and some not: an error is about the empty ones only (`fault`);
        # otherwise about the whole date.
        parts = context["widget"]["subwidgets"]
        empty = empty_parts([part["value"] for part in parts])
        for index, part in enumerate(parts):
            part["fault"] = not empty or index in empty
        return context

    def value_from_datadict(self, data, files, name):
        parts = super().value_from_datadict(data, files, name)
        if not any(parts) and data.get(name):
            return data.get(name)
        return parts

    def value_omitted_from_data(self, data, files, name):
        return super().value_omitted_from_data(data, files, name) and name not in data


class PastDateField(forms.DateField):
    """A date of birth: day, month and year boxes, today or earlier, not before 1900."""

    widget = MemorableDateWidget

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if "invalid" not in kwargs.get("error_messages", {}):
            self.error_messages["invalid"] = f"{self.label or 'The date'} must be a real date."

    def to_python(self, value):
        if not isinstance(value, list | tuple):
            return super().to_python(value)
        day, month, year = (str(part or "").strip() for part in value)
        if not (day or month or year):
            return None
        named = self.label or "The date"
        missing = [MemorableDateWidget.PARTS[index][0] for index in empty_parts(value)]
        if missing:
            raise ValidationError(
                f"{named} must include a {' and a '.join(missing)}.", code="incomplete"
            )
        if re.fullmatch(r"[0-9]+", year) and len(year) != 4:
            raise ValidationError("Year must include 4 numbers.", code="short_year")
        # ASCII digits only: int() would also take "1_0" or full-width digits.
        if not (
            re.fullmatch(r"[0-9]{1,2}", day)
            and re.fullmatch(r"[0-9]{1,2}", month)
            and re.fullmatch(r"[0-9]{4}", year)
        ):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def clean(self, value):
        value = super().clean(value)
        if value and value > timezone.localdate():
            # Named by its label ("Date of birth must be ..."), as the error summary lists it.
            raise forms.ValidationError(f"{self.label or 'The date'} must be today or in the past.")
        if value and value < date(1900, 1, 1):
            raise forms.ValidationError("Enter a date after 1 January 1900.")
        return value


class UkMobileField(forms.CharField):
    # Too long to be a number at all reads the same as any other number that is not a mobile.
    default_error_messages = {"max_length": NOT_A_UK_MOBILE}
    # Returns the number in E.164 form, or raises ValueError with the words to show.
    normalise = staticmethod(normalise_uk_mobile)

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("label", "Mobile phone number")
        kwargs.setdefault("help_text", "For text message reminders, for example 07700 900123")
        super().__init__(**kwargs)
        self.widget.input_type = "tel"
        self.widget.attrs.setdefault("autocomplete", "tel")

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return ""
        try:
            return self.normalise(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class UkPhoneField(UkMobileField):
    """A UK number to ring: a mobile or a landline (normalised as pathway.contact does). A
    form that would text it checks it is a mobile (contact.is_uk_mobile)."""

    default_error_messages = {"max_length": NOT_A_UK_PHONE}
    normalise = staticmethod(normalise_uk_phone)

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Phone number")
        super().__init__(**kwargs)


class PatientSearchForm(forms.Form):
    nhs_number = NhsNumberField(required=False)
    family_name = forms.CharField(label="Last name", required=False, max_length=100)
    date_of_birth = PastDateField(label="Date of birth", required=False)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if not data.get("nhs_number") and not (
            data.get("family_name") and data.get("date_of_birth")
        ):
            raise forms.ValidationError(
                "Enter an NHS number, or a last name and date of birth.", code="incomplete"
            )
        return data


class ConsentNeedsContact:
    """For forms of a patient's contact details and consent: consent to text messages needs a
    mobile number, and to emails an email address."""

    # The messages' verb: staff record that we may "send" them, a patient asks to "get" them.
    consent_verb = "send"

    def clean(self):
        data = super().clean()
        verb = self.consent_verb
        if data.get("sms_consent") and not data.get("mobile") and "mobile" not in self.errors:
            self.add_error("mobile", f"Enter a mobile number to {verb} text messages.")
        if data.get("email_consent") and not data.get("email") and "email" not in self.errors:
            self.add_error("email", f"Enter an email address to {verb} emails.")
        return data

    def show_contact_as_now(self) -> None:
        """The boxes show what the patient gets now: while they are opted out, nothing. The
        consent given before opting out is kept, but only a box ticked again turns messages
        back on, so saving a new number or address does not quietly undo the opt-out. The
        mobile number shows as it is written in the UK."""
        if self.instance.opted_out_at is not None:
            self.initial.update(sms_consent=False, email_consent=False)
        if self.instance.mobile:
            self.initial["mobile"] = display_uk_mobile(self.instance.mobile)


ALREADY_ON_THE_SERVICE = (
    "A patient with this NHS number is already on the service. Go to their record instead of "
    "adding them again."
)
# What the referral form says of an NHS number registered at a practice the user does not work
# with (referrals.forms.ReferralForm); adding a patient says the same, then what to do from there.
ELSEWHERE_CHECK_THE_NUMBER = (
    "A patient with this NHS number is registered at a practice you do not work with. Check the "
    "number."
)
REGISTERED_ELSEWHERE = (
    f"{ELSEWHERE_CHECK_THE_NUMBER} If this is your patient, contact the service administrator, "
    "who can check the practice on their record."
)

ENTERED_IN_ERROR = (
    "A record with this NHS number at your practice was marked as entered in error. Contact the "
    "service administrator, who can correct it."
)


class PatientForm(ConsentNeedsContact, forms.ModelForm):
    nhs_number = NhsNumberField(error_messages={"required": "Enter the patient's NHS number."})
    date_of_birth = PastDateField(
        label="Date of birth", error_messages={"required": "Enter the patient's date of birth."}
    )
    mobile = UkMobileField(required=False)

    class Meta:
        model = Patient
        fields = [
            "nhs_number",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "registered_practice",
            "mobile",
            "email",
            "sms_consent",
            "email_consent",
        ]
        labels = {
            "given_name": "First name",
            "family_name": "Last name",
            "sms_consent": "The patient agrees to text messages",
            "email_consent": "The patient agrees to emails",
        }
        error_messages = {
            "given_name": {"required": "Enter the patient's first name."},
            "family_name": {"required": "Enter the patient's last name."},
            "sex": {"required": "Choose the patient's sex."},
            "registered_practice": {"required": "Choose the patient's GP practice."},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # The patient the NHS number belongs to, when it is on the service already and the
        # user may see them: the page links to their record instead.
        self.existing_patient: Patient | None = None
        queryset = Organisation.objects.filter(
            kind=Organisation.Kind.PRACTICE, id__in=practice_ids_for(user)
        )
        self.fields["registered_practice"].queryset = queryset
        # One practice is chosen for the user; among several, nothing is chosen for them.
        self.fields["registered_practice"].empty_label = (
            None if queryset.count() == 1 else "Choose a practice"
        )

    def validate_unique(self):
        number = self.cleaned_data.get("nhs_number")
        if number and "nhs_number" not in self._errors:
            taken = self._why_taken(number)
            if taken:
                self.add_error("nhs_number", taken)
        # Django then leaves nhs_number out of its own check, as a field with an error.
        super().validate_unique()

    def _why_taken(self, number: str) -> str:
        """Why a patient with this NHS number cannot be added, in words the user can act on
        (instead of Django's "Patient with this NHS number already exists."), or "" when the
        number is free. A patient the user may see is kept as `existing_patient`, for the page
        to link to. Of anyone else's record it says only what the referral form says: that the
        number is registered at a practice the user does not work with."""
        self.existing_patient = (
            patients_visible_to(self.user)
            .select_related("registered_practice")
            .filter(nhs_number=number)
            .first()
        )
        if self.existing_patient is not None:
            return ALREADY_ON_THE_SERVICE
        # Any record at all, entered in error or not: the number is unique among them all.
        held_at = (
            Patient.objects.filter(nhs_number=number)
            .values_list("registered_practice_id", flat=True)
            .first()
        )
        if held_at is None:
            return ""
        if held_at in practice_ids_for(self.user):
            # At the user's own practice, yet not one they may see: marked entered in error.
            return ENTERED_IN_ERROR
        return REGISTERED_ELSEWHERE


class ContactPreferencesForm(ConsentNeedsContact, forms.ModelForm):
    consent_verb = "get"
    mobile = UkMobileField(required=False)

    class Meta:
        model = Patient
        fields = ["mobile", "email", "sms_consent", "email_consent", "diary_nudge"]
        labels = {
            "sms_consent": "Send me text messages about my care",
            "email_consent": "Send me emails about my care",
            "diary_nudge": "Remind me to fill in my diary each evening",
        }
        error_messages = {"email": {"invalid": EMAIL_INVALID}}
        # The patient's own address: browsers may offer to fill it in (WCAG 1.3.5).
        widgets = {"email": forms.EmailInput(attrs={"autocomplete": "email"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.show_contact_as_now()

    def clean(self):
        data = super().clean()
        if data.get("diary_nudge") and not (data.get("sms_consent") or data.get("email_consent")):
            # Saved as asked, the reminder could never reach them, and nothing would say so.
            self.add_error(
                "diary_nudge",
                "Tick text messages or emails as well, so the reminder has a way to reach you.",
            )
        return data


class PortalInviteForm(forms.Form):
    """The button that invites a patient to the portal. It carries the email address the page
    showed, so that an address changed since (in another window, by a colleague) is not sent
    account access unseen: the view compares it with the address the invitation would go to."""

    shown_email = forms.CharField(required=False, max_length=320, widget=forms.HiddenInput)


def revision_token(updated_at: datetime) -> str:
    """The value a form carries to say which saved copy of a row it was opened on: the row's
    `updated_at` in UTC to the microsecond, which every save moves on."""
    return updated_at.astimezone(UTC).isoformat()


OUT_OF_DATE = "The form was out of date. Reload the page and try again."


def carry_revision(form: forms.Form, updated_at: datetime) -> None:
    """After a refused save: the form's `based_on` carries the revision of the row as saved now
    (`updated_at`), keeping what the user typed, so saving again is a deliberate choice made
    having seen the change."""
    token = revision_token(updated_at)
    form.fields["based_on"].initial = token
    if form.is_bound:
        data = form.data.copy()
        data[form.add_prefix("based_on")] = token
        form.data = data


class BasedOnField(forms.CharField):
    """Hidden: the revision token of the row the form was opened on (see revision_token).
    Cleans to an aware datetime; when not required, to None if the field was not sent."""

    widget = forms.HiddenInput
    default_error_messages = {"required": OUT_OF_DATE}

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        if len(value) > 40:
            raise forms.ValidationError(OUT_OF_DATE)
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError(OUT_OF_DATE) from None
        if moment.tzinfo is None:
            raise forms.ValidationError(OUT_OF_DATE)
        return moment


class PatientContactForm(ConsentNeedsContact, forms.ModelForm):
    """The care team records a patient's new contact details and consent, as the patient told
    them. Carries the record's revision, so a change made since the page was opened (by the
    patient on their own page, or by a colleague) is not overwritten unseen."""

    based_on = BasedOnField()
    mobile = UkMobileField(
        required=False,
        help_text="Needed if the patient agrees to text messages. For example, 07700 900123",
    )
    email = forms.EmailField(
        label="Email address",
        required=False,
        max_length=254,
        help_text="Needed if the patient agrees to emails.",
        error_messages={"invalid": EMAIL_INVALID},
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )

    class Meta:
        model = Patient
        fields = ["mobile", "email", "sms_consent", "email_consent"]
        labels = {
            "sms_consent": "The patient agrees to text messages",
            "email_consent": "The patient agrees to emails",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["based_on"].initial = revision_token(self.instance.updated_at)
        # Needed with a consent box ticked, as the hints say: not "(optional)".
        self.fields["mobile"].conditionally_required = True
        self.fields["email"].conditionally_required = True
        self.show_contact_as_now()

    def rebase(self, saved: Patient) -> None:
        """After a refused save: carry `saved`'s revision from now on, so saving again is a
        deliberate choice, keeping what the user typed. Except the consent ticks of a patient
        who is opted out now: as when the page opens, the boxes show unticked, so that saving
        again does not undo an opt-out made since the page was opened."""
        carry_revision(self, saved.updated_at)
        if self.is_bound and saved.opted_out_at is not None:
            data = self.data.copy()
            data.pop(self.add_prefix("sms_consent"), None)
            data.pop(self.add_prefix("email_consent"), None)
            self.data = data


class PatientDetailsForm(forms.Form):
    """The care team corrects a patient's name, date of birth or sex, as the patient or their
    GP record shows them. Not a model form: the page's banner keeps showing the record as saved
    while the form holds what was typed. Carries the record's revision, as the contact form does."""

    based_on = BasedOnField()
    given_name = forms.CharField(
        label="First name",
        max_length=100,
        error_messages={"required": "Enter the patient's first name."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    family_name = forms.CharField(
        label="Last name",
        max_length=100,
        error_messages={"required": "Enter the patient's last name."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    date_of_birth = PastDateField(
        label="Date of birth", error_messages={"required": "Enter the patient's date of birth."}
    )
    sex = forms.ChoiceField(
        choices=Patient._meta.get_field("sex").choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the patient's sex."},
    )

    def __init__(self, data=None, *, patient: Patient, **kwargs):
        initial = {name: getattr(patient, name) for name in self.base_fields if name != "based_on"}
        super().__init__(data, initial=initial, **kwargs)
        self.patient = patient
        self.fields["based_on"].initial = revision_token(patient.updated_at)

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        died = self.patient.date_of_death
        if died is not None and born > died:
            raise forms.ValidationError(
                f"Date of birth must be on or before the date of death, {died:%-d %B %Y}."
            )
        return born

    def rebase(self, saved: Patient) -> None:
        """After a refused save: carry `saved`'s revision (carry_revision)."""
        carry_revision(self, saved.updated_at)
