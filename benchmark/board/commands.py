"""`humor-bench submit | leaderboard | report`: thin click commands over submit.py, leaderboard.py, report.py.

`benchmark/cli.py` registers them in the `humor-bench` group, which turns our errors into one line (exit 2).
"""

from __future__ import annotations

from pathlib import Path

import click

from benchmark.board.files import LOG_DIR, RESULTS_DIR
from benchmark.errors import HumorBenchError


def _params(pairs: tuple[str, ...]) -> dict:
    """-T key=value task parameters (humor_wtr's), values parsed as YAML scalars like Inspect does."""
    import yaml

    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise HumorBenchError(f"task parameter '{pair}' is not KEY=VALUE; write e.g. -T temperature=0.7")
        params[key.strip().replace("-", "_")] = yaml.safe_load(value) if value else ""
    return params


@click.command()
@click.argument("checkpoint", required=False)
@click.option("--name", default=None, help="row name (letters, digits, . _ -); default for baselines: their own")
@click.option("--baseline", default=None, help="embedded (the base SmolLM2-135M) or teacher (reference vs reference)")
@click.option("--grader", "graders", multiple=True, help="judge model, repeatable (default: the embedded cloze judge)")
@click.option("--suite", "suites", multiple=True, help="id and/or ood (default: both)")
@click.option("--limit", type=int, default=None, help="first N items per suite (a smoke test; the row is flagged partial)")
@click.option("-T", "task_params", multiple=True, help="humor_wtr parameter KEY=VALUE, e.g. -T temperature=0.7")
@click.option("--allow-pickle", is_flag=True, help="accept pickle (.bin) weights: they can run code when loaded")
@click.option("--replace", is_flag=True, help="let this checkpoint supersede another one under the same --name")
@click.option("--log-dir", type=click.Path(path_type=Path), default=LOG_DIR, show_default=True)
@click.option("--out-dir", type=click.Path(path_type=Path), default=RESULTS_DIR, show_default=True,
              help="where leaderboard.md and .csv are rewritten")
@click.option("--display", default="plain", show_default=True, help="Inspect display: plain, rich, full, none")
def submit(checkpoint, name, baseline, graders, suites, limit, task_params, allow_pickle, replace, log_dir, out_dir, display):
    """Validate CHECKPOINT (a HF folder), run both suites through Inspect and print its leaderboard row."""
    from benchmark.board.leaderboard import markdown_tables
    from benchmark.board.submit import BASELINES, SubmissionError, resolve_student, run_submission

    if baseline is None and checkpoint is None:
        raise SubmissionError("nothing to submit; pass a CHECKPOINT folder or --baseline embedded|teacher")
    if baseline is not None and baseline not in BASELINES:
        raise SubmissionError(f"unknown baseline '{baseline}'; choose one of: {', '.join(BASELINES)}")
    if baseline is not None and name is None:
        name = BASELINES[baseline][1]
    if not name:
        raise SubmissionError("missing --name; give the row a name, e.g. --name sft-135m")
    for suite in suites:
        if suite not in ("id", "ood"):
            raise SubmissionError(f"suite '{suite}' not found; choose one of: id, ood")
    student = resolve_student(checkpoint, baseline, allow_pickle)
    rows = run_submission(
        name, student, graders=list(graders), suites=tuple(suites) or ("id", "ood"), limit=limit,
        params=_params(task_params), log_root=log_dir, out_dir=out_dir, replace=replace, allow_pickle=allow_pickle,
        display=display,
    )
    click.echo("\n".join(markdown_tables(rows)).strip())
    click.echo(f"leaderboard rebuilt: {out_dir / 'leaderboard.md'}")


@click.command()
@click.option("--format", "fmt", default="md", show_default=True, help="md, csv or json (printed to stdout)")
@click.option("--log-dir", type=click.Path(path_type=Path), default=LOG_DIR, show_default=True)
@click.option("--log", "logs", multiple=True, help="build from these .eval files only (repeatable; print only)")
@click.option("--out-dir", type=click.Path(path_type=Path), default=RESULTS_DIR, show_default=True,
              help="where leaderboard.md and .csv are written")
@click.option("--no-write", is_flag=True, help="print only; leave the files alone")
@click.option("--include-flagged", is_flag=True, help="rank rows flagged for injection or copying too")
def leaderboard(fmt, log_dir, logs, out_dir, no_write, include_flagged):
    """Rebuild the leaderboard from the Inspect logs (never edited by hand) and print it."""
    from benchmark.board.leaderboard import FORMATS, rebuild, render

    if fmt not in FORMATS:
        raise HumorBenchError(f"unknown format '{fmt}'; choose one of: {', '.join(FORMATS)} (e.g. --format csv)")
    # --log builds from a hand-picked subset: print it, never overwrite the committed board with it
    board = rebuild(log_dir, None if (no_write or logs) else out_dir, paths=logs, include_flagged=include_flagged)
    for message in board.skipped:
        click.echo(message, err=True)
    click.echo(render(board.rows, fmt), nl=False)


@click.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=RESULTS_DIR / "report", show_default=True)
@click.option("--log-dir", type=click.Path(path_type=Path), default=LOG_DIR, show_default=True)
@click.option("--include-flagged", is_flag=True, help="rank rows flagged for injection or copying too")
def report(out_dir, log_dir, include_flagged):
    """One self-contained HTML page plus PNGs from the logs."""
    from benchmark.board.report import report as build

    path = build(log_dir, out_dir, include_flagged)
    click.echo(f"report: {path} (PNGs beside it)")


@click.command()
@click.argument("names", nargs=-1, required=True)
@click.option("--grader", default=None, help="the new judge (default: the tasks' default judge)")
@click.option("--from-judge", default=None, help="rescore the logs of this judge (default: the latest of any)")
@click.option("--log-dir", type=click.Path(path_type=Path), default=LOG_DIR, show_default=True)
@click.option("--out-dir", type=click.Path(path_type=Path), default=RESULTS_DIR, show_default=True,
              help="where leaderboard.md and .csv are rewritten")
def rescore(names, grader, from_judge, log_dir, out_dir):
    """Judge the logged outputs of rows NAMES again with another judge (no student run), then rebuild the board."""
    from benchmark.humor_wtr import EMBEDDED_JUDGE
    from benchmark.board.leaderboard import rebuild
    from benchmark.board.rescore import describe, rescore as run

    for name in names:
        for entry in describe(run(name, grader or EMBEDDED_JUDGE, from_judge, log_dir)):
            click.echo(f"{name}: {entry['task']} wtr={entry['wtr']:.3f} -> {entry['log']}")
    rebuild(log_dir, out_dir)
    click.echo(f"leaderboard rebuilt: {out_dir / 'leaderboard.md'}")
