"""Spellings users type that have one meaning, and those that have two.

A bandwidth's bare "400G" is 400 Gb/s to a network engineer (NICs are sold in bits) and 400 GB/s to the
parser that reads "80G" of memory as 80 GB: 8× apart, so it is refused with both readings spelled out.
An on/off switch reads a boolean's spellings (sequence_parallel=true, an Excel TRUE cell). A sweep list
with an empty item (tp=1,2,,4) is a typo, not a list of three values."""
from __future__ import annotations

import pytest

from engine import Engine
from engine.errors import ValueParseError
from engine.table.sweep import parse_grid
from engine.text.values import parse_key, parse_number


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def test_a_bandwidth_without_a_unit_is_refused_with_both_readings(engine: Engine) -> None:
    network = engine.rules.variables["network_bandwidth"]
    with pytest.raises(ValueParseError) as caught:
        parse_number(network, "400G")
    assert "400Gbps" in str(caught.value) and "400GB/s" in str(caught.value)
    assert parse_number(network, "400Gbps") == pytest.approx(50e9)        # 400e9 bits / 8 = 50e9 bytes per s
    assert parse_number(network, "50GB/s") == pytest.approx(50e9)
    assert parse_number(network, 50) == pytest.approx(50e9)                # a plain number: the declared GB/s
    # memory keeps its shorthand: 80G of a GB variable is 80 GB
    assert parse_number(engine.rules.variables["gpu_memory"], "80G") == pytest.approx(80e9)


def test_an_on_off_switch_reads_a_booleans_spellings(engine: Engine) -> None:
    switch = engine.rules.variables["sequence_parallel"]
    assert {parse_key(switch, None, v) for v in ("true", "True", "yes", "1", True)} == {"on"}
    assert {parse_key(switch, None, v) for v in ("false", "no", "0", False)} == {"off"}
    with pytest.raises(ValueParseError):
        parse_key(engine.rules.variables["recompute"], None, "true")     # not an on/off switch


def test_a_sweep_list_with_an_empty_item_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueParseError) as caught:
        parse_grid(engine, ["dp"], {"n_gpus": "64", "tp": "1,2,,4"})
    assert "tp=1,2,,4" in str(caught.value)
    assert parse_grid(engine, ["dp"], {"n_gpus": "64", "tp": "1,2,4"}).total == 3


def test_a_frameworks_key_typed_on_the_command_line_names_ours(engine: Engine) -> None:
    with pytest.raises(ValueParseError) as caught:
        engine.solve(["memory_per_gpu"], {"model": "llama3-8b", "gpu": "A800", "cutoff_len": 4096})
    assert "LLaMA-Factory" in str(caught.value) and "seq_len=" in str(caught.value)
    # every name the table points to is one of ours (a renamed variable would leave a hint to nowhere)
    from engine.text.framework_keys import FRAMEWORK_KEYS
    assert {ours for ours, _ in FRAMEWORK_KEYS.values()} <= set(engine.rules.variables)


def test_a_bandwidth_answer_is_also_said_in_bits() -> None:
    # 9.249 GB/s × 8 = 73.99 Gb/s: NICs are sold in bits (the README quick tour's question)
    from engine.cli.commands.solve import _in_bits

    engine = Engine.load()
    assert _in_bits(engine.rules.variables["network_bandwidth"], 9.249e9) == " (= 73.99 Gb/s)"
    assert _in_bits(engine.rules.variables["gpu_memory"], 80e9) == ""          # a size, not a rate
