//! One-time codes and the client's address, against abuse: codes go only to the countries the
//! settings list; only a signed-in kiosk may have a KIOSK_SESSION code sent; an hourly budget of
//! codes to all phones holds across replicas and is counted in the metrics; a registration is
//! refused by its cheap checks before any argon2 hash is run; SendPhoneCode and VerifyPhone answer
//! alike whether a phone is unknown, waits for verification or is verified; and the failed-login
//! limit and the audit log see the client behind a trusted proxy, not the proxy.

use std::sync::Arc;

use diesel::prelude::*;
use mediation_api::audit::v1 as audit;
use mediation_api::audit::v1::audit_service_client::AuditServiceClient;
use mediation_api::identity::v1 as pb;
use mediation_api::identity::v1::identity_service_server::IdentityService;
use mediation_api::status::reason;
use mediation_identity::domain::CodeRules;
use mediation_identity::{Identity, IdentitySettings, Notifier, TokenKeys};
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

use crate::common::*;

both_backends!(
    codes_go_only_to_the_listed_countries,
    only_a_kiosk_has_kiosk_session_codes_sent,
    the_hourly_code_budget_holds_across_replicas,
    a_refused_registration_runs_no_hash,
    code_answers_do_not_tell_whose_phone_waits,
    behind_a_trusted_proxy_the_client_is_limited_and_audited,
);

fn send(phone: &str, purpose: pb::PhoneCodePurpose) -> pb::SendPhoneCodeRequest {
    pb::SendPhoneCodeRequest { phone: phone.into(), purpose: purpose.into() }
}

fn register(phone: &str) -> pb::RegisterResidentRequest {
    pb::RegisterResidentRequest { phone: phone.into(), password: PASSWORD.into(), display_name: "王芳".into() }
}

fn verify(phone: &str, code: &str) -> pb::VerifyPhoneRequest {
    pb::VerifyPhoneRequest { phone: phone.into(), code: code.into() }
}

/// A code that is not `code`.
fn other_than(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}

fn count_accounts(url: &str) -> i64 {
    use mediation_store::schema::accounts;
    let db = mediation_store::Db::connect(url, &Default::default()).unwrap();
    let rt = tokio::runtime::Handle::current();
    tokio::task::block_in_place(|| {
        rt.block_on(
            db.read(|conn| accounts::table.count().get_result::<i64>(conn).map_err(mediation_store::Error::from)),
        )
    })
    .unwrap()
}

/// Moves every phone code two hours into the past, as if that much time had gone by.
fn age_codes(url: &str) {
    use mediation_store::schema::phone_codes;
    let db = mediation_store::Db::connect(url, &Default::default()).unwrap();
    let rt = tokio::runtime::Handle::current();
    let two_hours = chrono::Duration::hours(2);
    let rows: Vec<(String, chrono::NaiveDateTime, chrono::NaiveDateTime)> = tokio::task::block_in_place(|| {
        rt.block_on(db.read(|conn| {
            phone_codes::table
                .select((phone_codes::id, phone_codes::created_at, phone_codes::expires_at))
                .load(conn)
                .map_err(mediation_store::Error::from)
        }))
    })
    .unwrap();
    for (id, created_at, expires_at) in rows {
        tokio::task::block_in_place(|| {
            rt.block_on(db.read(move |conn| {
                diesel::update(phone_codes::table.find(id))
                    .set((
                        phone_codes::created_at.eq(created_at - two_hours),
                        phone_codes::expires_at.eq(expires_at - two_hours),
                    ))
                    .execute(conn)
                    .map_err(mediation_store::Error::from)
            }))
        })
        .unwrap();
    }
}

/// How many notifications went to `phone` (E.164).
fn sent_to(app: &TestApp, phone: &str) -> usize {
    app.notifications().iter().filter(|n| n["to"] == phone).count()
}

/// A kiosk at a kiosk site, logged in: its access token.
async fn kiosk(app: &TestApp, admin: &str) -> String {
    let (_, _, [kiosk_site, _]) = app.district(admin).await;
    let mut client = app.identity().await;
    let provision =
        pb::ProvisionKioskRequest { request_id: new_request_id(), site_id: kiosk_site, name: "警务亭".into() };
    let kiosk = client.provision_kiosk(authed(provision, admin)).await.expect("provisions").into_inner();
    let login = pb::KioskLoginRequest { kiosk_id: kiosk.kiosk_id, secret: kiosk.secret };
    client.kiosk_login(login).await.expect("the kiosk logs in").into_inner().access_token
}

