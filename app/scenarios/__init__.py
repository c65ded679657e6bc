"""Executable Chinese scenarios for auditors: run them, report on them, measure path coverage.

``oneseal scenarios run`` drives pytest (from a repository checkout) over the ``.feature``
files, records every scenario with :mod:`app.scenarios.running.recorder`, and writes a Chinese HTML
report, JUnit XML, the results as JSON, the path coverage and the step catalogue.
"""
