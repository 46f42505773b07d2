//! Delivers messages to people (verification codes now, reminders later) through the sink the
//! settings name: `log` (development: the message, code included, goes to the server log),
//! `file` (one JSON object a line, for tests and for a relay process), or `webhook` (an HTTP
//! POST of the same JSON to an SMS gateway).
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
