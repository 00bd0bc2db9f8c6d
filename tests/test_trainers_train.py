"""Trainers on a tiny random Llama with the real tokenizer: two steps each, the BRIO loss on a real model,
the whole recipe graph with reuse and crash-resume, the CLI, and the reproduction report."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
import yaml
from click.testing import CliRunner

from benchmark.cli import main
from benchmark.models.checkpoint import GenerationSettings, LoadedCheckpoint, validate_checkpoint_dir
from conftest import save_tiny_causal
from trainers import reproduce
from trainers.brio import BrioCollator, BrioTrainer, brio_examples
from trainers.checkpoints import MANIFEST, read_manifest, save_student
from trainers.config import load_config, training_args
from trainers.recipes import Run, _load

PAIRS = [
    {"id": "a", "input": "I missed the bus.", "paraphrase": "The bus and I broke up this morning."},
    {"id": "b", "input": "It rained all day.", "paraphrase": "The sky cried like it lost the lottery."},
] * 2
PREFS = [
    {"id": "a", "prompt": "I missed the bus.", "chosen": "The bus ghosted me.", "rejected": "I missed the bus today.",
     "p_chosen": 0.8, "reference": "The bus and I broke up."},
    {"id": "b", "prompt": "It rained all day.", "chosen": "The sky had a long cry.", "rejected": "It rained a lot.",
     "p_chosen": 0.7, "reference": None},
] * 2


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, embedded_dir) -> Path:
    return save_tiny_causal(tmp_path_factory.mktemp("tiny") / "model", embedded_dir)


def _write_config(tmp_path: Path, tiny: Path, **sections) -> Path:
    data = {
        "run_dir": str(tmp_path / "run"),
        "base_model": str(tiny),
        "teacher": {"model": "authored", "limit": 3},
        "feedback": {"critic": f"hf-folder/{tiny}", "method": "cloze", "k": 3, "max_new_tokens": 8,
                     "length_ratio": [0.01, 100.0], "limit": 3, "batch_size": 3},
        "schedule": {"ws_epochs": 1, "ft_epochs": 1, "sd_epochs": 1, "brio_epochs": 2, "dpo_epochs": 2, "feedback_every": 1},
        "sft": {"max_steps": 2, "per_device_train_batch_size": 2, "max_length": 160},
        "brio": {"max_steps": 2, "per_device_train_batch_size": 2, "max_length": 160},
        "dpo": {"max_steps": 2, "per_device_train_batch_size": 2, "max_length": 160},
        "eval": {"limit": 2, "report": str(tmp_path / "reproduction.md")},
    }
    data.update(sections)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


# ---- each trainer: two steps, then a checkpoint the benchmark loads as it is --------------------


@pytest.mark.parametrize("kind", ["sft", "brio", "dpo"])
def test_each_trainer_runs_two_steps_and_saves_a_loadable_checkpoint(tmp_path, tiny, kind):
    from trainers.dpo import make_dpo_trainer
    from trainers.sft import make_sft_trainer

    model, tokenizer = _load(tiny)
    args = training_args(kind, {"max_steps": 2, "per_device_train_batch_size": 2, "logging_steps": 1}, tmp_path / "work", 1, 0)
    if kind == "sft":
        trainer = make_sft_trainer(model, tokenizer, PAIRS, args)
    elif kind == "brio":
        trainer = BrioTrainer(model, args, PREFS, tokenizer)
    else:
        trainer = make_dpo_trainer(model, _load(tiny)[0], tokenizer, PREFS, args)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trainer.train()
    assert trainer.state.global_step == 2
    assert any(not torch.equal(before[k], v) for k, v in trainer.model.state_dict().items())
    assert all(math.isfinite(e["loss"]) for e in trainer.state.log_history if "loss" in e)
    out = save_student(trainer.model, tokenizer, tmp_path / "student", {"recipe": kind, "steps": 2})
    validate_checkpoint_dir(out)
    assert (out / "chat_template.jinja").is_file() and read_manifest(out)["complete"] is True
    ckpt = LoadedCheckpoint(out)
    (generation,) = ckpt.generate([ckpt.render_chat([{"role": "user", "content": "hi"}])], GenerationSettings(max_new_tokens=4))
    assert generation.output_tokens <= 4


def test_brio_trainer_loss_matches_a_manual_computation(tmp_path, tiny):
    """compute_loss on a padded batch equals the formula applied to unpadded per-sequence log-probs."""
    model, tokenizer = _load(tiny)
    args = training_args("brio", {"max_steps": 1, "per_device_train_batch_size": 2, "margin": 0.05,
                                  "mle_weight": 0.3, "rank_weight": 2.0}, tmp_path / "work", 1, 0)
    trainer = BrioTrainer(model, args, PREFS[:2], tokenizer)
    collator = BrioCollator(tokenizer, 160)
    examples = brio_examples(PREFS[:2])
    model.eval()
    with torch.no_grad():
        loss = float(trainer.compute_loss(model, collator(examples)))

        def seq(prompt, completion):
            ids, split = collator.encode(prompt, completion)
            logp = torch.log_softmax(model(input_ids=torch.tensor([ids])).logits[0].float(), -1)
            return sum(float(logp[t - 1, ids[t]]) for t in range(split, len(ids))), len(ids) - split

        chosen = [seq(e["prompt"], e["chosen"]) for e in examples]
        rejected = [seq(e["prompt"], e["rejected"]) for e in examples]
        mle = [seq(e["prompt"], e["mle_target"]) for e in examples]
    assert examples[0]["mle_target"] == "The bus and I broke up." and examples[1]["mle_target"] == examples[1]["chosen"]
    ranking = sum(max(0.0, r / nr - c / nc + 0.05) for (c, nc), (r, nr) in zip(chosen, rejected)) / 2
    mle_nll = -sum(s for s, _ in mle) / sum(n for _, n in mle)
    assert loss == pytest.approx(0.3 * mle_nll + 2.0 * ranking, rel=1e-4)


def test_brio_collator_masks_the_prompt(tiny):
    _, tokenizer = _load(tiny)
    batch = BrioCollator(tokenizer, 160)(brio_examples(PREFS[:1]))
    assert batch["input_ids"].shape[0] == 3  # chosen, rejected, mle target
    labels = batch["labels"][0][batch["labels"][0] != -100].tolist()
    assert tokenizer.decode(labels).startswith("The bus ghosted me.") and tokenizer.eos_token in tokenizer.decode(labels)


# ---- the recipes: all stages, manifests, reuse, resume ----------------------------------------


def test_all_recipes_on_a_tiny_model_then_reuse(tmp_path, tiny, monkeypatch):
    cfg = load_config(_write_config(tmp_path, tiny))
    outputs = Run(cfg, log=lambda m: None).run("all")
    run_dir = Path(cfg.run_dir)
    assert set(outputs) == {"teacher", "ft_ws", "ft", "sd", "brio", "dpo", "brio_dpo"}
    for student in ("ft_ws", "ft", "sd", "brio", "dpo", "brio_dpo"):
        folder = validate_checkpoint_dir(run_dir / student)
        manifest = json.loads((folder / MANIFEST).read_text())
        assert manifest["base_model"] == str(tiny) and manifest["seed"] == 0 and manifest["steps"] == 2
        assert all(len(d["sha256"]) == 64 for d in manifest["data"].values())
    dpo = read_manifest(run_dir / "dpo")
    assert dpo["critic"] == {"model": f"hf-folder/{tiny}", "method": "cloze"}
    assert dpo["round"] == 2 and dpo["parent"].endswith("dpo-round1") and dpo["reference_model"].endswith("ft_ws")
    assert dpo["hyperparameters"]["beta"] == 0.1
    assert read_manifest(run_dir / "brio")["hyperparameters"]["rank_weight"] == 10.0
    assert read_manifest(run_dir / "brio_dpo")["reference_model"].endswith("brio_t")
    assert read_manifest(run_dir / "ft")["critic"] is None
    # feedback is collected once per source checkpoint: ft_ws's serves sd, brio and dpo
    assert sorted(p.name for p in (run_dir / "feedback").glob("*.jsonl")) == [
        "brio-round1.jsonl", "brio_dpo-round1.jsonl", "brio_t.jsonl", "dpo-round1.jsonl", "ft_ws.jsonl", "teacher.jsonl"]
    record = json.loads((run_dir / "feedback" / "ft_ws.jsonl").read_text().splitlines()[0])
    assert set(record) >= {"prompt", "chosen", "rejected", "p_chosen", "critic", "method", "reference"}
    timings = json.loads((run_dir / "timings.json").read_text())
    assert {"teacher", "ft_ws", "dpo", "feedback:ft_ws"} <= set(timings)
    assert not (run_dir / "_work" / "dpo").exists()

    # a rerun reuses every finished stage; a changed setting retrains only what depends on it
    monkeypatch.setattr(Run, "_trainer", lambda *a, **k: pytest.fail("nothing should be retrained"))
    Run(cfg, log=lambda m: None).run("all")
    monkeypatch.undo()
    cfg.dpo = {**cfg.dpo, "beta": 0.2}
    trained = []
    original = Run._trainer
    monkeypatch.setattr(Run, "_trainer", lambda self, kind, *a: trained.append(kind) or original(self, kind, *a))
    Run(cfg, log=lambda m: None).run("dpo")
    assert trained == ["dpo", "dpo"]  # two feedback rounds, nothing else
    assert read_manifest(run_dir / "dpo")["hyperparameters"]["beta"] == 0.2


def test_an_interrupted_stage_resumes_from_its_last_trainer_checkpoint(tmp_path, tiny, monkeypatch):
    from transformers import TrainerCallback

    class Crash(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            if state.global_step == 1:
                raise KeyboardInterrupt("simulated crash after the first checkpoint")

    cfg = load_config(_write_config(tmp_path, tiny, sft={"max_steps": 2, "per_device_train_batch_size": 2, "save_steps": 1}))
    original = Run._trainer

    def crashing(self, *args):
        trainer = original(self, *args)
        trainer.add_callback(Crash())
        return trainer

    monkeypatch.setattr(Run, "_trainer", crashing)
    with pytest.raises(KeyboardInterrupt):
        Run(cfg, log=lambda m: None).run("ft_ws")
    work = Path(cfg.run_dir) / "_work" / "ft_ws"
    assert (work / "checkpoint-1").is_dir() and not (Path(cfg.run_dir) / "ft_ws").exists()
    monkeypatch.undo()
    messages = []
    Run(cfg, log=messages.append).run("ft_ws")
    assert any("resuming from" in m and "checkpoint-1" in m for m in messages)
    assert read_manifest(Path(cfg.run_dir) / "ft_ws")["steps"] == 2 and not work.exists()


# ---- CLI ----------------------------------------------------------------------------------------


def test_cli_errors_are_one_line(tmp_path, tiny):
    runner = CliRunner()
    bad = tmp_path / "bad.yaml"
    bad.write_text("feedback:\n  kk: 6\n")
    result = runner.invoke(main, ["train", "ft", "--config", str(bad)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [f"humor-bench: error: unknown config key 'feedback.kk' in {bad}; "
                                                  + result.output.split("; ", 1)[1].strip()]
    result = runner.invoke(main, ["train", "fancy", "--config", str(bad)])
    assert result.exit_code == 2 and "unknown recipe 'fancy'; choose one of: teacher, ft_ws" in result.output
    missing = _write_config(tmp_path, tmp_path / "no-model")
    result = runner.invoke(main, ["train", "ft", "--config", str(missing)])
    assert result.exit_code == 2 and "neither an embedded model" in result.output
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = runner.invoke(main, ["feedback", "--checkpoint", str(tiny), "--config", str(_write_config(tmp_path, tiny)),
                                          "--pairs", str(empty), "--out", str(tmp_path / "p.jsonl")])
    assert result.exit_code == 2 and "is empty" in result.output


def test_cli_teacher_data_and_train(tmp_path, tiny):
    runner = CliRunner()
    out = tmp_path / "pairs.jsonl"
    result = runner.invoke(main, ["teacher-data", "--limit", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "6 pairs from 2/2 inputs (0 refused" in result.output and len(out.read_text().splitlines()) == 6
    config = _write_config(tmp_path, tiny)
    result = runner.invoke(main, ["train", "ft-ws", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"ft_ws\t{tmp_path / 'run' / 'ft_ws'}"
    prefs = tmp_path / "prefs.jsonl"
    result = runner.invoke(main, ["feedback", "--checkpoint", str(tmp_path / "run" / "ft_ws"), "--config", str(config),
                                          "--pairs", str(out), "--out", str(prefs)])
    assert result.exit_code == 0, result.output
    assert "2 preferences" in result.output and json.loads(prefs.read_text().splitlines()[0])["source"] == "student:ft_ws"


# ---- reproduction report ----------------------------------------------------------------------


def test_eval_command_is_the_documented_inspect_eval(tmp_path, tiny):
    cfg = load_config(_write_config(tmp_path, tiny))
    command = reproduce.eval_command(cfg, "dpo")
    assert command[:3] == ["inspect", "eval", "benchmark/humor_wtr.py@humor_wtr_id"]
    assert command[command.index("--model") + 1] == f"hf-folder/{(tmp_path / 'run' / 'dpo').resolve()}"  # outside the repo
    cfg.run_dir = "runs/x"
    assert reproduce.eval_command(cfg, "dpo")[4] == "hf-folder/runs/x/dpo"  # inside: relative to the repo root
    assert command[command.index("--model-role") + 1] == f"grader=hf-folder/{tiny}"
    assert "method=cloze" in command and command[command.index("--limit") + 1] == "2"


def test_report_has_both_judges_read_labels_paired_differences_and_timings(tmp_path, tiny, monkeypatch):
    from trainers import tables

    cfg = load_config(_write_config(tmp_path, tiny, eval={"limit": 2, "report": str(tmp_path / "r.md"), "suites": ["id", "ood"],
                                                          "students": ["ft", "dpo"], "independent_judge": "scripted/judge"}))
    ids = [f"id-{i:03d}" for i in range(40)]
    values = {"ft": [1.0 if i % 4 == 0 else 0.0 for i in range(40)], "dpo": [1.0 if i % 4 != 3 else 0.0 for i in range(40)]}
    read = {"ft": {i: 0.0 for i in ids[:20]}, "dpo": {i: float(k % 2) for k, i in enumerate(ids[:20])}}

    def result(path, labels=None):
        student, suite, kind = path.parts
        flip = kind == "judge"  # the judge reverses the critic's verdict on dpo
        vals = values["ft" if flip and student == "dpo" else student]
        return {"log": str(path), "judge": kind, "model": "m", "values": dict(zip(ids, vals)),
                "metrics": {"wtr": sum(vals) / 40, "wtr_ci_lower": 0.1, "wtr_ci_upper": 0.4, "lc_wtr": 0.2,
                            "lc_diverges": float(student == "dpo")},
                "length_ratio": {"ft": 1.0, "dpo": 1.5}[student], "read": read[student] if labels is not None else {}}

    monkeypatch.setattr(tables, "student_result", result)
    Path(cfg.run_dir).mkdir(parents=True)
    (Path(cfg.run_dir) / "timings.json").write_text(json.dumps({
        "ft_ws": {"seconds": 12.0, "steps": 2}, "critic:id:ft": {"seconds": 5.0, "cpu_seconds": 9.0},
        "judge:ood:ft": {"seconds": 3.0}}))
    logs = {(s, suite, k): Path(s) / suite / k for s in ("ft", "dpo") for suite in ("id", "ood") for k in ("critic", "judge")}
    out = tables.write_report(cfg, logs, "humor-bench reproduce --config c.yaml", note="measured under load")
    text = out.read_text()
    table2 = text[text.index("## Table 2"):text.index("## Table 3")]
    assert "| FT | 25.0 [10.0, 40.0] | (baseline) | 25.0 [10.0, 40.0] | (baseline) | 0.0 [0.0, 0.0] (20) | (baseline) |" in table2
    assert "| DPO | 75.0 [10.0, 40.0] | +50.0 [" in table2 and "| 20.0 (!) / 20.0 (!) | 1.50 (>1.3) | 60 / 52 |" in table2
    assert "**DPO vs FT** (ID): the independent judge: does not beat FT (CI includes 0), +0.0 [+0.0, +0.0] on 40 items" in text
    assert "the read-by-hand labels: beats FT, +50.0 [" in text and "on 20 items" in text
    assert "## Table 3" in text and "read by hand" not in text[text.index("## Table 3"):].split("\n")[2].lower()
    assert "Note: measured under load" in text and "**judge** `scripted/judge` (auto)" in text and "(cloze)" in text
    assert "| critic:id:ft | 5 | 9.0 |" in text and "| **training (shared by both tables)** | **12** |" in text
    assert "| **Table 2 evaluation (ID)** | **5** |" in text and "| **Table 3 evaluation (OOD)** | **3** |" in text


def test_a_student_is_evaluated_with_inspect_and_read_from_its_log(tmp_path, tiny):
    """One real `inspect eval` on 2 items (tiny student, tiny cloze judge), then the report's reader."""
    cfg = load_config(_write_config(tmp_path, tiny, eval={"students": ["ft"], "limit": 2, "independent_judge": "scripted/judge"}))
    student = Path(cfg.run_dir) / "ft"
    save_student(*_load(tiny), student, {"recipe": "ft", "base_model": str(tiny)})
    logs = reproduce.evaluate(cfg, log=lambda m: None)
    result = reproduce.student_result(logs[("ft", "id", "critic")])
    assert len(result["values"]) == 2 and all(v in (0.0, 0.5, 1.0) or math.isnan(v) for v in result["values"].values())
    assert "wtr" in result["metrics"] and result["judge"] == f"hf-folder/{tiny}"
    assert "critic:id:ft" in json.loads((Path(cfg.run_dir) / "timings.json").read_text())
    rescored = reproduce.student_result(logs[("ft", "id", "judge")])  # the same outputs, judged again
    assert rescored["judge"] == "scripted/judge" and set(rescored["values"]) == set(result["values"])
    assert reproduce.evaluate(cfg, log=lambda m: None) == logs  # a second run reuses the logs (newer than the checkpoint)


