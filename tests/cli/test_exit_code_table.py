"""One exit-code table for every command (issue #18; README "Exit codes"):

    0    everything answered / done
    1    some rows or the question could not be answered (the rest is answered and written)
    2    usage or input error: bad argument or value, a file that cannot be read, used or written
    3    a bug in llmplan (one line, no traceback) -- never for any input
    128+N  stopped by signal N (SIGTERM 143, SIGHUP 129), temporaries removed

Each command is run with an input for each code it can give; the table is checked whole.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from engine.cli import main

ROOT = Path(__file__).resolve().parents[2]
HEADER = "name,solve,params,tokens,gpu,train_time [days],mfu\n"
GOOD = "a,n_gpus,7B,2T,A800,30,0.4\n"
UNANSWERED = "b,n_gpus,7B,,A800,30,0.4\n"
TIME = ["params=7B", "tokens=2T", "gpu=A800", "mfu=0.4"]


def files(tmp: Path) -> dict[str, str]:
    (tmp / "good.csv").write_text(HEADER + GOOD)
    (tmp / "half.csv").write_text(HEADER + GOOD + UNANSWERED)
    (tmp / "bad.csv").write_text("")
    (tmp / "corpus.txt").write_text("hello world\n")
    main(["run", str(tmp / "good.csv"), "-o", str(tmp / "good.xlsx")])
    main(["run", str(tmp / "half.csv"), "-o", str(tmp / "half.xlsx")])
    return {k: str(tmp / k) for k in ("good.csv", "half.csv", "bad.csv", "good.xlsx", "half.xlsx", "corpus.txt")}


# command -> [(expected exit, argv builder)]
TABLE: dict[str, list[tuple[int, Callable[[dict[str, str], Path], list[str]]]]] = {
    "solve": [(0, lambda f, t: ["solve", "n_gpus", *TIME, "train_time=30d"]),
              (1, lambda f, t: ["solve", "n_gpus", "params=7B"]),
              (2, lambda f, t: ["solve", "n_gpus", "params=seven"])],
    "run": [(0, lambda f, t: ["run", f["good.csv"], "-o", str(t / "o.csv")]),
            (1, lambda f, t: ["run", f["half.csv"], "-o", str(t / "o.csv")]),
            (2, lambda f, t: ["run", f["bad.csv"], "-o", str(t / "o.csv")]),
            (2, lambda f, t: ["run", f["good.csv"], "-o", str(t / "missing" / "o.csv")])],
    "report": [(0, lambda f, t: ["report", f["good.xlsx"], "-o", str(t / "r.html")]),
               (1, lambda f, t: ["report", f["half.xlsx"], "-o", str(t / "r.html")]),
               (2, lambda f, t: ["report", f["good.csv"] + ".nope.xlsx", "-o", str(t / "r.html")])],
    "template": [(0, lambda f, t: ["template", str(t / "t.xlsx"), "--force"]),
                 (2, lambda f, t: ["template", str(t / "missing" / "t.xlsx")])],
    "sweep": [(0, lambda f, t: ["sweep", "n_gpus", *TIME, "train_time=10d,30d", "-o", str(t / "s.csv")]),
              (2, lambda f, t: ["sweep", "n_gpus", *TIME, "train_time=ten", "-o", str(t / "s.csv")])],
    "convert": [(2, lambda f, t: ["convert", "baichuan2-to-baichuan1", str(t / "nope"), str(t / "out")])],
    "rules": [(0, lambda f, t: ["rules"]), (2, lambda f, t: ["rules", "--check", f["bad.csv"] + ".none"])],
    "explain": [(0, lambda f, t: ["explain", "mfu"]), (2, lambda f, t: ["explain", "no_such_variable"])],
    "catalog": [(0, lambda f, t: ["catalog", "gpus"])],
    "measure": [(2, lambda f, t: ["measure", f["corpus.txt"], "--tokenizer", str(t / "none.json")])],
    "preflight": [(2, lambda f, t: ["preflight", str(t / "none.yaml")])],
}


def test_every_command_is_in_the_table() -> None:
    from engine.cli.app import build_parser

    commands = set(build_parser()._subparsers._group_actions[0].choices)   # type: ignore[union-attr]
    assert commands <= set(TABLE), commands - set(TABLE)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    tmp = tmp_path_factory.mktemp("codes")
    return files(tmp), tmp


@pytest.mark.parametrize("command, code, index", [(c, code, i) for c, rows in TABLE.items()
                                                  for i, (code, _) in enumerate(rows)])
def test_exit_code_table(capsys: pytest.CaptureFixture[str], inputs: Any, command: str, code: int,
                         index: int) -> None:
    found, tmp = inputs
    argv = TABLE[command][index][1](found, tmp)
    try:
        got = main(argv)
    except SystemExit as exc:
        got = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert got == code, (argv, err)
    assert "Traceback" not in err + out
    if code == 2:
        lines = [line for line in err.strip().splitlines() if "note:" not in line and " rows: " not in line]
        assert len(lines) == 1, err


_STALL = r"""
import sys, time, zipfile, shutil
from pathlib import Path
marker = Path(sys.argv[1])
def stall(*args, **kwargs):
    marker.write_text("writing")
    time.sleep(60)                      # the test signals us here
if sys.argv[2] == "run":
    original = zipfile.ZipFile.writestr
    def slow(self, *args, **kwargs):
        if self.filename and "llmplan" in str(self.filename):   # the temporary beside the target
            stall()
        return original(self, *args, **kwargs)
    zipfile.ZipFile.writestr = slow
else:
    original = shutil.copyfile
    def slow(src, dst, *args, **kwargs):
        original(src, dst, *args, **kwargs)
        stall()
    shutil.copyfile = slow
from engine.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_signals_remove_temporaries(tmp_path: Path, signum: int) -> None:
    """A run and a convert stopped while writing: exit 128+N, and no temporary left beside the output."""
    sys.path.insert(0, str(ROOT / "tests" / "tools"))   # tests/tools/convert_fixtures.py
    from convert_fixtures import make_checkpoint

    (tmp_path / "in.csv").write_text(HEADER + GOOD)
    make_checkpoint(tmp_path / "ckpt")
    for argv, folder in ((["run", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out" / "r.xlsx")], "out"),
                         (["convert", "baichuan2-to-baichuan1", str(tmp_path / "ckpt"),
                           str(tmp_path / "conv" / "dst")], "conv")):
        (tmp_path / folder).mkdir()
        marker = tmp_path / f"{folder}.marker"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.Popen([sys.executable, "-c", _STALL, str(marker), *argv], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert marker.exists(), proc.stderr.read() if proc.stderr else ""
            assert list((tmp_path / folder).iterdir()), "nothing was being written"
            proc.send_signal(signum)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 128 + signum, err
        assert "Traceback" not in err
        assert list((tmp_path / folder).iterdir()) == [], sorted(p.name for p in (tmp_path / folder).iterdir())
