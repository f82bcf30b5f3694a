"""Browser figures for `crow-bench web`, in headless Chromium against a running gateway:
- click on Join to `connected`, with one other person and as the fourth of a four-person mesh;
- an incoming call's append to its toast;
- a dropped socket together with an ICE restart (a network change) until audio flows again;
- video bytes sent per second to each other person in a four-person call with the camera on, with the
  page's encoder limits and, side by side in the same call, with them lifted.
Prints one JSON line: {"join_ms", "join4_ms", "toast_ms", "recover_ms", "sent_kbps_limited",
"sent_kbps_unlimited"} (lists). Progress goes to stderr.

Reuses the browser suite's Chromium settings (Tests/Browser/conftest.py)."""
import argparse
import json
import pathlib
import subprocess
import sys
import time
import urllib.parse

import requests

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "Tests" / "Browser"))
from conftest import PASSWORD, chromium, join, until, wait  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

# Clicks Join at a time taken inside the page, then waits (in the page) until every connection is
# `connected`; answers the elapsed milliseconds.
TIMED_JOIN = """
const done = arguments[arguments.length - 1];
const others = typeof arguments[0] === 'number' ? arguments[0] : 1;
const start = performance.now();
document.getElementById('join').click();
const timer = setInterval(() => {
  const mesh = window.crowCall.mesh;
  if (!mesh || mesh.links.size < others) return;
  if ([...mesh.links.values()].every((l) => l.pc.connectionState === 'connected')) {
    clearInterval(timer);
    done(performance.now() - start);
  }
}, 2);
setTimeout(() => { clearInterval(timer); done(null); }, 20000);
"""

# Records, by invite id, the wall-clock time each toast appeared.
WATCH_TOASTS = """
window.toastSeen = {};
new MutationObserver(() => {
  for (const t of document.querySelectorAll('.crow-toast')) {
    if (!(t.dataset.invite in window.toastSeen)) window.toastSeen[t.dataset.invite] = Date.now();
  }
}).observe(document.body, { childList: true, subtree: true });
"""


# The socket drops and the connection restarts ICE at the same moment (as on a network change); answers
# the milliseconds until the restart has completed on a new socket and audio packets arrive again.
TIMED_RECOVERY = """
const done = arguments[arguments.length - 1];
const mesh = window.crowCall.mesh;
const [link] = mesh.links.values();
const ufrag = () => ((link.pc.remoteDescription && link.pc.remoteDescription.sdp) || '').match(/a=ice-ufrag:(\\S+)/)[1];
const packets = async () => { let n = 0; (await link.pc.getStats()).forEach((s) => {
  if (s.type === 'inbound-rtp' && s.kind === 'audio') n += s.packetsReceived || 0; }); return n; };
const before = ufrag();
const old = mesh.socket;
const start = performance.now();
mesh.socket.close(4001, 'network change');
link.pc.restartIce();
let base = null;
const timer = setInterval(async () => {
  if (mesh.socket === old || mesh.socket.readyState !== 1 || link.pc.signalingState !== 'stable'
      || link.pc.connectionState !== 'connected' || ufrag() === before) return;
  const now = await packets();
  if (base === null) { base = now; return; }
  if (now > base) { clearInterval(timer); done(performance.now() - start); }
}, 20);
setTimeout(() => { clearInterval(timer); done(null); }, 30000);
"""

# Video bytes sent per second on each connection, over `arguments[0]` ms.
VIDEO_SENT = """
const done = arguments[arguments.length - 1];
const links = [...window.crowCall.mesh.links.values()];
const bytes = async () => Promise.all(links.map(async (l) => { let n = 0; (await l.pc.getStats()).forEach((s) => {
  if (s.type === 'outbound-rtp' && s.kind === 'video') n += s.bytesSent || 0; }); return n; }));
bytes().then((first) => setTimeout(() => bytes().then((second) =>
  done(second.map((b, i) => ((b - first[i]) * 8) / arguments[0]))), arguments[0]));
"""

# Lifts the page's encoder limits on every connection, and keeps them lifted.
UNLIMITED = """
const done = arguments[arguments.length - 1];
Promise.all([...window.crowCall.mesh.links.values()].map(async (l) => {
  l.applyLimits = async () => {};
  const sender = l.primary('video').sender;
  const p = sender.getParameters();
  for (const e of p.encodings) { delete e.maxBitrate; e.scaleResolutionDownBy = 1; }
  await sender.setParameters(p);
})).then(() => done(true), (e) => done(String(e)));
"""


