//! Prometheus metrics on their own HTTP listener (`metrics.listen`, off when empty): calls by
//! method and gRPC code, handling time by method, open server streams, the database pool and
//! the outbox backlog. The names follow go-grpc-prometheus so that stock dashboards read them:
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `grpc_server_handled_total` | counter | `grpc_service`, `grpc_method`, `grpc_code` (`OK`, `NOT_FOUND`, ...) |
//! | `grpc_server_handling_seconds` | histogram | `grpc_service`, `grpc_method` |
//! | `grpc_server_open_streams` | gauge | `grpc_service`, `grpc_method` |
//! | `mediation_db_pool_connections` | gauge | `state` (`in_use`, `idle`) |
//! | `mediation_db_pool_max_connections` | gauge | |
//! | `mediation_outbox_backlog` | gauge | notices neither delivered nor withdrawn, whole database |
//! | `mediation_code_budget_refusals_total` | counter | one-time codes refused because the hourly budget of codes to all phones (`auth.codes_per_hour`) was used up |
//!
//! A call is counted when it ends: at its response headers when they carry the status
//! (trailers-only answers, which is how errors usually go), else at the trailers of its body,
//! so a stream counts, and its handling time runs, until it closes. A body dropped before its
//! trailers (the client went away) counts as `CANCELLED`. Paths that name no known method are
//! counted under `unknown`, so a scanner cannot blow up the label set. Every number is this
//! process's own except the backlog, which is read from the database at each scrape.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body::{Frame, SizeHint};
use mediation_store::Db;
use prometheus::core::{Collector, Desc, Describer};
use prometheus::proto::MetricFamily;
use prometheus::{
    HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};
use tokio::net::TcpListener;
use tonic::Code;
use tonic::body::Body;
use tower::{Layer, Service};

/// A method as it is labelled.
#[derive(Debug)]
struct Method {
    service: String,
    name: String,
    streaming: bool,
}

/// The registry and every metric in it; shared by the layer and the endpoint.
pub struct Metrics {
    registry: Registry,
    methods: HashMap<String, Arc<Method>>,
    unknown: Arc<Method>,
    handled: IntCounterVec,
    handling: HistogramVec,
    open_streams: IntGaugeVec,
    pool_connections: IntGaugeVec,
    pool_max: IntGauge,
    outbox_backlog: IntGauge,
    db: Db,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").field("methods", &self.methods.len()).finish_non_exhaustive()
    }
}

/// Every method of the API, health and reflection, by path (`/pkg.Service/Method`).
fn method_table() -> HashMap<String, Arc<Method>> {
    use prost::Message;
    let sets = [
        mediation_api::FILE_DESCRIPTOR_SET,
        tonic_health::pb::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
    ];
    let mut table = HashMap::new();
    for bytes in sets {
        let set = prost_types::FileDescriptorSet::decode(bytes).expect("compiled-in descriptor sets decode");
        for file in &set.file {
            for service in &file.service {
                let service_name = format!("{}.{}", file.package(), service.name());
                for method in &service.method {
                    let entry = Method {
                        service: service_name.clone(),
                        name: method.name().to_owned(),
                        streaming: method.server_streaming(),
                    };
                    table.insert(format!("/{service_name}/{}", method.name()), Arc::new(entry));
                }
            }
        }
    }
    table
}

