//! The consoles: the web screens built from `web/` (the dispatcher's board, the kiosk, the
//! centre's dashboard, the resident's tracking page), served on the same port as gRPC and
//! grpc-web so that a browser needs no second origin and no CORS. Only GET and HEAD of the
//! console pages and of `/assets/<file>` are answered here; every other request, gRPC and
//! grpc-web included, goes on to the services untouched. The screens call the public API like
//! any phone app: nothing here reads the database or skips the auth layer.
//!
//! Files come from `consoles.dir` (default `web/dist`, what `npm --prefix web run build`
//! writes), read on each request, so a rebuild needs no restart. Paths map to a fixed set of
//! pages, and asset names are plain file names, so no request can name a file outside the
//! folder. A server started without the built folder logs how to build it and answers the
//! console paths 404 with the same hint.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use tonic::body::Body;
use tower::{Layer, Service};

/// The pages and the paths that open them; `/track/<token>` opens the tracking page.
const PAGES: [(&str, &str); 4] =
    [("/", "index.html"), ("/board", "board.html"), ("/kiosk", "kiosk.html"), ("/centre", "centre.html")];
const TRACK_PREFIX: &str = "/track/";
const TRACK_PAGE: &str = "track.html";
const ASSETS_PREFIX: &str = "/assets/";

/// Scripts and styles from this origin only; calls back to this origin only.
const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                      img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

const NOT_BUILT: &str = "the consoles are not built: run `npm --prefix web ci && npm --prefix web run build` \
                         in the repository, or set consoles.dir to a built folder\n";

/// Serves the consoles from `dir`, or, with `None`, answers their paths with how to build them.
#[derive(Debug, Clone)]
pub struct ConsolesLayer {
    dir: Option<Arc<PathBuf>>,
}

impl ConsolesLayer {
    /// `dir` empty turns the consoles off; a folder without the built pages is logged once.
    pub fn new(dir: &str) -> Self {
        if dir.is_empty() {
            tracing::info!("consoles off (consoles.dir is empty)");
            return Self { dir: None };
        }
        let dir = PathBuf::from(dir);
        if dir.join("board.html").is_file() {
            tracing::info!(dir = %dir.display(), "serving the consoles at /board, /kiosk, /centre and /track/<token>");
        } else {
            tracing::warn!(dir = %dir.display(), "{}", NOT_BUILT.trim_end());
        }
        Self { dir: Some(Arc::new(dir)) }
    }
}

impl<S> Layer<S> for ConsolesLayer {
    type Service = Consoles<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Consoles { inner, dir: self.dir.clone() }
    }
}

#[derive(Debug, Clone)]
pub struct Consoles<S> {
    inner: S,
    dir: Option<Arc<PathBuf>>,
}

/// What a request path names among the consoles' files, if anything.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    Page(&'static str),
    Asset(String),
}

fn target(path: &str) -> Option<Target> {
    let trimmed = if path.len() > 1 { path.trim_end_matches('/') } else { path };
    if let Some((_, page)) = PAGES.iter().find(|(route, _)| *route == trimmed) {
        return Some(Target::Page(page));
    }
    if let Some(token) = path.strip_prefix(TRACK_PREFIX) {
        return (!token.is_empty() && !token.contains('/')).then_some(Target::Page(TRACK_PAGE));
    }
    let name = path.strip_prefix(ASSETS_PREFIX)?;
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    plain.then(|| Target::Asset(name.to_owned()))
}

fn content_type(name: &str) -> &'static str {
    match Path::new(name).extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" | "map" => "application/json",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn full(bytes: Bytes) -> Body {
    Body::new(Full::new(bytes))
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut response = Response::new(full(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

async fn serve(dir: Option<Arc<PathBuf>>, target: Target, head: bool) -> Response<Body> {
    let Some(dir) = dir else {
        return plain(StatusCode::NOT_FOUND, "the consoles are off on this server (consoles.dir is empty)\n");
    };
    let (path, name, immutable) = match &target {
        Target::Page(page) => (dir.join(page), *page, false),
        // Built assets carry a content hash in their names, so they never change.
        Target::Asset(name) => (dir.join("assets").join(name), name.as_str(), true),
    };
    let bytes = match tokio::fs::read(&path).await {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return if matches!(target, Target::Page(_)) && !dir.join("board.html").is_file() {
                plain(StatusCode::NOT_FOUND, NOT_BUILT)
            } else {
                plain(StatusCode::NOT_FOUND, "not found\n")
            };
        }
        Err(error) => {
            tracing::error!(path = %path.display(), %error, "reading a console file");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "could not read the file\n");
        }
    };
    let length = bytes.len();
    let mut response = Response::new(if head { Body::empty() } else { full(Bytes::from(bytes)) });
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(name)));
    headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static(if immutable { "public, max-age=31536000, immutable" } else { "no-cache" }),
    );
    if !immutable {
        headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    }
    response
}

impl<S, B> Service<Request<B>> for Consoles<S>
where
    S: Service<Request<B>, Response = Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let method = request.method();
        if method == Method::GET || method == Method::HEAD {
            if let Some(target) = target(request.uri().path()) {
                let head = method == Method::HEAD;
                let dir = self.dir.clone();
                return Box::pin(async move { Ok(serve(dir, target, head).await) });
            }
        }
        let call = self.inner.call(request);
        Box::pin(call)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_paths_map_to_their_pages_and_nothing_else() {
        assert_eq!(target("/"), Some(Target::Page("index.html")));
        assert_eq!(target("/board"), Some(Target::Page("board.html")));
        assert_eq!(target("/kiosk/"), Some(Target::Page("kiosk.html")));
        assert_eq!(target("/centre"), Some(Target::Page("centre.html")));
        assert_eq!(target("/track/abc-123"), Some(Target::Page("track.html")));
        assert_eq!(target("/assets/board-Dx1_a.js"), Some(Target::Asset("board-Dx1_a.js".into())));
        for refused in [
            "/track/",
            "/track/a/b",
            "/assets/",
            "/assets/../Cargo.toml",
            "/assets/..",
            "/assets/.env",
            "/assets/a/b.js",
            "/assets/%2e%2e%2fsecret",
            "/board.html",
            "/mediation.identity.v1.IdentityService/Login",
            "/grpc.health.v1.Health/Check",
        ] {
            assert_eq!(target(refused), None, "{refused}");
        }
    }

    #[test]
    fn built_files_get_their_types() {
        assert_eq!(content_type("board.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("board-1a2b.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("style-1a2b.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("unknown.bin"), "application/octet-stream");
    }
}
