"""Work on tasks: claim, release, complete, transfer; the rules a step must respect (guards),
return for supplement, inspection routing, parallel review and the cases a decision opens.

May import: stepping, clock, processes and the root modules.
"""
