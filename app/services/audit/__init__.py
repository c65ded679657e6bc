"""The audit trail for auditors (search, export) and the record of rules changes.

May import: reading and the root modules.
"""
