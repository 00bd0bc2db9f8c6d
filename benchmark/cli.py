"""`humor-bench`: set-up and diagnostics around the Inspect task (`inspect eval benchmark/humor_wtr.py` runs it).

Each command is a thin call into a module; errors print one line that names the fix, exit code 2.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from benchmark.board.files import RESULTS_DIR
from benchmark.errors import HumorBenchError

METHODS = ["auto", "mcp", "cloze", "cloze_meaning", "probe"]  # scorers.pairwise.JudgeMethod (a test keeps them equal)


def one_line_message(error: BaseException) -> str:
    """`humor-bench: error: <message>`: the message on one line (our messages name the input and the fix)."""
    return f"humor-bench: error: {' '.join(str(error).split()) or type(error).__name__}"


class _FrontDoor(click.Group):
    """The one place a project error becomes one line on stderr and exit code 2 (no traceback); any other
    exception is a bug and keeps its traceback. A missing file the user named counts as theirs."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (HumorBenchError, FileNotFoundError) as ex:
            click.echo(one_line_message(ex), err=True)
            sys.exit(2)


@click.group(cls=_FrontDoor)
@click.version_option(package_name="humor-bench", prog_name="humor-bench")
def main() -> None:
    """Humor distillation benchmark (Ravi et al., ACL 2024) on Inspect AI."""


@main.command()
@click.option("--model", "alias", default="smollm2-135m", show_default=True, help="embedded model alias")
@click.option("--all", "every", is_flag=True, help="every embedded model (the student and both judges)")
def prepare(alias: str, every: bool) -> None:
    """Convert embedded GGUF models once to cached safetensors folders (split GGUFs assembled and checked)."""
    from benchmark.models.embedded import EMBEDDED_MODELS, ensure_converted

    for name in EMBEDDED_MODELS if every else [alias]:
        start = time.monotonic()
        folder = ensure_converted(name)
        click.echo(f"{name}: {folder} ({time.monotonic() - start:.1f}s)")


@main.command()
def suites() -> None:
    """List the suites and splits, validating every line."""
    from benchmark.suites import SUITE_DESCRIPTIONS, SUITES, load_suite

    for suite, splits in SUITES.items():
        counts = ", ".join(f"{split}={len(load_suite(suite, split))}" for split in splits)
        click.echo(f"{suite:4} {counts:32} {SUITE_DESCRIPTIONS[suite]}")


@main.command("cloze-signal")
@click.option("--suite", default="id", show_default=True)
@click.option("--split", default="test", show_default=True)
@click.option("--judge", default=None, help="any judge (default: the tasks' default judge, local/qwen2.5-coder-0.5b)")
@click.option("--method", type=click.Choice(METHODS), default="auto", show_default=True)
@click.option("--limit", type=int, default=None, help="first N items only")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="JSON output (default results/cloze_signal_<suite>.json)")
def cloze_signal(suite: str, split: str, judge: str | None, method: str, limit: int | None, out: Path | None) -> None:
    """Does the judge prefer each reference to a verbatim copy of the input?"""
    from benchmark.board.files import write_json
    from benchmark.tools.diagnostics import reference_vs_copy
    from benchmark.humor_wtr import EMBEDDED_JUDGE
    from benchmark.suites import load_suite

    items = load_suite(suite, split)[:limit]
    report = {"suite": suite, "split": split, **reference_vs_copy(items, judge or EMBEDDED_JUDGE, method)}
    path = write_json(report, out or RESULTS_DIR / f"cloze_signal_{suite}.json")
    click.echo(
        f"{suite}/{split}: reference beats input copy in {report['chosen_reference_beats_copy']:.1%} of "
        f"{report['n_items']} items (all three references: {report['all_three_references_beat_copy']:.1%}; "
        f"per reference: {report['reference_beats_copy_per_reference']:.1%}) in {report['seconds']}s -> {path}"
    )


@main.command("build-inputs")
@click.argument("source", type=click.Choice(["empathetic_dialogues", "samsum"]))
@click.option("--out", type=click.Path(path_type=Path), required=True, help="JSONL of {id, input, metadata}")
@click.option("--split", default="test", show_default=True)
@click.option("--local", "local_path", type=click.Path(path_type=Path), default=None, help="a raw local copy instead of the hub")
@click.option("-n", "n", type=int, default=None, help="sample this many (seeded)")
@click.option("--seed", type=int, default=0, show_default=True)
def build_inputs(source: str, out: Path, split: str, local_path: Path | None, n: int | None, seed: int) -> None:
    """Extract paper-faithful literal inputs from EmpatheticDialogues or SAMSum (references are authored separately)."""
    from benchmark.tools import builders

    records = builders.load_local(source, local_path) if local_path else builders.load_source(source, split)
    extract = builders.empathetic_inputs if source == "empathetic_dialogues" else builders.samsum_inputs
    items = extract(records, n=n, seed=seed)
    builders.write_inputs_jsonl(items, out)
    click.echo(f"{len(items)} inputs from {source} -> {out}")


@main.command("judge-report")
@click.option("--grader", default=None, help="any Inspect model (default: the tasks' default judge, local/qwen2.5-coder-0.5b)")
@click.option("--method", type=click.Choice(METHODS), default="auto", show_default=True,
              help="auto: the tasks' default (probe for a judge with a fitted probe, cloze_meaning for another local judge, mcp otherwise)")
@click.option("--mcp-mode", type=click.Choice(["auto", "reason", "direct"]), default="auto", show_default=True,
              help="auto: one token where logprobs exist; reason: the paper's format")
@click.option("--pairs", "pairs_path", type=click.Path(path_type=Path), default=None,
              help="labeled pairs, JSONL {id, input, a, b, funnier} (default: benchmark/data/judge_validation.jsonl)")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="JSON report (default results/judge_reports/<judge>_<method>_<pairs>.json)")
