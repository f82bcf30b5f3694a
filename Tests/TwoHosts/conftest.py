"""The two-host suite: two households, each a network namespace with its own gateway (HTTPS on its own
address) and its own browser, on a bridge with a real nostr-relay between them. Run by tools/test.sh
after the browser suite; on its own (as root):

    .venv/bin/python -m pytest Tests/TwoHosts -q

Where network namespaces cannot be made (not root), every test is skipped with the reason."""
import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[0] / "Interop"))

from network import Segment, available  # noqa: E402
from relay_support import Relay  # noqa: E402

USABLE, WHY_NOT = available()


def pytest_collection_modifyitems(items):
    if USABLE:
        return
    for item in items:
        item.add_marker(pytest.mark.skip(reason="two-host suite skipped: " + WHY_NOT))


@pytest.fixture
def segment():
    """A bridge of its own for each test; households are added with `segment.host(name)`."""
    made = Segment()
    yield made
    made.close()


@pytest.fixture
def relay(segment):
    """A real nostr-relay on the bridge's address, where every household reaches it."""
    served = Relay(port=7447, host=segment.address)
    yield served
    served.stop()