async fn codes_go_only_to_the_listed_countries(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.identity().await;
    // Anyone may ask, so by default codes go to mainland numbers only: not to premium-rate
    // numbers abroad, nor Hong Kong's +852.
    for phone in ["+447911123456", "+85291234567", "+14155550123"] {
        let refused = client.send_phone_code(send(phone, pb::PhoneCodePurpose::Verify)).await;
        let status = assert_status(refused, Code::InvalidArgument, reason::VALIDATION);
        assert_eq!(violated_fields(&status), ["phone"], "{phone}");
        assert!(status.message().contains("+86"), "{status:?}");
        let refused = client.register_resident(register(phone)).await;
        assert_eq!(violated_fields(&assert_status(refused, Code::InvalidArgument, reason::VALIDATION)), ["phone"]);
    }
    assert_eq!(count_accounts(app.db_url()), 0);
    assert!(app.notifications().is_empty(), "nothing was sent");
    client.register_resident(register("13800000201")).await.expect("mainland numbers still register");

    // The list is a setting.
    let wider = TestApp::spawn_with(backend, |s| s.auth.code_country_codes = vec!["86".into(), "44".into()]).await;
    wider.identity().await.register_resident(register("+447911123456")).await.expect("+44 is listed");
    assert_eq!(sent_to(&wider, "+447911123456"), 1);
    let refused = wider.identity().await.register_resident(register("+14155550123")).await;
    assert_status(refused, Code::InvalidArgument, reason::VALIDATION);
}

async fn only_a_kiosk_has_kiosk_session_codes_sent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.centre_admin().await.access_token;
    let kiosk = kiosk(&app, &admin).await;
    let resident = app.resident("13800000211").await.access_token;
    let mut client = app.identity().await;
    let before = app.notifications().len();

    let walk_in = || send("13700000212", pb::PhoneCodePurpose::KioskSession);
    assert_status(client.send_phone_code(walk_in()).await, Code::PermissionDenied, reason::FORBIDDEN);
    for token in [&resident, &admin] {
        let refused = client.send_phone_code(authed(walk_in(), token)).await;
        assert_status(refused, Code::PermissionDenied, reason::FORBIDDEN);
    }
    // A forged token is no kiosk either: on a public method it counts as none.
    assert_status(client.send_phone_code(authed(walk_in(), "forged")).await, Code::PermissionDenied, reason::FORBIDDEN);
    assert_eq!(app.notifications().len(), before, "nothing was sent");

    client.send_phone_code(authed(walk_in(), &kiosk)).await.expect("a kiosk asks");
    assert_eq!(sent_to(&app, "+8613700000212"), 1);
    let abroad = client.send_phone_code(authed(send("+447911123456", pb::PhoneCodePurpose::KioskSession), &kiosk));
    assert_eq!(violated_fields(&assert_status(abroad.await, Code::InvalidArgument, reason::VALIDATION)), ["phone"]);
    // VERIFY codes stay public.
    client.send_phone_code(send("13700000213", pb::PhoneCodePurpose::Verify)).await.expect("VERIFY is public");
}

async fn the_hourly_code_budget_holds_across_replicas(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.auth.codes_per_hour = 3).await;
    let replica = spawn_gateway(app.settings_with(|s| s.metrics.listen = "127.0.0.1:0".into())).await;
    let metrics = replica.metrics_addr.expect("metrics.listen was set");
    let refusals = |text: &str| sample(text, "mediation_code_budget_refusals_total").expect("the counter is exported");
    let refused_before = refusals(&scrape(metrics, "/metrics").await.1);
    let mut here = app.identity().await;
    let mut there = pb::identity_service_client::IdentityServiceClient::new(replica.channel().await);

    // Three codes, each to another phone and by either process, use the hour's budget up.
    here.register_resident(register("13800000221")).await.expect("first code");
    there.register_resident(register("13800000222")).await.expect("second code");
    there.send_phone_code(send("13800000223", pb::PhoneCodePurpose::Verify)).await.expect("third code (never sent)");
    let refused = here.send_phone_code(send("13800000224", pb::PhoneCodePurpose::Verify)).await;
    let status = assert_status(refused, Code::ResourceExhausted, reason::RATE_LIMITED);
    assert!(status.get_error_details().retry_info().is_some(), "{status:?}");
    let refused = there.register_resident(register("13800000225")).await;
    assert_status(refused, Code::ResourceExhausted, reason::RATE_LIMITED);
    let refused = here.register_resident(register("13800000226")).await;
    assert_status(refused, Code::ResourceExhausted, reason::RATE_LIMITED);
    assert_eq!(count_accounts(app.db_url()), 2, "refused registrations write nothing");
    assert_eq!(app.notifications().len(), 2);

    // Each refusal is counted (the counter is the process's, and tests share the process).
    let refused_after = refusals(&scrape(metrics, "/metrics").await.1);
    assert!(refused_after >= refused_before + 3.0, "{refused_before} then {refused_after}");

    // An hour later the budget is there again.
    age_codes(app.db_url());
    here.send_phone_code(send("13800000224", pb::PhoneCodePurpose::Verify)).await.expect("a new hour");
}

