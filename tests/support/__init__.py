"""Helpers shared by test modules: fixtures' building blocks, never tests themselves."""
