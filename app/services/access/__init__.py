"""Who may come in: users, passwords and API tokens.

May import: the root modules only.
"""
