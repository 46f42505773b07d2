//! Account safety: disabling an account refuses its access tokens at once on the process that
//! disabled it and within a second on every other process on the database, and its refresh
//! tokens and logins; enabling it lets it log in again while its
//! old tokens stay refused; who may disable whom. And the per-principal limit on open watch
//! streams.

use std::time::{Duration, Instant};

use mediation_api::audit::v1 as audit;
use mediation_api::dispatch::v1 as dispatch;
use mediation_api::google::r#type::Date;
use mediation_api::identity::v1 as identity;
use mediation_api::status::reason;
use tonic::Code;

use crate::common::*;

both_backends!(disabling_an_account_revokes_its_tokens_at_once, watch_streams_are_limited_per_principal);

/// A staff account at `site` shown as 值班人员, logged in: (account id, login, tokens).
async fn on_duty(app: &TestApp, admin: &str, role: identity::Role, site: &str) -> (String, String, identity::Tokens) {
    let (login, id) = staff_account_shown_as(app, admin, role, site, Some("值班人员")).await;
    let tokens = app.login(&login, PASSWORD).await;
    (id, login, tokens)
}

fn set_disabled(account_id: &str, disabled: bool, reason: &str) -> identity::SetAccountDisabledRequest {
    identity::SetAccountDisabledRequest {
        account_id: account_id.into(),
        disabled: Some(disabled),
        reason: reason.into(),
    }
}

