"""Fixtures the interop tests share."""
import pytest

from relay_support import Relay


@pytest.fixture
def relay():
    """A real nostr-relay on loopback, stopped after the test."""
    served = Relay()
    yield served
    served.stop()
