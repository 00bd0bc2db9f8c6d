"""Inspect entry point: importing this registers our providers (local/, hf-folder/, scripted/)."""

from .providers import hf_folder, local  # noqa: F401
from .scripted import scripted  # noqa: F401
