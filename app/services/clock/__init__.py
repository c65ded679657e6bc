"""Time limits of cases in working days: the clock, its suspensions, warnings and escalations.

May import: the root modules only.
"""
