"""A local HTTP endpoint that stands in for a Web Push service and an ntfy server in tests: it records
every request (path, headers, body, and whether it has been answered yet) and answers with the status
set for its path, after the delay set for it."""
import http.server
import threading
import time


class Receiver:
    def __init__(self, port=0):
        self.requests = []
        self.statuses = {}  # path -> status code (default 201)
        self.delays = {}  # path -> seconds to wait before answering (a slow or hanging service)
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                record = {"path": self.path, "headers": dict(self.headers), "body": body, "at": time.time(), "answered": False}
                with outer.lock:
                    outer.requests.append(record)
                    status = outer.statuses.get(self.path, 201)
                    delay = outer.delays.get(self.path, 0)
                if delay:
                    time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with outer.lock:
                    record["answered"] = True  # the answer is written (the sender may have given up already)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def to(self, path):
        with self.lock:
            return [r for r in self.requests if r["path"] == path]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
