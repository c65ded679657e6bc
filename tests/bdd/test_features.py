"""Binds every feature file under tests/features/ to pytest."""
from pytest_bdd import scenarios

scenarios("受理", "审查", "现场核查", "时限", "并联审批")
