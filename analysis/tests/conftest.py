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


def build_dir() -> Path:
    """The build folder the tests use: $PSE_BUILD_DIR (default build/release)."""
    return pse_sim_binary().parents[1]


def python_module_status() -> tuple[bool, str]:
    """(present, reason): is the pse_sim module built in build_dir()/python? A build configured
    with PSE_WITH_PYTHON=OFF (or without pybind11) has none; a build with it ON must have it."""
    b = build_dir()
    mod = b / "python" / "pse_sim" / "__init__.py"
    if mod.is_file() and list((b / "python" / "pse_sim").glob("_core*.so")):
        return True, ""
    cache = b / "CMakeCache.txt"
    if cache.is_file() and "PSE_WITH_PYTHON:BOOL=ON" in cache.read_text(errors="replace"):
        pytest.fail(f"{b} is configured with PSE_WITH_PYTHON=ON but the pse_sim module is not built "
                    f"(cmake --build {b} --target pse_sim_python)")
    return False, f"pse_sim Python module not built in {b}/python (needs pybind11-dev; PSE_WITH_PYTHON)"


@pytest.fixture(scope="session")
def pse_sim_module():
    """The pse_sim extension module from build_dir()/python (skips if the build has none)."""
    ok, reason = python_module_status()
    if not ok:
        pytest.skip(reason)
    p = str(build_dir() / "python")
    if p not in sys.path:
        sys.path.insert(0, p)
    import pse_sim
    return pse_sim


@pytest.fixture(scope="session")
def web_modules(pse_sim_module):
    """pse_web importable (Flask and waitress from Debian); skips without the pse_sim module."""
    import importlib.util
    for mod, pkg in (("flask", "python3-flask"), ("waitress", "python3-waitress")):
        if importlib.util.find_spec(mod) is None:
            pytest.fail(f"{mod} is missing: install Debian's {pkg} (scripts/install-deps)")
    import pse_web
    return pse_web
