"""Rules tested as data (issue #12): every equation and check id has cases in tests/rule_cases/.

One YAML file per rule file, tests/rule_cases/<rule file stem>.yaml (cases for formulas/time.yaml
live in time.yaml). Format (also in /work/notes/RULE_CASES.md):

    cases:
      - id: time.train_time            # required: the equation or check id this case exercises
        source: "seed §4b; 8*7e9*1e12/(64*312e12*0.4*86400) = 81.15 d"   # required: where expect comes from
        givens: {params: 7B, gpu: A800}  # required: NAME: VALUE as typed on the command line (NAME=VALUE)
        solve: train_time              # required: a name or a list of names
        expect: {train_time: 81.15}    # numbers in the variable's declared unit, or strings such as "12 h"
        rel: 0.001                     # optional relative tolerance (default 1e-3)
        warns: [time.mfu_outside_band] # optional: checks that must fire (check ids, or mismatch.<equation id>)
        error: contradiction           # optional: contradiction | underdetermined | value | evaluation
        xfail: "reason"                # optional: a known engine bug (strict: the case must still fail)

A case needs at least one of expect, warns, error (error excludes expect and warns). Values of givens
are read as the text written in the file (`packing: on` stays "on", `mfu: 0.40` stays "0.40") and
parsed by Engine.solve exactly as `llmplan solve NAME=VALUE` parses them; expected values go through
the same parser (Engine.parse_givens), so a plain number is in the variable's declared unit.

What "the case's id was used" means:
  * an equation id must appear in the result's derivation (any step, either phase) or among the
    consistency checks that ran (Result.checks); with `error: contradiction` the error must name it;
  * a check id must be among the result's warnings (as if it were listed in `warns`);
  * with `error: underdetermined | value | evaluation` only the error class is checked.
Validation: a case-file key the runner does not know, a rule id that is no equation or check of the
file's rule file, or a variable name that no rule declares fails that case with file:line.
"""
from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

import engine

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = ROOT / "tests" / "rule_cases"
CASE_KEYS = ("id", "source", "givens", "solve", "expect", "rel", "warns", "error", "xfail")
REQUIRED_KEYS = ("id", "source", "givens", "solve")
ERRORS: dict[str, type[Exception]] = {"contradiction": engine.ContradictionError, "underdetermined": engine.UnderdeterminedError,
          "value": engine.ValueParseError, "evaluation": engine.EvaluationError}
DEFAULT_REL = 1e-3


class CaseFileError(Exception):
    """A case file that breaks the format (reported as a failure even for xfail cases)."""


@dataclass
class Case:
    """One case as written, each value with the line it was written on."""

    path: Path
    line: int
    data: dict[str, Any] = field(default_factory=dict)     # key -> plain value (scalars as written text)
    lines: dict[str, int] = field(default_factory=dict)    # key -> line
    sub_lines: dict[str, dict[str, int]] = field(default_factory=dict)   # givens/expect: name -> line
    problems: list[str] = field(default_factory=list)

    def where(self, key: str | None = None, name: str | None = None) -> str:
        """file:line of the case, of one of its keys, or of one name inside givens/expect."""
        line = self.lines.get(key, self.line) if key else self.line
        if key and name:
            line = self.sub_lines.get(key, {}).get(name, line)
        return f"{_rel(self.path)}:{line}"

    @property
    def rule_id(self) -> str:
        value = self.data.get("id")
        return value if isinstance(value, str) else "<no id>"


# -- reading case files (PyYAML's composer keeps the line of every node) ---------------------------

def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _text(node: yaml.Node) -> Any:
    """Scalars as the text written (what a user types), sequences and mappings as lists and dicts."""
    if isinstance(node, yaml.ScalarNode):
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_text(item) for item in node.value]
    return {_text(k): _text(v) for k, v in node.value}


