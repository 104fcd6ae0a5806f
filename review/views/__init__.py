"""The review's views: ``pages`` read, ``edits`` write through ``exercises.services``, ``common`` is shared."""
