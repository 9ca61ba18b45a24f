"""Per-address throttling of the public self-referral form, in Django's cache.

Limit: SELF_REFERRAL_LIMIT submissions that would write a row (a referral, or the record of an
emergency stop) from one IP address per SELF_REFERRAL_WINDOW seconds. A post that fails
validation writes nothing and is not counted, so a person correcting their mistakes never uses
up the limit; the next writing submission over it is refused with the answers kept. Ten an hour
lets a household or surgery waiting room behind one address send a few referrals, while a flood
stops after ten rows at most. The count lives in the default cache: per process with the
local-memory cache, shared by every web worker once CACHES points at Redis.
"""

from django.core.cache import cache

SELF_REFERRAL_LIMIT = 10
SELF_REFERRAL_WINDOW = 60 * 60
_KEY = "referrals:self-refer:{address}"


def client_address(request) -> str:
    """The connecting address. Behind a proxy this is the proxy's, unless the deployment
    rewrites REMOTE_ADDR from a trusted forwarding header."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def allow_self_referral(address: str) -> bool:
    """Count one writing submission from `address`; return False once it is over the limit in
    this window. Call it only for a submission that passed validation."""
    key = _KEY.format(address=address)
    # add() starts the window only if no count exists, so the window is fixed from the first
    # submission rather than sliding with every retry.
    if cache.add(key, 1, timeout=SELF_REFERRAL_WINDOW):
        return True
    try:
        count = cache.incr(key)
    except ValueError:
        # The window ended between add() and incr(): start a new one.
        cache.set(key, 1, timeout=SELF_REFERRAL_WINDOW)
        return True
    return count <= SELF_REFERRAL_LIMIT
