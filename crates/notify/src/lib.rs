//! Delivers messages to people (verification codes now, reminders later) through the sink the
//! settings name: `log` (development: the message, code included, goes to the server log),
//! `file` (one JSON object a line, for tests and for a relay process), or `webhook` (an HTTP
//! POST of the same JSON to an SMS gateway).
//!
//! Besides the sink, [`Webhooks`] POSTs a message to a URL that comes with the message itself
//! (a police station's desk), not from the settings.
//!
//! It knows nothing of accounts or phones beyond the address it is given.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use tokio::io::AsyncWriteExt;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Notification {
    /// The address: an E.164 phone number.
    pub to: String,
    /// What the message is, e.g. `VERIFY` or `KIOSK_SESSION`.
    pub kind: String,
    pub text: String,
    /// The one-time code, when the message carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("unknown notification sink {0:?} (log, file or webhook)")]
    UnknownSink(String),
    #[error("the {0} sink needs notifications.{1}")]
    MissingSetting(&'static str, &'static str),
    #[error("cannot write notification to {path}: {source}")]
    File { path: String, source: std::io::Error },
    #[error("webhook delivery failed: {0}")]
    Webhook(#[from] reqwest::Error),
}

#[derive(Debug)]
pub enum Notifier {
    Log,
    /// Appends under a lock so that concurrent lines never interleave.
    File {
        path: PathBuf,
        lock: tokio::sync::Mutex<()>,
    },
    Webhook {
        client: reqwest::Client,
        url: String,
    },
}

impl Notifier {
    pub fn from_settings(sink: &str, path: Option<&str>, url: Option<&str>) -> Result<Self, Error> {
        match sink {
            "log" => Ok(Notifier::Log),
            "file" => {
                let path = path.filter(|p| !p.is_empty()).ok_or(Error::MissingSetting("file", "path"))?;
                Ok(Notifier::File { path: PathBuf::from(path), lock: tokio::sync::Mutex::new(()) })
            }
            "webhook" => {
                let url = url.filter(|u| !u.is_empty()).ok_or(Error::MissingSetting("webhook", "url"))?;
                let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
                Ok(Notifier::Webhook { client, url: url.to_owned() })
            }
            other => Err(Error::UnknownSink(other.to_owned())),
        }
    }

    pub async fn send(&self, message: &Notification) -> Result<(), Error> {
        match self {
            Notifier::Log => {
                // A development sink: the code is shown so that a newcomer can finish the tour,
                // but the address is masked.
                tracing::info!(to = %mask(&message.to), kind = %message.kind, code = ?message.code, "notification");
                Ok(())
            }
            Notifier::File { path, lock } => {
                let mut line = serde_json::to_string(message).expect("a notification serialises");
                line.push('\n');
                let _guard = lock.lock().await;
                let io = |source| Error::File { path: path.display().to_string(), source };
                let mut file = tokio::fs::OpenOptions::new().create(true).append(true).open(path).await.map_err(io)?;
                file.write_all(line.as_bytes()).await.map_err(io)?;
                file.flush().await.map_err(io)
            }
            Notifier::Webhook { client, url } => {
                client.post(url).json(message).send().await?.error_for_status()?;
                Ok(())
            }
        }
    }
}

/// POSTs messages as JSON (the same object the `webhook` sink sends) to URLs that come with
/// each message, each POST bounded by a timeout. A failure is returned, not retried: the outbox
/// that called it tries the message again later.
#[derive(Debug, Clone)]
pub struct Webhooks {
    client: reqwest::Client,
}

impl Webhooks {
    pub fn new(timeout: Duration) -> Result<Self, Error> {
        Ok(Self { client: reqwest::Client::builder().timeout(timeout).build()? })
    }

    /// Delivered when the URL answers a 2xx status within the timeout. The error leaves the URL
    /// out, since a desk's URL may carry its access token and errors are logged.
    pub async fn post(&self, url: &str, message: &Notification) -> Result<(), Error> {
        let sent = self.client.post(url).json(message).send().await.and_then(reqwest::Response::error_for_status);
        sent.map(drop).map_err(|err| Error::Webhook(err.without_url()))
    }
}

/// All but the first three and last four characters hidden.
fn mask(address: &str) -> String {
    let chars: Vec<char> = address.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - 7;
    chars[..3].iter().chain(std::iter::repeat_n(&'*', hidden)).chain(&chars[chars.len() - 4..]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_addresses_are_masked() {
        assert_eq!(mask("+8613800000001"), "+86*******0001");
        assert_eq!(mask("12345"), "*****");
    }

    #[tokio::test]
    async fn file_sink_writes_one_json_object_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let notifier = Notifier::from_settings("file", path.to_str(), None).unwrap();
        let with_code = Notification {
            to: "+8613800000001".into(),
            kind: "VERIFY".into(),
            text: "code 123456".into(),
            code: Some("123456".into()),
        };
        let without = Notification { code: None, kind: "REMINDER".into(), ..with_code.clone() };
        notifier.send(&with_code).await.unwrap();
        notifier.send(&without).await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["to"], "+8613800000001");
        assert_eq!(lines[0]["code"], "123456");
        assert!(lines[1].get("code").is_none());
    }

    /// One HTTP/1.1 exchange on `listener`: the request's bytes, answered with `status`.
    async fn answer_once(listener: tokio::net::TcpListener, status: &'static str) -> String {
        use tokio::io::AsyncReadExt;
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = socket.read(&mut buf).await.unwrap();
            request.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&request).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text[..end]
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(0);
                if request.len() >= end + 4 + length || n == 0 {
                    break;
                }
            }
        }
        let reply = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        socket.write_all(reply.as_bytes()).await.unwrap();
        String::from_utf8_lossy(&request).to_string()
    }

    #[tokio::test]
    async fn webhooks_post_the_json_and_fail_on_an_error_status() {
        let message =
            Notification { to: "desk".into(), kind: "POLICE_FEEDBACK".into(), text: "结果".into(), code: None };
        let webhooks = Webhooks::new(Duration::from_secs(5)).unwrap();
        for (status, delivered) in [("200 OK", true), ("503 Service Unavailable", false)] {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}/hook", listener.local_addr().unwrap());
            let server = tokio::spawn(answer_once(listener, status));
            let result = webhooks.post(&url, &message).await;
            let request = server.await.unwrap();
            assert_eq!(result.is_ok(), delivered, "{status}: {result:?}");
            if let Err(err) = &result {
                assert!(!err.to_string().contains("/hook"), "the URL stays out of errors: {err}");
            }
            assert!(request.starts_with("POST /hook"), "{request}");
            assert!(request.contains(r#""kind":"POLICE_FEEDBACK""#), "{request}");
        }
    }

    #[tokio::test]
    async fn a_silent_webhook_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let webhooks = Webhooks::new(Duration::from_millis(200)).unwrap();
        let message = Notification { to: "desk".into(), kind: "POLICE_FEEDBACK".into(), text: "x".into(), code: None };
        // The listener accepts (the kernel's backlog) but never answers.
        let result = webhooks.post(&url, &message).await;
        assert!(matches!(result, Err(Error::Webhook(ref e)) if e.is_timeout()), "{result:?}");
        drop(listener);
    }

    #[test]
    fn settings_are_checked() {
        assert!(matches!(Notifier::from_settings("sms", None, None), Err(Error::UnknownSink(_))));
        assert!(matches!(Notifier::from_settings("file", None, None), Err(Error::MissingSetting("file", "path"))));
        assert!(matches!(
            Notifier::from_settings("webhook", None, Some("")),
            Err(Error::MissingSetting("webhook", "url"))
        ));
    }
}
