"""Queries about cases: the case row and its lock, items, records, search, tasks (the inbox's projection), saved workflows, projects, attachments, opinions."""
