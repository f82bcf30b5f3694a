"""The call page in real Chromium: joining, the mesh, media, controls, hang up, resume and refusals."""
import re
import time

from selenium.webdriver.common.by import By

from conftest import Gateway, all_connected, join, screenshot, stats, two_in_a_call, until, wait


def tile_state(driver, peer_id):
    return driver.execute_script(
        "const t = document.querySelector(`[data-peer=\"${arguments[0]}\"]`);"
        "return t ? {audio: t.dataset.audio, video: t.dataset.video, screen: t.dataset.screen,"
        " name: t.querySelector('.name').textContent} : null;",
        peer_id,
    )


def video_frames_grow(driver, peers):
    """Every connection decodes video, and keeps decoding."""
    first = {l["peerId"]: l["videoFrames"] for l in stats(driver)["links"]}
    if len(first) != peers - 1:
        return False
    time.sleep(0.5)
    second = {l["peerId"]: l["videoFrames"] for l in stats(driver)["links"]}
    return all(second[p] > first[p] > 0 for p in first)


def test_two_browsers_connect_with_audio_and_no_video_until_the_camera_is_on(gateway, browsers):
    room = gateway.room("Ada")
    ada, bob = browsers(), browsers()
    join(ada, room["callUrl"], "Ada")
    join(bob, gateway.guest_link(room["roomCode"]), "Bob")
    until(lambda: all_connected([ada, bob], 2), 45, "both connections to reach connected")
    # Audio flows both ways; nothing is decoded as video while both cameras are off.
    until(lambda: all(l["audioPackets"] > 20 for d in (ada, bob) for l in stats(d)["links"]), 30, "audio packets")
    # About a second more of media (50 audio packets at 20 ms) has flowed: video sent with it would
    # have been decoded by now. Neither side encodes any.
    until(lambda: all(l["audioPackets"] > 70 for d in (ada, bob) for l in stats(d)["links"]), 30, "more audio packets")
    assert all(l["videoFrames"] == 0 and l["videoSent"] == 0 for d in (ada, bob) for l in stats(d)["links"])
    bob_id = stats(bob)["self"]
    assert tile_state(ada, bob_id) == {"audio": "true", "video": "false", "screen": "false", "name": "Bob"}

    ada.find_element(By.CSS_SELECTOR, "[aria-label='Camera']").click()
    until(lambda: video_frames_grow(bob, 2), 30, "Bob to decode Ada's video")
    ada_id = stats(ada)["self"]
    until(lambda: tile_state(bob, ada_id)["video"] == "true", 30, "Ada's camera to show on Bob's tile")
    # Bob's camera is still off: Ada decodes nothing.
    assert all(l["videoFrames"] == 0 for l in stats(ada)["links"])


def test_four_browsers_mesh_with_state_for_a_late_joiner_and_a_fifth_is_refused(gateway, browsers):
    room = gateway.room("Ada")
    code = room["roomCode"]
    ada, bob, cy = browsers(), browsers(), browsers()
    join(ada, room["callUrl"], "Ada")
    join(bob, gateway.guest_link(code), "Bob")
    join(cy, gateway.guest_link(code), "Cy")
    until(lambda: all_connected([ada, bob, cy], 3), 120, "three browsers in a full mesh")
    ada_id = stats(ada)["self"]
    # Ada mutes before Dee arrives; Dee must see it from the welcome alone.
    ada.find_element(By.CSS_SELECTOR, "[aria-label='Microphone']").click()
    until(lambda: tile_state(bob, ada_id)["audio"] == "false", 30, "Bob to see Ada muted")
    for driver in (ada, bob):
        driver.find_element(By.CSS_SELECTOR, "[aria-label='Camera']").click()
    until(lambda: video_frames_grow(cy, 3), 120, "Cy to decode Ada's and Bob's video")
    # The README's picture shows each tile's quality line.
    until(lambda: cy.execute_script("return document.querySelectorAll('#grid .tile[data-quality]').length") == 2, 30,
          "the quality figures on Cy's tiles")
    screenshot(cy, "call.png")

    dee = browsers()
    join(dee, gateway.guest_link(code), "Dee")
    assert tile_state(dee, ada_id)["audio"] == "false"
    until(lambda: all_connected([ada, bob, cy, dee], 4), 120, "four browsers in a full mesh (6 connections)")
    for driver in (cy, dee):
        driver.find_element(By.CSS_SELECTOR, "[aria-label='Camera']").click()
    for driver in (ada, bob, cy, dee):
        until(lambda: video_frames_grow(driver, 4), 120, "video decoded on every connection")
    assert ada.find_element(By.ID, "grid").get_attribute("data-count") == "4"

    fifth = browsers()
    fifth.get(gateway.guest_link(code))
    wait(fifth, lambda d: d.find_element(By.ID, "notice").is_displayed(), message="the room-full notice")
    assert fifth.find_element(By.ID, "notice-title").text == "This call is full"


