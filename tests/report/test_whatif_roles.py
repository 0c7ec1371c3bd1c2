"""Report what-ifs find their variables by the rules' tags and take the band from `typical:`."""
from __future__ import annotations

from typing import Any

import pytest

from engine.report.whatif import BAND_POINTS, Names


def test_band_is_the_utilization_variables_typical_range(bundled_engine: Any) -> None:
    names = Names.of(bundled_engine.rules)
    assert names is not None
    assert (names.utilization, names.gpu_count, names.duration) == ("mfu", "n_gpus", "train_time")
    assert (names.compute, names.peak_compute) == ("train_flops", "peak_flops")
    low, high = bundled_engine.rules.variables["mfu"].typical        # formulas/time.yaml, seed §4a: 0.3–0.55
    assert names.band[0] == pytest.approx(low) and names.band[-1] == pytest.approx(high)
    # six evenly spaced points, as the reports have always shown: 0.30, 0.35, ..., 0.55
    assert len(names.band) == BAND_POINTS
    assert [round(v, 2) for v in names.band] == [0.3, 0.35, 0.4, 0.45, 0.5, 0.55]
    assert names.edges == (names.band[0], names.band[-1])


def test_without_tags_there_is_no_what_if(bundled_engine: Any) -> None:
    class Untagged:
        variables = bundled_engine.rules.variables

        @staticmethod
        def tagged(tag: str) -> None:
            return None

    assert Names.of(Untagged()) is None