def _read_file(path: Path) -> tuple[list[Case], list[str]]:
    rel = _rel(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [], [f"{rel}:{mark.line + 1 if mark else 1}: not valid YAML ({getattr(exc, 'problem', exc)})"]
    if not isinstance(root, yaml.MappingNode):
        return [], [f"{rel}:1: a case file is a mapping with one key, `cases:` (a list of cases)"]
    cases, problems = [], []
    for key, value in root.value:
        if key.value != "cases":
            problems.append(f"{rel}:{key.start_mark.line + 1}: unknown top-level key {key.value!r}; "
                            "the only key is `cases`")
            continue
        if not isinstance(value, yaml.SequenceNode):
            problems.append(f"{rel}:{value.start_mark.line + 1}: `cases` must be a list of cases")
            continue
        cases += [_read_case(path, item) for item in value.value]
    if not cases and not problems:
        problems.append(f"{rel}:1: no cases (write `cases:` followed by a list)")
    return cases, problems


def _read_case(path: Path, node: yaml.Node) -> Case:
    case = Case(path, node.start_mark.line + 1)
    if not isinstance(node, yaml.MappingNode):
        case.problems.append(f"{case.where()}: a case is a mapping (id, source, givens, solve, expect, ...)")
        return case
    for key, value in node.value:
        name = key.value
        if name in case.data:
            case.problems.append(f"{case.where()}: key {name!r} written twice")
        case.data[name] = _text(value)
        case.lines[name] = key.start_mark.line + 1
        if isinstance(value, yaml.MappingNode):
            case.sub_lines[name] = {k.value: k.start_mark.line + 1 for k, _ in value.value}
    return case


def _collect() -> tuple[list[Case], list[str]]:
    cases, problems = [], []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        found, wrong = _read_file(path)
        cases += found
        problems += wrong
    return cases, problems


CASES, FILE_PROBLEMS = _collect()


def _case_params(cases: list[Case] | None = None) -> list[Any]:
    params: list[Any] = []
    seen: dict[str, int] = {}
    for case in CASES if cases is None else cases:
        index = seen.get(case.rule_id, 0)
        seen[case.rule_id] = index + 1
        marks = []
        reason = case.data.get("xfail")
        if isinstance(reason, str) and reason.strip():
            marks.append(pytest.mark.xfail(reason=reason, strict=True, raises=AssertionError))
        params.append(pytest.param(case, id=f"{case.rule_id}-{index}", marks=marks))
    return params


# -- validation ------------------------------------------------------------------------------------

def _suggest(name: str, known: Any) -> str:
    close = difflib.get_close_matches(name, list(known), n=3)
    return f"; did you mean {', '.join(close)}?" if close else ""


def _names(value: Any) -> list[Any]:
    """`solve` and `warns` take one name or a list of names."""
    return [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []


def _expected(eng: Any, name: str, raw: str) -> float:
    """An expected value in base units, parsed like a given (plain numbers in the declared unit)."""
    return float(eng.parse_givens({name: raw})[0][name])


def validate(case: Case, eng: Any) -> list[str]:
    """Everything wrong with a case as written, each with file:line and what would be right."""
    return [*case.problems, *_check_keys(case), *_check_rule(case, eng.rules),
            *_check_names(case, eng), *_check_options(case, eng.rules)]


def _check_keys(case: Case) -> list[str]:
    data, problems = case.data, []
    for key in data:
        if key not in CASE_KEYS:
            problems.append(f"{case.where(key)}: unknown key {key!r}{_suggest(key, CASE_KEYS)} "
                            f"(keys: {', '.join(CASE_KEYS)})")
    for key in REQUIRED_KEYS:
        if key not in data:
            problems.append(f"{case.where()}: case has no {key!r}")
    if not any(k in data for k in ("expect", "warns", "error")):
        problems.append(f"{case.where()}: a case asserts something: give expect, warns or error")
    if "error" in data and ("expect" in data or "warns" in data):
        problems.append(f"{case.where('error')}: `error` cannot be combined with expect or warns")
    for key, what in (("source", "where the expected numbers come from"), ("xfail", "the known bug, as text")):
        if key in data and not (isinstance(data[key], str) and data[key].strip()):
            problems.append(f"{case.where(key)}: {key} says {what}")
    return problems


def _rule_file(rule: Any) -> str:
    return Path(rule.where.rsplit(":", 1)[0]).stem     # where = "path/formulas/time.yaml:42"


def _check_rule(case: Case, rules: Any) -> list[str]:
    if "id" not in case.data:
        return []
    known = {r.id: r for r in [*rules.equations, *rules.checks]}
    rule_id = case.data["id"]
    rule = known.get(rule_id) if isinstance(rule_id, str) else None
    if rule is None:
        return [f"{case.where('id')}: {rule_id!r} is no equation or check id of the bundled rules"
                + _suggest(str(rule_id), known)]
    if _rule_file(rule) != case.path.stem:
        return [f"{case.where('id')}: {rule_id} is defined in {rule.where}; its cases belong in "
                + f"tests/rule_cases/{_rule_file(rule)}.yaml"]
    return []


def _check_names(case: Case, eng: Any) -> list[str]:
    """givens, solve and expect name declared variables; expected values parse."""
    variables, problems = eng.rules.variables, []

    def declared(name: Any, key: str, what: str) -> bool:
        if isinstance(name, str) and name in variables:
            return True
        problems.append(f"{case.where(key, name if isinstance(name, str) else None)}: {what} {name!r} is no "
                        f"declared variable{_suggest(str(name), variables)}")
        return False

    for key in ("givens", "expect"):
        if not isinstance(case.data.get(key, {}), dict):
            problems.append(f"{case.where(key)}: {key} is a mapping NAME: VALUE")
    givens: dict[str, Any] = case.data["givens"] if isinstance(case.data.get("givens"), dict) else {}
    for name, value in givens.items():
        declared(name, "givens", "given")
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{case.where('givens', name)}: given {name!r} needs a value as typed, e.g. 7B")
    targets = _names(case.data.get("solve"))
    if "solve" in case.data and not targets:
        problems.append(f"{case.where('solve')}: solve is a variable name or a list of names")
    for name in targets:
        declared(name, "solve", "solve names")
    expect: dict[str, Any] = case.data["expect"] if isinstance(case.data.get("expect"), dict) else {}
    for name, value in expect.items():
        if not declared(name, "expect", "expect names"):
            continue
        if not isinstance(value, str):
            problems.append(f"{case.where('expect', name)}: expected {name} is a number or a string like '12 h'")
            continue
        try:
            _expected(eng, name, value)
        except engine.EngineError as exc:
            problems.append(f"{case.where('expect', name)}: expected value does not parse: {exc}")
    return problems


def _check_options(case: Case, rules: Any) -> list[str]:
    data, problems = case.data, []
    equations = {eq.id for eq in rules.equations}
    checks = {c.id for c in rules.checks}
    warns = data.get("warns", [])
    for code in _names(warns) if isinstance(warns, (list, str)) else [warns]:
        if not isinstance(code, str) or not (code in checks or code.startswith("mismatch.")
                                             and code[len("mismatch."):] in equations):
            problems.append(f"{case.where('warns')}: warns lists {code!r}, no check id (or mismatch.<equation id>)"
                            f"{_suggest(str(code), checks)}")
    if "error" in data and data["error"] not in ERRORS:
        problems.append(f"{case.where('error')}: error is one of {', '.join(ERRORS)}, not {data['error']!r}")
    if "rel" in data:
        try:
            ok = float(data["rel"]) > 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            problems.append(f"{case.where('rel')}: rel is a positive number (relative tolerance)")
    return problems


# -- running a case --------------------------------------------------------------------------------

def run_case(eng: Any, case: Case) -> None:
    """Solve the case and assert its expectations; AssertionError says what and where."""
    data = case.data
    targets = _names(data["solve"])
    givens = {name: value.strip() for name, value in data["givens"].items()}
    if "error" in data:
        kind = ERRORS[data["error"]]
        try:
            eng.solve(targets, givens)
        except kind as exc:
            if kind is engine.ContradictionError and data["id"] in {eq.id for eq in eng.rules.equations}:
                assert data["id"] in str(exc), f"{case.where('id')}: the contradiction is not in {data['id']}: {exc}"
            if data["id"] in {c.id for c in eng.rules.checks if c.severity == "error"}:
                assert data["id"] in str(exc), f"{case.where('id')}: the refusal is not {data['id']}'s: {exc}"
            return
        except engine.EngineError as exc:
            raise AssertionError(f"{case.where('error')}: expected {kind.__name__}, got "
                                 f"{type(exc).__name__}: {exc}") from None
        raise AssertionError(f"{case.where('error')}: expected {kind.__name__}, but the question was answered")
    try:
        result = eng.solve(targets, givens)
    except engine.EngineError as exc:
        raise AssertionError(f"{case.where()}: {type(exc).__name__}: {exc}") from None
    rel = float(data.get("rel", DEFAULT_REL))
    for name, raw in data.get("expect", {}).items():
        want = _expected(eng, name, raw)
        got = result.values.get(name)
        assert got is not None, f"{case.where('expect', name)}: {name} was not derived"
        assert math.isclose(got, want, rel_tol=rel, abs_tol=0.0 if want else 1e-12), (
            f"{case.where('expect', name)}: {name} = {result.show(name)}, expected {raw} "
            f"(base units: {got!r} vs {want!r}, rel {rel})")
    fired = {w.code for w in result.warnings}
    for code in _names(data.get("warns", [])):
        assert code in fired, f"{case.where('warns')}: {code} did not fire (warnings: {sorted(fired) or 'none'})"
    rule_id = data["id"]
    if rule_id in {c.id for c in eng.rules.checks}:
        assert rule_id in fired, f"{case.where('id')}: check {rule_id} did not fire (warnings: {sorted(fired) or 'none'})"
    else:
        used = {eq.id for step in result.derivation for eq in step.equations} | {eq.id for eq in result.checks}
        assert rule_id in used, f"{case.where('id')}: {rule_id} was not used (rules used: {', '.join(sorted(used))})"


@pytest.fixture(scope="module")
def eng() -> Any:
    """One engine for every case (bundled rules; read-only)."""
    return engine.Engine.load()


def test_case_files_are_well_formed() -> None:
    assert not FILE_PROBLEMS, "\n".join(FILE_PROBLEMS)


@pytest.mark.parametrize("case", _case_params())
def test_rule_case(eng: Any, case: Case) -> None:
    problems = validate(case, eng)
    if problems:
        raise CaseFileError("\n".join(problems))
    run_case(eng, case)


def test_every_rule_and_check_has_a_case(eng: Any) -> None:
    covered = {case.data.get("id") for case in CASES}
    missing = [f"{rule.id}  ({rule.where})" for rule in [*eng.rules.equations, *eng.rules.checks]
               if rule.id not in covered]
    assert not missing, (f"{len(missing)} rule/check id(s) have no case in tests/rule_cases/<file>.yaml:\n  "
                         + "\n  ".join(missing))


# -- the runner itself catches broken case files ---------------------------------------------------

def _validated(tmp_path: Path, eng: Any, text: str, stem: str = "time") -> list[str]:
    path = tmp_path / f"{stem}.yaml"
    path.write_text(text, encoding="utf-8")
    cases, problems = _read_file(path)
    return problems + [p for case in cases for p in validate(case, eng)]


GOOD = """cases:
  - id: time.gpu_seconds
    source: hand calculation 8 * 2 d = 16 GPU-days
    givens: {n_gpus: 8, train_time: 2d}
    solve: gpu_days
    expect: {gpu_days: 16}
"""


def test_validation_accepts_a_good_case(tmp_path: Path, eng: Any) -> None:
    assert _validated(tmp_path, eng, GOOD) == []


@pytest.mark.parametrize("edit, line, word", [
    (("    expect:", "    expcet:"), 6, "expcet"),                          # unknown key, with its line
    (("id: time.gpu_seconds", "id: time.gpu_second"), 2, "time.gpu_second"),  # unknown rule id
    (("{n_gpus: 8,", "{n_gpu: 8,"), 4, "n_gpu"),                           # undeclared given
    (("solve: gpu_days", "solve: gpu_dayz"), 5, "gpu_dayz"),               # undeclared target
    (("{gpu_days: 16}", "{gpu_dais: 16}"), 6, "gpu_dais"),                 # undeclared expected name
    (("{gpu_days: 16}", "{gpu_days: 16 GB}"), 6, "gpu_days"),               # expected value of the wrong unit
    (("    expect:", "    warns: [time.no_such_check]\n    expect:"), 6, "time.no_such_check"),  # unknown check
])
def test_validation_names_file_and_line(tmp_path: Path, eng: Any, edit: tuple[str, str], line: int,
                                        word: str) -> None:
    problems = _validated(tmp_path, eng, GOOD.replace(*edit))
    assert problems and f"time.yaml:{line}:" in problems[0] and word in problems[0], problems


def test_validation_wants_cases_in_their_rule_files_file(tmp_path: Path, eng: Any) -> None:
    problems = _validated(tmp_path, eng, GOOD, stem="memory")
    assert len(problems) == 1 and "memory.yaml:2:" in problems[0] and "time.yaml" in problems[0], problems


def test_a_wrong_expectation_fails(eng: Any, tmp_path: Path) -> None:
    # 8 GPUs * 2 days = 16 GPU-days, so 17 must fail and name the line of the expected value
    path = tmp_path / "time.yaml"
    path.write_text(GOOD.replace("{gpu_days: 16}", "{gpu_days: 17}"), encoding="utf-8")
    (case,), problems = _read_file(path)
    assert problems == [] and validate(case, eng) == []
    with pytest.raises(AssertionError, match=r"time\.yaml:6: gpu_days"):
        run_case(eng, case)


@pytest.mark.parametrize("edit, message", [
    (("id: time.gpu_seconds", "id: time.cost"), r"time\.yaml:2: time\.cost was not used"),
    (("    expect: {gpu_days: 16}", "    warns: [time.mfu_outside_band]"), r"time\.mfu_outside_band did not fire"),
    (("    expect: {gpu_days: 16}", "    error: contradiction"), r"time\.yaml:6: expected ContradictionError"),
])
def test_a_case_that_does_not_exercise_its_rule_fails(eng: Any, tmp_path: Path, edit: tuple[str, str],
                                                      message: str) -> None:
    # gpu_days from n_gpus and train_time never touches time.cost, fires no check, and is no contradiction
    path = tmp_path / "time.yaml"
    path.write_text(GOOD.replace(*edit), encoding="utf-8")
    (case,), problems = _read_file(path)
    assert problems == [] and validate(case, eng) == []
    with pytest.raises(AssertionError, match=message):
        run_case(eng, case)


def test_xfail_marks_a_known_bug_strictly(tmp_path: Path) -> None:
    # an xfail case must keep failing (strict), and only by assertion: a broken case file still fails
    path = tmp_path / "time.yaml"
    path.write_text(GOOD + '    xfail: "engine bug #0: example"\n', encoding="utf-8")
    (case,), _ = _read_file(path)
    (param,) = _case_params([case])
    (mark,) = param.marks
    assert mark.name == "xfail" and mark.kwargs == {"reason": "engine bug #0: example", "strict": True,
                                                    "raises": AssertionError}
    assert not issubclass(CaseFileError, AssertionError)
    assert param.id == "time.gpu_seconds-0"


@pytest.mark.parametrize("text", [
    "cases:\n  - id: [time.cost]\n    source: x\n    givens: 7B\n    solve: [[a]]\n    warns: [[b]]\n",
    "cases:\n  - {id: time.cost, source: '', givens: {a: {b: c}}, solve: {}, expect: [1], rel: -1, error: oops}\n",
    "cases:\n  - just a string\n",
    "cases: {}\n",
    "case:\n  - id: time.cost\n",
    "cases:\n  - id: time.cost\n    id: time.cost\n  -: [\n",
])
def test_malformed_case_files_are_reported_not_crashed_on(tmp_path: Path, eng: Any, text: str) -> None:
    problems = _validated(tmp_path, eng, text)
    assert problems and all(p.split(":", 2)[1].isdigit() for p in problems), problems
