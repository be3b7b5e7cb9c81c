"""Helpers for the web app tests: start `pse-sim serve` on a free loopback port and talk to it."""
from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path


class ServerProcess:
    """`pse-sim serve --port 0` in a subprocess; .url is the URL it printed (loopback)."""

    def __init__(self, pse_sim: Path, repo: Path, output: Path, *args: str, timeout: float = 60):
        env = dict(os.environ)
        env.pop("PSE_SCENARIOS_DIR", None)
        self.proc = subprocess.Popen([str(pse_sim), "serve", "--port", "0", "-o", str(output), *args], cwd=str(output.parent),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        lines: "queue.Queue[str]" = queue.Queue()

        def pump(stream, sink):
            for line in stream:
                sink.put(line)
        threading.Thread(target=pump, args=(self.proc.stdout, lines), daemon=True).start()
        self.stderr_lines: "queue.Queue[str]" = queue.Queue()
        threading.Thread(target=pump, args=(self.proc.stderr, self.stderr_lines), daemon=True).start()
        self.url = None
        self.token = None
        self.output = output
        while self.url is None:
            try:
                line = lines.get(timeout=timeout)      # waits for the server's own "listening" line
            except queue.Empty:
                self.stop()
                raise RuntimeError("pse-sim serve printed no URL within %.0f s" % timeout)
            if "what-if page: " in line:
                self.url = line.split("what-if page: ", 1)[1].strip()
        if "?token=" in self.url:
            self.url, self.token = self.url.split("?token=")
        self.base = self.url.rstrip("/")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def alive(self) -> bool:
        return self.proc.poll() is None


def request(base: str, path: str, body=None, raw: bytes | None = None, headers=None, timeout: float = 60):
    """(status, parsed JSON or bytes) of one request; never raises for HTTP error statuses."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, data=data, method="POST" if data is not None else "GET",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, content, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        status, content, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
    if "json" in ctype:
        return status, json.loads(content)
    return status, content
