"""A real nostr-relay process (nostr-relay 1.14, SQLite store) on 127.0.0.1 for the interop suite, and a
small raw client for reading what it stored."""
import json
import os
import pathlib
import socket
import subprocess
import tempfile
import time

from websockets.sync.client import connect

ROOT = pathlib.Path(__file__).resolve().parents[2]
RELAY = ROOT / ".venv" / "bin" / "nostr-relay"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Relay:
    def __init__(self, port=None):
        self.dir = tempfile.TemporaryDirectory(prefix="crow-relay-")
        self.port = port or free_port()
        self.url = f"ws://127.0.0.1:{self.port}"
        config = pathlib.Path(self.dir.name) / "config.yaml"
        # Gift-wrapped invites are larger than the default 4,096-character limit; gift wraps are
        # back-dated up to two days.
        config.write_text(
            "DEBUG: false\n"
            "storage:\n"
            f"  sqlalchemy.url: sqlite+aiosqlite:///{self.dir.name}/relay.sqlite3\n"
            "  validators:\n"
            "    - nostr_relay.validators.is_not_too_large\n"
            "    - nostr_relay.validators.is_signed\n"
            "    - nostr_relay.validators.is_recent\n"
            "max_event_size: 65536\n"
            "oldest_event: 31536000\n"
            "gunicorn:\n"
            f"  bind: 127.0.0.1:{self.port}\n"
            "  workers: 1\n"
            "  loglevel: warning\n"
            "  reload: false\n"
        )
        self.process = subprocess.Popen(
            [str(RELAY), "-c", str(config), "serve", "--use-uvicorn"],
            cwd=self.dir.name,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ, HOME=self.dir.name),
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("nostr-relay exited")
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("nostr-relay did not start")

    def events(self, filter_, timeout=10):
        """Every stored event matching one NIP-01 filter."""
        with connect(self.url, open_timeout=timeout) as ws:
            ws.send(json.dumps(["REQ", "q", filter_]))
            found = []
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                message = json.loads(ws.recv(timeout=timeout))
                if message[0] == "EVENT":
                    found.append(message[2])
                elif message[0] == "EOSE":
                    return found
            raise AssertionError("no EOSE from the relay")

    def stop(self):
        if self.dir is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.dir.cleanup()
        self.dir = None
