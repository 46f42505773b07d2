use tracing::Instrument;

/// Runs blocking work (a database call, an argon2 hash) on tokio's blocking pool, inside the
/// caller's tracing span so that its logs stay attached to the request.
pub async fn run_blocking<T, F>(work: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    let handle = tokio::task::spawn_blocking(move || span.in_scope(work));
    match handle.instrument(tracing::Span::current()).await {
        Ok(value) => value,
        // A panic in blocking work is a bug; carry it to the caller's task like a direct call.
        Err(err) => std::panic::resume_unwind(err.into_panic()),
    }
}
