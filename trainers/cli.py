"""`humor-bench train | teacher-data | feedback | reproduce | table4`: thin click commands over trainers/.

Only `benchmark/cli.py` registers them (`COMMANDS`) in the `humor-bench` group, which turns usage errors
(config, data, base model, checkpoint) into one line that names the fix, exit 2.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import click

from benchmark.errors import HumorBenchError


def _load(config_path: Path, run_dir: str | None) -> Any:
    from .config import load_config

    cfg = load_config(config_path)
    if run_dir:
        cfg.run_dir = run_dir
    return cfg


@click.command("train")
@click.argument("recipe")
@click.option("--config", "config_path", required=True, type=click.Path(path_type=Path), help="recipe config (YAML or JSON)")
@click.option("--run-dir", default=None, help="override the config's run_dir")
def train(recipe: str, config_path: Path, run_dir: str | None) -> None:
    """Train RECIPE (teacher, ft_ws, ft, sd, brio, dpo, brio_dpo or all) and what it depends on.

    Finished, unchanged stages in the run folder are reused; an interrupted stage resumes from its last
    Trainer checkpoint. Each student is a checkpoint folder run_dir/<stage> with a humor_bench.json.
    """
    from .recipes import Run, recipe_stages

    recipe_stages(recipe)  # an unknown recipe fails before anything loads
    cfg = _load(config_path, run_dir)
    outputs = Run(cfg, log=lambda m: click.echo(f"humor-bench train: {m}", err=True)).run(recipe)
    for stage, path in outputs.items():
        click.echo(f"{stage}\t{path}")


@click.command("teacher-data")
@click.option("--teacher", default="authored", show_default=True, help="any Inspect model, or 'authored' (the ID train split)")
@click.option("--split", default="train", show_default=True)
@click.option("--limit", type=int, default=None, help="first N inputs")
@click.option("-n", "n", type=int, default=3, show_default=True, help="paraphrases per input (paper: 3)")
@click.option("--temperature", type=float, default=0.8, show_default=True)
@click.option("--top-p", type=float, default=1.0, show_default=True)
@click.option("-M", "model_args", multiple=True, help="teacher model arg key=value")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="pairs JSONL")
def teacher_data(teacher: str, split: str, limit: int | None, n: int, temperature: float, top_p: float, model_args: tuple[str, ...], out: Path) -> None:
    """Teacher pairs (paper Appendix B prompt, numbered list parsed, refusals dropped) -> JSONL."""
    from benchmark.board.files import write_jsonl

    from .teacher import collect_teacher_pairs

    pairs, stats = collect_teacher_pairs(teacher, split, limit, n, temperature, top_p, model_args=_kv(model_args))
    write_jsonl(pairs, out)
    click.echo(
        f"{stats.pairs} pairs from {stats.kept_inputs}/{stats.inputs} inputs ({stats.refused} refused, "
        f"{stats.unparsed} unparsed, {stats.short_lists} short lists) -> {out}"
    )


@click.command("feedback")
@click.option("--checkpoint", type=click.Path(path_type=Path), required=True, help="student checkpoint folder")
@click.option("--config", "config_path", required=True, type=click.Path(path_type=Path), help="its feedback section is used")
@click.option("--pairs", "pairs_path", type=click.Path(path_type=Path), required=True, help="teacher pairs JSONL (the inputs)")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="preference JSONL")
def feedback(checkpoint: Path, config_path: Path, pairs_path: Path, out: Path) -> None:
    """Critic feedback from one checkpoint: k samples, most diverse pair, length filter, critic label."""
    from benchmark.board.files import write_jsonl
    from benchmark.models.checkpoint import validate_checkpoint_dir

    from .critic import feedback_items, student_feedback
    from .data import read_pairs

    cfg = _load(config_path, None)
    items = feedback_items(read_pairs(pairs_path), cfg.feedback.limit)
    records, counts = student_feedback(str(validate_checkpoint_dir(checkpoint)), items, cfg.feedback, cfg.seed)
    write_jsonl(records, out)
    click.echo(f"{len(records)} preferences {counts} -> {out}")


@click.command("reproduce")
@click.option("--config", "config_path", required=True, type=click.Path(path_type=Path), help="recipe config (YAML or JSON)")
@click.option("--run-dir", default=None, help="override the config's run_dir")
@click.option("--skip-train", is_flag=True, help="use the checkpoints already in the run folder")
@click.option("--skip-eval", is_flag=True, help="judge nothing: rewrite the report from the logs already there (still trains unless --skip-train)")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="report path (default: eval.report)")
@click.option("--note", default=None, help="a line about the conditions of the run, printed under the header")
def reproduce(config_path: Path, run_dir: str | None, skip_train: bool, skip_eval: bool, out: Path | None, note: str | None) -> None:
    """Train FT, SD, BRIO, DPO and BRIO-DPO, evaluate each (critic, independent judge, read labels), write the tables."""
    from .recipes import Run
    from .reproduce import evaluate, existing_logs
    from .tables import write_report

    cfg = _load(config_path, run_dir)
    say = lambda m: click.echo(f"humor-bench reproduce: {m}", err=True)  # noqa: E731
    if not skip_train:
        Run(cfg, log=say).run("all")
    logs = existing_logs(cfg) if skip_eval else evaluate(cfg, log=say)
    flags = [f"--run-dir {shlex.quote(run_dir)}" if run_dir else "", "--skip-train" if skip_train else "", "--skip-eval" if skip_eval else ""]
    command = " ".join(["humor-bench reproduce --config", shlex.quote(str(config_path)), *filter(None, flags)])
    path = write_report(cfg, logs, command, out, note)
    click.echo(f"report -> {path}")


@click.command("table4")
@click.argument("configs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--skip-train", is_flag=True, help="use the checkpoints already in the run folders")
@click.option("--skip-eval", is_flag=True, help="judge nothing: rewrite the table from the logs already there (still trains unless --skip-train)")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="default results/reproduction_table4.md")
def table4(configs: tuple[Path, ...], skip_train: bool, skip_eval: bool, out: Path | None) -> None:
    """The paper's Table 4: FT and BRIO at three data sizes, BRIO at three feedback frequencies (trainers/configs/table4/)."""
    from .table4 import table4 as make

    say = lambda m: click.echo(f"humor-bench table4: {m}", err=True)  # noqa: E731
    path = make(list(configs), **({"out": out} if out else {}), skip_train=skip_train, skip_eval=skip_eval, log=say)
    click.echo(f"table 4 -> {path}")


def _kv(pairs: tuple[str, ...]) -> dict[str, Any]:
    import yaml

    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise HumorBenchError(f"model arg '{pair}' must be key=value")
        out[key] = yaml.safe_load(value)
    return out


COMMANDS = [train, teacher_data, feedback, reproduce, table4]
