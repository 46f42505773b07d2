use chrono::{Duration, Utc};
use diesel::prelude::*;
use mediation_api::identity::v1 as pb;
use mediation_api::status::reason;
use mediation_auth::{Principal, Role, TokenKeys};
use tonic::Code;

use crate::common::*;

both_backends!(
    resident_journey,
    malformed_phone_is_refused_and_writes_nothing,
    forged_and_stale_tokens_are_refused,
    data_survives_a_restart,
    phone_codes_are_limited,
    failed_logins_are_limited,
    staff_accounts_follow_the_admin_hierarchy,
    creates_are_idempotent,
    kiosks_log_in_and_start_resident_sessions,
    a_refresh_token_works_once_even_when_raced,
);

async fn resident_journey(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.identity().await;

    let registered = client
        .register_resident(pb::RegisterResidentRequest {
            phone: "+86 138 0000 0001".into(),
            password: PASSWORD.into(),
            display_name: " 王芳 ".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let account = registered.account.unwrap();
    assert_eq!(account.phone_masked, "138****0001");
    assert_eq!(account.display_name, "王芳");
    assert!(!account.phone_verified);
    let sent = app.notifications();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["to"], "+8613800000001");
    assert_eq!(sent[0]["kind"], "VERIFY");

    let unverified = client.login(pb::LoginRequest { login: "13800000001".into(), password: PASSWORD.into() }).await;
    assert_status(unverified, Code::FailedPrecondition, reason::PHONE_NOT_VERIFIED);

    let code = app.last_code("+8613800000001");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = client.verify_phone(pb::VerifyPhoneRequest { phone: "13800000001".into(), code: wrong.into() }).await;
    let status = assert_status(refused, Code::FailedPrecondition, reason::CODE_INVALID);
    assert_eq!(violated_fields(&status), ["code"]);
    let verified =
        client.verify_phone(pb::VerifyPhoneRequest { phone: "13800000001".into(), code: code.clone() }).await;
    assert!(verified.unwrap().into_inner().account.unwrap().phone_verified);
    // A code works once.
    let reused = client.verify_phone(pb::VerifyPhoneRequest { phone: "13800000001".into(), code }).await;
    assert_status(reused, Code::FailedPrecondition, reason::CODE_INVALID);

    assert_status(client.get_me(pb::GetMeRequest {}).await, Code::Unauthenticated, reason::TOKEN_INVALID);
    let tokens = app.login("+8613800000001", PASSWORD).await;
    assert!(!tokens.refresh_token.is_empty());
    let me = client.get_me(authed(pb::GetMeRequest {}, &tokens.access_token)).await.unwrap().into_inner();
    assert_eq!(me.id, account.id);
    assert_eq!(me.role(), pb::Role::Resident);
    assert_eq!(me.phone_masked, "138****0001");

    let wrong_password =
        client.login(pb::LoginRequest { login: "13800000001".into(), password: "not the password".into() }).await;
    assert_status(wrong_password, Code::Unauthenticated, reason::BAD_CREDENTIALS);
    let unknown = client.login(pb::LoginRequest { login: "13900000009".into(), password: PASSWORD.into() }).await;
    assert_status(unknown, Code::Unauthenticated, reason::BAD_CREDENTIALS);

    // Refresh rotates; the rotated-out token is dead, and using it kills the new one too.
    let rotated =
        client.refresh(pb::RefreshRequest { refresh_token: tokens.refresh_token.clone() }).await.unwrap().into_inner();
    assert_ne!(rotated.refresh_token, tokens.refresh_token);
    assert_eq!(rotated.refresh_expires_at, tokens.refresh_expires_at, "a family keeps its absolute expiry");
    client.get_me(authed(pb::GetMeRequest {}, &rotated.access_token)).await.unwrap();
    let replayed = client.refresh(pb::RefreshRequest { refresh_token: tokens.refresh_token.clone() }).await;
    assert_status(replayed, Code::Unauthenticated, reason::REFRESH_TOKEN_REUSED);
    let revoked = client.refresh(pb::RefreshRequest { refresh_token: rotated.refresh_token.clone() }).await;
    assert_status(revoked, Code::Unauthenticated, reason::REFRESH_TOKEN_REUSED);

    // Logout revokes the family of a fresh session.
    let session = app.login("13800000001", PASSWORD).await;
    client.logout(pb::LogoutRequest { refresh_token: session.refresh_token.clone() }).await.unwrap();
    client.logout(pb::LogoutRequest { refresh_token: session.refresh_token.clone() }).await.unwrap();
    let after_logout = client.refresh(pb::RefreshRequest { refresh_token: session.refresh_token }).await;
    assert_eq!(after_logout.unwrap_err().code(), Code::Unauthenticated);
    let garbage = client.refresh(pb::RefreshRequest { refresh_token: "not-a-token".into() }).await;
    assert_status(garbage, Code::Unauthenticated, reason::TOKEN_INVALID);
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

async fn malformed_phone_is_refused_and_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.identity().await;
    for phone in ["12800000001", "1380000000", "+86138", "abc", "447911123456"] {
        let refused = client
            .register_resident(pb::RegisterResidentRequest {
                phone: phone.into(),
                password: PASSWORD.into(),
                display_name: "李四".into(),
            })
            .await;
        let status = assert_status(refused, Code::InvalidArgument, reason::VALIDATION);
        assert_eq!(violated_fields(&status), ["phone"], "{phone}");
    }
    let everything_wrong = client
        .register_resident(pb::RegisterResidentRequest {
            // Present but wrong: a missing REQUIRED field is named by the gateway first.
            phone: "12".into(),
            password: "short".into(),
            display_name: " ".into(),
        })
        .await;
    let status = assert_status(everything_wrong, Code::InvalidArgument, reason::VALIDATION);
    assert_eq!(violated_fields(&status), ["phone", "password", "display_name"]);
    assert_eq!(count_accounts(app.db_url()), 0);
    assert!(app.notifications().is_empty());
}

async fn forged_and_stale_tokens_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let tokens = app.resident("13800000002").await;
    let mut client = app.identity().await;
    let me = client.get_me(authed(pb::GetMeRequest {}, &tokens.access_token)).await.unwrap().into_inner();

    let db = mediation_gateway::startup_db(&app.settings).await.unwrap();
    let pem = mediation_identity::load_signing_key(&db, None).await.unwrap();
    let principal = Principal { account_id: me.id.clone(), role: Role::Resident, site_id: None, kiosk_id: None };
    let same_key = TokenKeys::from_pem(&pem, "mediation", "mediation-api").unwrap();
    let (expired, _) = same_key.issue(&principal, Utc::now() - Duration::hours(2), Duration::minutes(15)).unwrap();
    assert_status(
        client.get_me(authed(pb::GetMeRequest {}, &expired)).await,
        Code::Unauthenticated,
        reason::TOKEN_EXPIRED,
    );

    let other_audience = TokenKeys::from_pem(&pem, "mediation", "someone-else").unwrap();
    let (foreign, _) = other_audience.issue(&principal, Utc::now(), Duration::minutes(15)).unwrap();
    assert_status(
        client.get_me(authed(pb::GetMeRequest {}, &foreign)).await,
        Code::Unauthenticated,
        reason::TOKEN_INVALID,
    );

    let parts: Vec<&str> = tokens.access_token.split('.').collect();
    let alg_none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1]);
    assert_status(
        client.get_me(authed(pb::GetMeRequest {}, &alg_none)).await,
        Code::Unauthenticated,
        reason::TOKEN_INVALID,
    );
    let mut signature = parts[2].to_owned();
    let flipped = if signature.ends_with('A') { 'B' } else { 'A' };
    signature.replace_range(signature.len() - 2.., &format!("{flipped}{flipped}"));
    let tampered = format!("{}.{}.{}", parts[0], parts[1], signature);
    assert_status(
        client.get_me(authed(pb::GetMeRequest {}, &tampered)).await,
        Code::Unauthenticated,
        reason::TOKEN_INVALID,
    );
    assert_status(
        client.get_me(authed(pb::GetMeRequest {}, "garbage")).await,
        Code::Unauthenticated,
        reason::TOKEN_INVALID,
    );
}

