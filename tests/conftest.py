"""Fixtures shared across the test suite. Append new ones below, one small block each."""

from pathlib import Path

import pytest

from scenarios.loader import load_file

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def mini_path() -> Path:
    """The small valid scenario that exercises every rule kind."""
    return FIXTURES / "mini.yaml"


@pytest.fixture
def mini_raw(mini_path: Path) -> dict:
    """A fresh raw dict of mini.yaml, safe to mutate (each test gets its own copy)."""
    return load_file(mini_path)[1]