/// Calls GetMe with `token` until the process refuses it, or fails the test after `deadline`.
async fn refused_within(
    client: &mut identity::identity_service_client::IdentityServiceClient<tonic::transport::Channel>,
    token: &str,
    deadline: Duration,
) -> tonic::Status {
    let until = Instant::now() + deadline;
    loop {
        match client.get_me(authed(identity::GetMeRequest {}, token)).await {
            Err(status) => return status,
            Ok(_) => assert!(Instant::now() < until, "the token still works after {deadline:?}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn disabling_an_account_revokes_its_tokens_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let second = app.spawn_second().await;
    let admin = app.centre_admin().await.access_token;
    let (_, [s1, s2], [k1, _]) = app.district(&admin).await;
    let station_admin = on_duty(&app, &admin, identity::Role::StationAdmin, &s1).await.2.access_token;
    let other_admin = on_duty(&app, &admin, identity::Role::StationAdmin, &s2).await.2.access_token;
    let (mediator_id, mediator_login, mediator) = on_duty(&app, &admin, identity::Role::Mediator, &s1).await;
    let mut identity_client = app.identity().await;
    let mut second_client = identity::identity_service_client::IdentityServiceClient::new(second.channel().await);
    let me = |token: &str| authed(identity::GetMeRequest {}, token);
    identity_client.get_me(me(&mediator.access_token)).await.expect("the token works");
    second_client.get_me(me(&mediator.access_token)).await.expect("on either process");

    // Who may not: another station's admin, an admin disabling themselves, without a reason.
    let status = assert_status(
        identity_client.set_account_disabled(authed(set_disabled(&mediator_id, true, "离职"), &other_admin)).await,
        Code::PermissionDenied,
        reason::FORBIDDEN,
    );
    assert!(status.message().contains("own station"), "{status:?}");
    let admin_id = identity_client.get_me(me(&admin)).await.unwrap().into_inner().id;
    assert_status(
        identity_client.set_account_disabled(authed(set_disabled(&admin_id, true, "test"), &admin)).await,
        Code::PermissionDenied,
        reason::FORBIDDEN,
    );
    let status = assert_status(
        identity_client.set_account_disabled(authed(set_disabled(&mediator_id, true, " "), &station_admin)).await,
        Code::InvalidArgument,
        reason::VALIDATION,
    );
    assert_eq!(violated_fields(&status), ["reason"]);
    assert_status(
        identity_client.set_account_disabled(authed(set_disabled("no-such-account", true, "x"), &admin)).await,
        Code::NotFound,
        reason::NOT_FOUND,
    );
    identity_client.get_me(me(&mediator.access_token)).await.expect("nothing was disabled");

    // The station's admin disables the mediator: every token is refused at once on the process
    // that disabled it, and on the other one as soon as its poll of the database sees it (within
    // a second; the deadline here is generous for a loaded machine), and neither refresh nor
    // login gives a new one.
    let reply = identity_client
        .set_account_disabled(authed(set_disabled(&mediator_id, true, "手机丢失"), &station_admin))
        .await
        .expect("disables")
        .into_inner();
    assert!(reply.disabled && reply.tokens_not_before.is_some(), "{reply:?}");
    let status = assert_status(
        identity_client.get_me(me(&mediator.access_token)).await,
        Code::Unauthenticated,
        reason::TOKEN_INVALID,
    );
    assert!(status.message().contains("revoked"), "{status:?}");
    let status = refused_within(&mut second_client, &mediator.access_token, Duration::from_secs(10)).await;
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert!(status.message().contains("revoked"), "{status:?}");
    let refresh = identity::RefreshRequest { refresh_token: mediator.refresh_token.clone() };
    assert_status(identity_client.refresh(refresh).await, Code::PermissionDenied, reason::ACCOUNT_DISABLED);
    let login = identity::LoginRequest { login: mediator_login.clone(), password: PASSWORD.into() };
    let status =
        assert_status(identity_client.login(login.clone()).await, Code::PermissionDenied, reason::ACCOUNT_DISABLED);
    assert!(status.message().contains("disabled"), "{status:?}");
    // A wrong password still answers as any wrong password does.
    let wrong = identity::LoginRequest { login: mediator_login.clone(), password: "not the password".into() };
    assert_status(identity_client.login(wrong).await, Code::Unauthenticated, reason::BAD_CREDENTIALS);

    // Enabled again: a new login works at once; the old tokens stay refused.
    identity_client
        .set_account_disabled(authed(set_disabled(&mediator_id, false, ""), &station_admin))
        .await
        .expect("enables");
    let fresh = identity_client.login(login).await.expect("logs in again").into_inner();
    identity_client.get_me(me(&fresh.access_token)).await.expect("the new token works");
    second_client.get_me(me(&fresh.access_token)).await.expect("on either process");
    assert_status(
        identity_client.get_me(me(&mediator.access_token)).await,
        Code::Unauthenticated,
        reason::TOKEN_INVALID,
    );
    let refresh = identity::RefreshRequest { refresh_token: fresh.refresh_token.clone() };
    identity_client.refresh(refresh).await.expect("the new refresh token works");

    // A station admin may disable a kiosk of their station: its own token dies with it.
    let provision =
        identity::ProvisionKioskRequest { request_id: new_request_id(), site_id: k1, name: "一号机".into() };
    let kiosk = identity_client.provision_kiosk(authed(provision, &admin)).await.unwrap().into_inner();
    let kiosk_login = identity::KioskLoginRequest { kiosk_id: kiosk.kiosk_id.clone(), secret: kiosk.secret };
    let kiosk_token = identity_client.kiosk_login(kiosk_login.clone()).await.unwrap().into_inner().access_token;
    identity_client
        .set_account_disabled(authed(set_disabled(&kiosk.kiosk_id, true, "设备被盗"), &station_admin))
        .await
        .expect("disables the kiosk");
    assert_status(identity_client.get_me(me(&kiosk_token)).await, Code::Unauthenticated, reason::TOKEN_INVALID);
    assert_status(identity_client.kiosk_login(kiosk_login).await, Code::PermissionDenied, reason::ACCOUNT_DISABLED);

    // Each change is in the audit log, without the free-text reason.
    let list = audit::ListAuditEventsRequest { actor_id: String::new(), action: String::new(), ..Default::default() };
    let events = app.audit().await.list_audit_events(authed(list, &admin)).await.unwrap().into_inner().events;
    let changes: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e.action.starts_with("ACCOUNT_") && e.action != "ACCOUNT_CREATED")
        .map(|e| (e.action.as_str(), e.target_id.as_str()))
        .collect();
    assert_eq!(
        changes,
        [
            ("ACCOUNT_DISABLED", kiosk.kiosk_id.as_str()),
            ("ACCOUNT_ENABLED", mediator_id.as_str()),
            ("ACCOUNT_DISABLED", mediator_id.as_str()),
        ]
    );
    assert!(events.iter().all(|e| !e.detail.contains("手机丢失") && !e.detail.contains("设备被盗")));
}

/// Today in UTC.
fn today() -> Date {
    date(chrono::Utc::now().date_naive())
}

async fn watch_streams_are_limited_per_principal(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.server.max_streams_per_principal = 2).await;
    let admin = app.centre_admin().await.access_token;
    let (_, [s1, _], _) = app.district(&admin).await;
    let (_, _, dispatcher) = on_duty(&app, &admin, identity::Role::Dispatcher, &s1).await;
    let (_, _, colleague) = on_duty(&app, &admin, identity::Role::Dispatcher, &s1).await;
    let mut client = app.dispatch().await;
    let board = || dispatch::WatchBoardRequest { date: Some(today()), station_id: s1.clone() };
    let watch = |token: &str| authed(board(), token);

    let first = client.watch_board(watch(&dispatcher.access_token)).await.expect("first stream");
    let second = client.watch_board(watch(&dispatcher.access_token)).await.expect("second stream");
    let status = assert_status(
        client.watch_board(watch(&dispatcher.access_token)).await,
        Code::ResourceExhausted,
        reason::TOO_MANY_STREAMS,
    );
    assert!(status.message().contains('2'), "{status:?}");
    // The limit is per principal: a colleague still has slots of their own.
    let theirs = client.watch_board(watch(&colleague.access_token)).await.expect("another principal's stream");

    // Closing a stream frees its slot (the server notices the cancellation shortly after).
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(10);
    let third = loop {
        match client.watch_board(watch(&dispatcher.access_token)).await {
            Ok(stream) => break stream,
            Err(status) if status.code() == Code::ResourceExhausted && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(status) => panic!("the slot was not freed: {status:?}"),
        }
    };
    drop((second, third, theirs));
}
