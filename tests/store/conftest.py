"""What the history tests share: histories written by older versions, and an open store."""

import pytest

pytest.register_assert_rewrite("tests.support.history_fixtures")

from albumstudio.store.history import HistoryStore  # noqa: E402
from tests.support.history_fixtures import old_history  # noqa: E402


@pytest.fixture
def v1_history():
    """The version 1 history (AlbumStudio 0.1) in this test's data folder."""
    return old_history(1)


@pytest.fixture
def v2_history():
    """The version 2 history in this test's data folder."""
    return old_history(2)


@pytest.fixture
def v3_history():
    """The version 3 history in this test's data folder."""
    return old_history(3)


@pytest.fixture
def store(tmp_path):
    """An empty history in ``tmp_path / "h"``, closed after the test."""
    store = HistoryStore(tmp_path / "h")
    yield store
    store.close()