impl Metrics {
    pub fn new(db: Db) -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let call_labels = ["grpc_service", "grpc_method"];
        let handled = IntCounterVec::new(
            Opts::new("grpc_server_handled_total", "Calls completed on the server, by method and gRPC code."),
            &["grpc_service", "grpc_method", "grpc_code"],
        )?;
        let handling = HistogramVec::new(
            HistogramOpts::new(
                "grpc_server_handling_seconds",
                "Time from a call's arrival to its status (for a stream, until it closes).",
            )
            .buckets(vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0, 600.0]),
            &call_labels,
        )?;
        let open_streams =
            IntGaugeVec::new(Opts::new("grpc_server_open_streams", "Server streams open now."), &call_labels)?;
        let pool_connections = IntGaugeVec::new(
            Opts::new("mediation_db_pool_connections", "Database connections of this process's pool, by state."),
            &["state"],
        )?;
        let pool_max = IntGauge::new("mediation_db_pool_max_connections", "The most connections the pool opens.")?;
        let outbox_backlog = IntGauge::new(
            "mediation_outbox_backlog",
            "Notices in the outbox neither delivered nor withdrawn (the whole database).",
        )?;
        registry.register(Box::new(handled.clone()))?;
        registry.register(Box::new(handling.clone()))?;
        registry.register(Box::new(open_streams.clone()))?;
        registry.register(Box::new(pool_connections.clone()))?;
        registry.register(Box::new(pool_max.clone()))?;
        registry.register(Box::new(outbox_backlog.clone()))?;
        registry.register(Box::new(CodeBudgetRefusals::new()?))?;
        let unknown = Arc::new(Method { service: "unknown".into(), name: "unknown".into(), streaming: false });
        Ok(Self {
            registry,
            methods: method_table(),
            unknown,
            handled,
            handling,
            open_streams,
            pool_connections,
            pool_max,
            outbox_backlog,
            db,
        })
    }

    fn method(&self, path: &str) -> Arc<Method> {
        self.methods.get(path).cloned().unwrap_or_else(|| self.unknown.clone())
    }

    fn finish(&self, method: &Method, started: Instant, code: &str, stream_opened: bool) {
        let labels = [method.service.as_str(), method.name.as_str()];
        self.handled.with_label_values(&[labels[0], labels[1], code]).inc();
        self.handling.with_label_values(&labels).observe(started.elapsed().as_secs_f64());
        if stream_opened {
            self.open_streams.with_label_values(&labels).dec();
        }
    }

    /// Reads the pool and the backlog, then renders every metric in the text format.
    pub async fn render(&self) -> String {
        let pool = self.db.pool_state();
        self.pool_connections.with_label_values(&["in_use"]).set(i64::from(pool.in_use()));
        self.pool_connections.with_label_values(&["idle"]).set(i64::from(pool.idle));
        self.pool_max.set(i64::from(pool.max));
        let backlog = self.db.read::<_, mediation_appointments::Error, _>(|conn| {
            Ok(mediation_appointments::repo::backlog(conn).map_err(mediation_store::Error::Query)?)
        });
        // A busy pool must not hang the scraper; the last value stands.
        match tokio::time::timeout(Duration::from_secs(2), backlog).await {
            Ok(Ok(count)) => self.outbox_backlog.set(count),
            Ok(Err(err)) => tracing::warn!(error = %err, "metrics: reading the outbox backlog failed"),
            Err(_) => tracing::warn!("metrics: reading the outbox backlog timed out"),
        }
        TextEncoder::new().encode_to_string(&self.registry.gather()).unwrap_or_else(|err| {
            tracing::error!(error = %err, "metrics: encoding failed");
            String::new()
        })
    }
}

/// `mediation_code_budget_refusals_total`: identity's own count, read at each scrape.
struct CodeBudgetRefusals {
    opts: Opts,
    desc: Desc,
}

impl CodeBudgetRefusals {
    fn new() -> Result<Self, prometheus::Error> {
        let opts = Opts::new(
            "mediation_code_budget_refusals_total",
            "One-time codes refused because the hourly budget of codes to all phones was used up.",
        );
        let desc = opts.describe()?;
        Ok(Self { opts, desc })
    }
}

impl Collector for CodeBudgetRefusals {
    fn desc(&self) -> Vec<&Desc> {
        vec![&self.desc]
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let counter = IntCounter::with_opts(self.opts.clone()).expect("the options described in `new`");
        counter.inc_by(mediation_identity::code_budget_refusals());
        counter.collect()
    }
}

/// The canonical name of a gRPC code, as the metrics label it.
fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

fn grpc_status(headers: &HeaderMap) -> Option<&'static str> {
    let value = headers.get("grpc-status")?.to_str().ok()?.parse::<i32>().ok()?;
    Some(code_name(Code::from_i32(value)))
}

/// Records every call that passes through it.
#[derive(Debug, Clone)]
pub struct MetricsLayer {
    metrics: Arc<Metrics>,
}

impl MetricsLayer {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self { metrics }
    }
}

impl<S> Layer<S> for MetricsLayer {
    type Service = Metered<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Metered { inner, metrics: self.metrics.clone() }
    }
}

