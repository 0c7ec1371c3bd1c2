"""Targets determined although the values around them are not: eliminate the unknowns that cancel.

Most rules are products and quotients of powers (monomials): `train_flops = flops_factor * params
* tokens`. In logarithms such a rule is linear, log train_flops - log flops_factor - ... = 0, so
"which combination of rules leaves only the target and known values" is linear algebra on a small
matrix of exponents (whole numbers and halves), done exactly with fractions:

    find lambda with  lambda^T A_U = e_target    (A_U: exponents of the unknowns, one row per rule)

The combined rule is then target = prod k_i^lambda_i * prod_known x_j^(-c_j), a closed form the
batch path evaluates like any other. The combination with the fewest rules is kept, so the
derivation reads well (mfu = flops_factor * params * throughput_per_gpu / peak_flops from three
rules). The same exponent matrix says whether two rules are independent (a 2x2 block is only
solvable if its exponents over the two unknowns have full rank): two forms of one relation
(time.train_time and time.gpu_time_flops once gpu_seconds is known) never form a block.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable

from ..rules.expr import Tree
from ..rules.model import Equation
from ..rules.units import unit_info

Exponents = dict[str, Fraction]
POSITIVE_DOMAINS = ("positive", "fraction", "integer")


@dataclass(frozen=True)
class Monomial:
    """lhs = rhs as prod x_j^a_j = k (k > 0)."""

    exponents: tuple[tuple[str, Fraction], ...]
    constant: float

    @property
    def powers(self) -> Exponents:
        return dict(self.exponents)


@dataclass(frozen=True)
class Combination:
    """target = formula, from `equations` (the unknowns in `cancelled` drop out)."""

    target: str
    formula: Tree
    equations: tuple[Equation, ...]
    cancelled: tuple[str, ...]


def _factors(tree: Tree) -> "tuple[float, Exponents] | None":
    """(coefficient, exponents) of a product of powers; None for sums and other forms."""
    kind = tree[0]
    if kind == "num":
        value = float(tree[1])
        return (value, {}) if value > 0 else None
    if kind == "unit":
        return float(unit_info(tree[1])[0]), {}
    if kind == "var":
        return 1.0, {tree[1]: Fraction(1)}
    if kind == "mul":
        coefficient, powers = 1.0, dict[str, Fraction]()
        for part in tree[1]:
            got = _factors(part)
            if got is None:
                return None
            coefficient *= got[0]
            for name, exp in got[1].items():
                powers[name] = powers.get(name, Fraction(0)) + exp
        return coefficient, powers
    if kind == "pow":
        if tree[2][0] != "num":
            return None
        base = _factors(tree[1])
        if base is None:
            return None
        exp = Fraction(float(tree[2][1])).limit_denominator(64)
        if abs(float(exp) - float(tree[2][1])) > 1e-12:
            return None
        return base[0] ** float(exp), {n: e * exp for n, e in base[1].items()}
    if kind == "call" and tree[1] == "sqrt" and len(tree[2]) == 1:
        return _factors(("pow", tree[2][0], ("num", 0.5)))
    return None


def monomial(eq: Equation, domains: Mapping[str, str]) -> Monomial | None:
    """The rule as a monomial, or None (a sum, a call, a variable that may be 0 or negative)."""
    left, right = _factors(eq.lhs), _factors(eq.rhs)
    if left is None or right is None or not (left[0] > 0 and right[0] > 0):
        return None
    powers = dict(left[1])
    for name, exp in right[1].items():
        powers[name] = powers.get(name, Fraction(0)) - exp
    powers = {n: e for n, e in powers.items() if e != 0}
    if set(powers) != set(eq.variables) or any(domains.get(n, "positive") not in POSITIVE_DOMAINS for n in powers):
        return None   # a variable that cancels inside the rule itself, or one that may be 0
    return Monomial(tuple(sorted(powers.items())), right[0] / left[0])


def _solve(rows: list[dict[str, Fraction]], columns: list[str], rhs: dict[str, Fraction]
           ) -> list[Fraction] | None:
    """lambda with sum_i lambda_i rows[i][c] = rhs[c] for every column c (exact); None if none."""
    m = len(rows)
    # augmented system: one equation per column, unknowns lambda_1..lambda_m
    matrix = [[rows[i].get(c, Fraction(0)) for i in range(m)] + [rhs.get(c, Fraction(0))] for c in columns]
    pivots: list[int] = []
    r = 0
    for col in range(m):
        pivot = next((i for i in range(r, len(matrix)) if matrix[i][col] != 0), None)
        if pivot is None:
            continue
        matrix[r], matrix[pivot] = matrix[pivot], matrix[r]
        head = matrix[r][col]
        matrix[r] = [v / head for v in matrix[r]]
        for i in range(len(matrix)):
            if i != r and matrix[i][col] != 0:
                factor = matrix[i][col]
                matrix[i] = [a - factor * b for a, b in zip(matrix[i], matrix[r])]
        pivots.append(col)
        r += 1
        if r == len(matrix):
            break
    if any(all(v == 0 for v in row[:m]) and row[m] != 0 for row in matrix):
        return None   # inconsistent: the target is not in the span
    solution = [Fraction(0)] * m
    for i, col in enumerate(pivots):
        solution[col] = matrix[i][m]
    return solution


def rank(rows: list[dict[str, Fraction]], columns: Iterable[str]) -> int:
    """Rank of the exponent rows restricted to `columns` (exact)."""
    matrix = [[row.get(c, Fraction(0)) for c in columns] for row in rows]
    r = 0
    width = len(matrix[0]) if matrix else 0
    for col in range(width):
        pivot = next((i for i in range(r, len(matrix)) if matrix[i][col] != 0), None)
        if pivot is None:
            continue
        matrix[r], matrix[pivot] = matrix[pivot], matrix[r]
        for i in range(r + 1, len(matrix)):
            if matrix[i][col] != 0:
                factor = matrix[i][col] / matrix[r][col]
                matrix[i] = [a - factor * b for a, b in zip(matrix[i], matrix[r])]
        r += 1
    return r


class Eliminator:
    """Finds combined monomial rules for one rule set; results cached per (rules, knowns, target)."""

    def __init__(self, domains: Mapping[str, str]) -> None:
        self.domains = domains
        self._monomials: dict[str, Monomial | None] = {}
        self._cache: dict[tuple, Combination | None] = {}

    def of(self, eq: Equation) -> Monomial | None:
        if eq.id not in self._monomials:
            self._monomials[eq.id] = monomial(eq, self.domains)
        return self._monomials[eq.id]

    def independent(self, eqs: tuple[Equation, ...], names: tuple[str, ...]) -> bool | None:
        """Whether monomial rules determine `names` (full rank of their exponents); None: not monomials."""
        forms = [self.of(eq) for eq in eqs]
        if any(f is None for f in forms):
            return None
        return rank([f.powers for f in forms if f is not None], names) == len(names)

    def block(self, eqs: tuple[Equation, ...], names: tuple[str, ...]) -> dict[str, Tree] | None:
        """Each unknown of a block of monomial rules in closed form (a planner's pair when sympy has no
        time: the same solution as sympy's, less simplified); None when they do not determine one."""
        others = {v for eq in eqs for v in eq.variables} - set(names)
        forms = {}
        for name in names:
            combination = self.combine(list(eqs), others, name)
            if combination is None:
                return None
            forms[name] = combination.formula
        return forms

    def combine(self, equations: list[Equation], known: set[str], target: str) -> Combination | None:
        """A combination of monomial rules giving `target` from known values only, or None."""
        open_eqs = [eq for eq in equations if eq.variables - known and self.of(eq) is not None]
        # the rules connected to the target through unknowns
        reach, chosen, grown = {target}, [], True
        while grown:
            grown = False
            for eq in open_eqs:
                if eq not in chosen and eq.variables & reach:
                    chosen.append(eq)
                    reach |= eq.variables - known
                    grown = True
        if not chosen:
            return None
        key = (tuple(eq.id for eq in chosen), frozenset(v for eq in chosen for v in eq.variables if v in known),
               target)
        if key not in self._cache:
            self._cache[key] = self._combine(chosen, known, target)
        return self._cache[key]

    def _combine(self, eqs: list[Equation], known: set[str], target: str) -> Combination | None:
        unknown = sorted({v for eq in eqs for v in eq.variables} - known)
        rows = [self.of(eq).powers for eq in eqs]   # type: ignore[union-attr]
        goal = {target: Fraction(1)}
        if _solve(rows, unknown, goal) is None:
            return None
        keep = list(range(len(eqs)))
        for i in range(len(eqs)):   # fewest rules: drop each one the target can do without
            trial = [j for j in keep if j != i]
            if trial and _solve([rows[j] for j in trial], unknown, goal) is not None:
                keep = trial
        lam = _solve([rows[j] for j in keep], unknown, goal)
        assert lam is not None
        used = [eqs[j] for j in keep]
        combined: dict[str, Fraction] = {}
        log_constant = 0.0
        for weight, j in zip(lam, keep):
            if weight == 0:
                continue
            form = self.of(eqs[j])
            assert form is not None
            log_constant += float(weight) * math.log(form.constant)
            for name, exp in form.exponents:
                combined[name] = combined.get(name, Fraction(0)) + weight * exp
        if combined.get(target) != 1 or any(e != 0 for n, e in combined.items() if n not in known and n != target):
            return None
        factors: list[Tree] = []
        constant = math.exp(log_constant)
        if not math.isclose(constant, 1.0, rel_tol=1e-15):
            factors.append(("num", constant))
        for name, exp in sorted(combined.items()):
            if name == target or exp == 0:
                continue
            power = -exp
            factors.append(("var", name) if power == 1 else ("pow", ("var", name), ("num", float(power))))
        formula: Tree = ("mul", tuple(factors)) if len(factors) > 1 else (factors[0] if factors else ("num", 1.0))
        cancelled = tuple(sorted({v for eq in used for v in eq.variables} - known - {target}))
        return Combination(target, formula, tuple(used), cancelled)
