"""Whether this process can serve, for load balancers and orchestrators: alive (answers at all)
and ready (its database is reachable and at this release's schema, its broker answers)."""
