"""For operators: health and readiness probes, Prometheus metrics."""
