"""Use cases: each takes a session, an actor and the runtime (clock included), flushes, never commits.

Subpackages by subject, each importing only those below it (and never Flask):

    reading, audit      what people read: case views, pages, inbox, progress; the trail
    intake              the window: applications, items, bundles, projects, notices, materials
    casework            work on tasks: claim, complete, transfer, supplement, guards, inspection, follow-ups
    stepping            opening a case and advancing its workflow: projection, timers, stage clocks
    clock               time limits and deadlines in working days
    processes, access   deployed processes and models; users and tokens

At the root, ``actor``, ``runtime`` and ``decisions`` are what every subpackage may use;
``demo`` loads demo data and may use them all.
"""
