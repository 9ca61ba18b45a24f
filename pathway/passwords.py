"""A password check beside Django's: a password may not contain the person's own name or the
words of their email address, which anyone who knows them could guess first. Django's
similarity check compares the password as a whole, so "alexmorgan12345" passes it for Alex
Morgan; this one does not."""

import re

from django.core.exceptions import ValidationError

# Shorter words ("Al", "Li", "jo") are too common inside other words to refuse.
SHORTEST_WORD = 3


class PersonalDetailsValidator:
    """Refuse a password containing a word of the user's full name or of their email address
    before the @ (the domain is shared by everyone at the organisation), ignoring case."""

    def validate(self, password: str, user=None) -> None:
        if user is None:
            return
        words = personal_words(getattr(user, "full_name", ""), getattr(user, "email", ""))
        lowered = password.lower()
        if any(word in lowered for word in words):
            raise ValidationError(
                "Your password contains your name or part of your email address. Choose one "
                "that does not.",
                code="password_contains_personal_details",
            )

    def get_help_text(self) -> str:
        return "Your password cannot contain your name or a part of your email address."


def personal_words(full_name: str, email: str) -> set[str]:
    """The words a password may not contain: those of the name and of the email address
    before the @, of SHORTEST_WORD letters or more, in lower case."""
    local = (email or "").lower().partition("@")[0]
    parts = [*re.split(r"[^a-z]+", (full_name or "").lower()), *re.split(r"[^a-z]+", local)]
    return {part for part in parts if len(part) >= SHORTEST_WORD}
