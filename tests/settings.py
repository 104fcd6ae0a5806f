"""The settings the test run uses: the real ones, with DEBUG asked for explicitly.

Unset ``DJANGO_DEBUG`` means DEBUG off (and then a real ``DJANGO_SECRET_KEY`` is required), so
the tests say what they want, as ``make run`` does. pytest-django still runs each test with
DEBUG False; worker subprocesses get DEBUG off and a random key (tests/services/conftest.py).
"""

import os
import secrets

os.environ.setdefault("DJANGO_DEBUG", "1")
# One strong key for the run, in the environment so that worker subprocesses (DEBUG off, which
# refuses weak keys) sign and read the same sessions as the test process.
os.environ.setdefault("DJANGO_SECRET_KEY", "test-" + secrets.token_urlsafe(48))

from config.settings import *  # noqa: E402, F403

# Hashing a password properly takes a quarter of a second by design; tests make hundreds of accounts.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The test database is dropped at the end of the run: connections that render or release threads
# keep open (persistent by default, docs/deploy.md) would hold it. Each use opens its own here.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
