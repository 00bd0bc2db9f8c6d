"""The paper's training side (Ravi et al., ACL 2024 §3) on TRL; see trainers/README.md.

teacher.py (teacher pairs), sft.py (FT, SD), critic.py (candidates, most-diverse pair, length filter,
critic labels), brio.py (BrioConfig, BrioTrainer), dpo.py (DPOTrainer), recipes.py (the stage graph,
resume), checkpoints.py (HF folder + humor_bench.json), config.py, reproduce.py, cli.py.
"""
