"""Symbolic auto-grading of chain-rule derivations: parse → compare → diagnose → verdict, plus nbgrader glue.

>>> from autograder import check_equivalent
>>> check_equivalent("sigmoid(z)*(1-sigmoid(z))", "a*(1-a)", define={"a": "1/(1+exp(-z))"}).equivalent
True
"""

from .api import check_against_samples, check_derivation, check_equivalent, reference_samples
from .domain import DomainError
from .verdict import DerivationVerdict, Verdict

__all__ = ["check_equivalent", "check_derivation", "reference_samples", "check_against_samples",
           "Verdict", "DerivationVerdict", "DomainError"]
