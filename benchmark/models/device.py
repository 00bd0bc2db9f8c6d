"""The one device choice for local models: the first CUDA GPU when there is one, else the CPU."""

from __future__ import annotations


def default_device() -> str:
    """'cuda' or 'cpu': where students, judges and critics are loaded unless `-M device=...` says otherwise."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def device_description() -> str:
    """What the timings in a report ran on, in words (the GPU's name, or the CPU threads used)."""
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"CPU ({torch.get_num_threads()} threads)"
