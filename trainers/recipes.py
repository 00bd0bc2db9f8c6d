"""The paper's recipes as a small make-like pipeline over one run folder (paper §3, §4 "Baselines").

    teacher   teacher pairs (data/teacher_pairs.jsonl)
    ft_ws     base --SFT(ws_epochs)--> the warm start of every student below
    ft        ft_ws --SFT(ft_epochs)--> imitation only
    sd        ft_ws --SFT(sd_epochs) on the critic-chosen candidates of ft_ws
    brio      ft_ws --BRIO on ft_ws's feedback, re-collected from the current student every K epochs
    dpo       ft_ws --DPO (reference: ft_ws), feedback as for brio
    brio_dpo  ft_ws --BRIO on the teacher's own pairs ranked by the critic (brio_t)-->
              --DPO (reference: brio_t) on student feedback, every K epochs
`STAGES` (below `Run`) maps each name to the method that makes it; `RECIPES` lists the stages of a recipe.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from benchmark.board.files import atomic_write_text, write_jsonl
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


@dataclass
class Training:
    """One trainer run: what it makes and from what. Everything here but `records` (hashed as the
    files in `data`) goes into its fingerprint or its manifest."""

    name: str  # the output folder run_dir/<name>
    kind: str  # sft | brio | dpo: the trainer, and the config section of its arguments
    start: Path  # the checkpoint it starts from
    records: list[dict[str, Any]]
    data: dict[str, Path]  # the files the records came from, by role
    epochs: float
    ref: Path | None = None  # DPO's reference model
    recipe: str | None = None  # the recipe it belongs to (default: its name)
    round: tuple[int, int] = (1, 1)  # (this feedback round, rounds)


class Run:
    """One run folder: the stages of `RECIPES`, their outputs, fingerprints and wall times."""

    def __init__(self, cfg: RecipeConfig, log: Callable[[str], None] = print) -> None:
        self.cfg = cfg
        self.dir = Path(cfg.run_dir)
        self.log = log
        self.base_folder = resolve_base_model(cfg.base_model)  # fails fast on a missing base model

    def run(self, recipe: str) -> dict[str, Path]:
        """Make each stage of the recipe in order; finished, unchanged outputs are reused as they are."""
        return {stage: STAGES[stage](self) for stage in recipe_stages(recipe)}

    # ---- the stages ---------------------------------------------------------------------------
    @on_main_process_first
    def teacher_pairs(self) -> Path:
        """teacher: N paraphrases per input from the teacher model (or the authored split)."""
        from .teacher import collect_teacher_pairs

        path = self.pairs_path
        fp = fingerprint({"teacher": dataclasses.asdict(self.cfg.teacher)})
        if self._data_is_current(path, fp):
            datafiles.read_pairs(path)
            return path
        t = self.cfg.teacher
        self.log(f"teacher: {t.model} on id/{t.split} (limit {t.limit})")
        start = datafiles.clock()
        pairs, stats = collect_teacher_pairs(t.model, t.split, t.limit, t.n, t.temperature, t.top_p, t.max_tokens, t.model_args)
        if not pairs:
            raise datafiles.DataFileError(
                f"teacher '{t.model}' gave no usable paraphrases for {stats.inputs} inputs "
                f"({stats.refused} refused, {stats.unparsed} unparsed); check the teacher model"
            )
        write_jsonl(pairs, path)
        seconds = datafiles.record_time(self.dir, "teacher", start, pairs=len(pairs), refused=stats.refused)
        datafiles.write_json({"fingerprint": fp, "stats": dataclasses.asdict(stats), "seconds": seconds}, path.with_suffix(".meta.json"))
        self.log(f"teacher: {len(pairs)} pairs from {stats.kept_inputs}/{stats.inputs} inputs ({stats.refused} refused) -> {path}")
        return path

    def warm_start(self) -> Path:
        """ft_ws: SFT of the base model on the teacher pairs; every other student starts from it."""
        return self._train(Training("ft_ws", "sft", self.base_folder, self.pairs(), {"teacher_pairs": self.pairs_path},
                                    self.cfg.schedule.ws_epochs))

    def imitation(self) -> Path:
        """ft: more SFT epochs on the teacher pairs."""
        return self._train(Training("ft", "sft", self.warm_start(), self.pairs(), {"teacher_pairs": self.pairs_path},
                                    self.cfg.schedule.ft_epochs))

    def self_distillation(self) -> Path:
        """sd: SFT on the critic-chosen candidates of the warm start."""
        from .sft import chosen_pairs

        start = self.warm_start()
        feedback = self.feedback(start)
        prefs = datafiles.read_preferences(feedback)
        return self._train(Training("sd", "sft", start, chosen_pairs(prefs), {"feedback": feedback}, self.cfg.schedule.sd_epochs))

    def brio(self) -> Path:
        """brio: BRIO from the warm start on critic feedback, re-collected every K epochs."""
        return self._with_feedback("brio", "brio", self.warm_start(), self.cfg.schedule.brio_epochs)

    def dpo(self) -> Path:
        """dpo: DPO from the warm start against it as the reference, feedback as for brio."""
        start = self.warm_start()
        return self._with_feedback("dpo", "dpo", start, self.cfg.schedule.dpo_epochs, ref=start)

    def brio_dpo(self) -> Path:
        """brio_dpo: BRIO on the teacher's own ranked pairs (brio_t), then DPO against brio_t."""
        teacher_feedback = self.teacher_feedback()
        prefs = datafiles.read_preferences(teacher_feedback)
        brio_t = self._train(Training("brio_t", "brio", self.warm_start(), prefs, {"teacher_feedback": teacher_feedback},
                                      self.cfg.schedule.brio_epochs, recipe="brio_dpo"))
        return self._with_feedback("brio_dpo", "dpo", brio_t, self.cfg.schedule.dpo_epochs, ref=brio_t)

    # ---- inputs of the stages -----------------------------------------------------------------
    @property
    def pairs_path(self) -> Path:
        return self.dir / "data" / "teacher_pairs.jsonl"

    def pairs(self) -> list[dict[str, Any]]:
        if not self.pairs_path.is_file():
            self.teacher_pairs()
        return datafiles.read_pairs(self.pairs_path)

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
        start = datafiles.clock()
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
        start = datafiles.clock()
        items = feedback_items(self.pairs(), self.cfg.feedback.limit, teacher_candidates=True)
        records, counts = label_pairs(items, self.cfg.feedback, "teacher")
        return self._save_feedback(records, counts, path, fp, start)

    def _save_feedback(self, records: list[dict[str, Any]], counts: dict[str, int], path: Path, fp: str, start: tuple[float, float]) -> Path:
        if not records:
            raise datafiles.DataFileError(
                f"critic feedback ({path.stem}) kept no pairs of {counts['inputs']} inputs ({counts}); raise feedback.k "
                "or feedback.temperature, or widen feedback.length_ratio"
            )
        write_jsonl(records, path)
        seconds = datafiles.record_time(self.dir, f"feedback:{path.stem}", start, **counts)
        datafiles.write_json({"fingerprint": fp, "counts": counts, "seconds": seconds}, path.with_suffix(".meta.json"))
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
            current = self._train(Training(out_name, kind, current, prefs, {"feedback": feedback}, round_epochs,
                                           ref=ref, recipe=name, round=(r + 1, rounds)))
        return current

    def _train(self, job: Training) -> Path:
        """Run one trainer into run_dir/<job.name>, unless it is finished with the same fingerprint."""
        out, work = self.dir / job.name, self.dir / "_work" / job.name
        fp = self._fingerprint(job)
        if is_complete(out, fp):
            return out
        resume = self._work_folder(work, fp)
        self.log(f"{job.name}: {job.kind} from {job.start} for {job.epochs} epoch(s) on {len(job.records)} records"
                 + (f", resuming from {resume}" if resume else ""))
        model, tokenizer = _load(job.start)
        args = training_args(job.kind, self._arguments(job.kind), work, job.epochs, self.cfg.seed)
        trainer = self._trainer(job.kind, model, tokenizer, job.records, args, job.ref)
        began = datafiles.clock()
        trainer.train(resume_from_checkpoint=resume)
        seconds = time.monotonic() - began[0]
        manifest = self._manifest(job, trainer, args, fp, seconds)
        if is_main_process():
            save_student(trainer.model, tokenizer, out, manifest)
            shutil.rmtree(work, ignore_errors=True)
            datafiles.record_time(self.dir, job.name, began, steps=trainer.state.global_step)
            self.log(f"{job.name}: {trainer.state.global_step} steps in {seconds:.0f}s -> {out}")
        wait_for_everyone()
        del trainer, model
        gc.collect()
        return out

    def _arguments(self, kind: str) -> dict[str, Any]:
        """The config section of the trainer's own arguments (sft, brio or dpo)."""
        return {"sft": self.cfg.sft, "brio": self.cfg.brio, "dpo": self.cfg.dpo}[kind]

    def _fingerprint(self, job: Training) -> str:
        """How a checkpoint is made: trainer, parent and reference identities, data hashes, arguments, epochs, seed."""
        return fingerprint({"kind": job.kind, "start": _fingerprint_of(job.start), "ref": _fingerprint_of(job.ref) if job.ref else None,
                            "data": {k: datafiles.file_sha256(p) for k, p in job.data.items()}, "args": self._arguments(job.kind),
                            "epochs": job.epochs, "seed": self.cfg.seed})

    def _work_folder(self, work: Path, fp: str) -> str | None:
        """The Trainer's folder for this fingerprint, and its last checkpoint to resume from (never another config's)."""
        if is_main_process():
            if (work / "fingerprint").is_file() and (work / "fingerprint").read_text() != fp:
                shutil.rmtree(work)  # trainer checkpoints of another configuration: never resume from them
            atomic_write_text(work / "fingerprint", fp)
        wait_for_everyone()
        return last_trainer_checkpoint(work)

    def _manifest(self, job: Training, trainer: Any, args: Any, fp: str, seconds: float) -> dict[str, Any]:
        """What humor_bench.json records about a finished student (checkpoints.py)."""
        return {
            "base_model": self.cfg.base_model,
            "recipe": job.recipe or job.name,
            "stage": job.name,
            "trainer": job.kind,
            "parent": str(job.start),
            "reference_model": str(job.ref) if job.ref else None,
            "round": job.round[0],
            "rounds": job.round[1],
            "data": {k: datafiles.describe_file(p) for k, p in job.data.items()},
            "critic": _critic_of(job.data, self.cfg.feedback.critic),
            "steps": trainer.state.global_step,
            "epochs": job.epochs,
            "seed": self.cfg.seed,
            "hyperparameters": _hyperparameters(job.kind, args, trainer),
            "train_loss": _final_loss(trainer),
            "fingerprint": fp,
            "config": self.cfg.source,
            "wall_s": round(seconds, 1),
            "device": str(args.device),
            "processes": num_processes(),
        }

    def _trainer(self, kind: str, model: Any, tokenizer: Any, records: list[dict[str, Any]], args: Any, ref: Path | None) -> Any:
        """The trainer of `kind` over the records (imported here: TRL loads slowly)."""
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



STAGES: dict[str, Callable[[Run], Path]] = {  # each stage's name -> the method that makes it, in recipe order
    "teacher": Run.teacher_pairs,
    "ft_ws": Run.warm_start,
    "ft": Run.imitation,
    "sd": Run.self_distillation,
    "brio": Run.brio,
    "dpo": Run.dpo,
    "brio_dpo": Run.brio_dpo,
}


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
