"""`submit` / `leaderboard` / `report` commands: checkpoint checks, one-line errors, the acceptance path, concurrency."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmark.board.commands import leaderboard, report, submit
from benchmark.board.submit import check_checkpoint
from benchmark.cli import main
from benchmark.humor_wtr import TASK_PARAMETER_NAMES
from benchmark.models.checkpoint import CheckpointError
from tests.conftest import save_tiny_causal

ROOT = Path(__file__).resolve().parents[1]
FAST = ["-T", "tie_check=false"] if "tie_check" in TASK_PARAMETER_NAMES else []


def run(command, args):
    """Through the front door (benchmark/cli.py), which turns our errors into one line."""
    return CliRunner().invoke(main, [command.name, *[str(a) for a in args]])


def one_line_error(result, *fragments):
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and result.output.startswith("humor-bench: error: ")
    for fragment in fragments:
        assert fragment in result.output, result.output


@pytest.fixture(autouse=True)
def private_inspect_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "inspect-cache"))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, embedded_dir):
    return save_tiny_causal(tmp_path_factory.mktemp("tiny"), embedded_dir)


def two_step_sft(folder: Path, tokenizer_dir: Path) -> Path:
    """A 'trained checkpoint': the tiny Llama after 2 SFT steps on teacher references (the trainers' data shape)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from benchmark.suites import load_suite
    from solvers.paraphrase import student_messages

    save_tiny_causal(folder, tokenizer_dir)
    tok = AutoTokenizer.from_pretrained(folder)
    tok.pad_token = tok.pad_token or tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(folder)
    texts = [tok.apply_chat_template(student_messages(it.input) + [{"role": "assistant", "content": it.references[0]}],
                                     tokenize=False) for it in load_suite("id", "train")[:4]]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for step in range(2):
        batch = tok(texts[2 * step: 2 * step + 2], return_tensors="pt", padding=True)
        labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
        model(**batch, labels=labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.save_pretrained(folder, safe_serialization=True)
    tok.save_pretrained(folder)
    return folder


# --- checkpoint validation ------------------------------------------------------------------------------
def test_a_good_checkpoint_passes(tiny):
    assert check_checkpoint(tiny) == tiny


def test_pickle_weights_need_allow_pickle(tmp_path, tiny):
    import torch
    from safetensors.torch import load_file

    torch.save(load_file(tiny / "model.safetensors"), tmp_path / "pytorch_model.bin")
    for f in tiny.iterdir():
        if f.suffix != ".safetensors":
            (tmp_path / f.name).write_bytes(f.read_bytes())
    with pytest.raises(CheckpointError, match="only pickle weights .*save_pretrained"):
        check_checkpoint(tmp_path)
    assert check_checkpoint(tmp_path, allow_pickle=True) == tmp_path


def test_remote_code_is_refused(tmp_path, tiny):
    for f in tiny.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "auto_map": {"AutoModel": "x.Model"}}))
    with pytest.raises(CheckpointError, match="needs remote code"):
        check_checkpoint(tmp_path)


def test_a_missing_tokenizer_is_named(tmp_path, tiny):
    for f in tiny.iterdir():
        if "token" not in f.name:
            (tmp_path / f.name).write_bytes(f.read_bytes())
    with pytest.raises(CheckpointError, match="tokenizer does not load.*tokenizer.save_pretrained"):
        check_checkpoint(tmp_path)


def test_weights_that_do_not_load_are_named(tmp_path, tiny):
    for f in tiny.iterdir():
        (tmp_path / f.name).write_bytes(b"\0" * 64 if f.suffix == ".safetensors" else f.read_bytes())
    with pytest.raises(CheckpointError, match="does not load or generate.*safe_serialization=True"):
        check_checkpoint(tmp_path)


# --- one-line CLI errors --------------------------------------------------------------------------------
def test_unknown_checkpoint_path(tmp_path):
    one_line_error(run(submit, [tmp_path / "nope", "--name", "x"]), "does not exist; pass a folder")


def test_submit_needs_a_target_and_a_name(tmp_path, tiny):
    one_line_error(run(submit, ["--name", "x"]), "pass a CHECKPOINT folder or --baseline")
    one_line_error(run(submit, [tiny]), "missing --name")
    one_line_error(run(submit, ["--baseline", "teachr"]), "unknown baseline 'teachr'; choose one of: embedded, teacher")
    one_line_error(run(submit, ["scripted/student", "--name", "x", "--suite", "odd"]), "choose one of: id, ood")
    one_line_error(run(submit, ["scripted/student", "--name", "x", "-T", "temperature"]), "is not KEY=VALUE")