def test_a_used_link_says_so_and_the_page_never_spends_a_token(gateway, browsers):
    room = gateway.room("Ada")
    link = gateway.guest_link(room["roomCode"])
    bob = browsers()
    # Loading the page (even twice) does not use the token.
    bob.get(link)
    wait(bob, lambda d: d.find_element(By.ID, "join").is_displayed())
    bob.get(link)
    wait(bob, lambda d: d.find_element(By.ID, "join").is_displayed())
    details = gateway.api("GET", f"/api/rooms/{room['roomCode']}")
    assert [t["status"] for t in details["tokens"] if t["role"] == "guest"] == ["issued"]
    join(bob, link, "Bob")
    eve = browsers()
    eve.get(link)
    wait(eve, lambda d: d.find_element(By.ID, "notice").is_displayed(), message="the used-link notice")
    assert eve.find_element(By.ID, "notice-title").text == "This link was already used"
    # A link for a room that does not exist, and one cut short.
    eve.get(gateway.base + "/calls?room=aaaaaaaaaaaa&token=" + "x" * 43)
    wait(eve, lambda d: d.find_element(By.ID, "notice-title").text == "This link is not valid")


def test_the_join_race_is_explained_after_the_refused_upgrade(gateway, browsers):
    """The page was loaded while the link was good; someone else used it before Join was clicked."""
    room = gateway.room("Ada")
    link = gateway.guest_link(room["roomCode"])
    bob, eve = browsers(), browsers()
    eve.get(link)
    wait(eve, lambda d: d.find_element(By.ID, "join").is_displayed())
    join(bob, link, "Bob")
    eve.find_element(By.ID, "join").click()
    wait(eve, lambda d: d.find_element(By.ID, "notice").is_displayed(), message="the refusal notice")
    assert eve.find_element(By.ID, "notice-title").text == "This link was already used"


def test_hang_up_drops_the_peer_everywhere_and_the_ledger_records_it(gateway, browsers):
    started = time.monotonic()  # before Bob joins
    room, ada, bob = two_in_a_call(gateway, browsers)
    bob_id = stats(bob)["self"]
    # Bob has been in the call for at least a second by his page's own clock.
    until(lambda: bob.execute_script(
        "const s = JSON.parse(sessionStorage.getItem('crow-call:' + arguments[0]) || 'null');"
        "return Boolean(s && s.joinedAt && Date.now() - s.joinedAt >= 1000);", room["roomCode"]), 30, "a second in the call")
    bob.find_element(By.CSS_SELECTOR, "[aria-label='Hang up']").click()
    wait(bob, lambda d: d.find_element(By.ID, "ended").is_displayed())
    elapsed = time.monotonic() - started
    # The duration shown (rounded to the second) is at least that second, and no longer than this
    # test has been waiting for it.
    shown = re.fullmatch(r"Duration (\d+):(\d\d)", bob.find_element(By.ID, "ended-duration").text)
    assert shown, bob.find_element(By.ID, "ended-duration").text
    seconds = int(shown.group(1)) * 60 + int(shown.group(2))
    assert 1 <= seconds <= elapsed + 1, (seconds, elapsed)
    # Every track is stopped.
    assert bob.execute_script("return window.crowCall.media.audioTrack") is None
    until(lambda: stats(ada)["links"] == [], 30, "Ada to drop Bob's connection")
    until(lambda: tile_state(ada, bob_id) is None, 30, "Bob's tile to go")
    left = until(lambda: [e for e in gateway.events("peer.left") if e["data"]["peerId"] == bob_id], 30, "peer.left")
    assert left[0]["data"]["reason"] == "hangup"


