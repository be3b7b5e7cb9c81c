"""Shared fixtures: import path for pse_analysis and the pse-sim binary location."""
import os
import sys
from pathlib import Path

import pytest

ANALYSIS = Path(__file__).resolve().parents[1]
REPO = ANALYSIS.parent
sys.path.insert(0, str(ANALYSIS))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import matplotlib  # noqa: E402

matplotlib.use("Agg")


def pse_sim_binary() -> Path:
    """$PSE_BUILD_DIR/sim/pse-sim (default build/release; a relative dir is taken from the repo root)."""
    build = Path(os.environ.get("PSE_BUILD_DIR", str(REPO / "build" / "release")))
    if not build.is_absolute() and not build.exists():
        build = REPO / build
    return build / "sim" / "pse-sim"


@pytest.fixture(scope="session")
def pse_sim():
    b = pse_sim_binary()
    if not (b.is_file() and os.access(b, os.X_OK)):
        pytest.skip(f"pse-sim binary not built ({b}); set PSE_BUILD_DIR or build with cmake --preset release")
    return b


@pytest.fixture(scope="session")
def repo_root():
    return REPO
