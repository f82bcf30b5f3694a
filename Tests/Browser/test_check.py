"""The self-test page, /calls/check, in real Chromium: the owner reaches it from the panel, and every
check of this browser passes with fake devices (a secure page on loopback, the microphone with a moving
meter, the camera with a picture, the call server's WebSocket, host candidates); with a real coturn, the
TURN check gets a relay candidate with the credentials the gateway issues, and refuses wrong ones."""
import os
import shutil
import socket
import subprocess
import tempfile

import pytest
from selenium.webdriver.common.by import By

from conftest import Gateway, screenshot, until, wait


def state(driver, check):
    return driver.find_element(By.ID, check).get_attribute("data-state")


def text(driver, check):
    return driver.find_element(By.CSS_SELECTOR, f"#{check} .check-text").text


def settled(driver, check, expected, timeout=45):
    """Waits until the check is no longer running, then says which state it took (with its sentence)."""
    wait(driver, lambda d: state(d, check) != "running", timeout, f"the {check} check to finish")
    got = state(driver, check)
    assert got == expected, (check, got, text(driver, check))
    return text(driver, check)


def candidate_types(driver):
    return driver.execute_script("return [...document.querySelectorAll('#ice-candidates li')].map(e => e.dataset.type)")


def test_the_owner_opens_the_self_test_from_the_panel_and_this_browser_passes(gateway, browsers):
    owner = browsers(gateway.base, gateway.session)
    owner.get(gateway.base + "/calls")
    wait(owner, lambda d: d.find_element(By.ID, "contacts").is_displayed(), message="the panel")
    owner.find_element(By.ID, "check-link").click()
    wait(owner, lambda d: d.current_url == gateway.base + "/calls/check", message="the self-test page")

    # Loopback counts as a secure context.
    assert "secure context" in settled(owner, "check-secure", "pass")
    assert "microphone is on" in settled(owner, "check-microphone", "pass")
    assert "camera works" in settled(owner, "check-camera", "pass")
    assert owner.execute_script("return document.getElementById('check-preview').videoWidth") > 0
    # The meter follows the fake microphone's beeps: it takes several different levels, not just one.
    levels = set()

    def meter_moves(d):
        levels.add(round(d.execute_script("return document.getElementById('check-meter').value"), 3))
        return len(levels) >= 4 and max(levels) > 0.01

    wait(owner, meter_moves, 30, "the level meter to move")
    assert "opened the call server's WebSocket" in settled(owner, "check-signaling", "pass")
    assert "of its own (host)" in settled(owner, "check-ice", "pass")
    assert "host" in candidate_types(owner)
    # This gateway hands out no STUN or TURN server, and the page says what to set.
    assert "CROW_TURN_URLS with CROW_TURN_SECRET" in settled(owner, "check-turn", "warn")
    # The owner's part: no relay yet, no invite yet.
    assert owner.find_element(By.ID, "owner-checks").is_displayed()
    assert "listens on no relay" in settled(owner, "check-relays", "warn")
    assert "No invite was sent or received yet" in settled(owner, "check-invites", "skip")
    summary = owner.find_element(By.ID, "check-summary")
    wait(owner, lambda d: summary.get_attribute("data-state") == "warn", message="the summary")
    assert "2 warnings" in summary.text
    # The whole page in one picture, for the README.
    height = min(2400, owner.execute_script("return document.documentElement.scrollHeight"))
    owner.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False})
    wait(owner, lambda d: d.execute_script("return window.innerHeight") == height, 10, "the taller viewport")
    screenshot(owner, "check.png")
    owner.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    # Run again: every check comes back, and the page opens its check socket once more.
    owner.find_element(By.ID, "rerun").click()
    assert "opened the call server's WebSocket" in settled(owner, "check-signaling", "pass")
    settled(owner, "check-microphone", "pass")
    # The self-test never touched the ledger: no room, no token, no join.
    assert gateway.events("room.created") == [] and gateway.events("peer.joined") == []


