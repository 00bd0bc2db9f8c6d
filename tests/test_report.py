"""The report: PNGs and one self-contained HTML page, checked in headless Chromium (every image must load).

The browser test uses tests/browser.py (headless Chromium over WebDriver; skipped without chromium
unless HUMOR_BENCH_REQUIRE_BROWSER=1, as in CI).
"""

import base64
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmark.board.report import FIGURES, judge_summary, length_curve
from benchmark.board.submit import resolve_student, run_submission
from benchmark.cli import main
from benchmark.humor_wtr import TASK_PARAMETER_NAMES
from tests.browser import chromium

FAST = {"tie_check": False} if "tie_check" in TASK_PARAMETER_NAMES else {}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    for name, student, judge in (("student", "scripted/student", "scripted/judge"),
                                 ("echo", "scripted/echo", "scripted/judge"),
                                 ("student-vs-first", "scripted/student", "scripted/judge-first")):
        run_submission(name, resolve_student(student), graders=[judge], limit=4, params=dict(FAST),
                       log_root=root / "logs", out_dir=None)
    result = CliRunner().invoke(main, ["report", "--log-dir", str(root / "logs"), "--out", str(root / "report")])
    assert result.exit_code == 0, result.output
    return root


def test_report_writes_every_png_and_one_self_contained_page(built):
    out = built / "report"
    page = (out / "index.html").read_text()
    for name, _ in FIGURES:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    sources = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([^"]+)"', page)
    assert [name for name, _ in sources] == [name for name, _ in FIGURES]
    for name, data in sources:
        assert base64.b64decode(data) == (out / name).read_bytes()
    assert "http://" not in page and "https://" not in page  # nothing fetched from elsewhere
    assert "student-vs-first" in page and "copy-input" in page


def test_judge_summary_and_length_curve(built):
    from benchmark.board.leaderboard import rebuild

    board = rebuild(built / "logs", None)
    summary = judge_summary(board.runs)
    assert summary["scripted/judge-first"]["position consistency"] == 0.0
    assert summary["scripted/judge-first"]["first-slot rate"] == 1.0
    xs, ys, ns = length_curve(board.runs)["scripted/judge"]
    assert sum(ns) == 16 and xs == sorted(xs) and all(0 <= y <= 1 for y in ys)


def test_report_renders_in_headless_chromium_with_every_image_loaded(built, tmp_path):
    with chromium(tmp_path / "profile") as browser:
        browser.open((built / "report" / "index.html").resolve().as_uri())
        images = browser.run("return Array.from(document.images).map(i => "
                             "({alt: i.alt, complete: i.complete, width: i.naturalWidth, height: i.naturalHeight}));")
        title = browser.title()
        shot = browser.screenshot()
        (built / "report" / "screenshot.png").write_bytes(shot)  # for a human to look at
    assert title == "humor-bench report"
    assert [i["alt"] for i in images] == [name for name, _ in FIGURES]
    for image in images:
        assert image["complete"] and image["width"] > 100 and image["height"] > 100, image
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