def test_a_reload_mid_call_resumes_the_same_seat_and_media_flows_again(gateway, browsers):
    room, ada, bob = two_in_a_call(gateway, browsers)
    bob_id = stats(bob)["self"]
    bob.refresh()
    wait(bob, lambda d: d.find_element(By.ID, "incall").is_displayed(), message="the call screen after reload")
    assert stats(bob)["self"] == bob_id
    until(lambda: all_connected([ada, bob], 2), 45, "the call to connect again")
    before = stats(bob)["links"][0]["audioPackets"]
    until(lambda: stats(bob)["links"][0]["audioPackets"] > before + 20, 30, "audio to flow again")
    # Nobody left: no peer.left for Bob, and Ada still has exactly one tile for him.
    assert not [e for e in gateway.events("peer.left") if e["data"]["peerId"] == bob_id]
    assert ada.execute_script(f"return document.querySelectorAll('[data-peer=\"{bob_id}\"]').length") == 1


def test_screen_share_replaces_the_video_and_the_other_side_decodes_it(gateway, browsers):
    room, ada, bob = two_in_a_call(gateway, browsers)
    ada_id = stats(ada)["self"]
    share = ada.find_element(By.CSS_SELECTOR, "[aria-label='Share screen']")
    assert share.is_displayed()
    share.click()
    until(lambda: ada.execute_script("return Boolean(window.crowCall.media.screenTrack)"), 30, "the screen capture")
    label = ada.execute_script("return window.crowCall.media.screenTrack.label")
    assert label  # headless Chromium's fake capture source (from --use-fake-ui-for-media-stream)
    until(lambda: tile_state(bob, ada_id)["screen"] == "true", 30, "the screen badge on Bob's side")
    until(lambda: video_frames_grow(bob, 2), 30, "Bob to decode the shared screen")
    sent = ada.execute_script(
        "const l = [...window.crowCall.mesh.links.values()][0];"
        "return l.primary('video').sender.track === window.crowCall.media.screenTrack;"
    )
    assert sent
    share.click()
    until(lambda: tile_state(bob, ada_id)["screen"] == "false", 30, "the share to stop")


def test_the_pre_join_meter_moves_and_the_test_mode_video_reaches_the_other_side(gateway, browsers):
    room = gateway.room("Ada")
    ada, bob = browsers(), browsers()
    ada.get(room["callUrl"])
    wait(ada, lambda d: d.find_element(By.ID, "join").is_displayed())
    assert "hosting" in ada.find_element(By.ID, "prejoin-host").text
    levels = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(levels) < 3:
        levels.add(round(float(ada.find_element(By.ID, "mic-meter").get_attribute("value")), 3))
        time.sleep(0.1)
    assert len(levels) >= 3 and max(levels) > 0, levels
    ada.find_element(By.ID, "preview-camera").click()
    wait(ada, lambda d: d.find_element(By.ID, "preview-video").is_displayed())
    # The picture is in the preview (frames decoded), and the device pickers are filled, for the README.
    wait(ada, lambda d: d.execute_script(
        "const v = document.getElementById('preview-video');"
        "return v.videoWidth > 0 && v.currentTime > 0.3 && document.getElementById('choose-mic').options.length > 1;"),
        message="the camera preview playing and the device pickers filled")
    screenshot(ada, "prejoin.png")
    ada.find_element(By.ID, "join").click()
    wait(ada, lambda d: d.find_element(By.ID, "incall").is_displayed())
    # The camera preview does not carry into the call: video starts off.
    assert ada.execute_script("return window.crowCall.media.state.video") is False
    join(bob, gateway.guest_link(room["roomCode"]), "Bob")
    until(lambda: all_connected([ada, bob], 2), 45, "the call to connect")
    mode = ada.find_element(By.CSS_SELECTOR, "[aria-label='Test pattern']")
    mode.click()
    until(lambda: video_frames_grow(bob, 2), 30, "Bob to decode the test pattern")
    ada_id = stats(ada)["self"]
    until(lambda: tile_state(bob, ada_id)["video"] == "true", 30, "Ada's video to show on Bob's tile")
    assert mode.get_attribute("aria-pressed") == "true"


