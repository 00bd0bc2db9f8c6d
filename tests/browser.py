"""Headless Chromium for page tests, driven through chromedriver's W3C WebDriver HTTP API with urllib.

No selenium needed. A test is skipped where Debian's chromium/chromedriver are missing, unless
HUMOR_BENCH_REQUIRE_BROWSER=1 (CI sets it and installs them) turns the skip into a failure.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1400,1000"]
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C key of an element reference


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """One WebDriver session: open pages, run scripts, press keys, take screenshots."""

    def __init__(self, port: int, session: str):
        self.port, self.session = port, session

    def call(self, method: str, path: str, body: dict | None = None) -> Any:
        return webdriver(self.port, method, f"/session/{self.session}{path}", body)

    def open(self, url: str) -> None:
        self.call("POST", "/url", {"url": url})

    def run(self, script: str, *args: Any) -> Any:
        return self.call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def press(self, keys: str) -> None:
        """Type keys into the page body (the page's keydown handler sees them)."""
        body = self.call("POST", "/element", {"using": "css selector", "value": "body"})[ELEMENT]
        self.call("POST", f"/element/{body}/value", {"text": keys})

    def title(self) -> str:
        return self.call("GET", "/title")

    def screenshot(self) -> bytes:
        return base64.b64decode(self.call("GET", "/screenshot"))


def webdriver(port: int, method: str, path: str, body: dict | None = None) -> Any:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())["value"]


@contextmanager
def chromium(profile: Path) -> Iterator[Browser]:
    chromium_bin, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium_bin and driver):
        if os.environ.get("HUMOR_BENCH_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium/chromedriver missing: apt-get install -y chromium chromium-driver")
        pytest.skip("chromium and chromedriver are not installed (apt-get install -y chromium chromium-driver)")
    port = free_port()
    service = subprocess.Popen([driver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                webdriver(port, "GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        options = {"binary": chromium_bin, "args": CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]}
        session = webdriver(port, "POST", "/session",
                            {"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}})["sessionId"]
        try:
            yield Browser(port, session)
        finally:
            webdriver(port, "DELETE", f"/session/{session}")
    finally:
        service.terminate()
        service.wait(10)
