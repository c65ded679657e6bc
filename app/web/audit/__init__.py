"""The auditors' trail (API and pages) and their scenario workshop."""
