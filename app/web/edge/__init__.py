"""The one edge between HTTP and the services: everything around a handler, for the JSON API,
the pages, the modeler and the auditors' pages alike.

Every handler is four beats: load-or-404, authorize, call one service, serialize. The edge does
the rest, once:

    request_input     refuses what no handler should see (sizes, depth, characters, ids, pages)
    browser_session   who is signed in (a server-side session); guards: CSRF, read-only roles
    units             the database session of a request: commit, roll back, incidents, busy
    api               ``@api``: Bearer (or browser) user, Idempotency-Key, JSON in and out
    pages             ``@page``: signed-in user and role, the error page
    downloads         ``@download``: streamed exports (CSV, JSON) with their own session
    responses         status codes by kind of error, JSON bodies with a Chinese message
    errors            what Flask itself refuses (404, 405, 413…) and domain errors raised outside

Only the edge and the CLI touch Flask request state and commit transactions.
"""
