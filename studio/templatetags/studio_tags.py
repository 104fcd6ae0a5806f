from django import template

register = template.Library()


@register.filter
def get_bound(form, name: str):
    """``form[name]`` for a name held in a variable (the editor's fields are made per item)."""
    return form[name]


@register.filter
def offset_of(seconds):
    """Game seconds as ``T+1d 02:30``."""
    from exercises.engine.clock import offset_label

    return offset_label(int(seconds))


@register.filter
def fired_count(injects) -> int:
    return sum(1 for i in injects if i.get("fired"))


@register.filter
def available_count(actions) -> int:
    return sum(1 for a in actions if a.get("available_in"))


@register.filter
def panel_title(name: str) -> str:
    """A group's or panel's name (as stored in the edit log) as its title, in the reader's language."""
    from studio.editor import GROUPS, PANELS_BY_NAME

    found = GROUPS.get(name) or PANELS_BY_NAME.get(name)
    return str(found.title) if found else name
