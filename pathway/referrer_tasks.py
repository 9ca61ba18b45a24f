"""What the GP's (or partner's) home page lists under "Things to do": referrals they sent that
came back, and patients they referred who were discharged. Apps register providers
(pathway.extensions): each takes the signed-in user and returns a list of
pathway.extensions.Task."""

from pathway.extensions import Registry, Task

registry = Registry()
register = registry.register


def for_user(user) -> list[Task]:
    return registry.collect(user)
