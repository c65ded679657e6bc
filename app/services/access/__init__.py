"""Who may come in and what they may see: users, passwords and API tokens, browser sessions, and
which cases a user may see (``visibility``).

May import: the root modules only.
"""