async fn a_refused_registration_runs_no_hash(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = mediation_gateway::startup_db(&app.settings).await.unwrap();
    let pem = mediation_auth::generate_signing_key_pem();
    let keys = Arc::new(TokenKeys::from_pem(&pem, "mediation", "mediation-api").unwrap());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("codes.jsonl");
    let notifier = Arc::new(Notifier::from_settings("file", file.to_str(), None).unwrap());
    let settings = IdentitySettings {
        codes: CodeRules { budget_per_hour: 3, ..CodeRules::default() },
        ..IdentitySettings::default()
    };
    let identity = Identity::new(db, keys, notifier, settings, mediation_directory::repo::site_ref);
    let registered = |phone: &str| IdentityService::register_resident(&identity, Request::new(register(phone)));

    registered("13800000231").await.expect("registers");
    assert_eq!(identity.argon2_runs(), 1, "the registration's password");
    let refusals: [(&str, Code, &str); 2] = [
        ("13800000231", Code::FailedPrecondition, reason::REGISTRATION_PENDING),
        ("+447911123456", Code::InvalidArgument, reason::VALIDATION),
    ];
    for (phone, code, why) in refusals {
        assert_status(registered(phone).await, code, why);
        assert_eq!(identity.argon2_runs(), 1, "{phone}: refused ({why}) without hashing");
    }

    // A verified phone is taken.
    let text = std::fs::read_to_string(&file).unwrap();
    let sent: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let code = sent["code"].as_str().unwrap();
    IdentityService::verify_phone(&identity, Request::new(verify("13800000231", code))).await.expect("verifies");
    assert_status(registered("13800000231").await, Code::AlreadyExists, reason::ALREADY_EXISTS);
    assert_eq!(identity.argon2_runs(), 1, "a taken phone costs no hash");

    // The per-phone sending limit: a code was just recorded for this phone.
    let code_request = Request::new(send("13800000232", pb::PhoneCodePurpose::Verify));
    IdentityService::send_phone_code(&identity, code_request).await.expect("a code (never sent)");
    assert_status(registered("13800000232").await, Code::ResourceExhausted, reason::RATE_LIMITED);
    assert_eq!(identity.argon2_runs(), 1, "a phone over its sending limit costs no hash");

    // The hourly budget: the third code uses it up, the fourth registration is refused unhashed.
    registered("13800000233").await.expect("the third code");
    assert_eq!(identity.argon2_runs(), 2);
    assert_status(registered("13800000234").await, Code::ResourceExhausted, reason::RATE_LIMITED);
    assert_eq!(identity.argon2_runs(), 2, "the used-up budget costs no hash");
}

/// What a client sees of an answer: its code, reason and message. The seconds a RATE_LIMITED
/// message names are counted from the phone's last code, the same moment for every phone here,
/// give or take the calls between; they are masked so the comparison does not hang on them.
fn seen<T>(answer: &Result<T, Status>) -> (Code, String, String) {
    match answer {
        Ok(_) => (Code::Ok, String::new(), String::new()),
        Err(status) => {
            let reason = status.get_error_details().error_info().map(|info| info.reason.clone()).unwrap_or_default();
            let message: String = status.message().chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect();
            (status.code(), reason, message)
        }
    }
}

