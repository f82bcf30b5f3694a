"""Waiting on a condition in the Python suites: polls, bounded, with a message that says what never
happened."""
import time


def until(condition, timeout=30, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {message}")
