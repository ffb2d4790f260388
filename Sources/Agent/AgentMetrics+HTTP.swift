import Prometheus

extension AgentMetrics {
    /// Counts a webhook delivery of `forge` by what became of it (`sluice_webhook_deliveries_total`):
    /// `accepted`, `duplicate` (a delivery id already accepted within the hour), `unauthorized`
    /// (a bad or missing signature), `too_large`, `invalid` (a body that is not JSON or could not be read).
    func recordDelivery(forge: String, result: String) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "sluice", metricName: "webhook_deliveries", unitName: "total", helpText: "Webhook deliveries by forge and result"),
            labels: [("forge", forge), ("result", result)]
        ).increment()
    }

    /// The gauge of requests being handled (`sluice_http_requests_in_flight`), made once by the server.
    func requestsInFlightGauge() -> Gauge {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "sluice", metricName: "http_requests_in_flight", unitName: "",
                helpText: "API and webhook requests being handled (not /healthz and /readyz)"),
            labels: [])
    }

    /// Counts a request answered 503 because `--max-requests-in-flight` were being handled
    /// (`sluice_http_requests_refused_total`).
    func recordRefusedRequest() {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "sluice", metricName: "http_requests_refused", unitName: "total",
                helpText: "Requests answered 503 because --max-requests-in-flight were being handled"),
            labels: []
        ).increment()
    }

    /// Counts a connection closed because a request's `header` or `body` took longer than its
    /// timeout (`sluice_http_read_timeouts_total{part}`).
    func recordReadTimeout(part: String) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "sluice", metricName: "http_read_timeouts", unitName: "total",
                helpText: "Connections closed because a request's header or body took longer than its timeout"),
            labels: [("part", part)]
        ).increment()
    }
}
