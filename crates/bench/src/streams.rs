//! `streams`: many residents watching their home visit (DispatchService/WatchVisit) at once
//! while the vans report their positions, and what that costs the server in memory. The server
//! runs as a child process here, so its resident set size is its own: read from
//! `/proc/<pid>/status` when idle, and sampled while the streams are open.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use mediation_api::dispatch::v1 as dispatch;
use mediation_api::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use mediation_api::google::r#type::LatLng;
use serde::Serialize;
use tokio::sync::{Semaphore, watch};
use tonic::metadata::{Ascii, MetadataValue};

use crate::load::{self, Measured, Tally};
use crate::scenario::{Scenario, Shared};

/// Streams being opened at once: a burst of 10,000 opens would only measure the queue.
const OPENING_AT_ONCE: usize = 256;
/// The server's default `server.max_concurrent_streams` is 200 a connection; stay below it.
const STREAMS_PER_CONNECTION: usize = 150;
/// How often the server's memory is sampled while the streams are open.
const RSS_EVERY: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, Copy)]
pub struct StreamOptions {
    pub streams: usize,
    pub connections: usize,
    /// How long the streams stay open with updates flowing.
    pub duration: Duration,
    /// Van position reports a second, spread over the vans.
    pub reports_per_second: f64,
}

/// A process's memory, from `/proc/<pid>/status`, in KiB.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Rss {
    /// Resident set size now.
    pub rss_kib: u64,
    /// The high-water mark of the resident set size since the process started.
    pub peak_kib: u64,
}

/// The `VmRSS` and `VmHWM` lines of a `/proc/<pid>/status` text.
fn parse_status(status: &str) -> Option<Rss> {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some(Rss { rss_kib: field("VmRSS:")?, peak_kib: field("VmHWM:")? })
}

pub fn rss_of(pid: u32) -> Option<Rss> {
    parse_status(&std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?)
}

/// What `streams` measured besides the open latencies.
#[derive(Debug, Clone, Serialize)]
pub struct StreamFigures {
    pub streams_requested: usize,
    pub streams_open: u64,
    pub connections: usize,
    pub seconds_open: f64,
    /// Messages the watchers received while open (the first state of each included).
    pub updates_received: u64,
    pub updates_per_second: f64,
    pub position_reports: u64,
    pub position_report_errors: u64,
    /// The server idle, after seeding and before any load.
    pub server_idle: Option<Rss>,
    /// The most the server held while the streams were open (sampled), and its high-water mark.
    pub server_with_streams: Option<Rss>,
    /// (with streams - idle) / open streams.
    pub kib_per_stream: Option<f64>,
}