def log(message):
    print(message, file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--bearer", required=True)
    parser.add_argument("--setup-url", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--testkit", required=True)
    parser.add_argument("--joins", type=int, default=20)
    parser.add_argument("--toasts", type=int, default=10)
    parser.add_argument("--recoveries", type=int, default=5)
    parser.add_argument("--mesh-joins", type=int, default=3)
    parser.add_argument("--rate-rounds", type=int, default=3)
    parser.add_argument("--window-ms", type=int, default=3000)
    parser.add_argument("--settle", type=float, default=8.0)
    args = parser.parse_args()

    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {args.bearer}"
    token = urllib.parse.parse_qs(urllib.parse.urlparse(args.setup_url).query)["token"][0]
    owner = requests.Session()
    answer = owner.post(args.base + "/setup", data={"token": token, "password": PASSWORD, "confirm": PASSWORD},
                        allow_redirects=False, timeout=30)
    assert answer.status_code == 303, answer.text
    session = owner.cookies.get("crow_session")

    host, guest, panel = chromium(), chromium(), chromium(args.base, session)
    try:
        room = api.post(args.base + "/api/rooms", json={"hostName": "Bench"}, timeout=30).json()
        join(host, room["callUrl"], "Host")
        join_ms = []
        for n in range(args.joins + 2):
            link = api.post(args.base + f"/api/rooms/{room['roomCode']}/invites", json={}, timeout=30).json()["callUrl"]
            guest.get(link)
            wait(guest, lambda d: d.find_element(By.ID, "join").is_displayed())
            elapsed = guest.execute_async_script(TIMED_JOIN)
            if elapsed is None:
                raise SystemExit("a join did not connect within 20 s")
            if n >= 2:  # the first two warm up the browser's media stack
                join_ms.append(elapsed)
                log(f"  join {n - 1}: {elapsed:.0f} ms")
            guest.find_element(By.CSS_SELECTOR, "[aria-label='Hang up']").click()
            until(lambda: host.execute_script("return window.crowCall.mesh.links.size") == 0, 10, "the host to drop the guest")

        # A network change under a call: socket and ICE at once, until audio flows again.
        link = api.post(args.base + f"/api/rooms/{room['roomCode']}/invites", json={}, timeout=30).json()["callUrl"]
        join(guest, link, "Guest")
        until(lambda: guest.execute_script(
            "const m = window.crowCall.mesh; return m.links.size === 1 && [...m.links.values()][0].pc.connectionState === 'connected'"),
            30, "the guest to connect")
        recover_ms = []
        for n in range(args.recoveries):
            elapsed = guest.execute_async_script(TIMED_RECOVERY)
            if elapsed is None:
                raise SystemExit("the call did not recover from a network change within 30 s")
            recover_ms.append(elapsed)
            log(f"  recovery {n + 1}: {elapsed:.0f} ms")
        guest.find_element(By.CSS_SELECTOR, "[aria-label='Hang up']").click()
        until(lambda: host.execute_script("return window.crowCall.mesh.links.size") == 0, 10, "the host to drop the guest")

        # The fourth of a four-person mesh: click on Join until all three connections are up.
        extra = [chromium(), chromium()]
        join4_ms = []
        sent_limited, sent_unlimited = [], []
        try:
            for driver in extra:
                join(driver, api.post(args.base + f"/api/rooms/{room['roomCode']}/invites", json={}, timeout=30).json()["callUrl"], "Extra")
            for n in range(args.mesh_joins):
                guest.get(api.post(args.base + f"/api/rooms/{room['roomCode']}/invites", json={}, timeout=30).json()["callUrl"])
                wait(guest, lambda d: d.find_element(By.ID, "join").is_displayed())
                elapsed = guest.execute_async_script(TIMED_JOIN, 3)
                if elapsed is None:
                    raise SystemExit("the fourth person did not connect within 20 s")
                join4_ms.append(elapsed)
                log(f"  fourth join {n + 1}: {elapsed:.0f} ms")
                if n + 1 < args.mesh_joins:
                    guest.find_element(By.CSS_SELECTOR, "[aria-label='Hang up']").click()
                    until(lambda: host.execute_script("return window.crowCall.mesh.links.size") == 2, 10, "the host to drop the guest")
            # Everyone's camera on; then what the host sends to each of the three others.
            for driver in [host, guest] + extra:
                driver.find_element(By.CSS_SELECTOR, "[aria-label='Camera']").click()
            until(lambda: all(d.execute_script("return Boolean(window.crowCall.media.cameraTrack)") for d in [host, guest] + extra),
                  30, "every camera")
            time.sleep(args.settle)  # the encoders ramp up to their rate (a measurement window, not a wait for state)
            for _ in range(args.rate_rounds):
                sent_limited.extend(host.execute_async_script(VIDEO_SENT, args.window_ms))
            assert host.execute_async_script(UNLIMITED) is True
            time.sleep(args.settle)
            for _ in range(args.rate_rounds):
                sent_unlimited.extend(host.execute_async_script(VIDEO_SENT, args.window_ms))
            log(f"  video sent per peer: {sorted(sent_limited)} kb/s limited, {sorted(sent_unlimited)} kb/s unlimited")
        finally:
            for driver in extra:
                driver.quit()

        panel.get(args.base + "/calls")
        wait(panel, lambda d: d.execute_script("return Boolean(window.crowToast)"))
        time.sleep(1)
        panel.execute_script(WATCH_TOASTS)
        toast_ms = []
        for n in range(args.toasts):
            out = subprocess.run([args.testkit, "incoming", "--data-dir", args.data_dir, "--caller", f"Caller {n}", "--timed"],
                                 check=True, capture_output=True, text=True, timeout=60).stdout.split()
            invite, recorded = out[0], int(out[1])
            seen = until(lambda: panel.execute_script("return window.toastSeen[arguments[0]]", invite), 10, "the toast")
            toast_ms.append(seen - recorded)
            log(f"  toast {n + 1}: {seen - recorded} ms")
            api.post(args.base + f"/api/calls/incoming/{invite}/dismiss", timeout=30)
            time.sleep(0.3)
        print(json.dumps({"join_ms": join_ms, "toast_ms": toast_ms, "recover_ms": recover_ms, "join4_ms": join4_ms,
                          "sent_kbps_limited": sent_limited, "sent_kbps_unlimited": sent_unlimited}))
    finally:
        for driver in (host, guest, panel):
            driver.quit()


if __name__ == "__main__":
    main()
