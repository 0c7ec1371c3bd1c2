"""`pip install .` (not editable) gives a working `llmplan`: rules, catalogs and templates ship in the wheel."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def base_python() -> str:
    """The interpreter a venv is made from: the base one, even when the tests run inside a venv."""
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(base) if base.exists() else sys.executable


def index_reachable(python: Path, tmp_path: Path) -> bool:
    """Whether pip can fetch anything at all (a small, dependency-free package) from its index."""
    probe = subprocess.run([str(python), "-m", "pip", "download", "-q", "--no-deps", "-d", str(tmp_path / "probe"),
                            "pyyaml"], capture_output=True, text=True, timeout=300)
    return probe.returncode == 0


def test_wheel_in_a_fresh_venv_solves(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
                           capture_output=True, text=True, timeout=600)
    if build.returncode != 0 and not index_reachable(Path(sys.executable), tmp_path):
        pytest.skip(f"the package index cannot be reached at all (to fetch hatchling): {build.stderr.strip()[-300:]}")
    assert build.returncode == 0, build.stderr
    wheel = next(dist.glob("llmplan-*.whl"))
    venv = tmp_path / "venv"
    # A venv that does not see the system site packages: the wheel must bring its dependencies itself,
    # from the package index pip is configured with (as README's set-up does on a fresh machine).
    subprocess.run([base_python(), "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)],
                             capture_output=True, text=True, timeout=900)
    if install.returncode != 0 and not index_reachable(python, tmp_path):
        pytest.skip(f"the package index cannot be reached at all: {install.stderr.strip()[-300:]}")
    assert install.returncode == 0, install.stderr
    isolated = subprocess.run([str(python), "-c", "import sys; print(sys.flags.no_site, sys.prefix != sys.base_prefix)"],
                              capture_output=True, text=True, check=True)
    assert isolated.stdout.split() == ["0", "True"]            # a real venv
    cfg = (venv / "pyvenv.cfg").read_text()
    assert "include-system-site-packages = false" in cfg
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["LLMPLAN_CACHE_DIR"] = str(tmp_path / "cache")
    where = subprocess.run([str(python), "-c", "import engine, engine.rules.resources as r; "
                            "print(engine.__file__); print(r.data_dir('formulas'))"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, check=True)
    module_file, formulas = where.stdout.split()
    assert str(venv) in module_file and "_data" in formulas       # the installed copy, not the checkout
    out = subprocess.run([str(venv / "bin" / "llmplan"), "solve", "train_time", "params=7B", "tokens=1T",
                          "gpu=A100-80GB-PCIe", "n_gpus=64", "mfu=0.4", "recompute=full", "--json"],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    seconds = json.loads(out.stdout)["values"]["train_time"]["value"]
    assert seconds == pytest.approx(8 * 7e9 * 1e12 / (64 * 312e12 * 0.4))   # 81.1 days, seed §4b
    templates = Path(formulas).parent / "templates"
    assert templates.is_dir()
