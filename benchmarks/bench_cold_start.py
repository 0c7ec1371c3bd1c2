"""Cold wall time of `llmplan solve` as a ratio to `python -c "import sympy"` (issue #2; goal ≤ 2).

Both are measured in this process, alternating, several times, so a noisy shared machine
affects them alike; the medians and their ratio are printed. "Cold" means a fresh Python
process each time. The first solve after a rule change also pays for sympy once (the
inverted formulas are then cached on disk); that first run is reported separately.

    python benchmarks/bench_cold_start.py [--runs 7]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

QUESTION = ["solve", "n_gpus", "params=7B", "tokens=2T", "gpu=A800", "train_time=30d", "mfu=0.4", "recompute=full"]


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as cache:
        env["LLMPLAN_CACHE_DIR"] = cache
        solve = [sys.executable, "-m", "engine", *QUESTION]
        sympy = [sys.executable, "-c", "import sympy"]
        first = timed(solve, env)            # empty cache: sympy inverts the rules once
        solves, imports = [], []
        for _ in range(args.runs):
            imports.append(timed(sympy, env))
            solves.append(timed(solve, env))
    s, i = statistics.median(solves), statistics.median(imports)
    print(f"import sympy (baseline)        median {i * 1000:7.0f} ms over {args.runs} runs")
    print(f"llmplan solve (warm disk cache) median {s * 1000:7.0f} ms over {args.runs} runs")
    print(f"llmplan solve, first run (empty cache) {first * 1000:7.0f} ms")
    print(f"ratio solve / import sympy = {s / i:.2f}   (goal <= 2)")
    print(f"ratio first run / import sympy = {first / i:.2f}")


if __name__ == "__main__":
    main()