#[derive(Debug, Clone)]
pub struct Metered<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

impl<S, B> Service<Request<B>> for Metered<S>
where
    S: Service<Request<B>, Response = Response<Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let metrics = self.metrics.clone();
        let method = metrics.method(request.uri().path());
        let started = Instant::now();
        let call = self.inner.call(request);
        Box::pin(async move {
            let response = match call.await {
                Ok(response) => response,
                Err(err) => {
                    metrics.finish(&method, started, "UNKNOWN", false);
                    return Err(err);
                }
            };
            // Trailers-only: the status is in the headers and the body is empty.
            if let Some(code) = grpc_status(response.headers()) {
                metrics.finish(&method, started, code, false);
                return Ok(response);
            }
            if method.streaming {
                metrics.open_streams.with_label_values(&[method.service.as_str(), method.name.as_str()]).inc();
            }
            let stream_opened = method.streaming;
            let call = Call { metrics, method, started, stream_opened };
            Ok(response.map(|inner| Body::new(MeteredBody { inner, call: Some(call) })))
        })
    }
}

/// A call whose status is still to come.
struct Call {
    metrics: Arc<Metrics>,
    method: Arc<Method>,
    started: Instant,
    stream_opened: bool,
}

impl Call {
    fn finish(self, code: &str) {
        self.metrics.finish(&self.method, self.started, code, self.stream_opened);
    }
}

/// A response body that records its call when the trailers go by, or when it is dropped.
struct MeteredBody {
    inner: Body,
    call: Option<Call>,
}

impl http_body::Body for MeteredBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        let code = match &polled {
            Poll::Ready(Some(Ok(frame))) => frame.trailers_ref().map(|t| grpc_status(t).unwrap_or("UNKNOWN")),
            Poll::Ready(Some(Err(status))) => Some(code_name(status.code())),
            Poll::Ready(None) => Some("UNKNOWN"),
            Poll::Pending => None,
        };
        if let Some(code) = code
            && let Some(call) = self.call.take()
        {
            call.finish(code);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for MeteredBody {
    fn drop(&mut self) {
        if let Some(call) = self.call.take() {
            call.finish("CANCELLED");
        }
    }
}

/// Serves `GET /metrics` on `listener` until `shutdown` completes.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>, shutdown: impl Future<Output = ()>) {
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;

    tokio::pin!(shutdown);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (stream, _) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(error = %err, "metrics: accept failed");
                    continue;
                }
            },
        };
        let metrics = metrics.clone();
        connections.spawn(async move {
            let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                let metrics = metrics.clone();
                async move { Ok::<_, Infallible>(answer(&metrics, &request).await) }
            });
            if let Err(err) =
                hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await
            {
                tracing::debug!(error = %err, "metrics: connection ended with an error");
            }
        });
        // Reap the finished ones so a long-lived process does not collect them.
        while connections.try_join_next().is_some() {}
    }
    connections.abort_all();
}

async fn answer<B>(metrics: &Metrics, request: &Request<B>) -> Response<String> {
    let response = Response::builder();
    if request.uri().path() != "/metrics" {
        return response.status(http::StatusCode::NOT_FOUND).body("not found; try /metrics\n".into()).unwrap();
    }
    if request.method() != http::Method::GET {
        return response.status(http::StatusCode::METHOD_NOT_ALLOWED).body(String::new()).unwrap();
    }
    response
        .header(http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render().await)
        .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_method_is_known_and_streams_are_marked() {
        let table = method_table();
        let watch = &table["/mediation.dispatch.v1.DispatchService/WatchVisit"];
        assert!(watch.streaming);
        assert_eq!(watch.service, "mediation.dispatch.v1.DispatchService");
        assert!(!table["/mediation.identity.v1.IdentityService/Login"].streaming);
        assert!(table["/grpc.health.v1.Health/Watch"].streaming);
    }

    #[test]
    fn status_header_names_its_code() {
        let mut headers = HeaderMap::new();
        assert_eq!(grpc_status(&headers), None);
        headers.insert("grpc-status", "5".parse().unwrap());
        assert_eq!(grpc_status(&headers), Some("NOT_FOUND"));
        headers.insert("grpc-status", "0".parse().unwrap());
        assert_eq!(grpc_status(&headers), Some("OK"));
    }
}