async fn code_answers_do_not_tell_whose_phone_waits(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.resident("13800000241").await;
    let mut client = app.identity().await;
    client.register_resident(register("13800000242")).await.expect("registers, unverified");
    // Time passes: the registration's code has expired and the sending limits have forgotten it.
    age_codes(app.db_url());
    let (verified, waiting, unknown) = ("13800000241", "13800000242", "13800000243");
    let phones = [verified, waiting, unknown];
    let sent_before = app.notifications().len();

    // Two SendPhoneCode in a row, each round the same answer for every phone.
    for round in 0..2 {
        let mut answers = Vec::new();
        for phone in phones {
            answers.push(seen(&client.send_phone_code(send(phone, pb::PhoneCodePurpose::Verify)).await));
        }
        assert!(answers.iter().all(|a| *a == answers[0]), "round {round}: {answers:?}");
        let expected = if round == 0 { Code::Ok } else { Code::ResourceExhausted };
        assert_eq!(answers[0].0, expected, "round {round}: {answers:?}");
    }
    // Only the phone waiting for verification was sent a code.
    assert_eq!(app.notifications().len(), sent_before + 1);
    let code = app.last_code(&format!("+86{waiting}"));

    // VerifyPhone: wrong codes until the tries are used up, then the right one, and a phone
    // that was never sent anything: one answer throughout.
    let never_asked = "13800000244";
    for attempt in 0..6 {
        let mut answers = Vec::new();
        for phone in [verified, waiting, unknown, never_asked] {
            let tried = if phone == waiting && attempt == 5 { code.as_str() } else { other_than(&code) };
            answers.push(seen(&client.verify_phone(verify(phone, tried)).await));
        }
        assert!(answers.iter().all(|a| *a == answers[0]), "attempt {attempt}: {answers:?}");
        assert_eq!(
            answers[0],
            (
                Code::FailedPrecondition,
                reason::CODE_INVALID.to_owned(),
                "code: the code is wrong, used up or expired; ask for a new one".to_owned()
            ),
            "attempt {attempt}"
        );
    }
    let unverified = client.login(pb::LoginRequest { login: waiting.into(), password: PASSWORD.into() }).await;
    assert_status(unverified, Code::FailedPrecondition, reason::PHONE_NOT_VERIFIED);
}

async fn behind_a_trusted_proxy_the_client_is_limited_and_audited(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        s.auth.max_failures_per_peer = 3;
        s.auth.max_failures_per_login = 100;
    })
    .await;
    let mut client = app.identity().await;
    let from = |client_address: &str, login: &str| {
        let mut request = Request::new(pb::LoginRequest { login: login.into(), password: "not the password".into() });
        request.metadata_mut().insert("x-forwarded-for", client_address.parse().unwrap());
        request
    };
    for n in 0..3 {
        let wrong = client.login(from("198.51.100.7", &format!("nobody.{n}"))).await;
        assert_status(wrong, Code::Unauthenticated, reason::BAD_CREDENTIALS);
    }
    let limited = client.login(from("198.51.100.7", "nobody.3")).await;
    assert_status(limited, Code::ResourceExhausted, reason::RATE_LIMITED);
    // Another client behind the same proxy has failures of its own to spend.
    let other = client.login(from("198.51.100.8", "nobody.4")).await;
    assert_status(other, Code::Unauthenticated, reason::BAD_CREDENTIALS);

    // The audit log names the client too.
    let admin = app.centre_admin().await.access_token;
    let staff = pb::CreateStaffAccountRequest {
        request_id: new_request_id(),
        login: "dispatch.proxied".into(),
        password: PASSWORD.into(),
        role: pb::Role::Dispatcher.into(),
        site_id: String::new(),
        display_name: "调度员".into(),
    };
    let mut request = authed(staff, &admin);
    request.metadata_mut().insert("x-forwarded-for", "198.51.100.9".parse().unwrap());
    let created = client.create_staff_account(request).await.expect("creates").into_inner();
    let mut audit_client = AuditServiceClient::new(app.channel().await);
    let listed = audit::ListAuditEventsRequest { action: "ACCOUNT_CREATED".into(), ..Default::default() };
    let events = audit_client.list_audit_events(authed(listed, &admin)).await.expect("lists").into_inner().events;
    let event = events.iter().find(|e| e.target_id == created.id).expect("the creation is recorded");
    assert_eq!(event.peer, "198.51.100.9");
}
