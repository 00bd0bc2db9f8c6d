"""The served path real users take: judge and student behind an OpenAI-compatible server (as vLLM would
serve them), reached through Inspect's own `openai-api/` provider, over loopback HTTP."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from inspect_ai.log import read_eval_log

from benchmark.models.serve import RequestError, parse_chat_request

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
SERVED = "openai-api/humorbench/smollm2-135m"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(embedded_dir):
    """`humor-bench serve` in its own process, started and stopped by the test."""
    port = _free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "humor-bench"), "serve", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(url + "/models", timeout=2).read()
            break
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"server did not start: {proc.stderr.read()[-1000:]}")
            time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url + "/chat/completions", json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as ex:
        return ex.code, json.loads(ex.read())


def test_chat_completion_with_logprobs_and_clear_errors(server):
    status, reply = _post(server, {"model": "smollm2-135m", "messages": [{"role": "user", "content": "Pick 1 or 2."}],
                                   "max_tokens": 1, "logprobs": True, "top_logprobs": 5})
    assert status == 200 and reply["object"] == "chat.completion"
    [entry] = reply["choices"][0]["logprobs"]["content"]
    assert len(entry["top_logprobs"]) == 5 and reply["usage"]["completion_tokens"] == 1
    status, reply = _post(server, {"messages": [{"role": "user", "content": "hi"}], "stream": True})
    assert status == 400 and "stream=false" in reply["error"]["message"]


def test_parse_chat_request_rejects_what_it_cannot_serve():
    messages, config = parse_chat_request({"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
                                           "max_completion_tokens": 3, "temperature": 0})
    assert messages[0].text == "hi" and config.max_tokens == 3 and config.temperature == 0
    for body in ({"messages": []}, {"messages": [{"role": "tool", "content": "x"}]}, {"messages": [{"role": "user", "content": "x"}], "n": 2}):
        with pytest.raises(RequestError):
            parse_chat_request(body)


def test_inspect_openai_api_provider_judges_and_generates_through_the_server(server, tmp_path):
    """Student and MCP judge both served; the judge's single-token verdicts come from served logprobs."""
    env = {**os.environ, "HUMORBENCH_BASE_URL": server, "HUMORBENCH_API_KEY": "local"}
    result = subprocess.run(
        [sys.executable, "-m", "inspect_ai", "eval", "benchmark/humor_wtr.py@humor_wtr_ood",
         "--model", SERVED, "--model-role", f"grader={SERVED}", "-T", "method=mcp", "-T", "tie_check=false",
         "-T", "max_tokens=24", "--limit", "2", "--log-dir", str(tmp_path), "--display", "none"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    [path] = tmp_path.glob("*.eval")
    log = read_eval_log(str(path))
    assert log.status == "success", log.error
    assert log.eval.model == SERVED and log.eval.model_roles["grader"].model == SERVED
    for sample in log.samples:
        score = sample.scores["pairwise_humor_judge"]
        assert score.answer  # the served student wrote something
        for order in ("fwd", "bwd"):
            verdict = score.metadata["comparisons"][0][order]
            assert (verdict["source"], verdict["mode"]) == ("logprobs", "direct")
        judge_calls = [e for e in sample.events if e.event == "model" and e.role == "grader"]
        assert len(judge_calls) == 2  # both orders, one single-token call each
    metrics = {k: v.value for k, v in log.results.scores[0].metrics.items()}
    assert metrics["invalid_rate"] == 0 and 0 <= metrics["first_slot_rate"] <= 1


def test_attack_report_against_the_served_judge(server, tmp_path, monkeypatch):
    """`attack-report` end to end through Inspect's openai-api provider and loopback HTTP (MCP, both orders)."""
    from click.testing import CliRunner

    from benchmark.cli import main
    from benchmark.tools.attack_report import ATTACK_FILES

    monkeypatch.setenv("HUMORBENCH_BASE_URL", server)
    monkeypatch.setenv("HUMORBENCH_API_KEY", "local")
    out = tmp_path / "served.json"
    result = CliRunner().invoke(main, ["attack-report", "--grader", SERVED, "--method", "mcp", "--attacks", str(ATTACK_FILES[0]),
                                                        "--limit", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["judge"] == SERVED and report["method"] == "mcp" and report["families"]["all"]["n"] == 2
    assert report["families"]["all"]["invalid"] == 0 and "not_measurable" not in report