def ufrags(driver):
    """The remote ICE ufrag of each connection (it changes with every ICE restart)."""
    return driver.execute_script(
        "return [...window.crowCall.mesh.links.values()].map(l => {"
        " const m = (l.pc.remoteDescription && l.pc.remoteDescription.sdp || '').match(/a=ice-ufrag:(\\S+)/);"
        " return m ? m[1] : null; });"
    )


def test_ice_restarts_renegotiate_even_when_both_sides_restart_at_once(gateway, browsers):
    room, ada, bob = two_in_a_call(gateway, browsers)
    before = ufrags(ada)
    restart = "for (const l of window.crowCall.mesh.links.values()) l.pc.restartIce();"
    ada.execute_script(restart)
    until(lambda: ufrags(ada) != before and all_connected([ada, bob], 2), 30, "one side's ICE restart")
    # Both restart in the same instant: the offers cross, and perfect negotiation settles it.
    before = ufrags(ada), ufrags(bob)
    ada.execute_script(restart)
    bob.execute_script(restart)
    until(lambda: (ufrags(ada), ufrags(bob)) != before and all_connected([ada, bob], 2), 30, "crossed ICE restarts")
    # Perfect negotiation settles: both sides end stable (the last answer may still be on its way).
    until(lambda: [d.execute_script("return [...window.crowCall.mesh.links.values()].map(l => l.pc.signalingState)")
                   for d in (ada, bob)] == [["stable"], ["stable"]], 30, "both sides stable")
    base = stats(bob)["links"][0]["audioPackets"]
    until(lambda: stats(bob)["links"][0]["audioPackets"] > base + 20, 30, "audio after the restarts")


def test_a_dropped_socket_resumes_without_anyone_noticing(gateway, browsers):
    room, ada, bob = two_in_a_call(gateway, browsers)
    bob_id = stats(bob)["self"]
    first_socket = bob.execute_script("window.firstSocket = window.crowCall.mesh.socket; return true")
    assert first_socket
    # The socket drops (as on a network change); media keeps flowing and the page resumes the seat.
    bob.execute_script("window.crowCall.mesh.socket.close(4001, 'network change')")
    until(lambda: bob.execute_script(
        "const m = window.crowCall.mesh; return m.socket !== window.firstSocket && m.socket.readyState === 1"), 30,
        "a new socket")
    assert stats(bob)["self"] == bob_id
    assert tile_state(ada, bob_id) is not None
    # The resumed socket works: a mute reaches Ada.
    bob.find_element(By.CSS_SELECTOR, "[aria-label='Microphone']").click()
    until(lambda: tile_state(ada, bob_id)["audio"] == "false", 30, "the mute over the resumed socket")
    assert not [e for e in gateway.events("peer.left") if e["data"]["peerId"] == bob_id]


# Records every track getUserMedia hands out, and answers a second and a half late, as a person who
# takes a moment over the permission prompt: the page's own clicks land while requests are pending.
SLOW_PROMPT = """
(() => {
  const made = (window.crowTracks = []);
  const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await real(constraints);
    for (const track of stream.getTracks()) made.push(track);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return stream;
  };
})();
"""


def test_hurried_clicks_leave_no_device_on_after_hang_up_and_the_token_leaves_the_address_bar(gateway, browsers):
    room = gateway.room("Ada")
    ada = browsers()
    ada.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": SLOW_PROMPT})
    ada.get(room["callUrl"])
    wait(ada, lambda d: d.find_element(By.ID, "join").is_displayed(), message="the pre-join screen")
    # The token is out of the address bar (and so out of the history); a reload before joining still
    # finds it in this tab.
    assert ada.current_url == gateway.base + "/calls?room=" + room["roomCode"]
    ada.refresh()
    wait(ada, lambda d: d.find_element(By.ID, "join").is_displayed(), message="the pre-join screen after a reload")
    assert "token" not in ada.current_url

    # Join while the microphone prompt is still up (the page asked for it on load).
    ada.find_element(By.ID, "display-name").send_keys("Ada")
    ada.find_element(By.ID, "join").click()
    wait(ada, lambda d: d.find_element(By.ID, "incall").is_displayed(), message="the call screen")
    # Camera twice in a row, faster than the browser answers; then hang up before it has.
    camera = ada.find_element(By.CSS_SELECTOR, "[aria-label='Camera']")
    ada.execute_script("arguments[0].click(); arguments[0].click();", camera)
    ada.find_element(By.CSS_SELECTOR, "[aria-label='Hang up']").click()
    wait(ada, lambda d: d.find_element(By.ID, "ended").is_displayed(), message="the end screen")
    # One microphone and one camera were asked for, and every track ever handed out ends, also the one
    # the browser delivered after the hang-up.
    until(lambda: ada.execute_script(
        "return window.crowTracks.filter((t) => t.kind === 'video').length === 1"
        " && window.crowTracks.every((t) => t.readyState === 'ended')"), 30, "every track to end")
    # (This page's list: the reload started it afresh.)
    assert ada.execute_script("return window.crowTracks.filter((t) => t.kind === 'audio').length") == 1
    assert ada.find_element(By.ID, "call-alert").is_displayed() is False


