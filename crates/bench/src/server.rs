//! The gateway under test, run in this process on a free loopback port, exactly as
//! `mediation serve` builds it.

use std::net::SocketAddr;

use anyhow::Context as _;
use mediation_gateway::{Application, Settings};
use mediation_store::{Backend, Db};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct Server {
    addr: SocketAddr,
    db: Db,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    /// Holds the fresh SQLite file until the run ends.
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts a gateway on `database_url`, or on a new SQLite file in a temporary folder.
    pub async fn start(database_url: Option<&str>) -> anyhow::Result<Self> {
        let (url, dir) = match database_url {
            Some(url) => (url.to_owned(), None),
            None => {
                let dir = tempfile::tempdir().context("creating a temporary folder")?;
                (format!("sqlite://{}", dir.path().join("bench.db").display()), Some(dir))
            }
        };
        let mut settings = Settings::load(None)?;
        settings.server.listen = "127.0.0.1:0".into();
        settings.server.shutdown_grace_secs = 5;
        // Every load client calls from 127.0.0.1: the per-peer limit would measure itself.
        settings.server.public_calls_per_second_per_peer = 0;
        settings.database.url = url;
        let application = Application::build(settings).await.context("starting the gateway")?;
        let addr = application.local_addr();
        let db = application.db().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(application.run_until_stopped(async {
            let _ = stopped.await;
        }));
        Ok(Self { addr, db, stop: Some(stop), task: Some(task), _dir: dir })
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

    /// Stops the gateway gracefully and waits for it.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.context("the server task panicked")?,
            None => Ok(()),
        }
    }
}
