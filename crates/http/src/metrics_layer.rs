//! Request metrics for Prometheus: a counter and a latency histogram per route and status.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

/// Counts and times every request under its route template (not its raw path, which would
/// make one series per SKU id).
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("daihuo_http_requests_total", &labels).increment(1);
    metrics::histogram!("daihuo_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}
