"""How the CPU seconds of stages that ran before CPU time was recorded got into the committed timings.

A stage is re-made in a scratch run folder (README.md beside this file has the commands); its CPU seconds
are copied into the original run's timings.json only when the re-made output is the same work:
  trained stages   the weights (*.safetensors) are byte-identical (sha256)
  feedback stages  re-made with an empty verdict cache, the same records (pairs, choices), p_chosen within 1e-4
Each copied entry gets `cpu_from`, saying where it came from and how it was checked; wall seconds stay the original's.

    python results/reproduction/retime/merge_cpu.py ORIGINAL_RUN RERUN [--feedback] [--write]
"""
import hashlib
import json
import sys
from pathlib import Path

P_TOLERANCE = 1e-4  # cloze scores batched differently move p_chosen in the 5th decimal; a choice never flips


def weights_digest(run: Path, stage: str) -> str | None:
    files = [run / "data" / "teacher_pairs.jsonl"] if stage == "teacher" else sorted((run / stage).glob("*.safetensors"))
    if not files or not all(f.is_file() for f in files):
        return None
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.read_bytes())
    return digest.hexdigest()


def same_feedback(a: Path, b: Path) -> str | None:
    """How two feedback files agree (identical, or the same records with p_chosen within P_TOLERANCE), else None."""
    if a.read_bytes() == b.read_bytes():
        return f"identical output (sha256 {hashlib.sha256(a.read_bytes()).hexdigest()[:12]})"
    x, y = ([json.loads(line) for line in f.read_text().splitlines()] for f in (a, b))
    if len(x) != len(y) or any({**r, "p_chosen": 0} != {**q, "p_chosen": 0} for r, q in zip(x, y)):
        return None
    dp = max(abs(r["p_chosen"] - q["p_chosen"]) for r, q in zip(x, y))
    return f"the same pairs and choices, p_chosen within {dp:.1e} (cloze scores batched differently)" if dp < P_TOLERANCE else None


def merge(original: Path, rerun: Path, feedback: bool) -> dict:
    timings = json.loads((original / "timings.json").read_text())
    remade = json.loads((rerun / "timings.json").read_text())
    for stage, entry in remade.items():
        if stage not in timings or "cpu_seconds" not in entry or stage.startswith(("critic:", "judge:")):
            continue
        if feedback != stage.startswith("feedback:"):
            continue
        if feedback:
            name = stage.split(":", 1)[1] + ".jsonl"
            same = same_feedback(original / "feedback" / name, rerun / "feedback" / name)
            how = f"re-made in {rerun} with an empty verdict cache (judge requests paid {entry['judge_made']}, served {entry['judge_cached']})"
        else:
            digest = weights_digest(original, stage)
            same = f"identical output (sha256 {digest[:12]})" if digest and digest == weights_digest(rerun, stage) else None
            how = f"re-run in {rerun}"
        print(f"{stage}: {same or 'NOT the same output: left as it was'}; cpu {entry['cpu_seconds']:.0f} s")
        if same:
            timings[stage].update(cpu_seconds=entry["cpu_seconds"], cpu_from=f"{how}, {same}, its wall {entry['seconds']:.0f} s")
    return timings


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    merged = merge(Path(args[0]), Path(args[1]), "--feedback" in sys.argv)
    if "--write" in sys.argv:
        (Path(args[0]) / "timings.json").write_text(json.dumps(merged, indent=2) + "\n")
