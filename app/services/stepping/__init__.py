"""Opening a case and moving its workflow one step: projection, status, timers, stage clocks,
and the check that the inbox and the saved workflows agree.

May import: clock, processes and the root modules.
"""