def test_table4_trains_each_variant_and_writes_one_row_per_student(tmp_path, tiny):
    """Two variants of a tiny recipe (`extends`), FT only, 2 items: real training, real evals, one table."""
    from trainers.table4 import table4

    base = _write_config(tmp_path, tiny, eval={"students": ["ft"], "limit": 2, "independent_judge": "scripted/judge",
                                               "log_dir": str(tmp_path / "logs")})
    variant = tmp_path / "n2.yaml"
    variant.write_text(yaml.safe_dump({"extends": "config.yaml", "run_dir": str(tmp_path / "run2"), "teacher": {"limit": 2},
                                       "eval": {"log_dir": str(tmp_path / "logs2")}}))
    out = table4([base, variant], tmp_path / "t4.md", log=lambda m: None)
    text = out.read_text()
    assert "| config | FT | 3 (9) | – |" in text and "| n2 | FT | 2 (6) | – |" in text
    assert text.count("| FT |") == 2
    assert "| LC-WTR critic / judge | length / reference |" in text  # beside every row, read where outputs run long
    assert "| **the whole table** |" in text and "(every stage once)" in text
    assert (tmp_path / "logs2" / "ft" / "id" / "judge").is_dir()  # the variant was judged twice, in its own folder


def test_table4_shares_a_finished_warm_start_only_between_variants_that_made_the_same_one(tmp_path, tiny):
    """A variant that differs only after FT-WS (the feedback frequency) links the donor's teacher data,
    FT-WS and first feedback; one with other teacher data (a data-size variant) links nothing."""
    from trainers.config import load_config
    from trainers.table4 import WARM_START_FILES, share_warm_start

    donor = load_config(_write_config(tmp_path, tiny))
    for name in WARM_START_FILES:
        path = tmp_path / "run" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name == "ft_ws":
            path.mkdir()
            (path / "model.safetensors").write_bytes(b"weights")
        else:
            path.write_text(name)
    frequency = tmp_path / "k.yaml"
    frequency.write_text(yaml.safe_dump({"extends": "config.yaml", "run_dir": str(tmp_path / "k"), "schedule": {"feedback_every": 2}}))
    size = tmp_path / "n.yaml"
    size.write_text(yaml.safe_dump({"extends": "config.yaml", "run_dir": str(tmp_path / "n"), "teacher": {"limit": 2}}))
    messages: list[str] = []
    share_warm_start(donor, load_config(frequency), messages.append)
    share_warm_start(donor, load_config(size), messages.append)
    assert len(messages) == len(WARM_START_FILES)
    linked = tmp_path / "k" / "ft_ws" / "model.safetensors"
    assert linked.read_bytes() == b"weights" and linked.stat().st_ino == (tmp_path / "run" / "ft_ws" / "model.safetensors").stat().st_ino
    assert not (tmp_path / "n").exists()
