"""A real nostr-relay process (nostr-relay 1.14, SQLite store) on 127.0.0.1 for the interop suite, and a
small raw client for reading what it stored."""
import json
import os
import pathlib
import socket
import subprocess
import tempfile
import time

import threading

from websockets.sync.client import connect
from websockets.sync.server import serve

ROOT = pathlib.Path(__file__).resolve().parents[2]
RELAY = ROOT / ".venv" / "bin" / "nostr-relay"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Relay:
    """`host` other than loopback (an address on a test network's bridge) runs it under gunicorn (plain
    `serve`), which binds where it is told; `--use-uvicorn` binds loopback only."""

    def __init__(self, port=None, host="127.0.0.1"):
        self.dir = tempfile.TemporaryDirectory(prefix="crow-relay-")
        self.host = host
        self.port = port or free_port()
        self.url = f"ws://{host}:{self.port}"
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
            f"  bind: {host}:{self.port}\n"
            "  workers: 1\n"
            "  loglevel: warning\n"
            "  reload: false\n"
        )
        self.process = subprocess.Popen(
            [str(RELAY), "-c", str(config), "serve"] + (["--use-uvicorn"] if host == "127.0.0.1" else []),
            cwd=self.dir.name,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ, HOME=self.dir.name),
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((host, self.port), timeout=1):
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


def publish(url, event_json, timeout=10):
    """Sends one event to a relay (or a gateway inbox) and returns its `OK` answer."""
    with connect(url, open_timeout=timeout) as ws:
        ws.send(f'["EVENT",{event_json}]')
        while True:
            message = json.loads(ws.recv(timeout=timeout))
            if message[0] == "OK":
                return message


class DownRelay:
    """A relay's port where nothing answers: every connection is accepted and closed at once, as a relay
    that is down fails a client (it never gets to speak), and counted, so a test sees each try."""

    def __init__(self, port):
        self.connections = 0
        self.lock = threading.Lock()
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", port))
        self.socket.listen(16)
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return  # stopped
            with self.lock:
                self.connections += 1
            connection.close()

    def stop(self):
        """Frees the port (for a real relay on it)."""
        try:
            self.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.socket.close()
        self.thread.join(10)


class HoldingProxy:
    """A WebSocket proxy in front of a relay that counts every `EVENT` a client publishes and, while
    `holding`, passes the events on but keeps the relay's `OK` answers back: the publisher is left
    waiting in the middle of a delivery, as if the relay had stored the event and the answer was lost.
    It also counts the client connections open through it (`connections`), so a test sees one close,
    and those it ever accepted (`accepted`)."""

    def __init__(self, upstream, holding=True):
        self.upstream = upstream
        self.published = []  # event ids, in the order clients sent them
        self.answers = []  # OK messages passed back to clients
        self.holding = holding
        self.connections = 0  # client connections open now
        self.accepted = 0  # client connections ever opened
        self.lock = threading.Lock()
        self.server = serve(self._handle, "127.0.0.1", 0, max_size=2**20)
        self.port = self.server.socket.getsockname()[1]
        self.url = f"ws://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _handle(self, client):
        with self.lock:
            self.connections += 1
            self.accepted += 1
        try:
            self._relay(client)
        finally:
            with self.lock:
                self.connections -= 1

    def _relay(self, client):
        with connect(self.upstream, open_timeout=10, max_size=2**20) as relay:
            def down():
                try:
                    for message in relay:
                        parsed = json.loads(message)
                        if parsed[0] == "OK":
                            with self.lock:
                                if self.holding:
                                    continue
                                self.answers.append(parsed)
                        client.send(message)
                except Exception:
                    pass

            threading.Thread(target=down, daemon=True).start()
            try:
                for message in client:
                    parsed = json.loads(message)
                    if parsed[0] == "EVENT":
                        with self.lock:
                            self.published.append(parsed[1]["id"])
                    relay.send(message)
            except Exception:
                pass

    def stop(self):
        self.server.shutdown()