async fn data_survives_a_restart(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let tokens = app.resident("13800000003").await;
    app.restart().await;
    let mut client = app.identity().await;
    // The signing key is kept in the database, so tokens from before the restart still verify.
    client.get_me(authed(pb::GetMeRequest {}, &tokens.access_token)).await.unwrap();
    client.refresh(pb::RefreshRequest { refresh_token: tokens.refresh_token }).await.unwrap();
    app.login("13800000003", PASSWORD).await;
}

async fn phone_codes_are_limited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.identity().await;
    client
        .register_resident(pb::RegisterResidentRequest {
            phone: "13800000004".into(),
            password: PASSWORD.into(),
            display_name: "赵六".into(),
        })
        .await
        .unwrap();
    let again = client
        .send_phone_code(pb::SendPhoneCodeRequest {
            phone: "13800000004".into(),
            purpose: pb::PhoneCodePurpose::Verify.into(),
        })
        .await;
    let status = assert_status(again, Code::ResourceExhausted, reason::RATE_LIMITED);
    assert!(tonic_types::StatusExt::get_error_details(&status).retry_info().is_some());
    assert_eq!(app.notifications().len(), 1);

    let missing_purpose =
        client.send_phone_code(pb::SendPhoneCodeRequest { phone: "13800000004".into(), purpose: 0 }).await;
    assert_eq!(
        violated_fields(&assert_status(missing_purpose, Code::InvalidArgument, reason::VALIDATION)),
        ["purpose"]
    );

    // Five wrong tries use the code up; the right code is then refused too.
    let code = app.last_code("+8613800000004");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let refused =
            client.verify_phone(pb::VerifyPhoneRequest { phone: "13800000004".into(), code: wrong.into() }).await;
        assert_status(refused, Code::FailedPrecondition, reason::CODE_INVALID);
    }
    let used_up = client.verify_phone(pb::VerifyPhoneRequest { phone: "13800000004".into(), code }).await;
    assert_status(used_up, Code::FailedPrecondition, reason::CODE_INVALID);

    // A VERIFY code for an unknown phone answers the same but sends nothing.
    client
        .send_phone_code(pb::SendPhoneCodeRequest {
            phone: "13900000000".into(),
            purpose: pb::PhoneCodePurpose::Verify.into(),
        })
        .await
        .unwrap();
    assert_eq!(app.notifications().len(), 1);
}