@click.option("--limit", type=int, default=None, help="first N labeled pairs only")
def judge_report_command(grader: str | None, method: str, mcp_mode: str, pairs_path: Path | None, out: Path | None, limit: int | None) -> None:
    """Agreement of a judge with labeled pairs: Ag-H, Cohen's kappa, Ag-C, PB, LB, consistency, fairness."""
    from benchmark.board.files import write_json
    from benchmark.humor_wtr import EMBEDDED_JUDGE, default_verdict_cache
    from benchmark.tools.judge_report import VALIDATION_FILE, format_table, judge_report
    from scorers.verdict_cache import open_store

    grader = grader or EMBEDDED_JUDGE
    pairs_path = pairs_path or VALIDATION_FILE
    report = judge_report(grader, method, mcp_mode, pairs_path, limit, open_store(default_verdict_cache()))
    mode = report["mcp_mode"] or ""
    slug = "".join(ch if ch.isalnum() else "_" for ch in f"{grader}_{report['method']}_{mode}_{Path(pairs_path).stem}")
    path = write_json(report, out or RESULTS_DIR / "judge_reports" / f"{slug.strip('_')}.json")
    click.echo(format_table(report) + f"\n-> {path}")


@main.command("judge-fit")
@click.option("--grader", default=None, help="a local judge (default: the tasks' default judge)")
@click.option("--method", type=click.Choice(["cloze_meaning", "probe"]), default="probe", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=None, help="JSON (default results/judge_fit/<judge>[_probe].json)")
def judge_fit_command(grader: str | None, method: str, out: Path | None) -> None:
    """Fit a judge's rule on the dev pairs (never the test suites): the reward probe, or the cloze_meaning gate."""
    from benchmark.board.files import write_json
    from benchmark.humor_wtr import EMBEDDED_JUDGE, default_verdict_cache
    from benchmark.tools.judge_fit import default_out, fit_reward_probe, format_fit, format_probe_fit, judge_fit
    from scorers.verdict_cache import open_store

    grader = grader or EMBEDDED_JUDGE
    if method == "probe":
        report = fit_reward_probe(grader)
        target = out or default_out(grader).with_name(default_out(grader).stem + "_probe.json")
        click.echo(format_probe_fit(report) + f"\n-> {write_json(report, target)}")
        return
    report = judge_fit(grader, open_store(default_verdict_cache()))
    click.echo(format_fit(report) + f"\n-> {write_json(report, out or default_out(grader))}")


@main.command()
@click.argument("log_a", type=click.Path(path_type=Path))
@click.argument("log_b", type=click.Path(path_type=Path))
@click.option("--seed", type=int, default=0, show_default=True)
def compare(log_a: Path, log_b: Path, seed: int) -> None:
    """Paired comparison of two runs on the same items: WTR difference, paired bootstrap CI, exact McNemar."""
    from benchmark.board.logs import item_wtr_values
    from scorers.compare import paired_comparison

    a, b = item_wtr_values(log_a), item_wtr_values(log_b)
    result = paired_comparison(a, b, seed=seed)
    click.echo(result.summary(log_a.stem, log_b.stem))


@main.command()
@click.option("--judge-items", type=int, default=32, show_default=True, help="items for (a): 2 judgments each, per mode")
@click.option("--student-items", type=int, default=64, show_default=True, help="prompts for (b) (64 = the local providers' batch)")
@click.option("--suite-limit", type=int, default=None, help="items for (c)/(d) (default: the whole ID suite)")
@click.option("--engine", type=click.Choice(["transformers", "llama_cpp"]), default=None, help="embedded model engine for (a), (c), (d)")
@click.option("--out", type=click.Path(path_type=Path), default=RESULTS_DIR / "speed.json", show_default=True)
def speed(judge_items: int, student_items: int, suite_limit: int | None, engine: str | None, out: Path) -> None:
    """Measure a run's cost: logprob vs reason judge, batched vs single generation, warm cache, ID suite wall time."""
    from benchmark.board.files import write_json
    from benchmark.tools.speed import format_report, speed_report

    report = speed_report(judge_items, student_items, suite_limit, engine)
    click.echo(format_report(report) + f"\n-> {write_json(report, out)}")


@main.command()
@click.option("--model", default="local/smollm2-135m", show_default=True, help="local/<alias> or hf-folder/<path>")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8011, show_default=True)
@click.option("--name", "served_name", default=None, help="model name clients use (default: the last path part)")
@click.option("--batch-size", type=int, default=64, show_default=True)
def serve(model: str, host: str, port: int, served_name: str | None, batch_size: int) -> None:
    """Serve a local model on an OpenAI-compatible endpoint (as vLLM would), for Inspect's openai-api/ provider."""
    from benchmark.models.serve import make_server

    server = make_server(model, host, port, served_name, batch_size=batch_size)
    click.echo(
        f"serving {model} as '{server.served_name}' at {server.url}\n"
        f"  export HUMORBENCH_BASE_URL={server.url} HUMORBENCH_API_KEY=local\n"
        f"  inspect eval benchmark/humor_wtr.py --model-role grader=openai-api/humorbench/{server.served_name}",
        err=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def _register_commands() -> None:
    """Commands that live with their concept: the leaderboard and report, labeling, and the trainers."""
    from benchmark.board.annotate.cli import annotate
    from benchmark.tools.attack_report import attack_report_command
    from benchmark.board.commands import leaderboard, report, rescore, submit
    from trainers.cli import COMMANDS

    for command in (submit, leaderboard, report, rescore, annotate, attack_report_command, *COMMANDS):
        main.add_command(command)


_register_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
