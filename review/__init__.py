"""The instructor review: every page derived from one exercise's event log. It only reads.

- ``log``: ``Entry``, ``Log`` and ``load`` (the log in memory, read through ``exercises.selectors``).
- ``wording``: ``describe`` and ``cause_label`` (one line per event; replaced later by ``exercises.screens``).
- ``decisions``: every proposal and its fate, each approval asked and how long it took.
- ``coordination``: first responses to injects, who talked to whom, blocking rules, contradictions.
- ``analytics``: ``Analysis``, ``analyse`` (one fold), objectives, phase summaries, ``analysis_for`` (cache).
- ``timeline``: the filter form, the paginated timeline and its rows.
- ``charts``: the SVG series of the indicator charts.
- ``report``: debrief questions, observations, the after-action ``Report``.
- ``share``: the players' read-only share page (``Shared``).
- ``exports``: JSON Lines and every CSV export, through one streaming CSV helper.
- ``compare``: a workshop's tables side by side.
- ``forms``: the report's written parts (a form) and its improvement plan (a formset).
- ``pdf``: the after-action report drawn to PDF by WeasyPrint.
- ``replay``: a role's screen at an earlier event.
- ``views``: the pages (``views.pages`` reads; ``views.edits`` writes through ``exercises.services``).
"""
