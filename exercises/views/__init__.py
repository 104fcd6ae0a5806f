"""The runtime app's pages, by who uses them: ``players`` (home, join, play, the projector),
``console`` (the facilitator's console of one exercise, and their home), ``workshop`` (every table
at once); ``common`` holds what they share (look-ups, the command from a form post).

Thin function views: authenticate through ``selectors`` (or ``access``), call a ``service``, render.
"""
