"""What people read: case detail and its sections, the case and task pages, history, inbox,
diagram calls, project views, the public progress page. Reads only; changes nothing.

May import: casework, stepping, clock, processes and the root modules.
"""