def test_a_guest_sees_the_checks_of_this_browser_and_not_the_owners(gateway, browsers):
    guest = browsers()
    guest.get(gateway.base + "/calls/check")
    settled(guest, "check-signaling", "pass")
    settled(guest, "check-ice", "pass")
    settled(guest, "check-turn", "warn")
    assert not guest.find_element(By.ID, "owner-checks").is_displayed()
    assert not guest.find_element(By.ID, "back-to-panel").is_displayed()


def test_denied_devices_are_problems_with_what_to_do(gateway, browsers):
    denied = browsers(grant_media=False)
    denied.get(gateway.base + "/calls/check")
    assert "denied" in settled(denied, "check-microphone", "fail")
    assert "site settings" in settled(denied, "check-camera", "fail")
    summary = denied.find_element(By.ID, "check-summary")
    wait(denied, lambda d: summary.get_attribute("data-state") == "fail", message="the summary")
    assert summary.text.startswith("2 problems")


# MARK: - TURN with a real coturn


def own_address():
    """This machine's address on its default route (Chromium gathers no candidates on loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.254", 9))
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("0.0.0.0", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def coturn():
    """coturn with TURN REST credentials (use-auth-secret), as docs/CONFIGURATION.md sets it up."""
    if not shutil.which("turnserver"):
        pytest.skip("coturn (turnserver) is not installed; tools/bootstrap.sh installs it")
    address = own_address()
    port = free_udp_port()
    secret = "self-test-shared-secret"
    here = tempfile.TemporaryDirectory(prefix="crow-check-turn-")
    low = 50000 + (port % 100) * 100
    process = subprocess.Popen(
        ["turnserver", "-n", "--listening-ip", address, "--listening-port", str(port), "--relay-ip", address,
         "--min-port", str(low), "--max-port", str(low + 99), "--use-auth-secret", "--static-auth-secret", secret,
         "--realm", "crow.test", "--fingerprint", "--no-tls", "--no-dtls", "--no-cli", "--no-multicast-peers",
         "--userdb", os.path.join(here.name, "turndb"), "--pidfile", os.path.join(here.name, "turn.pid"),
         "--log-file", os.path.join(here.name, "turn.log"), "--simple-log", "--no-stdout-log"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    listening = f"{address}:{port}"
    until(lambda: listening in subprocess.run(["ss", "-lun"], capture_output=True, text=True, timeout=30).stdout,
          30, "coturn to listen")
    yield {"url": f"turn:{address}:{port}?transport=udp", "secret": secret}
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(30)
    here.cleanup()


def test_turn_answers_with_the_issued_credentials_and_a_relay_candidate_appears(coturn, browsers):
    served = Gateway(env={"CROW_TURN_URLS": coturn["url"], "CROW_TURN_SECRET": coturn["secret"]})
    try:
        owner = browsers(served.base, served.session)
        owner.get(served.base + "/calls/check")
        assert "answered with the credentials this gateway issues" in settled(owner, "check-turn", "pass")
        assert "relay" in candidate_types(owner)
        # The credentials never reach the access log (it records no query strings and no bodies).
        assert not [line for line in served.lines if coturn["secret"] in line or "credential" in line]

        # Someone who is not signed in is told TURN is tested for the owner only.
        guest = browsers()
        guest.get(served.base + "/calls/check")
        assert "owner only" in settled(guest, "check-turn", "skip")
        assert "relay" not in candidate_types(guest)
    finally:
        served.stop()


def test_turn_refusing_the_gateways_credentials_is_a_problem_that_names_the_secret(coturn, browsers):
    served = Gateway(env={"CROW_TURN_URLS": coturn["url"], "CROW_TURN_SECRET": "not-the-shared-secret"})
    try:
        owner = browsers(served.base, served.session)
        owner.get(served.base + "/calls/check")
        assert "CROW_TURN_SECRET" in settled(owner, "check-turn", "fail")
        assert "relay" not in candidate_types(owner)
    finally:
        served.stop()
