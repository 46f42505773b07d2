//! The issue's own load driver: h2load (Debian's `nghttp2-client`) in a process of its own,
//! one connection per call in flight, repeating one encoded request, so that the figures can be
//! set beside the ones measured that way before any tuning. It decodes no answer, where the
//! tonic workers decode every one on the same two cores; the two drivers' figures are not
//! interchangeable, and BENCHMARKS.md says which driver each figure comes from.
//!
//! h2load sees HTTP statuses only, and a failed gRPC call is an HTTP 200 too. So each request
//! is first sent once through tonic as the same bytes and must come back OK, and afterwards the
//! answers' bytes must average what that answer weighed: a failure (no answer message) or a
//! wrong path would fall short.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use bytes::{Buf, BufMut};
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;

use crate::load::{self, LoadOptions, Measured, Tally};
use crate::scenario::WireCall;

/// gRPC's frame header before each message: a compression flag and a four-byte length.
const FRAME_HEADER: usize = 5;
/// How far the answers' average size may stray from the checked answer's: a fixed query's
/// answer is the same every time, but a month's availability loses a slot as the clock passes
/// one (one of up to 200). One call in fifty failing shows.
const SIZE_TOLERANCE: f64 = 0.02;

/// Drives `call` with h2load for `options`' warm-up and window and returns the window as the
/// tonic driver would, all of it in `variant`'s tally.
pub async fn run(
    name: &'static str,
    variant_names: &'static [&'static str],
    variant: usize,
    call: &WireCall,
    url: &str,
    channel: &Channel,
    options: LoadOptions,
) -> anyhow::Result<Measured> {
    let answer = check(channel, call).await.with_context(|| format!("{name}: the request h2load would repeat"))?;
    let dir = tempfile::tempdir().context("creating a temporary folder for h2load")?;
    let body = dir.path().join("request");
    std::fs::write(&body, framed(&call.message)).context("writing h2load's request")?;
    let log = dir.path().join("requests.tsv");

    let mut command = tokio::process::Command::new("h2load");
    command
        .args(["--clients", &options.concurrency.to_string(), "--max-concurrent-streams", "1", "--threads", "1"])
        // No `--warm-up-time`: h2load would count the warm-up's bytes but not its requests. The
        // window is cut from the log instead, as the tonic driver cuts it.
        .args(["--duration", &millis(options.warmup + options.duration)])
        .arg("--data")
        .arg(&body)
        .arg("--log-file")
        .arg(&log)
        .args(["--header", "content-type: application/grpc", "--header", "te: trailers"]);
    if let Some(authorization) = &call.authorization {
        command.args(["--header", &format!("authorization: {authorization}")]);
    }
    command.arg(format!("{url}{}", call.path)).kill_on_drop(true);
    let started = Instant::now();
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH)?;
    let from = u64::try_from((since_epoch + options.warmup).as_micros())?;
    let until = from + u64::try_from(options.duration.as_micros())?;
    let measure_from = started + options.warmup;
    let sampled = load::cores_busy(measure_from, measure_from + options.duration);
    let (output, cpu) = tokio::join!(command.output(), sampled);
    let output = output.context("running h2load (apt install nghttp2-client)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "h2load failed ({}): {}{}",
        output.status,
        stdout,
        String::from_utf8_lossy(&output.stderr)
    );

    let mut tally = Tally::new();
    let rows = std::fs::read_to_string(&log).context("reading h2load's log")?;
    let mut answers: u32 = 0;
    for row in rows.lines() {
        let (start, status, micros) = parse_row(row).with_context(|| format!("h2load's log row {row:?}"))?;
        answers += 1;
        if start < from || start + micros > until {
            continue;
        }
        if status == 200 {
            tally.latency.saturating_record((micros * 1_000).max(1));
        } else {
            *tally.errors.entry(format!("HTTP {status}")).or_default() += 1;
        }
    }
    let data = data_bytes(&stdout).context("h2load's traffic line")?;
    let weighed = data as f64 / f64::from(answers.max(1));
    let expected = (answer + FRAME_HEADER) as f64;
    anyhow::ensure!(
        (weighed - expected).abs() <= SIZE_TOLERANCE * expected,
        "{name}: h2load's answers average {weighed:.0} bytes where the checked answer has {expected}: some calls failed"
    );

    let seconds = options.duration.as_secs_f64();
    let mut variants: Vec<Tally> = variant_names.iter().map(|_| Tally::new()).collect();
    variants[variant].add(&tally);
    let mut seconds_alone = vec![0.0; variant_names.len()];
    seconds_alone[variant] = seconds;
    Ok(Measured { name, variant_names, seconds, total: tally, variants, seconds_alone, cpu })
}

