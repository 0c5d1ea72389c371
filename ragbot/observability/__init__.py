"""Operations support: Prometheus metrics, the /metrics + /healthz server, and structured logs."""