# Each connection's video encoding limits, as [maxBitrate, scaleResolutionDownBy].
LIMITS = """
return [...window.crowCall.mesh.links.values()].map((link) => {
  const transceiver = link.primary('video');
  const encoding = transceiver && (transceiver.sender.getParameters().encodings || [])[0];
  return encoding ? [encoding.maxBitrate, encoding.scaleResolutionDownBy] : null;
});
"""


def test_video_limits_follow_the_number_of_people_and_a_shared_screen_keeps_its_detail(gateway, browsers):
    room = gateway.room("Ada")
    ada, bob, cy = browsers(), browsers(), browsers()
    join(ada, room["callUrl"], "Ada")
    join(bob, gateway.guest_link(room["roomCode"]), "Bob")
    join(cy, gateway.guest_link(room["roomCode"]), "Cy")
    until(lambda: all_connected([ada, bob, cy], 3), 45, "the three-way call")
    # Two others: each gets 900 kb/s at two thirds of the size.
    until(lambda: ada.execute_script(LIMITS) == [[900000, 1.5], [900000, 1.5]], 30, "the limits for two others")
    # A shared screen keeps its full size (and says so to the encoder), within the same budget.
    ada.find_element(By.CSS_SELECTOR, "[aria-label='Share screen']").click()
    until(lambda: ada.execute_script("return Boolean(window.crowCall.media.screenTrack)"), 30, "the screen capture")
    assert ada.execute_script("return window.crowCall.media.screenTrack.contentHint") == "detail"
    until(lambda: ada.execute_script(LIMITS) == [[900000, 1], [900000, 1]], 30, "the screen's limits")
    # Cy leaves: one other, the whole budget.
    cy.find_element(By.CSS_SELECTOR, "[aria-label='Hang up']").click()
    until(lambda: ada.execute_script(LIMITS) == [[1500000, 1]], 30, "the limits for one other")


def test_problems_are_sentences_in_the_page_not_lines_in_the_console(browsers, tmp_path):
    """A call mode that fails to load, and a message the call server refuses, each get a plain
    sentence on the page."""
    (tmp_path / "broken.js").write_text("throw new Error('this mode is broken');\n")
    served = Gateway(env={"CROW_CALLS_MODES": "test-canvas,broken", "CROW_CALLS_MODES_DIR": str(tmp_path)})
    try:
        room = served.room("Ada")
        ada = browsers()
        ada.get(room["callUrl"])
        warning = ada.find_element(By.ID, "prejoin-warning")
        wait(ada, lambda d: warning.is_displayed(), message="the pre-join warning")
        assert warning.text.startswith('The call mode "broken" could not be loaded, so its button is missing.')
        field = ada.find_element(By.ID, "display-name")
        field.clear()
        field.send_keys("Ada")
        ada.find_element(By.ID, "join").click()
        wait(ada, lambda d: d.find_element(By.ID, "incall").is_displayed(), message="the call screen")
        # The mode that loaded is there.
        assert [b.get_attribute("data-mode") for b in ada.find_elements(By.CSS_SELECTOR, "[data-mode]")] == ["test-canvas"]
        # A message the server refuses (here one of an unknown type) is answered with `error`: the page says so.
        ada.execute_script("window.crowCall.mesh.socket.send(JSON.stringify({ type: 'nonsense' }))")
        alert = ada.find_element(By.ID, "call-alert")
        wait(ada, lambda d: alert.is_displayed(), message="the alert")
        assert alert.text.startswith("The call server refused a message from this page (unknown_type).")
    finally:
        served.stop()