async fn failed_logins_are_limited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.resident("13800000005").await;
    let mut client = app.identity().await;
    for _ in 0..5 {
        let wrong =
            client.login(pb::LoginRequest { login: "13800000005".into(), password: "wrong password".into() }).await;
        assert_status(wrong, Code::Unauthenticated, reason::BAD_CREDENTIALS);
    }
    let blocked = client.login(pb::LoginRequest { login: "13800000005".into(), password: PASSWORD.into() }).await;
    assert_status(blocked, Code::ResourceExhausted, reason::RATE_LIMITED);
}

async fn staff_accounts_follow_the_admin_hierarchy(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let centre = app.centre_admin().await;
    let (_, [station_1, station_2], [kiosk_1, _]) = app.district(&centre.access_token).await;
    let mut client = app.identity().await;
    let create = |login: &str, role: pb::Role, site: &str| pb::CreateStaffAccountRequest {
        request_id: new_request_id(),
        login: login.into(),
        password: PASSWORD.into(),
        role: role.into(),
        site_id: site.into(),
        display_name: "张伟".into(),
    };

    let station_admin = client
        .create_staff_account(authed(create("admin.s1", pb::Role::StationAdmin, &station_1), &centre.access_token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(station_admin.site_id, station_1);
    assert_eq!(station_admin.role(), pb::Role::StationAdmin);
    let dispatcher = client
        .create_staff_account(authed(create("dispatch.centre", pb::Role::Dispatcher, ""), &centre.access_token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(dispatcher.site_id, "", "centre-wide staff need no site");

    let s1 = app.login("admin.s1", PASSWORD).await;
    let mediator = client
        .create_staff_account(authed(create("mediator.s1", pb::Role::Mediator, ""), &s1.access_token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mediator.site_id, station_1, "a station admin's staff belong to its station");
    let elsewhere = client
        .create_staff_account(authed(create("mediator.s2", pb::Role::Mediator, &station_2), &s1.access_token))
        .await;
    assert_status(elsewhere, Code::PermissionDenied, reason::FORBIDDEN);
    let promote =
        client.create_staff_account(authed(create("boss", pb::Role::CentreAdmin, &station_1), &s1.access_token)).await;
    assert_status(promote, Code::PermissionDenied, reason::FORBIDDEN);

    let mediator_tokens = app.login("mediator.s1", PASSWORD).await;
    let by_mediator = client
        .create_staff_account(authed(create("x.y", pb::Role::Mediator, &station_1), &mediator_tokens.access_token))
        .await;
    assert_status(by_mediator, Code::PermissionDenied, reason::FORBIDDEN);
    let resident = app.resident("13800000006").await;
    let by_resident =
        client.create_staff_account(authed(create("x.z", pb::Role::Mediator, ""), &resident.access_token)).await;
    assert_status(by_resident, Code::PermissionDenied, reason::FORBIDDEN);

    let taken =
        client.create_staff_account(authed(create("mediator.s1", pb::Role::Mediator, ""), &s1.access_token)).await;
    assert_eq!(violated_fields(&assert_status(taken, Code::AlreadyExists, reason::ALREADY_EXISTS)), ["login"]);
    let resident_role =
        client.create_staff_account(authed(create("r.r", pb::Role::Resident, ""), &centre.access_token)).await;
    assert_eq!(violated_fields(&assert_status(resident_role, Code::InvalidArgument, reason::VALIDATION)), ["role"]);
    let bad_id = pb::CreateStaffAccountRequest { request_id: "again".into(), ..create("q.q", pb::Role::Mediator, "") };
    let bad_id = client.create_staff_account(authed(bad_id, &centre.access_token)).await;
    assert_eq!(violated_fields(&assert_status(bad_id, Code::InvalidArgument, reason::VALIDATION)), ["request_id"]);

    let nowhere = client
        .create_staff_account(authed(create("m.nowhere", pb::Role::Mediator, "no-such-site"), &centre.access_token))
        .await;
    assert_eq!(violated_fields(&assert_status(nowhere, Code::InvalidArgument, reason::VALIDATION)), ["site_id"]);
    let at_kiosk = client
        .create_staff_account(authed(create("m.kiosk", pb::Role::Mediator, &kiosk_1), &centre.access_token))
        .await;
    assert_eq!(violated_fields(&assert_status(at_kiosk, Code::InvalidArgument, reason::VALIDATION)), ["site_id"]);
    let siteless_admin = client
        .create_staff_account(authed(create("admin.none", pb::Role::StationAdmin, ""), &centre.access_token))
        .await;
    assert_eq!(violated_fields(&assert_status(siteless_admin, Code::InvalidArgument, reason::VALIDATION)), ["site_id"]);

    let me = client.get_me(authed(pb::GetMeRequest {}, &mediator_tokens.access_token)).await.unwrap().into_inner();
    assert_eq!((me.role(), me.login.as_str(), me.phone_masked.as_str()), (pb::Role::Mediator, "mediator.s1", ""));
}

async fn creates_are_idempotent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let centre = app.centre_admin().await;
    let (_, [station_1, _], _) = app.district(&centre.access_token).await;
    let mut client = app.identity().await;
    let request = pb::CreateStaffAccountRequest {
        request_id: new_request_id(),
        login: "mediator.one".into(),
        password: PASSWORD.into(),
        role: pb::Role::Mediator.into(),
        site_id: station_1,
        display_name: "陈静".into(),
    };
    let first = client.create_staff_account(authed(request.clone(), &centre.access_token)).await.unwrap().into_inner();
    let retry = client.create_staff_account(authed(request.clone(), &centre.access_token)).await.unwrap().into_inner();
    assert_eq!(first, retry);
    let changed = pb::CreateStaffAccountRequest { login: "mediator.two".into(), ..request };
    let reused = client.create_staff_account(authed(changed, &centre.access_token)).await;
    assert_eq!(
        violated_fields(&assert_status(reused, Code::InvalidArgument, reason::IDEMPOTENCY_KEY_REUSED)),
        ["request_id"]
    );
    assert_eq!(count_accounts(app.db_url()), 2, "the admin and one mediator");
}

async fn kiosks_log_in_and_start_resident_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let centre = app.centre_admin().await;
    let (_, [station_1, station_2], [kiosk_1, kiosk_2]) = app.district(&centre.access_token).await;
    let mut client = app.identity().await;

    // A station admin provisions its own station's kiosks only, and only on KIOSK sites.
    let admin_s1 = pb::CreateStaffAccountRequest {
        request_id: new_request_id(),
        login: "admin.s1".into(),
        password: PASSWORD.into(),
        role: pb::Role::StationAdmin.into(),
        site_id: station_1.clone(),
        display_name: "站长".into(),
    };
    client.create_staff_account(authed(admin_s1, &centre.access_token)).await.unwrap();
    let s1 = app.login("admin.s1", PASSWORD).await;
    let kiosk_request = |site: &str| pb::ProvisionKioskRequest {
        request_id: new_request_id(),
        site_id: site.into(),
        name: "警务亭".into(),
    };
    let foreign = client.provision_kiosk(authed(kiosk_request(&kiosk_2), &s1.access_token)).await;
    assert_status(foreign, Code::PermissionDenied, reason::FORBIDDEN);
    let not_a_kiosk = client.provision_kiosk(authed(kiosk_request(&station_2), &centre.access_token)).await;
    assert_eq!(violated_fields(&assert_status(not_a_kiosk, Code::InvalidArgument, reason::VALIDATION)), ["site_id"]);
    client.provision_kiosk(authed(kiosk_request(&kiosk_1), &s1.access_token)).await.unwrap();

    let provision = pb::ProvisionKioskRequest {
        request_id: new_request_id(),
        site_id: kiosk_1.clone(),
        name: "鄞州公园警务亭".into(),
    };
    let kiosk = client.provision_kiosk(authed(provision.clone(), &centre.access_token)).await.unwrap().into_inner();
    assert_eq!(kiosk.secret.len(), 43);
    let replay = client.provision_kiosk(authed(provision, &centre.access_token)).await.unwrap().into_inner();
    assert_eq!(replay.kiosk_id, kiosk.kiosk_id);
    assert!(replay.secret.is_empty(), "the secret is shown once");

    let wrong =
        client.kiosk_login(pb::KioskLoginRequest { kiosk_id: kiosk.kiosk_id.clone(), secret: "wrong".into() }).await;
    assert_status(wrong, Code::Unauthenticated, reason::BAD_CREDENTIALS);
    let kiosk_tokens = client
        .kiosk_login(pb::KioskLoginRequest { kiosk_id: kiosk.kiosk_id.clone(), secret: kiosk.secret.clone() })
        .await
        .unwrap()
        .into_inner();
    let me = client.get_me(authed(pb::GetMeRequest {}, &kiosk_tokens.access_token)).await.unwrap().into_inner();
    assert_eq!((me.role(), me.site_id.as_str()), (pb::Role::Kiosk, kiosk_1.as_str()));

    // A walk-in resident with no account proves their phone at the kiosk.
    let walk_in =
        pb::SendPhoneCodeRequest { phone: "13700000007".into(), purpose: pb::PhoneCodePurpose::KioskSession.into() };
    client.send_phone_code(authed(walk_in, &kiosk_tokens.access_token)).await.unwrap();
    let code = app.last_code("+8613700000007");
    let by_anyone = client
        .start_kiosk_resident_session(pb::StartKioskResidentSessionRequest {
            phone: "13700000007".into(),
            code: code.clone(),
        })
        .await;
    assert_status(by_anyone, Code::Unauthenticated, reason::TOKEN_INVALID);
    let session = client
        .start_kiosk_resident_session(authed(
            pb::StartKioskResidentSessionRequest { phone: "13700000007".into(), code },
            &kiosk_tokens.access_token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(session.refresh_token.is_empty(), "kiosk sessions cannot be extended");
    let resident = client.get_me(authed(pb::GetMeRequest {}, &session.access_token)).await.unwrap().into_inner();
    assert_eq!(resident.role(), pb::Role::Resident);
    assert_eq!(resident.kiosk_id, kiosk.kiosk_id);
    assert_eq!(resident.phone_masked, "137****0007");
    let resident_as_kiosk = client
        .start_kiosk_resident_session(authed(
            pb::StartKioskResidentSessionRequest { phone: "13700000007".into(), code: "123456".into() },
            &session.access_token,
        ))
        .await;
    assert_status(resident_as_kiosk, Code::PermissionDenied, reason::FORBIDDEN);
    // Kiosk accounts cannot use the password login.
    let as_login = client.login(pb::LoginRequest { login: kiosk.kiosk_id, password: kiosk.secret }).await;
    assert_status(as_login, Code::Unauthenticated, reason::BAD_CREDENTIALS);
}

async fn a_refresh_token_works_once_even_when_raced(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let tokens = app.resident("13800000008").await;
    let mut calls = Vec::new();
    for _ in 0..4 {
        let mut client = app.identity().await;
        let refresh_token = tokens.refresh_token.clone();
        calls.push(tokio::spawn(async move { client.refresh(pb::RefreshRequest { refresh_token }).await }));
    }
    let mut succeeded = 0;
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => succeeded += 1,
            Err(status) => assert_eq!(status.code(), Code::Unauthenticated, "{status:?}"),
        }
    }
    assert_eq!(succeeded, 1, "refreshes that succeeded with one token");
}
