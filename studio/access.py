"""Who may do what in the studio. One function decides who may change a scenario.

Every facilitator (staff) may open the studio, read every scenario, copy it, preview it,
dry-run it and start exercises from it. Changing one is for its owner only; shipped
scenarios (the library files, which have no draft) can be changed by nobody here.

When exercises get co-facilitators (issue #9), extend ``can_edit`` and nothing else.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import user_passes_test
from django.http import Http404

from exercises.selectors import is_facilitator

from .models import Draft

staff_required = user_passes_test(is_facilitator)


def can_edit(user: Any, draft: Draft | None) -> bool:
    """The one access check for changes: a facilitator who owns this copy."""
    return draft is not None and is_facilitator(user) and draft.owner_id == user.pk


def editable(user: Any, slug: str) -> Draft:
    """The draft of ``slug`` if this user may change it; 404 otherwise (read-only or someone else's)."""
    draft = Draft.objects.select_related("base", "owner").defer("base__snapshot").filter(slug=slug).first()
    if not can_edit(user, draft):
        raise Http404("no scenario you can edit has this name")
    assert draft is not None
    return draft