/// Opens the streams, keeps them open with van positions flowing, and measures the server.
pub async fn run(
    url: &str,
    server_pid: u32,
    idle: Option<Rss>,
    shared: Arc<Shared>,
    admin_token: MetadataValue<Ascii>,
    options: StreamOptions,
) -> anyhow::Result<(Measured, StreamFigures)> {
    let district = shared.district.clone();
    anyhow::ensure!(!district.visits.is_empty(), "streams needs seeded home visits");
    let connections = options.connections.max(options.streams.div_ceil(STREAMS_PER_CONNECTION));
    let channels = load::connect(url, connections).await?;
    eprintln!("opening {} WatchVisit streams over {connections} connections", options.streams);

    let (stop_tx, stop_rx) = watch::channel(false);
    let received = Arc::new(AtomicU64::new(0));
    let settled = Arc::new(AtomicU64::new(0));
    let opening = Arc::new(Semaphore::new(OPENING_AT_ONCE));
    let started = Instant::now();
    let watchers: Vec<_> = (0..options.streams)
        .map(|i| {
            let (resident, visit_id) = district.visits[i % district.visits.len()].clone();
            let token = shared.resident_tokens[resident].clone();
            let mut client = DispatchServiceClient::new(channels[i % channels.len()].clone());
            let (opening, received, settled, mut stop) =
                (opening.clone(), received.clone(), settled.clone(), stop_rx.clone());
            tokio::spawn(async move {
                let open = async {
                    let _permit = opening.acquire().await.expect("the semaphore stays open");
                    let asked = Instant::now();
                    let mut request = tonic::Request::new(dispatch::WatchVisitRequest { visit_id });
                    request.metadata_mut().insert("authorization", token);
                    let mut stream = client.watch_visit(request).await?.into_inner();
                    // Open once the first message (the visit's state now) is here.
                    stream.message().await?;
                    Ok::<_, tonic::Status>((stream, asked.elapsed()))
                };
                let opened = open.await;
                settled.fetch_add(1, Ordering::Relaxed);
                let (mut stream, took) = opened?;
                received.fetch_add(1, Ordering::Relaxed);
                loop {
                    tokio::select! {
                        _ = stop.changed() => break,
                        message = stream.message() => match message {
                            Ok(Some(_)) => { received.fetch_add(1, Ordering::Relaxed); }
                            Ok(None) | Err(_) => break,
                        },
                    }
                }
                Ok::<_, tonic::Status>(took)
            })
        })
        .collect();

    // Every stream open (or refused) before the updates start.
    while settled.load(Ordering::Relaxed) < options.streams as u64 {
        anyhow::ensure!(started.elapsed() < Duration::from_secs(300), "the streams did not all open in 5 minutes");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("  {} streams open in {:.1} s", received.load(Ordering::Relaxed), started.elapsed().as_secs_f64());

    let open_from = Instant::now();
    let received_before = received.load(Ordering::Relaxed);
    let reports = Arc::new(AtomicU64::new(0));
    let report_errors = Arc::new(AtomicU64::new(0));
    let reporter = {
        let mut client = DispatchServiceClient::new(channels[0].clone());
        let (van_ids, reports, report_errors) = (district.van_ids.clone(), reports.clone(), report_errors.clone());
        let every = Duration::from_secs_f64(1.0 / options.reports_per_second.max(0.1));
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            for n in 0usize.. {
                ticker.tick().await;
                let step = n as f64 * 0.0005;
                let location = LatLng { latitude: 29.82 + step.sin() * 0.05, longitude: 121.55 + step.cos() * 0.05 };
                let request = dispatch::ReportPositionRequest {
                    van_id: van_ids[n % van_ids.len()].clone(),
                    location: Some(location),
                };
                let mut request = tonic::Request::new(request);
                request.metadata_mut().insert("authorization", admin_token.clone());
                match client.report_position(request).await {
                    Ok(_) => reports.fetch_add(1, Ordering::Relaxed),
                    Err(_) => report_errors.fetch_add(1, Ordering::Relaxed),
                };
            }
        })
    };
    let mut with_streams: Option<Rss> = None;
    while open_from.elapsed() < options.duration {
        if let Some(now) = rss_of(server_pid) {
            let most = with_streams.get_or_insert(now);
            most.rss_kib = most.rss_kib.max(now.rss_kib);
            most.peak_kib = most.peak_kib.max(now.peak_kib);
        }
        tokio::time::sleep(RSS_EVERY).await;
    }
    let seconds_open = open_from.elapsed().as_secs_f64();
    let updates = received.load(Ordering::Relaxed) - received_before;
    reporter.abort();
    let _ = stop_tx.send(true);

    let mut tally = Tally::new();
    for watcher in watchers {
        match watcher.await.context("a watcher panicked")? {
            Ok(opened) => {
                let nanos = u64::try_from(opened.as_nanos()).unwrap_or(u64::MAX);
                tally.latency.saturating_record(nanos.max(1));
            }
            Err(status) => *tally.errors.entry(format!("{:?}", status.code())).or_default() += 1,
        }
    }
    let open = tally.ok();
    tally.results = updates;
    let kib_per_stream = match (idle, with_streams) {
        (Some(idle), Some(busy)) if open > 0 => Some(busy.rss_kib.saturating_sub(idle.rss_kib) as f64 / open as f64),
        _ => None,
    };
    let figures = StreamFigures {
        streams_requested: options.streams,
        streams_open: open,
        connections,
        seconds_open,
        updates_received: updates,
        updates_per_second: updates as f64 / seconds_open,
        position_reports: reports.load(Ordering::Relaxed),
        position_report_errors: report_errors.load(Ordering::Relaxed),
        server_idle: idle,
        server_with_streams: with_streams,
        kib_per_stream,
    };
    let measured = Measured {
        name: Scenario::Streams.name(),
        variant_names: Scenario::Streams.variants(),
        seconds: seconds_open,
        total: tally.clone(),
        variants: vec![tally],
        seconds_alone: Vec::new(),
        cpu: None,
    };
    Ok((measured, figures))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_resident_set_from_proc_status() {
        let status = "Name:\tmediation\nVmPeak:\t  900000 kB\nVmHWM:\t   81234 kB\nVmRSS:\t   75000 kB\nThreads:\t3\n";
        let rss = parse_status(status).unwrap();
        assert_eq!((rss.rss_kib, rss.peak_kib), (75_000, 81_234));
        assert!(parse_status("Name:\tx\n").is_none());
    }

    #[test]
    fn this_process_has_a_resident_set() {
        if cfg!(target_os = "linux") {
            let rss = rss_of(std::process::id()).expect("/proc/self/status is readable");
            assert!(rss.rss_kib > 0 && rss.peak_kib >= rss.rss_kib);
        }
    }
}
