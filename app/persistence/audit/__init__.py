"""The hash-chained audit trail (writing and reading it) and the auditors' scenario library."""
