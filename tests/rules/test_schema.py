"""The rule-file schema (engine/rules/schema.py) is the one source: README table, loader, CLI agree."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from engine.cli import main
from engine.errors import DefinitionError
from engine.rules import schema
from engine.rules.loading import load_rules

ROOT = Path(__file__).resolve().parents[2]


def _readme_table() -> str:
    text = (ROOT / "formulas" / "README.md").read_text(encoding="utf-8")
    assert schema.BEGIN in text and schema.END in text, "formulas/README.md lost its schema markers"
    return text.split(schema.BEGIN, 1)[1].split(schema.END, 1)[0].lstrip("\n")


def test_readme_key_table_is_the_generated_one() -> None:
    # If this fails: run `llmplan rules --schema-md` and paste its output between the markers.
    assert _readme_table() == schema.markdown()


def test_cli_prints_the_same_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--schema-md"]) == 0
    assert capsys.readouterr().out == schema.markdown()


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "user.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    try:
        load_rules([path])
    except DefinitionError as exc:
        return exc.problems
    return []


EQUATION = """\
    variables:
      foo: {unit: "", en: Foo, zh: 福}
      bar: {unit: "", en: Bar, zh: 吧}
    equations:
      - id: user.bar
        eq: bar = 2 * foo
        source: hand calculation
        en: bar is twice foo
        zh: bar 是 foo 的两倍
    """


@pytest.mark.parametrize("extra", ["notes_zh: 备注", "area: custom", "title: Twice foo"])
def test_equation_keys_the_readme_lists_are_accepted(tmp_path: Path, extra: str) -> None:
    assert extra.split(":")[0] in schema.keys("equations")
    assert _problems(tmp_path, EQUATION + f"    {extra}\n") == []


def test_display_is_not_a_key_and_the_loader_says_so(tmp_path: Path) -> None:
    # formulas/README.md used to document `display:`, which the loader refused (issue #12).
    assert "display" not in schema.keys("variables")
    found = _problems(tmp_path, """\
        variables:
          foo: {unit: s, display: day, en: Foo, zh: 福}
        """)
    assert len(found) == 1 and "unknown key 'display'" in found[0] and "user.yaml:2" in found[0]


def test_tags_accept_the_schema_vocabulary_only(tmp_path: Path) -> None:
    good = _problems(tmp_path, """\
        variables:
          foo: {unit: "", tags: [gpu_memory], en: Foo, zh: 福}
        """)
    assert good == []
    bad = _problems(tmp_path, """\
        variables:
          foo: {unit: "", tags: [favourite], en: Foo, zh: 福}
        """)
    assert len(bad) == 1 and "tags must be a list of" in bad[0] and "utilization" in bad[0]


@pytest.mark.parametrize("section, required", [("equations", ("id", "eq", "source")),
                                               ("checks", ("id", "when", "source", "en", "zh"))])
def test_required_keys_are_the_ones_the_loader_demands(tmp_path: Path, section: str,
                                                      required: tuple[str, ...]) -> None:
    assert schema.required(section) == required
    found = _problems(tmp_path, f"{section}:\n  - notes: nothing else\n")
    assert [k for k in required if any(f"has no '{k}'" in p for p in found)] == list(required)


def test_neutral_is_a_number_in_the_declared_unit(tmp_path: Path) -> None:
    # `neutral:` names the do-nothing value (tp: 1); it is read in the declared unit like a default
    assert _problems(tmp_path, """\
        variables:
          foo: {unit: GB, neutral: 0, en: Foo, zh: 福}
        """) == []
    for bad in ("yes", "true", "[1]", "off"):
        found = _problems(tmp_path, f"""\
            variables:
              foo: {{unit: "", neutral: {bad}, en: Foo, zh: 福}}
            """)
        assert len(found) == 1 and "neutral" in found[0] and "user.yaml:2" in found[0], (bad, found)
    found = _problems(tmp_path, """\
        variables:
          foo: {domain: categorical, values: [a, b], neutral: 0, en: Foo, zh: 福}
        """)
    assert len(found) == 1 and "neutral" in found[0]
