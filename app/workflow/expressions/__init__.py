"""Designers' expressions and scripts: parsed under an allow-list and run by our own interpreter within a budget (never eval/exec)."""
