//! The web consoles on the gRPC port: their pages and assets from `consoles.dir`, nothing
//! outside it, a hint when they are not built, and gRPC untouched beside them. (The screens
//! themselves are tested in a browser by `web/tests/run.sh`.) Nothing here touches storage, so
//! these run on SQLite only.

use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tonic_health::pb::health_client::HealthClient;

use crate::common::*;

struct Answer {
    status: StatusCode,
    headers: http::HeaderMap,
    body: String,
}

async fn get(app: &TestApp, path: &str) -> Answer {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let response = client.get(format!("{}{path}", app.url()).parse().unwrap()).await.expect("answers");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("a whole body").to_bytes();
    Answer { status: parts.status, headers: parts.headers, body: String::from_utf8_lossy(&body).into_owned() }
}

fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer.headers.get(name).map(|v| v.to_str().unwrap()).unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_consoles_are_served_beside_grpc_and_nothing_else_from_their_folder() {
    let root = tempfile::tempdir().unwrap();
    let built = root.path().join("dist");
    std::fs::create_dir_all(built.join("assets")).unwrap();
    std::fs::write(built.join("board.html"), "<!doctype html><title>board</title>").unwrap();
    std::fs::write(built.join("kiosk.html"), "<!doctype html><title>kiosk</title>").unwrap();
    std::fs::write(built.join("assets/board-1a2B_c.js"), "console.log(1)").unwrap();
    std::fs::write(root.path().join("secret.txt"), "not for the web").unwrap();
    let dir = built.display().to_string();
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.consoles.dir = dir).await;

    let board = get(&app, "/board").await;
    assert_eq!((board.status, board.body.as_str()), (StatusCode::OK, "<!doctype html><title>board</title>"));
    assert_eq!(header(&board, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&board, "cache-control"), "no-cache");
    assert!(header(&board, "content-security-policy").contains("connect-src 'self'"), "{:?}", board.headers);
    assert_eq!(get(&app, "/kiosk/").await.body, "<!doctype html><title>kiosk</title>");

    let script = get(&app, "/assets/board-1a2B_c.js").await;
    assert_eq!((script.status, script.body.as_str()), (StatusCode::OK, "console.log(1)"));
    assert_eq!(header(&script, "content-type"), "text/javascript; charset=utf-8");
    assert!(header(&script, "cache-control").contains("immutable"));

    for missing in ["/assets/missing.js", "/centre"] {
        assert_eq!(get(&app, missing).await.status, StatusCode::NOT_FOUND, "{missing}");
    }
    // Names that are not plain file names are not console paths at all: they go on to gRPC,
    // which refuses a GET.
    for outside in ["/assets/..%2f..%2fsecret.txt", "/assets/%2e%2e/board.html", "/assets/../../secret.txt"] {
        let answer = get(&app, outside).await;
        assert!(answer.status.is_client_error(), "{outside}: {}", answer.status);
        assert!(!answer.body.contains("not for the web"), "{outside}");
    }

    // gRPC on the same port is untouched.
    let mut health = HealthClient::new(app.channel().await);
    health.check(tonic_health::pb::HealthCheckRequest { service: String::new() }).await.expect("serving");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_the_built_consoles_says_how_to_build_them() {
    let empty = tempfile::tempdir().unwrap();
    let dir = empty.path().display().to_string();
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.consoles.dir = dir).await;
    let board = get(&app, "/board").await;
    assert_eq!(board.status, StatusCode::NOT_FOUND);
    assert!(board.body.contains("npm --prefix web ci && npm --prefix web run build"), "{}", board.body);

    let off = TestApp::spawn_with(Backend::Sqlite, |s| s.consoles.dir = String::new()).await;
    let board = get(&off, "/board").await;
    assert_eq!(board.status, StatusCode::NOT_FOUND);
    assert!(board.body.contains("off"), "{}", board.body);
}
