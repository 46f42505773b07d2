//! `mediation audit verify` against a real database, on SQLite and PostgreSQL: an intact chain
//! passes; a record edited or deleted with raw SQL (the append-only triggers dropped first, as
//! someone with write access would) makes it exit non-zero naming the first bad record.

use std::process::{Command, Output};

use diesel::RunQueryDsl;
use mediation_audit::{Action, Actor, Event, TargetKind};
use mediation_store::testdb::{POSTGRES_ENV, TestDatabase};
use mediation_store::{Db, DbConnection, PoolSettings};

/// PostgreSQL needs configured privacy keys (SQLite would generate a key file).
const PRIVACY_KEYS: [(&str, &str); 2] = [
    ("MEDIATION__PRIVACY__CURRENT_KEY", "audit1:YXVkaXQtdGVzdC1zZWFsaW5nLWtleS0zMi1ieXRlcyE="),
    ("MEDIATION__PRIVACY__INDEX_KEY", "audit-index1:YXVkaXQtdGVzdC1ibGluZC1pbmRleC1rZXktMzJieXQ="),
];

fn mediation(db: &TestDatabase, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mediation"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("MEDIATION__") {
            command.env_remove(key);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    command
        .args(args)
        .env("MEDIATION__DATABASE__URL", db.url())
        .env("MEDIATION__PRIVACY__KEY_FILE", dir.path().join("keys").display().to_string())
        .envs(PRIVACY_KEYS)
        .output()
        .expect("runs the binary")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Runs SQL outside any transaction.
async fn sql(db: &Db, statements: &'static [&'static str]) -> Result<(), mediation_store::Error> {
    db.read::<_, mediation_store::Error, _>(move |conn| {
        for statement in statements {
            match conn {
                DbConnection::Sqlite(c) => diesel::sql_query(*statement).execute(c)?,
                DbConnection::Pg(c) => diesel::sql_query(*statement).execute(c)?,
            };
        }
        Ok(())
    })
    .await
}

async fn verify_detects_edits_and_deletions(db: TestDatabase, drop_triggers: &'static [&'static str]) {
    let migrated = mediation(&db, &["migrate"]);
    assert!(migrated.status.success(), "{}", text(&migrated));
    let pool = Db::connect(db.url(), &PoolSettings::default()).unwrap();
    pool.write::<_, mediation_store::Error, _>(|conn| {
        let actor = Actor {
            account_id: "admin-1".into(),
            role: "CENTRE_ADMIN".into(),
            peer: "192.0.2.10".into(),
            kiosk_id: String::new(),
        };
        for n in 1..=4 {
            let event =
                Event::new(Action::PersonalDataRead, TargetKind::Case, format!("case-{n}"), "parties via GetCase");
            mediation_audit::repo::append(conn, &actor, event, chrono::Utc::now())?;
        }
        Ok(())
    })
    .await
    .unwrap();

    let intact = mediation(&db, &["audit", "verify"]);
    assert!(intact.status.success(), "{}", text(&intact));
    assert!(text(&intact).contains("intact: 4 records"), "{}", text(&intact));

    // The triggers refuse a change made by mistake.
    let refused = sql(&pool, &["UPDATE audit_events SET detail = 'nothing' WHERE seq = 2"]).await;
    assert!(refused.is_err(), "audit_events must refuse updates");

    sql(&pool, drop_triggers).await.unwrap();
    sql(&pool, &["UPDATE audit_events SET detail = 'nothing to see' WHERE seq = 2"]).await.unwrap();
    let edited = mediation(&db, &["audit", "verify"]);
    assert_eq!(edited.status.code(), Some(2), "{}", text(&edited));
    assert!(text(&edited).contains("broken at record 2"), "{}", text(&edited));

    // Deleting the edited record instead leaves a gap, named as such.
    sql(&pool, &["DELETE FROM audit_events WHERE seq = 2"]).await.unwrap();
    let deleted = mediation(&db, &["audit", "verify"]);
    assert_eq!(deleted.status.code(), Some(2), "{}", text(&deleted));
    assert!(text(&deleted).contains("record 2 is missing"), "{}", text(&deleted));

    // Cutting the last record off is caught by the head.
    sql(&pool, &["DELETE FROM audit_events WHERE seq >= 2"]).await.unwrap();
    let truncated = mediation(&db, &["audit", "verify"]);
    assert_eq!(truncated.status.code(), Some(2), "{}", text(&truncated));
    assert!(text(&truncated).contains("removed from the end"), "{}", text(&truncated));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_sqlite() {
    verify_detects_edits_and_deletions(
        TestDatabase::sqlite(),
        &["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_postgres() {
    match TestDatabase::postgres() {
        Some(db) => {
            verify_detects_edits_and_deletions(db, &["ALTER TABLE audit_events DISABLE TRIGGER USER"]).await;
        }
        None => eprintln!("skipped: set {POSTGRES_ENV} to run on PostgreSQL"),
    }
}
