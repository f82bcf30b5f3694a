"""The browser suite: the real gateway (`crow-calls serve`), real headless Chromium with fake media
devices, driven by Selenium. Run by tools/test.sh after `swift test`; on its own:

    .venv/bin/python -m pytest Tests/Browser -q

The gateway binaries come from .build/debug (or $CROW_BIN_DIR).
"""
import os
import pathlib
import sys
import time

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "PythonSupport"))
from crow_gateway import BIN, PASSWORD, Gateway  # noqa: E402,F401 (re-exported for the tests)
from waiting import until  # noqa: E402,F401 (re-exported for the tests)

# The README's screenshots are retaken by every run; they replace docs/screenshots only when asked
# (CROW_UPDATE_SCREENSHOTS=1), so a test run leaves the working tree clean.
SCREENSHOTS = ROOT / ("docs/screenshots" if os.environ.get("CROW_UPDATE_SCREENSHOTS") == "1" else ".build/screenshots")


def chromium(base=None, session=None, grant_media=True, extra_flags=()):
    """Headless Chromium with fake camera and microphone. With `grant_media`, it also says yes to every
    media permission prompt; without it, headless Chromium says no (as a person who denies it)."""
    options = Options()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if grant_media:
        options.add_argument("--use-fake-ui-for-media-stream")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--use-fake-device-for-media-stream",
        "--autoplay-policy=no-user-gesture-required",
        "--window-size=1280,800",
        "--disable-features=MediaSessionService",
        *extra_flags,
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
    driver.set_script_timeout(30)
    if base and session:
        driver.get(base + "/healthz")
        driver.add_cookie({"name": "crow_session", "value": session, "path": "/"})
    return driver


@pytest.fixture(scope="module")
def gateway():
    served = Gateway()
    yield served
    served.stop()


@pytest.fixture
def browsers():
    """Makes browsers on demand; all are closed after the test."""
    made = []

    def make(base=None, session=None, grant_media=True, extra_flags=()):
        driver = chromium(base, session, grant_media, extra_flags)
        made.append(driver)
        return driver

    yield make
    for driver in made:
        try:
            driver.quit()
        except Exception:
            pass


def wait(driver, condition, timeout=30, message=""):
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: condition(d), message)


# A probe installed in a tab before its pages load (through the DevTools protocol), for what the pages
# do not show in the DOM, so that tests wait on it instead of sleeping:
#   streams: live streams (/api/calls/stream) this tab has made. The toast script makes one only after
#       its first poll of the bell has answered.
#   streamOpen: one of them has answered. The gateway reads the ledger's head before it answers, so
#       every call recorded from then on reaches the tab over the stream.
#   changeListeners: listeners for `crow-calls:change` on window. The panel adds its own after its
#       first loads; a change before that shows only at its next 10 s refresh.
PROBE = """
(() => {
  if (window.crowProbe) return;
  const probe = (window.crowProbe = { streams: 0, streamOpen: false, changeListeners: 0 });
  const add = window.addEventListener;
  window.addEventListener = function (type, ...rest) {
    if (type === 'crow-calls:change') probe.changeListeners += 1;
    return add.call(this || window, type, ...rest);
  };
  const Native = window.EventSource;
  if (Native) {
    window.EventSource = class extends Native {
      constructor(...args) {
        super(...args);
        probe.streams += 1;
        this.addEventListener('open', () => { probe.streamOpen = true; });
      }
    };
  }
})();
"""


def probe(driver):
    """Installs PROBE in the current tab, for the pages it loads from now on."""
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})


def panel_listening(driver, stream=True):
    """Waits until the Calls panel in this tab (loaded after `probe`) shows changes live: the toast script
    runs, the panel listens for its changes, and with `stream`, this tab's live stream is open."""
    wait(driver, lambda d: d.execute_script(
        "const p = window.crowProbe;"
        "return Boolean(window.crowToast && p && p.changeListeners > 0 && (p.streamOpen || !arguments[0]));", stream),
        message="the panel to listen for changes")


def join(driver, url, name):
    """Opens a call link, types a name and clicks Join Call; waits for the call screen."""
    driver.get(url)
    wait(driver, lambda d: d.find_element(By.ID, "join").is_displayed(), message="pre-join screen")
    field = driver.find_element(By.ID, "display-name")
    field.clear()
    field.send_keys(name)
    driver.find_element(By.ID, "join").click()
    wait(driver, lambda d: d.find_element(By.ID, "incall").is_displayed(), message="call screen")


STATS = """
const done = arguments[arguments.length - 1];
const mesh = window.crowCall && window.crowCall.mesh;
if (!mesh) { done(null); return; }
Promise.all([...mesh.links.entries()].map(async ([peerId, link]) => {
  const out = { peerId, state: link.pc.connectionState, audioPackets: 0, videoFrames: 0, videoSent: 0 };
  const report = await link.pc.getStats();
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') out.audioPackets += s.packetsReceived || 0;
    if (s.type === 'inbound-rtp' && s.kind === 'video') out.videoFrames += s.framesDecoded || 0;
    if (s.type === 'outbound-rtp' && s.kind === 'video') out.videoSent += s.framesEncoded || 0;
  });
  return out;
})).then((links) => done({ self: mesh.selfId, links }), (e) => done({ error: String(e) }));
"""


def stats(driver):
    return driver.execute_async_script(STATS)


def all_connected(drivers, peers):
    for driver in drivers:
        s = stats(driver)
        if not s or len(s["links"]) != peers - 1 or any(l["state"] != "connected" for l in s["links"]):
            return False
    return True


def two_in_a_call(gateway, browsers):
    """Ada (the host) and Bob (a guest) joined through the page, their connection `connected`."""
    room = gateway.room("Ada")
    ada, bob = browsers(), browsers()
    join(ada, room["callUrl"], "Ada")
    join(bob, gateway.guest_link(room["roomCode"]), "Bob")
    until(lambda: all_connected([ada, bob], 2), 45, "the call to connect")
    return room, ada, bob


def screenshot(driver, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / name))
