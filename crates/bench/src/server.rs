//! The gateway under test: run in this process on a free loopback port, exactly as
//! `mediation serve` builds it, or as a child process of the real `mediation` binary when its
//! memory must be measured on its own (`streams`). Also the throwaway PostgreSQL database a run
//! may create and drop.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use diesel::{Connection, RunQueryDsl};
use mediation_auth::{Principal, Role, TokenKeys};
use mediation_gateway::{Application, Settings};
use mediation_store::{Backend, Db};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// How long a child gateway may take to migrate and answer its first health check.
const CHILD_START_TIMEOUT: Duration = Duration::from_secs(60);
/// Tokens the bench mints last longer than any run.
const TOKEN_TTL: chrono::Duration = chrono::Duration::hours(6);

enum Running {
    InProcess { stop: Option<oneshot::Sender<()>>, task: Option<JoinHandle<anyhow::Result<()>>> },
    Child(std::process::Child),
}

pub struct Server {
    addr: SocketAddr,
    db: Db,
    running: Running,
    tokens: TokenKeys,
    /// Holds the fresh SQLite file and the settings file until the run ends.
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts a gateway on `database_url`, or on a new SQLite file in a temporary folder: in
    /// this process, or with `child_binary` as `<binary> serve` in a process of its own.
    pub async fn start(database_url: Option<&str>, child_binary: Option<&Path>) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir().context("creating a temporary folder")?;
        let url = match database_url {
            Some(url) => url.to_owned(),
            None => format!("sqlite://{}", dir.path().join("bench.db").display()),
        };
        let config = dir.path().join("gateway.toml");
        let listen = match child_binary {
            None => "127.0.0.1:0".to_owned(),
            Some(_) => format!("127.0.0.1:{}", free_port()?),
        };
        std::fs::write(&config, settings_file(&listen, &url)).context("writing the gateway's settings")?;
        let settings = Settings::load(Some(&config))?;
        let (addr, db, running) = match child_binary {
            None => start_in_process(settings.clone()).await?,
            Some(binary) => start_child(binary, &config, listen.parse::<SocketAddr>()?, &settings).await?,
        };
        // The signing key the server generated and stored, so the bench can mint its callers'
        // tokens without a login (and argon2) per caller.
        let pem = mediation_identity::load_signing_key(&db, None).await.context("reading the signing key")?;
        let tokens = TokenKeys::from_pem(&pem, &settings.auth.issuer, &settings.auth.audience)?;
        Ok(Self { addr, db, running, tokens, _dir: dir })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn backend(&self) -> &'static str {
        match self.db.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// The child gateway's process id; `None` in process.
    pub fn child_pid(&self) -> Option<u32> {
        match &self.running {
            Running::Child(child) => Some(child.id()),
            Running::InProcess { .. } => None,
        }
    }

    /// A bearer token for `account_id` in `role`, signed with the server's key.
    pub fn token(&self, account_id: &str, role: Role) -> anyhow::Result<String> {
        self.token_at(account_id, role, None)
    }

    /// A bearer token for a staff account of `site_id`.
    pub fn token_at(&self, account_id: &str, role: Role, site_id: Option<&str>) -> anyhow::Result<String> {
        let principal =
            Principal { account_id: account_id.to_owned(), role, site_id: site_id.map(str::to_owned), kiosk_id: None };
        Ok(self.tokens.issue(&principal, chrono::Utc::now(), TOKEN_TTL)?.0)
    }

    /// Stops the gateway gracefully and waits for it.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        match &mut self.running {
            Running::InProcess { stop, task } => {
                if let Some(stop) = stop.take() {
                    let _ = stop.send(());
                }
                match task.take() {
                    Some(task) => task.await.context("the server task panicked")?,
                    None => Ok(()),
                }
            }
            Running::Child(child) => {
                // SIGTERM drains in-flight calls; `kill` spares a libc dependency for one signal.
                let _ = std::process::Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
                let asked = Instant::now();
                while child.try_wait().context("waiting for the gateway")?.is_none() {
                    if asked.elapsed() > Duration::from_secs(15) {
                        child.kill().context("killing the gateway")?;
                        child.wait().context("waiting for the gateway")?;
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Ok(())
            }
        }
    }
}

