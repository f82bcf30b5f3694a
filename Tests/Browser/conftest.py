"""The browser suite: the real gateway (`crow-calls serve`), real headless Chromium with fake media
devices, driven by Selenium. Run by tools/test.sh after `swift test`; on its own:

    .venv/bin/python -m pytest Tests/Browser -q

The gateway binaries come from .build/debug (or $CROW_BIN_DIR).
"""
import json
import os
import pathlib
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("CROW_BIN_DIR", ROOT / ".build" / "debug"))
# The README's screenshots are retaken by every run; they replace docs/screenshots only when asked
# (CROW_UPDATE_SCREENSHOTS=1), so a test run leaves the working tree clean.
SCREENSHOTS = ROOT / ("docs/screenshots" if os.environ.get("CROW_UPDATE_SCREENSHOTS") == "1" else ".build/screenshots")
PASSWORD = "correct horse battery staple"


class Gateway:
    """`crow-calls serve` on a free port with its own data directory."""

    def __init__(self, env=None):
        self.dir = tempfile.TemporaryDirectory(prefix="crow-browser-")
        self.data = self.dir.name
        environment = dict(os.environ)
        environment.update({"CROW_CALLS_MODES": "test-canvas"})
        environment.update(env or {})
        self.process = subprocess.Popen(
            [str(BIN / "crow-calls"), "serve", "--port", "0", "--data-dir", self.data],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=environment,
        )
        self.lines = []
        self.base = None
        self.setup_url = None
        ready = threading.Event()

        def read():
            for line in self.process.stdout:
                self.lines.append(line.rstrip("\n"))
                match = re.search(r"listening on (http://\S+)", line)
                if match:
                    self.base = match.group(1)
                match = re.search(r"(http://\S+/setup\?token=\S+)", line)
                if match:
                    self.setup_url = match.group(1)
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(60) or not self.base or not self.setup_url:
            self.stop()
            raise RuntimeError("the gateway did not start:\n" + "\n".join(self.lines))
        self.http = requests.Session()
        token = urllib.parse.parse_qs(urllib.parse.urlparse(self.setup_url).query)["token"][0]
        answer = self.http.post(
            self.base + "/setup",
            data={"token": token, "password": PASSWORD, "confirm": PASSWORD},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 303, answer.text
        self.session = self.http.cookies.get("crow_session")
        assert self.session

    def api(self, method, path, body=None, expect=None):
        answer = self.http.request(
            method, self.base + path, json=body, headers={"Origin": self.base}, timeout=30
        )
        if expect is not None:
            assert answer.status_code == expect, (answer.status_code, answer.text)
        return answer.json() if answer.content else None

    def room(self, host_name="Ada", max_peers=None):
        body = {"hostName": host_name}
        if max_peers:
            body["maxPeers"] = max_peers
        return self.api("POST", "/api/rooms", body, expect=201)

    def guest_link(self, code, label=None):
        return self.api("POST", f"/api/rooms/{code}/invites", {"label": label} if label else {}, expect=201)["callUrl"]

    def incoming(self, caller="Grace", join_url=None):
        """Records an incoming call as the Nostr inbox will (crow-testkit); returns its id."""
        command = [str(BIN / "crow-testkit"), "incoming", "--data-dir", self.data, "--caller", caller]
        if join_url:
            command += ["--join-url", join_url]
        out = subprocess.run(command, check=True, capture_output=True, text=True, timeout=60)
        return out.stdout.strip()

    def events(self, kind=None):
        """The ledger's events as exported by crow-ledger (read-only, safe while serving)."""
        out = subprocess.run(
            [str(BIN / "crow-ledger"), "export", "--data-dir", self.data],
            check=True, capture_output=True, text=True, timeout=60,
        )
        events = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
        return [e for e in events if kind is None or e.get("type") == kind]

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.dir.cleanup()


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


def until(condition, timeout=30, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {message}")


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


def screenshot(driver, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / name))
