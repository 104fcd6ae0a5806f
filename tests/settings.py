"""The settings the test run uses: the real ones, with DEBUG asked for explicitly.

Unset ``DJANGO_DEBUG`` means DEBUG off (and then a real ``DJANGO_SECRET_KEY`` is required), so
the tests say what they want, as ``make run`` does. pytest-django still runs each test with
DEBUG False; worker subprocesses get DEBUG off and a random key (tests/services/conftest.py).
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")

from config.settings import *  # noqa: E402, F403

# Hashing a password properly takes a quarter of a second by design; tests make hundreds of accounts.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
