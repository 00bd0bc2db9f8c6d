"""Re-make feedback stages in a scratch run folder that holds hard links to the original's checkpoints and
teacher pairs but not its feedback files; run it with HUMOR_BENCH_JUDGE_CACHE pointing at an empty file, so
the critic pays for every judgment (the stage then records judge_made / judge_cached in timings.json).

    HUMOR_BENCH_JUDGE_CACHE=empty.sqlite python results/reproduction/retime/remake_feedback.py CONFIG RUN_DIR STAGE...

STAGE: `teacher` (the teacher's own paraphrases) or a checkpoint folder name in RUN_DIR (feedback on its samples).
"""
import sys
from pathlib import Path

from trainers.config import load_config
from trainers.recipes import Run

cfg = load_config(sys.argv[1])
cfg.run_dir = sys.argv[2]
run = Run(cfg)
for name in sys.argv[3:]:
    print(run.teacher_feedback() if name == "teacher" else run.feedback(Path(cfg.run_dir) / name), flush=True)
