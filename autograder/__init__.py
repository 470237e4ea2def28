"""Symbolic auto-grading of chain-rule derivations: parse -> compare -> diagnose -> report."""
