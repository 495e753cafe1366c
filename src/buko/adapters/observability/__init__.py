"""Operations plumbing: Prometheus metrics, structured logs, task and model instrumentation."""
