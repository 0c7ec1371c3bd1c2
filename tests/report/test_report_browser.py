"""The HTML report in a real browser: headless Chromium renders it offline, with no console errors.

Skips only when no Chromium binary can be found (.ci/run installs Debian's `chromium`).
Evidence gathered per page: a screenshot (must not be blank; chart colours must appear),
the DOM after load (--dump-dom: <math> and <svg> elements present), the browser log
(--enable-logging=stderr: console messages, uncaught errors) and Chromium's network log
(--log-net-log: every URL the page requested). A deliberately broken page checks that
these detectors do detect.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from report_fixtures import load_engine, solve_scenarios


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium found (looked for chromium, chromium-browser, "
                                "google-chrome on PATH and /usr/bin/chromium); `apt-get install chromium` to run it")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0")
# Chromium's own housekeeping (clock, update and account checks) shows up in its network log even
# with background networking off; anything else was requested by the page.
BROWSER_HOSTS = re.compile(r"^https?://([a-z0-9-]+\.)*(google\.com|googleapis\.com|gstatic\.com|gvt1\.com)(:\d+)?/")
CHART_BLUE = (0x4C, 0x72, 0xB0)     # engine/report/charts.py _COLORS[0]


def browse(page: Path, work: Path, *extra: str) -> dict[str, Any]:
    """Open a page once; return stdout, the console/error lines, and the URLs the browser fetched."""
    work.mkdir(parents=True, exist_ok=True)
    profile = work / "profile"
    shutil.rmtree(profile, ignore_errors=True)
    netlog = work / "net.json"
    run = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--log-net-log={netlog}", *extra,
                          page.resolve().as_uri()], capture_output=True, text=True, timeout=180, cwd=work)
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    urls = set(re.findall(r'"url":"([^"]+)"', netlog.read_text(encoding="utf-8"))) if netlog.exists() else set()
    return {"stdout": run.stdout, "stderr": run.stderr, "console": console, "returncode": run.returncode,
            "urls": {u for u in urls if not u.startswith(("file:", "data:", "about:", "chrome")) and
                     not BROWSER_HOSTS.match(u)}}


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from engine.report import write_batch_report, write_solve_report

    folder = tmp_path_factory.mktemp("browser")
    engine = load_engine(folder)
    outcome = solve_scenarios(engine)
    one = engine.solve(["n_gpus"], {"params": "7B", "tokens": "2T", "gpu": "A800", "train_time": "30d",
                                    "mfu": "0.4", "recompute": "full"})
    return {"en": write_batch_report(engine, outcome, folder / "report-en.html", "en"),
            "zh": write_batch_report(engine, outcome, folder / "report-zh.html", "zh"),
            "one": write_solve_report(engine, one, folder / "one.html", "en")}


def _pixels(png: Path) -> tuple[tuple[int, int], np.ndarray]:
    from PIL import Image  # pillow comes with matplotlib (a runtime dependency)

    with Image.open(png) as image:
        rgb = image.convert("RGB")
        return rgb.size, np.frombuffer(rgb.tobytes(), dtype=np.uint8).reshape(-1, 3).astype(int)


def _assert_rendered(png: Path, chart_visible: bool) -> None:
    size, pixels = _pixels(png)
    assert size == (1200, 3000)
    grey = pixels.mean(axis=1)
    spread, inked = float(grey.std()), float((grey < 200).mean())
    assert spread > 15 and inked > 0.01, f"screenshot looks blank (std {spread:.1f}, {inked:.2%} dark pixels)"
    if chart_visible:
        blue = int((np.abs(pixels - np.array(CHART_BLUE)) <= 24).all(axis=1).sum())
        assert blue > 200, f"no chart colours in the screenshot ({blue} pixels)"


@pytest.mark.parametrize("name", ["en", "zh", "one"])
def test_report_renders_in_chromium(pages: dict[str, Path], tmp_path: Path, name: str) -> None:
    page = pages[name]
    shot = Path(os.environ.get("REPORT_SCREENSHOTS", tmp_path)) / f"{name}.png"   # keep them to look at
    seen = browse(page, tmp_path / "shot", f"--screenshot={shot}", "--window-size=1200,3000")
    assert shot.is_file(), seen["stderr"][-2000:]
    _assert_rendered(shot, chart_visible=(name == "one"))
    assert not seen["console"], "console messages or errors:\n" + "\n".join(seen["console"])
    assert not seen["urls"], f"the page requested {sorted(seen['urls'])}"

    dom = browse(page, tmp_path / "dom", "--dump-dom")["stdout"]
    source = page.read_text(encoding="utf-8")
    assert dom.count("<math") == source.count("<math") > 0
    assert dom.count("<svg") == source.count("<svg") > 0
    assert "<mfrac>" in dom and "<text" in dom


def _pdf_pages(page: Path, work: Path) -> int:
    pdf = work / (page.stem + ".pdf")
    browse(page, work, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))


def test_print_starts_each_scenario_on_a_new_page(pages: dict[str, Path], tmp_path: Path) -> None:
    """The print stylesheet's page breaks: the same page printed without them takes fewer sheets."""
    page = pages["en"]
    text = page.read_text(encoding="utf-8")
    rule = ".scenario { break-before: page; }"
    assert rule in text
    unbroken = tmp_path / "unbroken.html"
    unbroken.write_text(text.replace(rule, ""), encoding="utf-8")
    with_breaks, without = _pdf_pages(page, tmp_path / "a"), _pdf_pages(unbroken, tmp_path / "b")
    assert with_breaks > without >= 1
    assert with_breaks >= 1 + text.count('<section class="scenario"')


def test_detectors_catch_a_broken_page(tmp_path: Path) -> None:
    """The console and network checks above would fail on a page with a script error and a remote image."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><p>x</p><script>throw new Error("boom")</script>'
                    '<img src="https://example.com/x.png"></body></html>', encoding="utf-8")
    seen = browse(page, tmp_path / "bad", "--dump-dom")
    assert any("Uncaught Error: boom" in line for line in seen["console"]), seen["stderr"][-2000:]
    assert "https://example.com/x.png" in seen["urls"]
    assert json.dumps(sorted(seen["urls"]))
