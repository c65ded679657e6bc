"""Background jobs: one set of job functions, two runners.

An edge like the web app and the command line: each job owns its transaction. The work is
always found from database rows — cases with a due timer, cases whose deadline state is due to
move, undelivered outbox messages — so a run that is lost (a worker killed, a broker message
gone) delays the work but never loses it; and every job locks and re-reads what it changes, so
running it twice, or on two workers at once, does it once.

    context     what a job needs: the database, the runtime, the outbox handlers
    handlers    the outbox handlers by message kind (later features register theirs)
    runs        one job in its own unit of work; a failure kept as an incident, then raised
    cases       per-case jobs (``fire_timers``, ``check_deadline``) and the scans that find them
    outbox      the dispatcher: handlers by kind, ``deliver`` one message, the scan for due ones
    broker      the Celery runner (``ONESEAL_BROKER_URL``): the tasks, beat's schedule, retries
                with backoff
    claims      keys in Redis by which a scan sends a job once while it is under way

The in-process runner is :mod:`app.worker` (``oneseal worker`` without a broker).
"""
