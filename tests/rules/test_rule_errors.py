"""Rule and catalog files written by users: every class of mistake is refused with file:line and a hint.

Each test writes a small bad file in tmp_path, loads it together with the bundled
rules (engine.rules.loading.load_rules([path])) and checks the exact location and the
part of the message that says what would be right. The last part checks the same
through `llmplan rules --check PATH` and the `--rules/--catalog` options, and that a
user's file can add a GPU or a rule but never silently shadow a bundled name.
"""
from __future__ import annotations

import math
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import DefinitionError
from engine.rules.loading import load_rules

ROOT = Path(__file__).resolve().parents[2]

# module-level snippets are indented like the inline ones, so `VAR_FOO + """..."""` dedents as one
VAR_FOO = textwrap.indent("""\
variables:
  foo:
    unit: ""
    en: Foo
    zh: 福
""", " " * 8)


def var_foo(*extra: str, name: str = "foo", header: bool = True) -> str:
    """VAR_FOO with extra declaration lines (e.g. 'default: 3'), indented like the inline snippets."""
    lines = (["variables:"] if header else []) + [f"  {name}:", '    unit: ""', *[f"    {e}" for e in extra],
                                                  "    en: Foo", "    zh: 福"]
    return textwrap.indent("\n".join(lines) + "\n", " " * 8)


def write(tmp_path: Path, text: str, name: str = "user.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def line_of(path: Path, marker: str, nth: int = 1) -> int:
    """1-based line of the nth line containing marker."""
    hits = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if marker in line]
    assert len(hits) >= nth, f"{marker!r} not in {path}"
    return hits[nth - 1]


def bundled_line(relative: str, marker: str) -> str:
    path = ROOT / relative
    return f"{path}:{line_of(path, marker)}"


def problems(*paths: Path) -> list[str]:
    with pytest.raises(DefinitionError) as info:
        load_rules(list(paths))
    assert info.value.problems, "a DefinitionError must list its problems"
    for problem in info.value.problems:
        assert re.match(r"^\S.*?:\d+: \S|^\S+: \S", problem), f"no file:line in {problem!r}"
    return info.value.problems


def only(found: list[str], where: str, *needles: str) -> str:
    """Exactly one problem at `where` (path:line) containing every needle; return it."""
    hits = [p for p in found if p.startswith(where + ":") and all(n in p for n in needles)]
    assert len(hits) == 1, f"expected one problem at {where} with {needles}, got:\n" + "\n".join(found)
    return hits[0]


