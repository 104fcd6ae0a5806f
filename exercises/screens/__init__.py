"""The live screens: what each viewer sees of one exercise, as data, as partials, as frames.

Read only (import-linter: screens import neither ``exercises.services`` nor ``exercises.bots``).

- ``snapshot``: ``Snapshot`` (one exercise at one seq), the viewer kinds, the event-type sets.
- ``labels``: ids in words (roles, actions, injects, channels, indicators, phases, topics,
  actors), rule and status labels, the clock bar; the ``Labels`` look-up ``describe`` reads.
- ``description`` / ``describe`` / ``describe_decisions``: the one wording of an event for one
  viewer (``describe``), shared by the feed and the review.
- ``feed``: the situation feed's cards and the channels' messages.
- ``panels`` / ``roster``: channels, indicators, actions, proposals, brief, injects; seats, people.
- ``partials``: render a partial once per content (``render``, ``append``).
- ``contexts``: each fragment's context, and the whole screens (room, lobby, console, act-as).
- ``frames``: one viewer's frame for a batch (only the panels it may have changed).
- ``audiences``: a batch's frame per audience (shared snapshot, panels already sent left out)
  and the catch-up replay.
- ``answers``: toasts, acks, error and refusal texts, presence badges.
"""
