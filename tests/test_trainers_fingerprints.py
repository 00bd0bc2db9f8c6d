"""Stage fingerprints are pinned: a finished stage is reused only while its fingerprint is unchanged, so a
refactor that changed how a config turns into fingerprints would silently retrain hours of finished runs.

The expected values were computed with the code before the pydantic config and the stage table
(trainers/config.py's hand-written walker, recipes.py's getattr dispatch), on the config below.
They may change only with a deliberate change of what a stage depends on, never with a refactor.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from trainers import recipes
from trainers.config import load_config

CONFIG = {  # ints where floats are declared, a length_ratio list, free dicts: the conversions that matter
    "run_dir": "run",
    "base_model": "smollm2-135m",
    "seed": 7,
    "teacher": {"model": "authored", "limit": 5, "n": 2, "temperature": 1, "model_args": {"a": 1}},
    "feedback": {"critic": "local/critic", "method": "cloze", "k": 4, "temperature": 2, "length_ratio": [1, 2],
                 "critic_args": {"t": 0.5}, "limit": 3},
    "schedule": {"ws_epochs": 3, "ft_epochs": 1, "sd_epochs": 1, "brio_epochs": 2, "dpo_epochs": 2, "feedback_every": 1},
    "sft": {"learning_rate": 1.0e-5, "max_length": 64},
    "brio": {"rank_weight": 5},
    "dpo": {"beta": 1},
}
PAIR = {"id": "a", "input": "I missed the bus.", "paraphrase": "The bus ghosted me."}
PREFERENCE = {"id": "a", "prompt": "I missed the bus.", "chosen": "The bus ghosted me.", "rejected": "I missed it.", "p_chosen": 0.8}
FEEDBACK_SOURCES = ["ft_ws", "teacher", "brio-round1", "dpo-round1", "brio_t", "brio_dpo-round1"]
# Computed with the code before the refactor (see the module docstring); do not update to make a test pass.
EXPECTED = {
    "run/data/teacher_pairs.jsonl": "8a6a850f73ee8673",
    "run/ft_ws": "e1baf7d21c687f87",
    "run/ft": "f07cbb95af930d14",
    "run/feedback/ft_ws.jsonl": "a9499ecc3eb331f0",
    "run/sd": "6ae2acb6807be238",
    "run/brio-round1": "cb3729d19ec151c0",
    "run/feedback/brio-round1.jsonl": "7865249ad4bbead0",
    "run/brio": "89fe7c4d03690d36",
    "run/dpo-round1": "8802de86eaa68079",
    "run/feedback/dpo-round1.jsonl": "5e34fd5c550bba4c",
    "run/dpo": "4d00d9760cb14cd6",
    "run/feedback/teacher.jsonl": "eef001075940786e",
    "run/brio_t": "142c49014740d94f",
    "run/feedback/brio_t.jsonl": "64bc03e7bd28e0ce",
    "run/brio_dpo-round1": "8fbc3516731f912f",
    "run/feedback/brio_dpo-round1.jsonl": "2fe3125b0bedb3e8",
    "run/brio_dpo": "fed47e9c7223ea27",
}


def test_every_stage_fingerprint_of_a_config_is_unchanged(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a relative run_dir: the untrained parents' identities are their paths
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(CONFIG))
    (tmp_path / "run" / "data").mkdir(parents=True)
    (tmp_path / "run" / "feedback").mkdir()
    (tmp_path / "run" / "data" / "teacher_pairs.jsonl").write_text(json.dumps(PAIR) + "\n")
    for source in FEEDBACK_SOURCES:
        (tmp_path / "run" / "feedback" / f"{source}.jsonl").write_text(json.dumps(PREFERENCE) + "\n")
    seen: dict[str, list[str]] = {}

    def current(path, fp):  # every output counts as finished: fingerprints are collected, nothing trains
        seen.setdefault(str(path), []).append(fp)
        return True

    monkeypatch.setattr(recipes, "resolve_base_model", lambda name: Path("base"))
    monkeypatch.setattr(recipes, "is_complete", current)
    monkeypatch.setattr(recipes.Run, "_data_is_current", lambda self, path, fp: current(path, fp))
    recipes.Run(load_config(tmp_path / "c.yaml"), log=lambda m: None).run("all")
    assert all(len(set(fps)) == 1 for fps in seen.values())  # asked again, a stage gives the same answer
    assert {path: fps[0] for path, fps in seen.items()} == EXPECTED