def test_bad_format_unknown_log_and_missing_log_dir(tmp_path):
    (tmp_path / "logs").mkdir()
    one_line_error(run(leaderboard, ["--format", "xml", "--log-dir", tmp_path / "logs"]),
                   "unknown format 'xml'; choose one of: md, csv, json")
    one_line_error(run(leaderboard, ["--log", tmp_path / "missing.eval"]), "not found; pass an existing .eval file")
    one_line_error(run(leaderboard, ["--log-dir", tmp_path / "absent"]), "run `humor-bench submit` first or pass --log-dir")
    one_line_error(run(report, ["--log-dir", tmp_path / "absent"]), "run `humor-bench submit` first")


# --- acceptance: the embedded base model and a trained checkpoint both land ----------------------------
@pytest.mark.slow
def test_submit_base_model_and_trained_checkpoint_then_leaderboard(tmp_path, embedded_dir):
    sft = two_step_sft(tmp_path / "sft", embedded_dir)
    common = ["--grader", "scripted/judge", "--limit", "2", *FAST, "--log-dir", tmp_path / "logs",
              "--out-dir", tmp_path, "--display", "none"]
    base = run(submit, ["--baseline", "embedded", *common])
    assert base.exit_code == 0, base.output
    assert "| embedded-base | baseline-embedded |" in base.output
    trained = run(submit, [sft, "--name", "sft-2step", *common])
    assert trained.exit_code == 0, trained.output
    result = run(leaderboard, ["--format", "json", "--log-dir", tmp_path / "logs", "--out-dir", tmp_path])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert set(rows) == {"embedded-base", "sft-2step"}
    assert rows["sft-2step"]["student"] == f"hf-folder/{sft.resolve()}" and len(rows["sft-2step"]["checkpoint_sha256"]) == 64
    assert rows["embedded-base"]["student"] == "local/smollm2-135m"
    assert rows["embedded-base"]["checkpoint_sha256"] != rows["sft-2step"]["checkpoint_sha256"]
    md = (tmp_path / "leaderboard.md").read_text()
    assert "sft-2step" in md and "embedded-base" in md
    again = run(submit, [sft, "--name", "sft-2step", *common])  # finished: nothing is run again
    assert again.exit_code == 0 and "sft-2step" in again.output


def test_two_concurrent_submissions_both_land(tmp_path):
    env = {**os.environ, "INSPECT_CACHE_DIR": str(tmp_path / "cache")}
    code = "import sys; from benchmark.cli import main; main(['submit', *sys.argv[1:]])"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, student, "--name", name, "--grader", "scripted/judge",
                          "--limit", "2", *FAST, "--log-dir", str(tmp_path / "logs"), "--out-dir", str(tmp_path),
                          "--display", "none"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for student, name in (("scripted/student", "alpha"), ("scripted/echo", "beta"))
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (_, err) in zip(procs, outputs):
        assert proc.returncode == 0, err[-2000:]
    md = (tmp_path / "leaderboard.md").read_text()
    csv_text = (tmp_path / "leaderboard.csv").read_text()
    assert "alpha" in md and "beta" in md and "alpha" in csv_text and "beta" in csv_text


def test_rescore_judges_the_logged_outputs_again_without_the_student(tmp_path):
    from inspect_ai.log import read_eval_log

    from benchmark.board.commands import rescore

    common = ["--limit", "3", *FAST, "--log-dir", tmp_path / "logs", "--out-dir", tmp_path, "--display", "none"]
    assert run(submit, ["scripted/student", "--name", "alpha", "--grader", "scripted/judge-first", *common]).exit_code == 0
    result = run(rescore, ["alpha", "--grader", "scripted/judge-random", "--log-dir", tmp_path / "logs", "--out-dir", tmp_path])
    assert result.exit_code == 0, result.output
    assert result.output.count("alpha: humor_wtr_") == 2
    rows = json.loads(run(leaderboard, ["--format", "json", "--log-dir", tmp_path / "logs", "--no-write"]).stdout)
    assert sorted(r["judge"] for r in rows if r["name"] == "alpha") == ["scripted/judge-first", "scripted/judge-random"]
    [old, new] = [sorted((tmp_path / "logs" / "alpha").glob(f"scripted_judge-{p}-*/*humor-wtr-id*.eval"))[0] for p in ("first", "random")]
    old_log, new_log = read_eval_log(str(old)), read_eval_log(str(new))
    manifest = new_log.eval.metadata["humor_bench_submission"]
    assert manifest["judge"] == "scripted/judge-random" and manifest["rescored_from"]["judge"] == "scripted/judge-first"
    assert [s.output.completion for s in new_log.samples] == [s.output.completion for s in old_log.samples]
    assert {s.scores["pairwise_humor_judge"].metadata["judge"] for s in new_log.samples} == {"scripted/judge-random"}
    # a row without logs is a one-line error that names the fix
    one_line_error(run(rescore, ["nobody", "--log-dir", tmp_path / "logs", "--out-dir", tmp_path]), "no successful submission log")
