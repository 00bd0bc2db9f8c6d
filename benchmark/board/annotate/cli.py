"""`humor-bench annotate`: label pairs in the browser, import labels from a file, export or summarise them."""

from __future__ import annotations

import json
from pathlib import Path

import click

from benchmark.board.annotate.store import DEFAULT_DB, AnnotateError, LabelStore


@click.command("annotate")
@click.argument("logs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--pairs", "pairs_path", type=click.Path(path_type=Path), default=None,
              help="a pairs file (judge_validation.jsonl format; its labels are never shown)")
@click.option("--annotator", default=None, help="your name: labels are stored per annotator")
@click.option("--db", type=click.Path(path_type=Path), default=DEFAULT_DB, show_default=True, help="the labels database")
@click.option("--host", default="127.0.0.1", show_default=True, help="loopback by default: the page has no login")
@click.option("--port", type=int, default=8765, show_default=True, help="0 picks a free port")
@click.option("--seed", type=int, default=0, show_default=True, help="the order of pairs and the coin for sides")
@click.option("--items", "n_items", type=int, default=None,
              help="label only N items, a seeded draw shared by every log (the same items for each student)")
@click.option("--no-browser", is_flag=True, help="print the address instead of opening a browser")
@click.option("--import", "import_labels", is_flag=True,
              help="record the --pairs file's own labels (funnier, more_faithful) as --annotator's, then stop")
@click.option("--export", "export_path", type=click.Path(path_type=Path), default=None,
              help="write every current label as judge_validation.jsonl rows (one per pair and annotator), then stop")
@click.option("--summary", "summary_path", type=click.Path(path_type=Path), default=None,
              help="write human WTR per run and agreement between annotators as JSON, then stop")
def annotate(logs, pairs_path, annotator, db, host, port, seed, n_items, no_browser, import_labels, export_path, summary_path) -> None:
    """Blind pairwise labeling: a page shows the input and two paraphrases in random order (keys 1 / 2 / T / S, U undoes).

    Pairs come from Inspect logs of benchmark/humor_wtr.py (the student's output against the reference
    it was judged with) and/or --pairs. Labels go to --db (SQLite, history kept); --export turns them
    into a file for `humor-bench judge-report --pairs`, --summary into human WTR per run.
    """
    store = LabelStore(db)
    if export_path or summary_path:
        _report(store, export_path, summary_path)
        return
    pairs = _load_pairs(logs, pairs_path)
    if n_items is not None:
        from benchmark.board.annotate.pairs import draw_items

        pairs = draw_items(pairs, n_items, seed)
    if import_labels:
        _import(store, pairs, pairs_path, annotator)
        return
    new = store.add_pairs(pairs)
    from benchmark.board.annotate.server import Server, create_app

    server = Server(create_app(store, [p.key for p in pairs], seed), host, port)
    url = server.url + (f"?annotator={annotator}" if annotator else "?annotator=<your name>")
    click.echo(f"{len(pairs)} pairs ({new} new in {db}); label them at {url}  (Ctrl-C stops; answers are saved as given)")
    if annotator and not no_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def _load_pairs(logs, pairs_path):
    from benchmark.board.annotate.pairs import pairs_from_file, pairs_from_log

    if not logs and not pairs_path:
        raise AnnotateError("nothing to label: pass .eval logs of benchmark/humor_wtr.py and/or --pairs FILE "
                            "(or --export FILE / --summary FILE to read the labels)")
    pairs = [p for log in logs for p in pairs_from_log(log)]
    return pairs + (pairs_from_file(pairs_path) if pairs_path else [])


def _import(store: LabelStore, pairs, pairs_path, annotator) -> None:
    from benchmark.board.annotate.pairs import file_labels

    if not pairs_path or not annotator:
        raise AnnotateError("--import needs --pairs FILE (with funnier labels) and --annotator NAME")
    store.add_pairs(pairs)
    labels = file_labels(pairs_path)
    for pair in pairs:
        if pair.key in labels:
            store.record(annotator, pair.key, "a", *labels[pair.key])
    click.echo(f"recorded {len(labels)} labels of {pairs_path} as annotator '{annotator}' in {store.path}")


def _report(store: LabelStore, export_path: Path | None, summary_path: Path | None) -> None:
    from benchmark.board.annotate.summary import annotator_agreement, export_rows, format_summary, human_wtr
    from benchmark.board.files import write_json
    from benchmark.board.files import atomic_write_text

    pairs, labels = store.pairs(), store.current()
    if export_path:
        rows = export_rows(pairs, labels)
        atomic_write_text(export_path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        click.echo(f"{len(rows)} labeled rows -> {export_path}  (humor-bench judge-report --pairs {export_path})")
    runs: dict[str, dict[str, list[str]]] = {}
    for pair in pairs:
        if pair.origin.get("kind") == "log":
            items = runs.setdefault(f"{pair.origin['student']} / {pair.origin['suite']}", {})
            items.setdefault(pair.origin["item_id"], []).append(pair.key)
    summary = {"runs": {name: human_wtr(items, labels) for name, items in runs.items()},
               "agreement": annotator_agreement(labels), "n_labels": len(labels), "database": str(store.path)}
    click.echo(format_summary(summary["runs"], summary["agreement"]))
    if summary_path:
        click.echo(f"-> {write_json(summary, summary_path)}")
