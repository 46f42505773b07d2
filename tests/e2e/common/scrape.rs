//! Reading a gateway's Prometheus endpoint.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};

/// GETs `path` from the metrics listener at `addr`: (status, body).
pub async fn scrape(addr: SocketAddr, path: &str) -> (http::StatusCode, String) {
    let client =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let response = client.get(format!("http://{addr}{path}").parse().unwrap()).await.expect("the endpoint answers");
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

/// The value of the sample whose name and labels start with `series`.
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find(|line| line.starts_with(series)).and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

/// How many calls of `service`'s `method` were answered with `code`, by `grpc_server_handled_total`.
pub fn handled_total(text: &str, service: &str, method: &str, code: &str) -> Option<f64> {
    sample(
        text,
        &format!(
            "grpc_server_handled_total{{grpc_code=\"{code}\",grpc_method=\"{method}\",grpc_service=\"{service}\"}}"
        ),
    )
}
