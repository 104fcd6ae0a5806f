"""Who may do what in the studio. One function decides who may change a scenario.

Every facilitator (staff) may open the studio, read every scenario, copy it, preview it,
dry-run it and start exercises from it: scenarios are teaching material, shared on the
instance like the shipped library (the review's ``scenario.yaml`` export shows a version to
anyone who may see an exercise on it). What is private is what was played: the exercises
and workshops that use a version are listed only to staff who may see them
(``exercises.access.visible_exercises``), and a dry run's results only to the person who ran it.

Changing a scenario copy (``can_edit``) is for its **owner**, the facilitator who made the copy
or imported the file, and for superusers (operators, who may also fix a colleague's draft).
Issue #9's co-facilitators are people added to an *exercise* or a *workshop*; a scenario copy
has no table and no staff list, so there is no one to be its co-facilitator: a colleague who
wants to change it makes their own copy (one click), which keeps every version's author
honest. Shipped scenarios (the library files, which have no draft) can be changed by nobody
here. Anonymous visitors are sent to sign in; anyone signed in who is not staff gets 404, as
everywhere else for staff pages (``exercises.access``).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from exercises.access import staff_only
from exercises.selectors import is_facilitator

from .models import Draft

# Facilitators only: anonymous visitors sign in first; other accounts get 404 (the one decorator).
staff_required = staff_only


def can_edit(user: Any, draft: Draft | None) -> bool:
    """The one access check for changes: the facilitator who owns this copy, or a superuser."""
    if draft is None or not is_facilitator(user) or not user.is_active:
        return False
    return draft.owner_id == user.pk or bool(user.is_superuser)


def editable(user: Any, slug: str) -> Draft:
    """The draft of ``slug`` if this user may change it; 404 otherwise (read-only or someone else's)."""
    draft = Draft.objects.select_related("base", "owner").defer("base__snapshot").filter(slug=slug).first()
    if draft is None or not can_edit(user, draft):
        raise Http404("no scenario you can edit has this name")
    return draft
