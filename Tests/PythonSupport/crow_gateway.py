"""`crow-calls serve` as a child process with its own data directory and a signed-in owner, for the
Python suites (Tests/Browser, Tests/Interop)."""
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import tempfile
import threading
import urllib.parse

import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("CROW_BIN_DIR", ROOT / ".build" / "debug"))
PASSWORD = "correct horse battery staple"


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gateway:
    """`crow-calls serve` on a free port with its own data directory."""

    def __init__(self, env=None, set_up=True, public_address=True):
        """`set_up=False` leaves the owner unset: `setup_url` is the link `serve` printed, for a test
        that sets the password the way a person does.

        `public_address=True` runs it as the operator of two gateways on one machine does: on a port
        chosen here, with `CROW_GATEWAY_URL=http://127.0.0.1:<port>`, so its invites and guest links
        carry a loopback address the other gateway on this machine can open. `False` leaves the public
        address unknown (port 0), as on a fresh install."""
        self.dir = tempfile.TemporaryDirectory(prefix="crow-browser-")
        self.data = self.dir.name
        self.environment = dict(os.environ)
        # The test canvas as a call mode, and the call page's `window.crowCall` for the tests' probes.
        self.environment.update({"CROW_CALLS_MODES": "test-canvas", "CROW_CALLS_DEBUG": "1"})
        self.environment.update(env or {})
        self.port = 0
        if public_address and "CROW_GATEWAY_URL" not in self.environment:
            self.port = free_port()
            self.environment["CROW_GATEWAY_URL"] = f"http://127.0.0.1:{self.port}"
        self._start(first=True)
        self.http = requests.Session()
        self.session = None
        if not set_up:
            return
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

    def _start(self, first):
        """Starts `serve` on the data directory; waits for the setup link (first start) or the login line."""
        self.process = subprocess.Popen(
            [str(BIN / "crow-calls"), "serve", "--port", str(self.port), "--data-dir", self.data],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.environment,
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
                if "owner login:" in line:
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(60) or not self.base or (first and not self.setup_url):
            self.stop()
            raise RuntimeError("the gateway did not start:\n" + "\n".join(self.lines))

    def restart(self):
        """A graceful stop and a start on the same data directory (the same port when the public address
        is set, a new one otherwise; the session stays)."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(90)
        self._start(first=False)

    def kill(self):
        """An unclean stop (SIGKILL): nothing gets to run on the way out."""
        self.process.kill()
        self.process.wait(90)

    def terminate(self):
        """A graceful stop that keeps the data directory, for `start`."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(90)

    def start(self):
        """Starts again on the same data directory after `kill` or `terminate`."""
        self._start(first=False)

    def ledger(self, sql, arguments=(), write=False):
        """Rows of one query on the ledger file: read-only (safe while serving: WAL readers never
        block), or a write for a test that changes state while the gateway is stopped."""
        import sqlite3
        mode = "rw" if write else "ro"
        db = sqlite3.connect(f"file:{self.data}/ledger.sqlite?mode={mode}", uri=True, timeout=10)
        try:
            rows = db.execute(sql, arguments).fetchall()
            db.commit()
            return rows
        finally:
            db.close()

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

    def incoming(self, caller="Grace", join_url=None, sender_pubkey=None):
        """Records an incoming call as the Nostr inbox will (crow-testkit); returns its id."""
        command = [str(BIN / "crow-testkit"), "incoming", "--data-dir", self.data, "--caller", caller]
        if join_url:
            command += ["--join-url", join_url]
        if sender_pubkey:
            command += ["--sender-pubkey", sender_pubkey]
        out = subprocess.run(command, check=True, capture_output=True, text=True, timeout=60)
        return out.stdout.strip()

    def metric(self, series):
        """The value of one series in /metrics, written as Prometheus writes it (a name, or a name with
        its labels: 'crow_notifications_sends_total{channel="ntfy",result="failed"}'), or None while the
        gateway has not made it yet."""
        text = self.http.get(self.base + "/metrics", timeout=30).text
        for line in text.splitlines():
            name, _, value = line.rpartition(" ")
            if name == series:
                return float(value)
        return None

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
                self.process.wait(90)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.dir.cleanup()
