import secrets
import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from pathway.models.base import choices_constraint


def new_session_salt() -> str:
    return secrets.token_hex(16)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.update(role=User.Role.ADMIN, is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    GP = "gp", "GP or referrer"
    CLINICIAN = "clinician", "Care team clinician"
    COMMISSIONER = "commissioner", "Commissioner"
    ADMIN = "admin", "Administrator"


class Discipline(models.TextChoices):
    NONE = "", "Not a clinician"
    NURSE = "nurse", "Nurse"
    OCCUPATIONAL_THERAPIST = "occupational_therapist", "Occupational therapist"
    PHYSIOTHERAPIST = "physiotherapist", "Physiotherapist"
    COACH = "coach", "Health and wellbeing coach"
    PHARMACIST = "pharmacist", "Pharmacist"
    PSYCHOLOGIST = "psychologist", "Psychologist"
    SOCIAL_PRESCRIBER = "social_prescriber", "Social prescriber"
    GP = "gp", "GP"


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone who signs in. Staff roles see patients through `pathway.permissions` only."""

    Role = Role

    Discipline = Discipline

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    role = models.CharField(max_length=16, choices=Role.choices)
    discipline = models.CharField(max_length=32, choices=Discipline.choices, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField("can use Django admin", default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Part of every session's auth hash: changing it signs the user out on every device.
    session_salt = models.CharField(max_length=32, default=new_session_salt, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [
            choices_constraint("role", Role, "pathway_user_role_valid"),
            choices_constraint("discipline", Discipline, "pathway_user_discipline_valid"),
            # Only care-team clinicians carry a discipline.
            models.CheckConstraint(
                condition=models.Q(role="clinician") | models.Q(discipline=""),
                name="pathway_user_discipline_only_for_clinicians",
                violation_error_message="Only care team clinicians have a discipline: clear "
                "it, or choose the care team clinician role.",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self):
        super().clean()
        # Kept in lower case, as UserManager.create_user keeps it and the sign-in form lowers
        # what is typed: an address saved as typed ("Jo.Bloggs@...") could never sign in.
        self.email = (self.email or "").strip().lower()

    @property
    def is_patient(self) -> bool:
        return self.role == self.Role.PATIENT

    @property
    def needs_second_factor(self) -> bool:
        return self.role != self.Role.PATIENT

    def get_session_auth_hash(self) -> str:
        """Django's hash of the password, salted with `session_salt` so that "sign out
        everywhere" can end every session without changing the password."""
        from django.utils.crypto import salted_hmac

        key_salt = "pathway.User.get_session_auth_hash"
        return salted_hmac(
            key_salt, f"{self.password}:{self.session_salt}", algorithm="sha256"
        ).hexdigest()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email
