"""The verdict's LaTeX: SharedLatex prints exactly what ``sympy.latex`` prints, on every answer and reference of both
corpora, though it remembers parts and orders a sum's terms without evalf (see target._plain_number_complex); and
str() under that swap (which names a sympy reference's points) writes what it writes without it."""

import sys
from pathlib import Path

import sympy

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_equivalence import declared  # noqa: E402
from corpus import load_corpus, load_peer_corpus  # noqa: E402

from autograder.domain import Domain  # noqa: E402
from autograder.parse import ParseError, parse_expression  # noqa: E402
from autograder.target import SharedLatex, _plain_number_complex  # noqa: E402


def parsed_sides():
    for pair in [*load_peer_corpus(derive=True), *load_corpus()]:
        names = Domain.build(symbols=declared(pair.answer, pair.reference)).names.with_equations()
        for side in (pair.answer, pair.reference):
            try:
                yield parse_expression(side, names)
            except ParseError:
                continue


def test_shared_latex_prints_what_sympy_prints():
    printer, count = SharedLatex(), 0  # one printer for all: what it remembers must never change what it prints
    for expr in parsed_sides():
        assert printer.doprint(expr) == sympy.latex(expr), expr
        count += 1
    assert count > 1000


def test_str_under_the_swap_writes_what_sympy_writes():
    """A sympy reference's str() seeds its points: written differently, every point of it would move."""
    count = 0
    for expr in parsed_sides():
        plain = str(expr)
        sympy.core.cache.clear_cache()  # the swapped str() must work its ordering out again, not find it cached
        with _plain_number_complex():
            assert str(expr) == plain, expr
        count += 1
    assert count > 1000


def test_sums_with_coefficients_beyond_a_float_and_tiny_ones_print_as_sympy_does():
    x, y = sympy.symbols("x y")
    for expr in [10**400 * x + 3 * y + 1, sympy.Rational(1, 10**400) * x - y, sympy.Rational(-7, 3) * x**2
                 + sympy.Rational(7, 3) * x - 2, -2**60 * x + (2**60 + 1) * y, sympy.pi * x + sympy.E * y + 2]:
        assert SharedLatex().doprint(expr) == sympy.latex(expr)


def test_printing_leaves_sympys_numbers_as_they_were():
    SharedLatex().doprint(sympy.Symbol("x") + 2)
    assert "__complex__" not in sympy.Rational.__dict__ and "__complex__" not in sympy.Integer.__dict__


def test_printers_in_several_threads_leave_sympys_numbers_as_they_were():
    from concurrent.futures import ThreadPoolExecutor

    x, y = sympy.symbols("x y")
    expressions = [sympy.Rational(k, 7) * x + k * y + 1 for k in range(1, 200)]
    with ThreadPoolExecutor(4) as pool:
        printed = list(pool.map(lambda e: SharedLatex().doprint(e), expressions))
    assert printed == [sympy.latex(e) for e in expressions]
    assert "__complex__" not in sympy.Rational.__dict__ and "__complex__" not in sympy.Integer.__dict__


def test_a_factor_printed_last_in_one_product_and_first_in_another_keeps_its_own_brackets():
    """Whether a factor needs brackets is remembered with its place: a sum of terms (Σ) needs them before another
    factor, not at the end of a product."""
    k, n, j, m, x = sympy.symbols("k n j m x")
    first_sum, second_sum = sympy.Sum(k, (k, 1, n)), sympy.Sum(j**2, (j, 1, m))
    for expr in (x * first_sum, x * second_sum, first_sum * second_sum):  # the sums last, then one of them first
        assert SharedLatex().doprint(expr) == sympy.latex(expr)
