"""Where a run's output goes when the user names no file."""

from __future__ import annotations

from pathlib import Path


def default_output(input_path: str) -> str:
    """`<input basename>.sqlite` in the current directory, as the issue and users expect."""
    return Path(input_path).with_suffix(".sqlite").name
