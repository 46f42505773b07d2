use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use mediation_gateway::{Application, Settings, telemetry};

/// The mediation booking backend.
#[derive(Debug, Parser)]
#[command(name = "mediation", version)]
struct Cli {
    /// A TOML settings file, read after the defaults and before MEDIATION__* variables.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway (migrates the database first): every service, or those `--services`
    /// names; services with an `upstreams.<service>` address are forwarded there.
    Serve {
        /// Serve only these, comma-separated: identity, directory, appointments, ratings,
        /// dispatch, audit (overrides `server.services`).
        #[arg(long, value_delimiter = ',')]
        services: Vec<String>,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Create a CENTRE_ADMIN, or reset its password; the password is read from standard input.
    CreateAdmin {
        #[arg(long)]
        login: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Load the Yinzhou demo district (a centre, 24 stations with kiosks and rooms, 72 mediators,
    /// a login per role) and print the demo logins. Running it again duplicates nothing: it resets
    /// the district in place and prints a new password and kiosk secrets. Mediators get weekly
    /// working hours; vans are added with issue #6.
    SeedDemo,
    /// Re-seal every phone, name and address under `privacy.current_key` and recompute the phone
    /// indexes under `privacy.index_key`, in batches; safe to stop and rerun. Rotate a key by
    /// making the new one current with the old one in `privacy.previous_keys`, running this,
    /// then dropping the old one. Also seals rows left in clear by a database from before
    /// encryption.
    Rekey {
        /// Rows re-sealed per transaction.
        #[arg(long, default_value_t = 500)]
        batch: i64,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Plan a Solomon-format VRPTW instance through the dispatch planner and print one JSON
    /// object: vehicles, distance, routes (customer numbers in visiting order), the customers
    /// left out and why, and whether the plan is feasible (every customer served, every rule
    /// kept). Exits with status 2 when it is not.
    SolveVrptw {
        file: PathBuf,
        /// The planner's time limit.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Stop after this many generations of the search, if that comes first.
        #[arg(long, default_value_t = 1_000_000_000)]
        generations: usize,
        /// Draw every random choice from this seed and search on one thread: as repeatable as
        /// vrp-core allows (it also steers by how long its steps took, so runs can still differ).
        #[arg(long)]
        seed: Option<u64>,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Walk the hash chain from the first record and check every record's hash, its link to the
    /// one before, and the chain's head. Prints the number of records and the head's hash (note
    /// it somewhere else: it vouches for everything before it); exits with status 2 naming the
    /// first bad record when a record was edited or deleted.
    Verify,
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    if let Command::SolveVrptw { file, seconds, generations, seed } = &cli.command {
        let limits = mediation_dispatch::domain::planner::Limits {
            max_seconds: *seconds,
            max_generations: *generations,
            seed: *seed,
        };
        let report = mediation_dispatch::solve_vrptw(file, limits).with_context(|| format!("{}", file.display()))?;
        println!("{}", serde_json::to_string(&report)?);
        return Ok(if report.feasible { ExitCode::SUCCESS } else { ExitCode::from(2) });
    }
    let mut settings = Settings::load(cli.config.as_deref())?;
    if let Command::Serve { services } = &cli.command
        && !services.is_empty()
    {
        settings.server.services = services.clone();
    }
    telemetry::init(&settings.log);
    match cli.command {
        Command::Serve { .. } => {
            let app = Application::build(settings).await?;
            app.run_until_stopped(shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            mediation_gateway::startup_db(&settings).await?;
            println!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::SeedDemo => {
            let db = mediation_gateway::startup_db(&settings).await?;
            let district = mediation_gateway::demo::seed_demo(&db).await?;
            println!("{district}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Rekey { batch } => {
            let db = mediation_gateway::startup_db(&settings).await?;
            let report = mediation_gateway::rekey::rekey(&db, batch).await?;
            println!("{report}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { command: AuditCommand::Verify } => {
            let db = mediation_gateway::startup_db(&settings).await?;
            match mediation_gateway::verify_audit(&db).await? {
                Ok((records, head)) => {
                    println!("audit chain intact: {records} records, head {head}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(broken) => {
                    eprintln!("audit chain broken at record {}: {broken}", broken.seq());
                    // Returned, not process::exit: the pool's connections close and the runtime
                    // stops before the process ends, instead of exit handlers racing live libpq
                    // threads (seen as a death by signal on PostgreSQL).
                    drop(db);
                    Ok(ExitCode::from(2))
                }
            }
        }
        Command::SolveVrptw { .. } => unreachable!("handled before the settings are read"),
        Command::CreateAdmin { login, password_stdin: _ } => {
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password).context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let db = mediation_gateway::startup_db(&settings).await?;
            let id = mediation_identity::create_admin(&db, &login, password)
                .await
                .map_err(|err| anyhow::anyhow!("{}", mediation_identity::to_status(err).message()))?;
            println!("centre admin {login:?} ready (account {id})");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Ctrl-C, or SIGTERM from a process manager.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
