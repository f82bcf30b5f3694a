"""Browser figures for `crow-bench web`: click on Join to `connected`, and an incoming call's append to
its toast, in headless Chromium against a running gateway. Prints one JSON line:
{"join_ms": [...], "toast_ms": [...]}. Progress goes to stderr.

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
const start = performance.now();
document.getElementById('join').click();
const timer = setInterval(() => {
  const mesh = window.crowCall.mesh;
  if (!mesh || mesh.links.size === 0) return;
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
        print(json.dumps({"join_ms": join_ms, "toast_ms": toast_ms}))
    finally:
        for driver in (host, guest, panel):
            driver.quit()


if __name__ == "__main__":
    main()
