"""The call page in real Chromium: joining, the mesh, media, controls, hang up, resume and refusals."""
import time

from selenium.webdriver.common.by import By

from conftest import all_connected, join, screenshot, stats, until, wait


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
    until(lambda: all(l["audioPackets"] > 20 for d in (ada, bob) for l in stats(d)["links"]), 20, "audio packets")
    time.sleep(1)
    assert all(l["videoFrames"] == 0 for d in (ada, bob) for l in stats(d)["links"])
    bob_id = stats(bob)["self"]
    assert tile_state(ada, bob_id) == {"audio": "true", "video": "false", "screen": "false", "name": "Bob"}

    ada.find_element(By.CSS_SELECTOR, "[aria-label='Camera']").click()
    until(lambda: video_frames_grow(bob, 2), 30, "Bob to decode Ada's video")
    ada_id = stats(ada)["self"]
    until(lambda: tile_state(bob, ada_id)["video"] == "true", 10, "Ada's camera to show on Bob's tile")
    # Bob's camera is still off: Ada decodes nothing.
    assert all(l["videoFrames"] == 0 for l in stats(ada)["links"])
