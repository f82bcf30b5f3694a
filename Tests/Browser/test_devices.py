"""Microphone, camera and speaker choice before joining and in the call, devices that come and go, and
a lost or denied device tried again. Real Chromium with its fake devices (three microphones, one
camera, three speakers)."""
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import all_connected, join, stats, two_in_a_call, until, wait


def options(driver, select_id):
    return driver.execute_script(
        "return [...document.getElementById(arguments[0]).options].map((o) => [o.value, o.textContent]);", select_id)


def pick(driver, select_id, label):
    """Chooses `label` in a picker as a person does. The page may be filling the list again at that
    moment (a device allowed, a device change): then the option is chosen again in the new list."""
    def chosen():
        try:
            Select(driver.find_element(By.ID, select_id)).select_by_visible_text(label)
        except StaleElementReferenceException:
            return False
        return True
    until(chosen, 30, f"{label} chosen")
    return [value for value, text in options(driver, select_id) if text == label][0]


def mic_device(driver):
    return driver.execute_script(
        "const t = window.crowCall.media.audioTrack; return t && t.readyState === 'live' ? t.getSettings().deviceId : null;")


def sends_current_mic(driver):
    return driver.execute_script(
        "const m = window.crowCall.mesh, media = window.crowCall.media;"
        "return m.links.size > 0 && [...m.links.values()].every((l) => l.primary('audio').sender.track === media.audioTrack);")


def audio_grows(receiver):
    base = stats(receiver)["links"][0]["audioPackets"]
    until(lambda: stats(receiver)["links"][0]["audioPackets"] > base + 20, 30, "audio to arrive")


def tile_audio(driver, peer_id):
    return driver.execute_script(
        "const t = document.querySelector(`[data-peer=\"${arguments[0]}\"]`); return t ? t.dataset.audio : null;", peer_id)


def test_devices_are_chosen_before_joining_and_switched_in_the_call(gateway, browsers):
    room = gateway.room("Ada")
    ada, bob = browsers(), browsers()
    ada.get(room["callUrl"])
    wait(ada, lambda d: d.find_element(By.ID, "join").is_displayed(), message="pre-join screen")
    # Once the microphone is allowed, the pickers list the devices by name.
    wait(ada, lambda d: "Fake Audio Input 1" in [t for _, t in options(d, "choose-mic")], message="the microphones")
    assert "fake_device_0" in [t for _, t in options(ada, "choose-camera")]
    assert "Fake Audio Output 1" in [t for _, t in options(ada, "choose-speaker")]
    until(lambda: mic_device(ada), 30, "the microphone")
    ada.execute_script("window.firstMic = window.crowCall.media.audioTrack;")
    first = pick(ada, "choose-mic", "Fake Audio Input 1")
    until(lambda: mic_device(ada) == first, 30, "the chosen microphone")
    assert ada.execute_script("return window.firstMic.readyState") == "ended"
    # The meter follows the new microphone.
    until(lambda: ada.execute_script("return document.getElementById('mic-meter').value") > 0, 30, "the meter to move")

    ada.find_element(By.ID, "join").click()
    wait(ada, lambda d: d.find_element(By.ID, "incall").is_displayed(), message="the call screen")
    join(bob, gateway.guest_link(room["roomCode"]), "Bob")
    until(lambda: all_connected([ada, bob], 2), 45, "the call to connect")
    assert mic_device(ada) == first and sends_current_mic(ada)

    # In the call, Devices opens the same pickers; another microphone replaces the track on the
    # connection without renegotiating, and Bob keeps hearing Ada.
    ada.find_element(By.ID, "toggle-devices").click()
    wait(ada, lambda d: d.find_element(By.ID, "choose-mic").is_displayed(), message="the devices panel")
    ada.execute_script("window.secondMic = window.crowCall.media.audioTrack;")
    second = pick(ada, "choose-mic", "Fake Audio Input 2")
    until(lambda: mic_device(ada) == second and sends_current_mic(ada), 30, "the second microphone on the connection")
    assert ada.execute_script("return window.secondMic.readyState") == "ended"
    audio_grows(bob)

    # Bob plays the call on another speaker.
    bob.find_element(By.ID, "toggle-devices").click()
    wait(bob, lambda d: d.find_element(By.ID, "choose-speaker").is_displayed(), message="Bob's devices panel")
    speaker = pick(bob, "choose-speaker", "Fake Audio Output 1")
    until(lambda: bob.execute_script(
        "return [...document.querySelectorAll('.tile:not([data-peer=\"self\"]) video')].map((v) => v.sinkId)") == [speaker],
        30, "the remote audio on the chosen speaker")

    # A device that comes or goes makes the lists read again.
    ada.execute_script("document.getElementById('choose-mic').replaceChildren();"
                       "navigator.mediaDevices.dispatchEvent(new Event('devicechange'));")
    until(lambda: len(options(ada, "choose-mic")) >= 3, 30, "the microphones listed again")

    # The choice stays with this browser: after a reload the call resumes on the same microphone.
    ada.refresh()
    wait(ada, lambda d: d.find_element(By.ID, "incall").is_displayed(), message="the call after reload")
    until(lambda: mic_device(ada) == second, 30, "the remembered microphone")


def test_an_unplugged_microphone_or_camera_is_said_and_can_be_turned_on_again(gateway, browsers):
    _, ada, bob = two_in_a_call(gateway, browsers)
    ada_id = stats(ada)["self"]
    # The browser ends a track whose device is unplugged; that is what the page sees.
    ada.execute_script("const t = window.crowCall.media.audioTrack; t.stop(); t.dispatchEvent(new Event('ended'));")
    alert = ada.find_element(By.ID, "call-alert")
    wait(ada, lambda d: alert.is_displayed() and "Your microphone stopped" in alert.text, message="the lost microphone")
    mic = ada.find_element(By.ID, "toggle-mic")
    assert mic.text.endswith("Turn on mic") and mic.get_attribute("disabled") is None
    until(lambda: tile_audio(bob, ada_id) == "false", 30, "Bob to see Ada without a microphone")
    mic.click()
    until(lambda: mic_device(ada) is not None and sends_current_mic(ada), 30, "the microphone back on the connection")
    until(lambda: tile_audio(bob, ada_id) == "true", 30, "Bob to see Ada's microphone on")
    assert not alert.is_displayed()
    audio_grows(bob)

    ada.find_element(By.ID, "toggle-camera").click()
    until(lambda: ada.execute_script("return Boolean(window.crowCall.media.cameraTrack)"), 30, "the camera")
    ada.execute_script("const t = window.crowCall.media.cameraTrack; t.stop(); t.dispatchEvent(new Event('ended'));")
    wait(ada, lambda d: alert.is_displayed() and "Your camera stopped" in alert.text, message="the lost camera")
    assert ada.execute_script("return window.crowCall.media.state.video") is False
    ada.find_element(By.ID, "toggle-camera").click()
    until(lambda: ada.execute_script("return Boolean(window.crowCall.media.cameraTrack)"), 30, "the camera again")
