"""Messages the call page gives when something outside it fails: a denied microphone, a throttled
network, an unreachable gateway. Each test has its own gateway, because they break it on purpose."""
import pytest
from selenium.webdriver.common.by import By

from conftest import Gateway, wait


@pytest.fixture
def own_gateway():
    served = Gateway()
    yield served
    served.stop()


def test_a_denied_microphone_is_explained_and_joining_to_listen_still_works(own_gateway, browsers):
    gateway = own_gateway
    room = gateway.room("Ada")
    guest = browsers(grant_media=False)
    guest.get(gateway.guest_link(room["roomCode"]))
    warning = guest.find_element(By.ID, "prejoin-warning")
    wait(guest, lambda d: warning.is_displayed(), message="the microphone warning")
    assert "microphone was denied" in warning.text and "still join" in warning.text
    guest.find_element(By.ID, "join").click()
    wait(guest, lambda d: d.find_element(By.ID, "incall").is_displayed())
    alert = guest.find_element(By.ID, "call-alert")
    assert alert.is_displayed() and "No microphone" in alert.text
    # The microphone button tries again: still denied, it says where to allow it; allowed in the
    # browser's settings (here through DevTools), the same click turns the microphone on.
    mic = guest.find_element(By.CSS_SELECTOR, "[aria-label='Microphone']")
    assert mic.get_attribute("disabled") is None and mic.text.endswith("Turn on mic")
    mic.click()
    wait(guest, lambda d: "was denied" in alert.text and "site settings" in alert.text, message="the denial again")
    guest.execute_cdp_cmd("Browser.grantPermissions", {"origin": gateway.base, "permissions": ["audioCapture"]})
    mic.click()
    wait(guest, lambda d: d.execute_script(
        "const t = window.crowCall.media.audioTrack; return Boolean(t && t.readyState === 'live');"),
        message="the microphone once allowed")
    wait(guest, lambda d: not alert.is_displayed() and mic.text.endswith("Mute"), message="the alert to go")


def test_too_many_bad_links_from_one_network_are_throttled_with_a_clear_message(own_gateway, browsers):
    gateway = own_gateway
    room = gateway.room("Ada")
    page = browsers()
    for n in range(10):
        page.get(f"{gateway.base}/calls?room={room['roomCode']}&token=wrong{n}")
        wait(page, lambda d: d.find_element(By.ID, "notice").is_displayed())
        assert page.find_element(By.ID, "notice-title").text == "This link is not valid"
    page.get(gateway.guest_link(room["roomCode"]))
    wait(page, lambda d: d.find_element(By.ID, "notice").is_displayed(), message="the throttle notice")
    assert page.find_element(By.ID, "notice-title").text == "Too many attempts"
    assert "seconds" in page.find_element(By.ID, "notice-text").text
    assert page.find_element(By.ID, "notice-retry").is_displayed()


def test_an_unreachable_gateway_is_said_plainly(own_gateway, browsers):
    gateway = own_gateway
    room = gateway.room("Ada")
    page = browsers()
    page.get(gateway.guest_link(room["roomCode"]))
    wait(page, lambda d: d.find_element(By.ID, "join").is_displayed())
    # Gone at once (SIGKILL): the test is about what the page says, not about how long a graceful stop
    # takes on a machine busy writing to its disk (a CI run once took more than 30 s over one).
    gateway.kill()
    page.find_element(By.ID, "join").click()
    wait(page, lambda d: d.find_element(By.ID, "notice").is_displayed(), message="the unreachable notice")
    assert page.find_element(By.ID, "notice-title").text == "The call server cannot be reached"


def test_a_page_that_is_not_a_secure_context_points_to_https(gateway, browsers):
    room = gateway.room("Ada")
    link = gateway.guest_link(room["roomCode"])
    # The same gateway under a name that is not localhost, over plain http: not a secure context.
    page = browsers(extra_flags=("--host-resolver-rules=MAP calls.insecure.test 127.0.0.1",))
    page.get(link.replace("127.0.0.1", "calls.insecure.test"))
    wait(page, lambda d: d.find_element(By.ID, "notice").is_displayed(), message="the HTTPS notice")
    assert page.execute_script("return window.isSecureContext") is False
    assert page.find_element(By.ID, "notice-title").text == "This page needs HTTPS"
    assert "https://calls.insecure.test" in page.find_element(By.ID, "notice-text").text
    # The link was not used: it still admits someone on a secure page.
    assert [t["status"] for t in gateway.api("GET", f"/api/rooms/{room['roomCode']}")["tokens"] if t["role"] == "guest"] == ["issued"]
