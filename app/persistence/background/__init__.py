"""What background work reads and writes: the outbox, incidents, the supervision push's queue and findings, monitoring counts."""
