"""The paper's recipes as a small make-like pipeline over one run folder (paper §3, §4 "Baselines").

    teacher   teacher pairs (data/teacher_pairs.jsonl)
    ft_ws     base --SFT(ws_epochs)--> the warm start of every student below
    ft        ft_ws --SFT(ft_epochs)--> imitation only
    sd        ft_ws --SFT(sd_epochs) on the critic-chosen candidates of ft_ws
    brio      ft_ws --BRIO on ft_ws's feedback, re-collected from the current student every K epochs
    dpo       ft_ws --DPO (reference: ft_ws), feedback as for brio
    brio_dpo  ft_ws --BRIO on the teacher's own pairs ranked by the critic (brio_t)-->
              --DPO (reference: brio_t) on student feedback, every K epochs
Every output (data file, checkpoint) carries a fingerprint of how it was made; a rerun reuses what is
finished and unchanged, retrains what changed, and resumes an interrupted stage from its last Trainer
checkpoint (run_dir/_work/<stage>/checkpoint-N). Feedback files are named after the checkpoint they
were sampled from, so ft_ws's feedback is collected once for sd, brio and dpo.
Each new DPO/BRIO round starts a fresh optimizer from the previous round's weights.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import math
import shutil
import time
from pathlib import Path
from typing import Any, Callable

from benchmark.errors import HumorBenchError

from . import data as datafiles
from .checkpoints import fingerprint, is_complete, last_trainer_checkpoint, read_manifest, save_student
from .config import RecipeConfig, resolve_base_model, training_args
from .critic import feedback_items, label_pairs, student_feedback
from .distributed import is_main_process, num_processes, on_main_process_first, wait_for_everyone

RECIPES: dict[str, list[str]] = {
    "teacher": ["teacher"],
    "ft_ws": ["teacher", "ft_ws"],
    "ft": ["teacher", "ft_ws", "ft"],
    "sd": ["teacher", "ft_ws", "sd"],
    "brio": ["teacher", "ft_ws", "brio"],
    "dpo": ["teacher", "ft_ws", "dpo"],
    "brio_dpo": ["teacher", "ft_ws", "brio_dpo"],
    "all": ["teacher", "ft_ws", "ft", "sd", "brio", "dpo", "brio_dpo"],
}


def recipe_stages(recipe: str) -> list[str]:
    key = recipe.replace("-", "_").lower()
    if key not in RECIPES:
        raise HumorBenchError(f"unknown recipe '{recipe}'; choose one of: {', '.join(RECIPES)}")
    return RECIPES[key]


class Run:
    """One run folder: the stages of `RECIPES`, their outputs, fingerprints and wall times."""

    def __init__(self, cfg: RecipeConfig, log: Callable[[str], None] = print) -> None:
        self.cfg = cfg
        self.dir = Path(cfg.run_dir)
        self.log = log
        self.base_folder = resolve_base_model(cfg.base_model)  # fails fast on a missing base model

    # ---- the recipes --------------------------------------------------------------------------
    def run(self, recipe: str) -> dict[str, Path]:
        outputs: dict[str, Path] = {}
        for stage in recipe_stages(recipe):
            outputs[stage] = getattr(self, f"stage_{stage}")()
        return outputs

    @on_main_process_first
    def stage_teacher(self) -> Path:
        from .teacher import collect_teacher_pairs

        path = self.pairs_path
        fp = fingerprint({"teacher": dataclasses.asdict(self.cfg.teacher)})
        if self._data_is_current(path, fp):
            datafiles.read_pairs(path)
            return path
        t = self.cfg.teacher
        self.log(f"teacher: {t.model} on id/{t.split} (limit {t.limit})")
        start = time.monotonic()
        pairs, stats = collect_teacher_pairs(t.model, t.split, t.limit, t.n, t.temperature, t.top_p, t.max_tokens, t.model_args)
        if not pairs:
            raise datafiles.DataFileError(
                f"teacher '{t.model}' gave no usable paraphrases for {stats.inputs} inputs "
                f"({stats.refused} refused, {stats.unparsed} unparsed); check the teacher model"
            )
        datafiles.write_jsonl(pairs, path)
        seconds = time.monotonic() - start
        datafiles.write_json({"fingerprint": fp, "stats": dataclasses.asdict(stats), "seconds": seconds}, path.with_suffix(".meta.json"))
        self._record_time("teacher", seconds, pairs=len(pairs), refused=stats.refused)
        self.log(f"teacher: {len(pairs)} pairs from {stats.kept_inputs}/{stats.inputs} inputs ({stats.refused} refused) -> {path}")
        return path

    def stage_ft_ws(self) -> Path:
        return self._train("ft_ws", "sft", self.base_folder, self.pairs(), {"teacher_pairs": self.pairs_path}, self.cfg.schedule.ws_epochs)

    def stage_ft(self) -> Path:
        return self._train("ft", "sft", self.ws, self.pairs(), {"teacher_pairs": self.pairs_path}, self.cfg.schedule.ft_epochs)

    def stage_sd(self) -> Path:
        from .sft import chosen_pairs

        feedback = self.feedback(self.ws)
        prefs = datafiles.read_preferences(feedback)
        return self._train("sd", "sft", self.ws, chosen_pairs(prefs), {"feedback": feedback}, self.cfg.schedule.sd_epochs)

    def stage_brio(self) -> Path:
        return self._with_feedback("brio", "brio", self.ws, self.cfg.schedule.brio_epochs)

    def stage_dpo(self) -> Path:
        return self._with_feedback("dpo", "dpo", self.ws, self.cfg.schedule.dpo_epochs, ref=self.ws)

    def stage_brio_dpo(self) -> Path:
        teacher_feedback = self.teacher_feedback()
        prefs = datafiles.read_preferences(teacher_feedback)
        brio_t = self._train("brio_t", "brio", self.ws, prefs, {"teacher_feedback": teacher_feedback}, self.cfg.schedule.brio_epochs, recipe="brio_dpo")
        return self._with_feedback("brio_dpo", "dpo", brio_t, self.cfg.schedule.dpo_epochs, ref=brio_t)

    # ---- inputs of the stages -----------------------------------------------------------------
    @property
    def pairs_path(self) -> Path:
        return self.dir / "data" / "teacher_pairs.jsonl"

    def pairs(self) -> list[dict[str, Any]]:
        if not self.pairs_path.is_file():
            self.stage_teacher()
        return datafiles.read_pairs(self.pairs_path)

    @property
    def ws(self) -> Path:
        return self.stage_ft_ws()

    @on_main_process_first
    def feedback(self, source: Path) -> Path:
        """Critic-labeled most-diverse pairs of k samples from the checkpoint `source`."""
        path = self.dir / "feedback" / f"{source.name}.jsonl"
        fp = fingerprint({"feedback": dataclasses.asdict(self.cfg.feedback), "source": _fingerprint_of(source),
                          "pairs": datafiles.file_sha256(self.pairs_path), "seed": self.cfg.seed})
        if self._data_is_current(path, fp):
            return path
        items = feedback_items(self.pairs(), self.cfg.feedback.limit)
        self.log(f"feedback: {self.cfg.feedback.k} candidates x {len(items)} inputs from {source}, critic {self.cfg.feedback.critic}")
        start = time.monotonic()
        records, counts = student_feedback(str(source), items, self.cfg.feedback, self.cfg.seed)
        gc.collect()
        return self._save_feedback(records, counts, path, fp, start)

    @on_main_process_first
    def teacher_feedback(self) -> Path:
        """BRIO-DPO's supervision: the teacher's own N paraphrases, most-diverse pair, ranked by the critic."""
        path = self.dir / "feedback" / "teacher.jsonl"
        fp = fingerprint({"feedback": dataclasses.asdict(self.cfg.feedback), "pairs": datafiles.file_sha256(self.pairs_path)})
        if self._data_is_current(path, fp):
            return path
        start = time.monotonic()
        items = feedback_items(self.pairs(), self.cfg.feedback.limit, teacher_candidates=True)
        records, counts = label_pairs(items, self.cfg.feedback, "teacher")
        return self._save_feedback(records, counts, path, fp, start)

    def _save_feedback(self, records: list[dict[str, Any]], counts: dict[str, int], path: Path, fp: str, start: float) -> Path:
        if not records:
            raise datafiles.DataFileError(
                f"critic feedback ({path.stem}) kept no pairs of {counts['inputs']} inputs ({counts}); raise feedback.k "
                "or feedback.temperature, or widen feedback.length_ratio"
            )
        datafiles.write_jsonl(records, path)
        seconds = time.monotonic() - start
        datafiles.write_json({"fingerprint": fp, "counts": counts, "seconds": seconds}, path.with_suffix(".meta.json"))
        self._record_time(f"feedback:{path.stem}", seconds, **counts)
        self.log(f"feedback: kept {counts['kept']} of {counts['inputs']} inputs {counts} -> {path}")
        return path

    # ---- training -----------------------------------------------------------------------------
    def _with_feedback(self, name: str, kind: str, start: Path, epochs: int, ref: Path | None = None) -> Path:
        """Iterative feedback: every K epochs, new feedback from the current student (paper §5.3)."""
        every = max(1, self.cfg.schedule.feedback_every)
        rounds = max(1, math.ceil(epochs / every))
        current = start
        for r in range(rounds):
            feedback = self.feedback(current)
            prefs = datafiles.read_preferences(feedback)
            out_name = name if r == rounds - 1 else f"{name}-round{r + 1}"
            round_epochs = min(every, epochs - r * every) if epochs > 0 else 0
            current = self._train(out_name, kind, current, prefs, {"feedback": feedback}, round_epochs,
                                  ref=ref, recipe=name, round_info=(r + 1, rounds))
        return current

    def _train(
        self, out_name: str, kind: str, start: Path, records: list[dict[str, Any]], data: dict[str, Path], epochs: float,
        ref: Path | None = None, recipe: str | None = None, round_info: tuple[int, int] = (1, 1),
    ) -> Path:
        overrides = getattr(self.cfg, kind)  # the config section is named after the trainer
        out, work = self.dir / out_name, self.dir / "_work" / out_name
        fp = fingerprint({"kind": kind, "start": _fingerprint_of(start), "ref": _fingerprint_of(ref) if ref else None,
                          "data": {k: datafiles.file_sha256(p) for k, p in data.items()}, "args": overrides,
                          "epochs": epochs, "seed": self.cfg.seed})
        if is_complete(out, fp):
            return out
        if is_main_process():
            if (work / "fingerprint").is_file() and (work / "fingerprint").read_text() != fp:
                shutil.rmtree(work)  # trainer checkpoints of another configuration: never resume from them
            work.mkdir(parents=True, exist_ok=True)
            (work / "fingerprint").write_text(fp)
        wait_for_everyone()
        resume = last_trainer_checkpoint(work)
        self.log(f"{out_name}: {kind} from {start} for {epochs} epoch(s) on {len(records)} records"
                 + (f", resuming from {resume}" if resume else ""))
        model, tokenizer = _load(start)
        args = training_args(kind, overrides, work, epochs, self.cfg.seed)
        trainer = self._trainer(kind, model, tokenizer, records, args, ref)
        began = time.monotonic()
        trainer.train(resume_from_checkpoint=resume)
        seconds = time.monotonic() - began
        manifest = {
            "base_model": self.cfg.base_model,
            "recipe": recipe or out_name,
            "stage": out_name,
            "trainer": kind,
            "parent": str(start),
            "reference_model": str(ref) if ref else None,
            "round": round_info[0],
            "rounds": round_info[1],
            "data": {k: datafiles.describe_file(p) for k, p in data.items()},
            "critic": _critic_of(data, self.cfg.feedback.critic),
            "steps": trainer.state.global_step,
            "epochs": epochs,
            "seed": self.cfg.seed,
            "hyperparameters": _hyperparameters(kind, args, trainer),
            "train_loss": _final_loss(trainer),
            "fingerprint": fp,
            "config": self.cfg.source,
            "wall_s": round(seconds, 1),
            "device": str(args.device),
            "processes": num_processes(),
        }
        if is_main_process():
            save_student(trainer.model, tokenizer, out, manifest)
            shutil.rmtree(work, ignore_errors=True)
            self._record_time(out_name, seconds, steps=trainer.state.global_step)
            self.log(f"{out_name}: {trainer.state.global_step} steps in {seconds:.0f}s -> {out}")
        wait_for_everyone()
        del trainer, model
        gc.collect()
        return out

    def _trainer(self, kind: str, model: Any, tokenizer: Any, records: list[dict[str, Any]], args: Any, ref: Path | None) -> Any:
        if kind == "sft":
            from .sft import make_sft_trainer

            return make_sft_trainer(model, tokenizer, records, args)
        if kind == "brio":
            from .brio import BrioTrainer

            return BrioTrainer(model, args, records, tokenizer)
        from .dpo import make_dpo_trainer

        ref_model, _ = _load(ref)
        return make_dpo_trainer(model, ref_model, tokenizer, records, args)

    # ---- bookkeeping --------------------------------------------------------------------------
    def _data_is_current(self, path: Path, fp: str) -> bool:
        meta = path.with_suffix(".meta.json")
        if not (path.is_file() and meta.is_file()):
            return False
        try:
            return json.loads(meta.read_text()).get("fingerprint") == fp
        except json.JSONDecodeError:
            return False

    def _record_time(self, stage: str, seconds: float, **extra: Any) -> None:
        datafiles.record_time(self.dir, stage, seconds, **extra)


def _load(folder: Path) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, local_files_only=True, trust_remote_code=False)
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def _fingerprint_of(folder: Path | None) -> str | None:
    """A checkpoint's identity: its manifest fingerprint, else (a base model) its path."""
    if folder is None:
        return None
    manifest = read_manifest(folder)
    return manifest["fingerprint"] if manifest and "fingerprint" in manifest else f"base:{folder}"


def _critic_of(data: dict[str, Path], critic: str) -> dict[str, str] | None:
    for key in ("feedback", "teacher_feedback"):
        if key in data:
            first = datafiles.read_preferences(data[key])[0]
            return {"model": first.get("critic", critic), "method": first.get("method", "")}
    return None


def _hyperparameters(kind: str, args: Any, trainer: Any) -> dict[str, Any]:
    keep = ["learning_rate", "per_device_train_batch_size", "gradient_accumulation_steps", "max_length", "lr_scheduler_type", "warmup_steps"]
    keep += {"dpo": ["beta", "loss_type"], "brio": ["mle_weight", "rank_weight", "length_penalty"], "sft": []}[kind]
    params = {k: getattr(args, k) for k in keep if hasattr(args, k)}
    if kind == "brio":
        params.update(margin=trainer.margin, average_completion_tokens=trainer.average_length)
    return params


def _final_loss(trainer: Any) -> float | None:
    for entry in reversed(trainer.state.log_history):
        if "train_loss" in entry:
            return round(float(entry["train_loss"]), 4)
    return None