/// Sends `call`'s bytes once through tonic and returns the length of the OK answer.
async fn check(channel: &Channel, call: &WireCall) -> anyhow::Result<usize> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.context("the connection to the gateway")?;
    let mut request = tonic::Request::new(call.message.clone());
    if let Some(authorization) = &call.authorization {
        request.metadata_mut().insert("authorization", authorization.parse()?);
    }
    let path = PathAndQuery::try_from(call.path.as_str())?;
    let answer = grpc.unary(request, path, Bytes).await.with_context(|| format!("{} answered", call.path))?;
    Ok(answer.into_inner().len())
}

fn framed(message: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(FRAME_HEADER + message.len());
    frame.push(0);
    frame.extend_from_slice(&u32::try_from(message.len()).expect("a request under 4 GiB").to_be_bytes());
    frame.extend_from_slice(message);
    frame
}

fn millis(duration: Duration) -> String {
    format!("{}ms", duration.as_millis().max(1))
}

/// A row of h2load's `--log-file`: start (µs since the epoch), HTTP status, µs to the answer's end.
fn parse_row(row: &str) -> Option<(u64, u16, u64)> {
    let mut columns = row.split('\t');
    let mut next = || columns.next().map(str::trim);
    Some((next()?.parse().ok()?, next()?.parse().ok()?, next()?.parse().ok()?))
}

/// The DATA bytes h2load received: the figure in brackets before "data" on its `traffic:` line.
fn data_bytes(stdout: &str) -> Option<u64> {
    let line = stdout.lines().find(|line| line.starts_with("traffic:"))?;
    let before = &line[..line.rfind(" data")?];
    let bracket = &before[before.rfind('(')? + 1..before.rfind(')')?];
    bracket.parse().ok()
}

/// Messages as bytes, in and out: the request is already encoded, and only the answer's size
/// is wanted.
#[derive(Debug, Clone, Copy)]
struct Bytes;

impl Codec for Bytes {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Bytes;
    type Decoder = Bytes;

    fn encoder(&mut self) -> Self::Encoder {
        Bytes
    }

    fn decoder(&mut self) -> Self::Decoder {
        Bytes
    }
}

impl Encoder for Bytes {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Bytes {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let mut message = vec![0; src.remaining()];
        src.copy_to_slice(&mut message);
        Ok(Some(message))
    }
}

/// Whether h2load is on the machine.
pub fn installed() -> bool {
    std::process::Command::new("h2load").arg("--version").output().is_ok_and(|o| o.status.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_h2load_output() {
        let stdout = "finished in 2.00s, 1000.00 req/s, 1.00MB/s\n\
                      requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored, 0 timeout\n\
                      traffic: 1.95MB (2045000) total, 39.06KB (40000) headers (space savings 90.00%), 1.86MB (1950000) data\n";
        assert_eq!(data_bytes(stdout), Some(1_950_000));
        assert_eq!(parse_row("1765000000123456\t200\t431"), Some((1_765_000_000_123_456, 200, 431)));
        assert_eq!(parse_row("1765000000123456\t-1\t431"), None);
        assert_eq!(framed(&[7, 8]), vec![0, 0, 0, 0, 2, 7, 8]);
        assert_eq!(millis(Duration::from_secs_f64(0.5)), "500ms");
    }
}
