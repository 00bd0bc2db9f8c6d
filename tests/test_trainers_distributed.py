"""Multi-process training through `accelerate launch --multi_gpu`, the multi-GPU command itself: on this
CPU-only machine torch.distributed falls back to gloo, so 2 CPU processes form the same DDP job.

The same `humor-bench train` command, unchanged: data stages run once (main process first), both ranks
train together (each step sees both ranks' batches), one checkpoint and one manifest are written.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import save_tiny_causal

from benchmark.models.checkpoint import validate_checkpoint_dir
from trainers.checkpoints import read_manifest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("accelerate", path=str(Path(sys.executable).parent)) is None, reason="accelerate CLI missing")
def test_accelerate_launch_two_processes_trains_once_and_writes_once(tmp_path, embedded_dir):
    tiny = save_tiny_causal(tmp_path / "tiny", embedded_dir)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "run_dir": str(tmp_path / "run"),
        "base_model": str(tiny),
        "teacher": {"model": "authored", "limit": 4},
        "sft": {"max_steps": 2, "per_device_train_batch_size": 2, "max_length": 160, "logging_steps": 1},
    }))
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        [str(bin_dir / "accelerate"), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
         "--mixed_precision", "no", "--dynamo_backend", "no",
         str(bin_dir / "humor-bench"), "train", "ft_ws", "--config", str(config)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    run = tmp_path / "run"
    manifest = read_manifest(validate_checkpoint_dir(run / "ft_ws"))
    assert manifest["processes"] == 2 and manifest["steps"] == 2 and manifest["complete"]
    assert not (run / "_work" / "ft_ws").exists()  # the main process cleaned up after both finished
    pairs = (run / "data" / "teacher_pairs.jsonl").read_text().splitlines()
    assert len(pairs) == 12 and all(json.loads(line)["input"] for line in pairs)  # 4 inputs x 3, written once
    timings = json.loads((run / "timings.json").read_text())
    assert set(timings) == {"teacher", "ft_ws"}
    assert result.stdout.count("ft_ws\t") == 2  # both ranks report the same finished checkpoint
    assert result.stderr.count("teacher: authored") == 1  # the data stage ran on the main process only
    assert "'epoch': '0.6667'" in result.stdout + result.stderr  # 2 steps x 2 ranks x batch 2 of 12 pairs