/// A random key in the `<id>:<base64 of 32 bytes>` form the privacy settings take.
fn random_key(id: &str) -> String {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::random();
    format!("{id}:{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// The gateway's settings for a run, as a TOML file both a child process and this process
/// read: the listen address, the database, no per-peer limit (every load client calls from
/// 127.0.0.1, so the limit would measure itself), quiet logs, and fresh keys for sealing
/// personal data (PostgreSQL refuses to start without them).
fn settings_file(listen: &str, url: &str) -> String {
    format!(
        "[server]\nlisten = \"{listen}\"\nshutdown_grace_secs = 5\npublic_calls_per_second_per_peer = 0\n\
         calls_per_second_per_principal = 0\n\
         [database]\nurl = \"{url}\"\n[log]\nfilter = \"warn\"\n\
         [privacy]\ncurrent_key = \"{}\"\nindex_key = \"{}\"\n",
        random_key("bench"),
        random_key("bench-index")
    )
}

async fn start_in_process(settings: Settings) -> anyhow::Result<(SocketAddr, Db, Running)> {
    let application = Application::build(settings).await.context("starting the gateway")?;
    let addr = application.local_addr();
    let db = application.db().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(application.run_until_stopped(async {
        let _ = stopped.await;
    }));
    Ok((addr, db, Running::InProcess { stop: Some(stop), task: Some(task) }))
}

/// A free loopback port: bound, then released for the child to bind.
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn start_child(
    binary: &Path,
    config: &Path,
    addr: SocketAddr,
    settings: &Settings,
) -> anyhow::Result<(SocketAddr, Db, Running)> {
    anyhow::ensure!(
        binary.exists(),
        "no gateway binary at {} (cargo build --release -p mediation-gateway)",
        binary.display()
    );
    let mut child = std::process::Command::new(binary)
        .arg("--config")
        .arg(config)
        .arg("serve")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let started = Instant::now();
    loop {
        if let Ok(channel) = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?.connect().await
            && HealthClient::new(channel).check(HealthCheckRequest { service: String::new() }).await.is_ok()
        {
            break;
        }
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("the gateway exited before serving: {status}");
        }
        if started.elapsed() > CHILD_START_TIMEOUT {
            let _ = child.kill();
            anyhow::bail!("the gateway at {addr} did not come up");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The child migrated the database; the bench seeds it through a pool of its own, opened
    // as the gateway opens it (with the keys that seal personal data).
    let db = mediation_gateway::startup_db(settings).await.context("opening the database")?;
    Ok((addr, db, Running::Child(child)))
}

/// The default `mediation` binary: next to this one (both in target/release).
pub fn default_gateway_binary() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("mediation")))
        .unwrap_or_else(|| PathBuf::from("mediation"))
}

/// A PostgreSQL database created for one run on a server and dropped (with its connections)
/// when the run ends.
pub struct ScratchPostgres {
    server: String,
    name: String,
}

impl ScratchPostgres {
    /// `server` is `postgres://user@host:port` (any database part is ignored).
    pub fn create(server: &str) -> anyhow::Result<Self> {
        let server = server_url(server);
        let name = format!("mediation_bench_{}", uuid::Uuid::new_v4().simple());
        let mut admin = diesel::PgConnection::establish(&format!("{server}/postgres"))
            .with_context(|| format!("connecting to PostgreSQL at {server}"))?;
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).context("CREATE DATABASE")?;
        Ok(Self { server, name })
    }

    pub fn url(&self) -> String {
        format!("{}/{}", self.server, self.name)
    }
}

impl Drop for ScratchPostgres {
    fn drop(&mut self) {
        if let Ok(mut admin) = diesel::PgConnection::establish(&format!("{}/postgres", self.server)) {
            let _ =
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).execute(&mut admin);
        }
    }
}

/// `postgres://user@host:port/anything` -> `postgres://user@host:port`.
fn server_url(url: &str) -> String {
    let url = url.trim_end_matches('/');
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => url[..after_scheme + slash].to_owned(),
        None => url.to_owned(),
    }
}

impl Drop for Server {
    /// A child left running by an error on the way is killed rather than orphaned.
    fn drop(&mut self) {
        if let Running::Child(child) = &mut self.running
            && child.try_wait().ok().flatten().is_none()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_part_of_a_url() {
        assert_eq!(server_url("postgres://postgres@127.0.0.1:5432"), "postgres://postgres@127.0.0.1:5432");
        assert_eq!(server_url("postgres://postgres@127.0.0.1:5432/x/"), "postgres://postgres@127.0.0.1:5432");
    }
}
