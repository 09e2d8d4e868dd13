"""Shared fixtures: the CLI the module is compared with, and the sample text."""
import io
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("GLYPH_CLI") or str(REPO / "build" / "glyph")
    if not os.access(path, os.X_OK):
        pytest.skip(f"no glyph CLI at {path} (set GLYPH_CLI)")
    return path


@pytest.fixture(scope="session")
def sample():
    return (REPO / "samples" / "novel_excerpt.txt").read_text(encoding="utf-8")


def run_cli(cli, *args, check=True):
    """Runs the CLI; returns (exit code, stdout, stderr)."""
    p = subprocess.run([cli, *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"glyph {' '.join(map(str, args))} exited {p.returncode}: {p.stderr}")
    return p.returncode, p.stdout, p.stderr


def decode_png(data):
    from PIL import Image
    return Image.open(io.BytesIO(data))