# -- bad YAML ---------------------------------------------------------------------------------------
def test_unclosed_bracket_names_the_line_and_where_the_bracket_opened(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        variables:
          foo:
            values: [a, b
            en: x
        """)
    found = problems(path)
    assert len(found) == 1
    assert re.match(rf"^{re.escape(str(path))}:\d+: not valid YAML", found[0])
    assert "started at line 3" in found[0]   # the bracket that was never closed
    assert "brackets" in found[0]


def test_tab_indentation_is_bad_yaml_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "variables:\n\tfoo:\n\t\tunit: GB\n")
    found = problems(path)
    assert found[0].startswith(f"{path}:2: not valid YAML") and "not tabs" in found[0]


def test_a_list_at_top_level_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "- foo\n- bar\n")
    only(problems(path), f"{path}:1", "expected a mapping with variables/equations/checks/tables")


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("variables:\n  foo:\n    en: caf\xe9\n".encode("latin-1"))
    found = problems(path)
    assert len(found) == 1
    assert re.fullmatch(rf"{re.escape(str(path))}: cannot read: not UTF-8 text \(byte \d+\); save the file as UTF-8",
                        found[0])


def test_duplicate_keys_in_one_file_are_refused_not_silently_overwritten(tmp_path: Path) -> None:
    path = write(tmp_path, VAR_FOO + """\
          foo:
            unit: GB
            en: Foo again
            zh: 福
        """)
    only(problems(path), f"{path}:6", "duplicate key 'foo' (first at line 2)", "write each key once")


def test_recursive_yaml_alias_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "variables:\n  foo: &loop\n    unit: ''\n    values: *loop\n")
    only(problems(path), f"{path}:2", "refers to itself")


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]   # 10**9 leaves
    path = write(tmp_path, "\n".join(lines) + "\n")
    start = time.perf_counter()
    found = problems(path)
    assert time.perf_counter() - start < 10
    assert any("expands to more than" in p and p.startswith(f"{path}:") for p in found)


def test_absurd_nesting_is_refused(tmp_path: Path) -> None:
    """A refusal located in the file, whoever refuses it (the engine's depth limit or PyYAML's own)."""
    path = write(tmp_path, "variables: " + "[" * 5000 + "]" * 5000 + "\n")
    found = problems(path)
    assert any(p.startswith(f"{path}:1:") for p in found), found
    assert not any("Traceback" in p or "RecursionError" in p for p in found), found
    done = subprocess.run([sys.executable, "-m", "engine", "rules", "--check", str(path)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 2, done.stderr
    assert f"{path}:1:" in done.stderr and "Traceback" not in done.stderr


# -- duplicate names: never a silent shadow ------------------------------------------------------------
def test_redeclaring_a_bundled_variable_names_both_places(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        variables:
          params:
            unit: ""
            en: my params
            zh: 参数
        """)
    found = problems(path)
    bundled = bundled_line("formulas/compute.yaml", "  params:")
    only(found, f"{path}:2", f"variable 'params' is already declared at {bundled}", "declare each name once")


def test_the_same_variable_in_two_user_files_names_both(tmp_path: Path) -> None:
    first = write(tmp_path, VAR_FOO, "a.yaml")
    second = write(tmp_path, "# another file\n" + VAR_FOO, "b.yaml")
    only(problems(first, second), f"{second}:3", f"already declared at {first}:2")


def test_reusing_a_bundled_equation_id_names_both_places(tmp_path: Path) -> None:
    path = write(tmp_path, VAR_FOO + """\
        equations:
          - id: compute.train_flops
            eq: foo = 2 * params
            source: me
            en: e
            zh: z
        """)
    bundled = bundled_line("formulas/compute.yaml", "- id: compute.train_flops")
    only(problems(path), f"{path}:7", f"id 'compute.train_flops' is already used at {bundled}")


def test_reserved_words_are_not_variable_names(tmp_path: Path) -> None:
    path = write(tmp_path, var_foo(name="lambda") + var_foo(name="sqrt", header=False))
    found = problems(path)
    only(found, f"{path}:2", "'lambda' is a reserved word", "choose another name")
    only(found, f"{path}:6", "'sqrt' is a reserved word")


# -- formulas -------------------------------------------------------------------------------------
def equation_file(tmp_path: Path, eq: str, extra: str = "") -> Path:
    return write(tmp_path, VAR_FOO + extra + f"""\
        equations:
          - id: user.foo
            eq: {eq}
            source: my notes
            en: e
            zh: z
        """)


def test_undeclared_name_points_at_the_eq_line_and_suggests_the_right_name(tmp_path: Path) -> None:
    path = equation_file(tmp_path, "foo = 6 * paramz")
    only(problems(path), f"{path}:{line_of(path, 'eq:')}", "unknown name 'paramz'", "did you mean 'params'?")


def test_equation_with_two_equals_signs(tmp_path: Path) -> None:
    path = equation_file(tmp_path, "foo = 2 * params = 3")
    only(problems(path), f"{path}:{line_of(path, 'eq:')}", "needs exactly one '=' (found 2)")


def test_equation_without_equals_sign(tmp_path: Path) -> None:
    path = equation_file(tmp_path, "foo + 2 * params")
    only(problems(path), f"{path}:{line_of(path, 'eq:')}", "needs exactly one '=' (found 0)")


def test_equation_naming_a_categorical_variable(tmp_path: Path) -> None:
    path = equation_file(tmp_path, "foo = 2 * gpu")
    only(problems(path), f"{path}:{line_of(path, 'eq:')}", "'gpu' is categorical",
         "formulas use the numbers its table provides")


def test_code_in_an_equation_is_refused_and_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = equation_file(tmp_path, f"\"foo = __import__('os').system('touch {marker}')\"")
    only(problems(path), f"{path}:{line_of(path, 'eq:')}", "equation 'user.foo'")
    assert not marker.exists()


@pytest.mark.parametrize("eq, needle", [
    ("foo = params ** 9 ** 9", "constant exponent"),
    ("foo = params.__class__", "is not allowed in formulas"),
    ("foo = (lambda: params)()", "is not allowed in formulas"),
    ("foo = params if params else 1", "is not allowed in formulas"),
    ("foo = params < 3", "a comparison is not allowed"),
])
def test_hostile_equations_are_refused_at_the_eq_line(tmp_path: Path, eq: str, needle: str) -> None:
    path = equation_file(tmp_path, f'"{eq}"')
    only(problems(path), f"{path}:{line_of(path, 'eq:')}", needle)


# -- units ---------------------------------------------------------------------------------------
def test_unknown_unit_suggests_a_known_one(tmp_path: Path) -> None:
    path = write(tmp_path, VAR_FOO.replace('unit: ""', "unit: GBB"))
    only(problems(path), f"{path}:2", "'GBB' is not a unit llmplan knows", "did you mean 'GB'", "for a plain number")


def test_dimensionally_inconsistent_equation_shows_each_sides_units(tmp_path: Path) -> None:
    path = equation_file(tmp_path, "foo = params * tokens")
    only(problems(path), f"{path}:{line_of(path, 'eq:')}", "is not dimensionally consistent",
         "left side is dimensionless, right side is [token]", "tokens [token]", "Make both sides the same dimension")


def test_adding_quantities_of_different_dimension(tmp_path: Path) -> None:
    path = equation_file(tmp_path, "foo = params + tokens / train_time")
    only(problems(path), f"{path}:{line_of(path, 'eq:')}", "are added or compared", "train_time [day]")


def test_check_condition_with_mixed_dimensions_points_at_when(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        checks:
          - id: user.silly
            when: tokens > train_time
            en: e
            zh: z
            source: me
        """)
    only(problems(path), f"{path}:3", "check 'user.silly'", "are added or compared")


def test_catalog_field_in_the_wrong_dimension(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        variable: gpu
        fields: {peak_flops: GB}
        entries:
          MyGPU: {peak_flops: 100, source: my datasheet}
        """)
    only(problems(path), f"{path}:1", "field 'peak_flops' written in 'GB'", "write it in TFLOPS")


# -- circular defaults ----------------------------------------------------------------------------
# In this syntax a default is either a number (numeric variables) or one of the variable's own keys
# (categorical); a key fills numeric table fields only. So a default can go round in a circle only
# by naming something that is not a value: its own or another variable's name, a key that is not one
# of its values, a table field that is itself categorical (a chain of defaults), or a YAML alias that
# refers to itself. Every one of these is refused.
CATEGORICAL = textwrap.indent("""\
variables:
  style:
    domain: categorical
    values: [plain, fancy]
    default: {default}
    default_source: my team's convention
    en: Style
    zh: 风格
""", " " * 8)


@pytest.mark.parametrize("default", ["style", "recompute", "ornate"])
def test_categorical_default_must_be_one_of_its_values(tmp_path: Path, default: str) -> None:
    path = write(tmp_path, CATEGORICAL.format(default=default))
    only(problems(path), f"{path}:2", f"default {default!r} of 'style' is not one of its values (plain, fancy)")


@pytest.mark.parametrize("default", ["foo", "params"])
def test_numeric_default_cannot_name_a_variable(tmp_path: Path, default: str) -> None:
    path = write(tmp_path, var_foo(f"default: {default}", "default_source: me"))
    only(problems(path), f"{path}:2", f"default {default!r} names a variable", "derive it with an equation instead")


def test_table_cannot_fill_a_categorical_variable(tmp_path: Path) -> None:
    path = write(tmp_path, CATEGORICAL.format(default="plain") + """\
        tables:
          - variable: style
            fields: {recompute: ""}
            entries:
              plain: {recompute: 1, source: me}
              fancy: {recompute: 2, source: me}
        """)
    found = problems(path)
    only(found, f"{path}:{line_of(path, '- variable: style')}", "field 'recompute' is not a declared numeric variable",
         "would chain defaults")


def test_default_through_a_recursive_alias(tmp_path: Path) -> None:
    path = write(tmp_path, var_foo("default: &d [*d]", "default_source: me"))
    only(problems(path), f"{path}:4", "refers to itself")


def test_numeric_default_must_be_finite_and_sourced(tmp_path: Path) -> None:
    path = write(tmp_path, var_foo("default: .inf"))
    found = problems(path)
    only(found, f"{path}:2", "default must be a finite number")
    only(found, f"{path}:2", "has a default but no default_source")


# -- required fields ------------------------------------------------------------------------------
def test_equation_without_source(tmp_path: Path) -> None:
    path = write(tmp_path, VAR_FOO + """\
        equations:
          - id: user.foo
            eq: foo = 2 * params
            en: e
            zh: z
        """)
    only(problems(path), f"{path}:7", "equation 'user.foo' has no 'source'", "a seed section, paper")


def test_check_without_source_en_zh(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        checks:
          - id: user.big
            when: params > 1e12
        """)
    found = problems(path)
    for key in ("source", "en", "zh"):
        only(found, f"{path}:2", f"check 'user.big' has no '{key}'")


def test_catalog_entry_without_source(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        variable: gpu
        fields: {peak_flops: TFLOPS}
        entries:
          MyGPU:
            peak_flops: 100
        """)
    only(problems(path), f"{path}:4", "gpu entry 'MyGPU' has no 'source'", "datasheet")


@pytest.mark.parametrize("lang, word", [("en", "English"), ("zh", "Chinese")])
def test_variable_without_description(tmp_path: Path, lang: str, word: str) -> None:
    path = write(tmp_path, re.sub(rf"\n *{lang}: .*", "", VAR_FOO))
    only(problems(path), f"{path}:2", f"variable 'foo' has no '{lang}' description", word)


# -- unknown keys (typos) ---------------------------------------------------------------------------
def test_eqn_typo_is_named_with_the_right_key(tmp_path: Path) -> None:
    path = write(tmp_path, VAR_FOO + """\
        equations:
          - id: user.foo
            eqn: foo = 2 * params
            source: me
            en: e
            zh: z
        """)
    found = problems(path)
    only(found, f"{path}:7", "unknown key 'eqn' (did you mean 'eq'?)")
    only(found, f"{path}:7", "has no 'eq'")


def test_top_level_typo_is_not_silently_ignored(tmp_path: Path) -> None:
    path = write(tmp_path, VAR_FOO + "        equation:\n          - id: user.foo\n")
    only(problems(path), f"{path}:6", "file: unknown key 'equation' (did you mean 'equations'?)")


def test_variable_key_typo(tmp_path: Path) -> None:
    path = write(tmp_path, VAR_FOO.replace("unit:", "unti:"))
    only(problems(path), f"{path}:2", "variable 'foo': unknown key 'unti' (did you mean 'unit'?)")


def test_catalog_entry_field_typo(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        variable: gpu
        fields: {peak_flops: TFLOPS}
        entries:
          MyGPU: {peak_flop: 100, source: me}
        """)
    only(problems(path), f"{path}:4", "unknown key 'peak_flop' (did you mean 'peak_flops'?)")


def test_catalog_file_without_entries(tmp_path: Path) -> None:
    path = write(tmp_path, "variable: gpu\nfields: {peak_flops: TFLOPS}\nentry:\n  MyGPU: {peak_flops: 1}\n")
    found = problems(path)
    only(found, f"{path}:3", "unknown key 'entry'")
    only(found, f"{path}:1", "a catalog file needs 'entries'")


@pytest.mark.parametrize("field, value, needle", [
    ("peak_flops", "-5", "outside its domain (positive)"),
    ("peak_flops", ".nan", "must be a finite number"),
    ("peak_flops", "lots", "must be a finite number in TFLOPS, found 'lots'"),
    ("aliases", "{a: 1}", "aliases must be a list of spellings"),
    ("info", "[1, 2]", "info must be a mapping"),
])
def test_catalog_entry_values_are_checked(tmp_path: Path, field: str, value: str, needle: str) -> None:
    path = write(tmp_path, f"""\
        variable: gpu
        fields: {{peak_flops: TFLOPS}}
        entries:
          MyGPU:
            {field}: {value}
            source: me
        """)
    only(problems(path), f"{path}:4", needle)


def test_bad_tolerance_and_role(tmp_path: Path) -> None:
    path = write(tmp_path, var_foo("role: budgte") + """\
        equations:
          - id: user.foo
            eq: foo = 2 * params
            tolerance: lots
            source: me
            en: e
            zh: z
        """)
    found = problems(path)
    only(found, f"{path}:2", "role 'budgte' is not known")
    only(found, f"{path}:8", "tolerance must be a relative tolerance")


def test_all_problems_of_a_file_are_reported_together(tmp_path: Path) -> None:
    path = write(tmp_path, VAR_FOO.replace("unit:", "unti:") + """\
        equations:
          - id: user.a
            eq: foo = 2 * paramz
            source: me
            en: e
            zh: z
          - id: user.b
            eq: foo = tokens
            en: e
            zh: z
        """)
    found = problems(path)
    assert len(found) == 3, found   # unknown key 'unti', undeclared 'paramz' in user.a, no source in user.b


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    found = problems(tmp_path / "nope.yaml", tmp_path / "empty")
    assert f"{tmp_path / 'nope.yaml'}: no such file or folder" in found
    assert f"{tmp_path / 'empty'}: folder has no *.yaml rule or catalog files" in found


# -- fuzz: arbitrary YAML structures never crash the loader ------------------------------------------
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30),
                     st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                     st.sampled_from(["params", "gpu", "GB", "foo = 2 * params", "categorical", "integer", "x"]))
_keys = st.sampled_from(["variables", "equations", "checks", "tables", "variable", "fields", "entries", "foo",
                         "unit", "domain", "values", "default", "default_source", "en", "zh", "id", "eq", "source",
                         "when", "variant", "tolerance", "aliases", "info", "peak_flops", "MyGPU", "params",
                         "rounding", "role", "typical", "severity"])
_trees = st.recursive(_scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(_keys, children, max_size=5)), max_leaves=25)


# A small stand-in for the bundled rules (numeric names, a categorical with a table, an equation),
# so each fuzzed file loads in milliseconds; the loader code paths are the same.
FUZZ_BASE = """\
variables:
  params: {unit: "", en: p, zh: p}
  tokens: {unit: token, en: t, zh: t}
  peak_flops: {unit: TFLOPS, en: f, zh: f}
  gpu: {domain: categorical, en: g, zh: g}
  flops_model: {domain: categorical, values: [six_nd], default: six_nd, default_source: s, en: m, zh: m}
equations:
  - {id: base.x, eq: tokens = params * unit("token"), source: s, en: e, zh: z, variant: {flops_model: six_nd}}
tables:
  - variable: gpu
    fields: {peak_flops: TFLOPS}
    entries:
      A800: {peak_flops: 312, aliases: [a800-pcie], source: s}
"""


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(doc=st.dictionaries(_keys, _trees, max_size=5))
def test_fuzzed_rule_files_load_or_raise_definition_error(tmp_path: Path, doc: dict) -> None:
    from engine.rules.loading import _Loader

    base = tmp_path / "base.yaml"
    if not base.exists():
        base.write_text(FUZZ_BASE, encoding="utf-8")
        _Loader([base], 1).load()   # the stand-in itself is valid
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    try:
        _Loader([base, path], 1).load()
    except DefinitionError as exc:
        assert all(p.startswith((str(path), str(base))) for p in exc.problems), exc.problems


# -- user files may add, never shadow -----------------------------------------------------------------
MY_GPU = textwrap.indent("""\
variable: gpu
fields: {peak_flops: PFLOPS, gpu_memory: GB}
entries:
  MyGPU:
    aliases: [my-gpu-96]
    name: Our in-house accelerator
    peak_flops: 0.5
    gpu_memory: 96
    source: vendor datasheet rev 3
""", " " * 8)


def test_a_user_catalog_adds_a_gpu_to_the_bundled_table(tmp_path: Path) -> None:
    rules = load_rules([write(tmp_path, MY_GPU, "gpus.yaml")])
    table = rules.tables["gpu"]
    assert "MyGPU" in table.entries and "A800" in table.entries
    assert "MyGPU" in rules.variables["gpu"].values
    entry = table.resolve("MY-GPU-96")
    assert entry is not None and entry.key == "MyGPU"
    assert entry.values["peak_flops"] == pytest.approx(5e14)
    assert entry.written["peak_flops"] == pytest.approx(500)   # shown in the bundled table's TFLOPS


def test_a_user_gpu_is_usable_in_a_question(tmp_path: Path) -> None:
    from engine.solve.solver import Engine

    engine = Engine.load([write(tmp_path, MY_GPU, "gpus.yaml")])
    result = engine.solve(["train_time"], {"params": "7B", "tokens": "1T", "gpu": "my-gpu-96", "n_gpus": 64,
                                           "mfu": 0.4})
    assert result.values["peak_flops"] == pytest.approx(5e14)
    assert result.values["train_time"] == pytest.approx(6 * 7e9 * 1e12 / (64 * 5e14 * 0.4))


def test_a_user_catalog_cannot_replace_a_bundled_gpu(tmp_path: Path) -> None:
    path = write(tmp_path, MY_GPU.replace("MyGPU", "A800"), "gpus.yaml")
    found = problems(path)
    bundled = bundled_line("catalogs/gpus.yaml", "  A800:")
    only(found, f"{path}:4", f"gpu entry 'A800' already exists at {bundled}", "choose another key")


def test_a_user_alias_cannot_capture_a_bundled_name(tmp_path: Path) -> None:
    path = write(tmp_path, MY_GPU.replace("my-gpu-96", "a800"), "gpus.yaml")
    only(problems(path), f"{path}:4", "alias 'a800' of entry 'MyGPU' already names entry 'A800'",
         bundled_line("catalogs/gpus.yaml", "  A800:"))


def test_two_entries_of_one_user_catalog_cannot_share_a_spelling(tmp_path: Path) -> None:
    path = write(tmp_path, MY_GPU + """\
          OtherGPU:
            aliases: [MY-GPU-96]
            peak_flops: 1
            source: me
        """, "gpus.yaml")
    only(problems(path), f"{path}:10", "alias 'MY-GPU-96' of entry 'OtherGPU' already names entry 'MyGPU'",
         f"{path}:4")


def test_a_user_rule_adds_a_variable_and_an_equation(tmp_path: Path) -> None:
    from engine.solve.solver import Engine

    path = write(tmp_path, """\
        variables:
          tokens_per_gpu:
            unit: token
            en: Tokens each GPU processes
            zh: 每卡处理的 token 数
        equations:
          - id: user.tokens_per_gpu
            eq: tokens = tokens_per_gpu * n_gpus
            source: definition
            en: tokens shared over GPUs
            zh: token 平均分到每张卡
        """)
    engine = Engine.load([path])
    result = engine.solve(["tokens_per_gpu"], {"tokens": "2T", "n_gpus": 100})
    assert result.values["tokens_per_gpu"] == pytest.approx(2e10)
    assert engine.rules.equation("user.tokens_per_gpu").where == f"{path}:7"


# Rule-file-shaped documents with plausible and implausible values in every slot: deeper into the
# loader than random dictionaries get. Whatever loads must also answer (or refuse) a question.
_units = st.sampled_from(["", "token", "GB", "TFLOPS", "s", "day", "FLOP/token", "parsec", "GB/", "1/0", "%", "^", None, 3])
_domains = st.sampled_from(["positive", "nonnegative", "fraction", "real", "integer", "categorical", "imaginary", None])
_names = st.sampled_from(["params", "tokens", "peak_flops", "gpu", "flops_model", "foo", "bar", "baz", "tokens_2"])
_formula = st.sampled_from(["foo = 2 * params", "bar = foo * tokens", "foo = sqrt(params)", "baz = foo + bar",
                            "foo = params ** 2", "foo = exp(params)", "foo = log(bar)", "foo = bar",
                            "bar = foo", "foo = 1 / params", "foo = params - params", "foo = 0", "foo = min(params, bar)",
                            "tokens = foo * unit(\"token\")", "foo = gpu", "foo == bar", "foo = = bar", "peak_flops = foo"])
_variable = st.fixed_dictionaries({}, optional={
    "unit": _units, "domain": _domains, "en": st.sampled_from(["e", "", None]), "zh": st.sampled_from(["z", ""]),
    "default": st.one_of(st.none(), st.floats(allow_nan=True), st.sampled_from(["six_nd", "a", "foo", True])),
    "default_source": st.sampled_from(["s", ""]), "values": st.one_of(st.lists(st.sampled_from(["a", "b", "A"])),
                                                                     st.just("a, b")),
    "rounding": st.sampled_from(["up", "sideways"]), "role": st.sampled_from(["budget", "x"]),
    "typical": st.one_of(st.lists(st.floats(allow_nan=False), max_size=3), st.just("wide"))})
_equation = st.fixed_dictionaries({"id": st.sampled_from(["u.a", "u.b", "base.x"]), "eq": _formula}, optional={
    "source": st.sampled_from(["s", ""]), "en": st.just("e"), "zh": st.just("z"),
    "variant": st.one_of(st.just({"flops_model": "six_nd"}), st.just({"flops_model": "nope"}), st.just({"foo": "a"}),
                         st.just("six_nd")),
    "tolerance": st.one_of(st.floats(allow_nan=True), st.just("tight"))})
_entry = st.fixed_dictionaries({}, optional={"peak_flops": st.one_of(st.floats(allow_nan=True), st.just("fast")),
                                            "foo": st.floats(-1, 10), "aliases": st.one_of(
                                                st.lists(st.sampled_from(["a800-pcie", "X", "x", "A800"])), st.just("X")),
                                            "source": st.just("s"), "info": st.one_of(st.just({"a": 1}), st.just([1]))})
_table = st.fixed_dictionaries({"variable": _names}, optional={
    "fields": st.one_of(st.dictionaries(_names, _units, max_size=3), st.just(["peak_flops"])),
    "entries": st.one_of(st.dictionaries(st.sampled_from(["A800", "MyGPU", "a800", "other"]), _entry, max_size=3),
                         st.just([1, 2]))})
_rule_docs = st.fixed_dictionaries({}, optional={
    "variables": st.dictionaries(_names, _variable, max_size=4),
    "equations": st.lists(_equation, max_size=3), "tables": st.lists(_table, max_size=2)})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(doc=_rule_docs, target=_names)
def test_fuzzed_rule_shaped_files(tmp_path: Path, doc: dict, target: str) -> None:
    from engine.errors import EngineError
    from engine.rules.loading import _Loader
    from engine.solve.solver import Engine

    base = tmp_path / "base.yaml"
    base.write_text(FUZZ_BASE, encoding="utf-8")
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    try:
        rules = _Loader([base, path], 1).load()
    except DefinitionError as exc:
        assert all(p.startswith((str(path), str(base))) for p in exc.problems), exc.problems
        return
    engine = Engine(rules)
    if target not in rules.variables or rules.variables[target].categorical:
        return
    try:
        result = engine.solve([target], {"params": "7B", "gpu": "A800"} if target != "params" else {"gpu": "A800"})
    except EngineError:
        return
    assert all(math.isfinite(v) for v in result.values.values()), result.values
