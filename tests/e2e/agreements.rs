//! After the session: a walk-in dispute settled at the station ends in a mediation agreement
//! (人民调解协议书) the mediator drafts and both parties sign with a code to their own phone,
//! one in the app and one at the station's kiosk; the signed text is fixed, its digest audited,
//! and it prints as a PDF whose text names the parties and the terms. Weeks later (the clock
//! moved, not slept) each party is asked whether it was kept; a BROKEN answer reopens the case.

use mediation_api::appointments::v1 as pb;
use mediation_api::audit::v1 as audit;
use mediation_api::directory::v1::{MediationMode, MediatorKind};
use mediation_api::identity::v1 as identity;
use mediation_api::identity::v1::Role;
use prost_types::Duration;
use sha2::Digest;
use tonic::Code;

use crate::common::*;

both_backends!(a_settled_dispute_ends_in_a_signed_agreement, the_follow_up_comes_due_and_broken_reopens_the_case);

const APPLICANT_PHONE: &str = "13800000301";
const OBLIGATION: &str = "向王芳支付漏水维修费人民币3000元";

/// A settled walk-in case at station 1 with the people around it.
struct Settled {
    station: String,
    kiosk_site: String,
    centre: String,
    admin: String,
    mediator: String,
    mediator_id: String,
    case: pb::Case,
}

/// The station files a walk-in dispute (王芳 against 赵强), its mediator starts a session at
/// once and completes it SETTLED; a draft before that is refused.
async fn settled(app: &TestApp) -> Settled {
    let centre = app.centre_admin().await.access_token;
    let (_, [station, _], [kiosk_site, _]) = app.district(&centre).await;
    let admin = staff(app, &centre, Role::StationAdmin, &station).await;
    let profile = mediator_profile("王建国", MediatorKind::StationMediator, &station, &[MediationMode::InPerson]);
    let wang = mediator_with_account(app, &centre, profile).await;
    let mediator = app.login(&wang.login, PASSWORD).await.access_token;
    let room = mediation_room(app, &centre, &station).await;
    let case = create_case(app, &admin, new_case(&station, pb::CaseOrigin::WalkIn, APPLICANT_PHONE, ordinary())).await;
    let mut client = app.appointments().await;
    let start = pb::StartSessionNowRequest {
        request_id: new_request_id(),
        case_id: case.id.clone(),
        mediator_ids: vec![wang.id.clone()],
        room_id: room,
        duration: Some(Duration { seconds: 3600, nanos: 0 }),
    };
    let session = client.start_session_now(authed(start, &mediator)).await.expect("starts").into_inner();
    let early = client.draft_agreement(authed(draft(&case.id, OBLIGATION), &mediator)).await;
    assert_status(early, Code::FailedPrecondition, "NOT_SETTLED");
    let outcome = pb::Outcome { result: pb::OutcomeResult::Settled.into(), ..Default::default() };
    let complete = pb::CompleteAppointmentRequest { appointment_id: session.id, outcome: Some(outcome) };
    client.complete_appointment(authed(complete, &mediator)).await.expect("completes");
    Settled { station, kiosk_site, centre, admin, mediator, mediator_id: wang.id, case }
}

/// 赵强 (party 1) undertakes `obligation` within ten days; everything within twenty.
fn draft(case_id: &str, obligation: &str) -> pb::DraftAgreementRequest {
    let now = chrono::Utc::now();
    pb::DraftAgreementRequest {
        request_id: new_request_id(),
        case_id: case_id.into(),
        terms: vec![pb::AgreementTerm {
            party_position: 1,
            obligation: obligation.into(),
            due: Some(ts(now + chrono::Duration::days(10))),
        }],
        performance_deadline: Some(ts(now + chrono::Duration::days(20))),
        facts: "楼上卫生间漏水，损坏楼下天花板，双方协商未果。".into(),
    }
}

fn sign_code(phone: &str) -> identity::SendPhoneCodeRequest {
    identity::SendPhoneCodeRequest { phone: phone.into(), purpose: identity::PhoneCodePurpose::SignAgreement.into() }
}

fn sign(agreement_id: &str, code: &str) -> pb::SignAgreementRequest {
    pb::SignAgreementRequest { agreement_id: agreement_id.into(), code: code.into() }
}

/// The text a PDF's reader extracts.
fn pdf_text(data: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(data).expect("the PDF reads back")
}

/// A walk-in resident's session at the station's kiosk, proved with a KIOSK_SESSION code.
async fn kiosk_session(app: &TestApp, s: &Settled, phone: &str) -> String {
    let kiosk_token = kiosk(app, &s.centre, &s.kiosk_site).await;
    let mut identity_client = app.identity().await;
    let ask = identity::SendPhoneCodeRequest {
        phone: phone.into(),
        purpose: identity::PhoneCodePurpose::KioskSession.into(),
    };
    identity_client.send_phone_code(authed(ask, &kiosk_token)).await.expect("a kiosk code");
    let code = app.last_code(&format!("+86{phone}"));
    let start = identity::StartKioskResidentSessionRequest { phone: phone.into(), code };
    identity_client.start_kiosk_resident_session(authed(start, &kiosk_token)).await.unwrap().into_inner().access_token
}

/// Both parties sign: 王芳 in the app, 赵强 at the kiosk. Returns the signed agreement and their
/// tokens (王芳's, 赵强's kiosk session).
async fn both_sign(app: &TestApp, s: &Settled, agreement_id: &str) -> (pb::Agreement, String, String) {
    let mut client = app.appointments().await;
    let mut identity_client = app.identity().await;
    let applicant = app.resident(APPLICANT_PHONE).await.access_token;
    identity_client.send_phone_code(authed(sign_code(APPLICANT_PHONE), &applicant)).await.expect("a signing code");
    let code = app.last_code(&format!("+86{APPLICANT_PHONE}"));
    let first = client.sign_agreement(authed(sign(agreement_id, &code), &applicant)).await.unwrap().into_inner();
    assert_eq!(first.status(), pb::AgreementStatus::Signing);
    let respondent = kiosk_session(app, s, RESPONDENT_PHONE).await;
    identity_client.send_phone_code(authed(sign_code(RESPONDENT_PHONE), &respondent)).await.expect("at the kiosk too");
    let code = app.last_code(&format!("+86{RESPONDENT_PHONE}"));
    let signed = client.sign_agreement(authed(sign(agreement_id, &code), &respondent)).await.unwrap().into_inner();
    assert_eq!(signed.status(), pb::AgreementStatus::Signed);
    (signed, applicant, respondent)
}

/// Every code 1 s apart is fine here; the sending limits have tests of their own.
fn quick_codes(settings: &mut mediation_gateway::Settings) {
    settings.auth.code_min_interval_secs = 0;
}

async fn a_settled_dispute_ends_in_a_signed_agreement(backend: Backend) {
    let app = TestApp::spawn_with(backend, quick_codes).await;
    let s = settled(&app).await;
    let mut client = app.appointments().await;
    let mut identity_client = app.identity().await;

    // The mediator drafts; the text is the usual layout, in Chinese, with the parties and terms.
    let drafted =
        client.draft_agreement(authed(draft(&s.case.id, "向王芳支付维修费"), &s.mediator)).await.unwrap().into_inner();
    assert_eq!(drafted.status(), pb::AgreementStatus::Draft);
    assert!(drafted.text.starts_with("人民调解协议书"), "{}", drafted.text);
    // Redrafted while nobody has signed: the same agreement, the new term.
    let redrafted =
        client.draft_agreement(authed(draft(&s.case.id, OBLIGATION), &s.mediator)).await.unwrap().into_inner();
    assert_eq!(redrafted.id, drafted.id);
    for expected in ["当事人（申请人）：王芳", "当事人（被申请人）：赵强", "中河派出所", "王建国", OBLIGATION]
    {
        assert!(redrafted.text.contains(expected), "{expected:?} not in\n{}", redrafted.text);
    }
    assert_eq!(redrafted.content_sha256, hex_sha256(&redrafted.text));
    let id = redrafted.id.clone();
    // Each party is told it is ready, without its terms.
    let told = wait_for(
        &app,
        |n| n.iter().filter(|n| n["kind"] == "AGREEMENT_TO_SIGN").count() >= 2,
        std::time::Duration::from_secs(10),
    )
    .await;
    let to: Vec<&str> =
        told.iter().filter(|n| n["kind"] == "AGREEMENT_TO_SIGN").filter_map(|n| n["to"].as_str()).collect();
    assert!(to.contains(&"+8613800000301") && to.contains(&"+8613800000001"), "{to:?}");
    let texts =
        told.iter().filter(|n| n["kind"] == "AGREEMENT_TO_SIGN").map(|n| n["text"].as_str().unwrap_or_default());
    assert!(texts.clone().all(|t| t.contains("中河派出所") && !t.contains("3000")), "{:?}", texts.collect::<Vec<_>>());
    // The draft prints with its watermark.
    let export = pb::ExportAgreementRequest { id: id.clone() };
    let pdf = client.export_agreement(authed(export.clone(), &s.admin)).await.unwrap().into_inner();
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(pdf_text(&pdf.data).contains("草稿"));

    // Someone who is no party neither reads nor signs it, nor gets a code for another's phone.
    let stranger = app.resident("13800000399").await.access_token;
    let not_theirs =
        client.get_agreement(authed(pb::GetAgreementRequest { id: id.clone(), ..Default::default() }, &stranger)).await;
    assert_status(not_theirs, Code::NotFound, "NOT_FOUND");
    identity_client.send_phone_code(authed(sign_code("13800000399"), &stranger)).await.expect("own phone");
    let code = app.last_code("+8613800000399");
    let non_party = client.sign_agreement(authed(sign(&id, &code), &stranger)).await;
    assert_status(non_party, Code::NotFound, "NOT_FOUND");
    let others_phone = identity_client.send_phone_code(authed(sign_code(APPLICANT_PHONE), &stranger)).await;
    assert_status(others_phone, Code::PermissionDenied, "FORBIDDEN");
    let anonymous = identity_client.send_phone_code(sign_code(APPLICANT_PHONE)).await;
    assert_status(anonymous, Code::PermissionDenied, "FORBIDDEN");

    // 王芳 signs in the app: a wrong code is refused, the right one taken once.
    let applicant = app.resident(APPLICANT_PHONE).await.access_token;
    identity_client.send_phone_code(authed(sign_code(APPLICANT_PHONE), &applicant)).await.unwrap();
    let code = app.last_code(&format!("+86{APPLICANT_PHONE}"));
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = client.sign_agreement(authed(sign(&id, wrong), &applicant)).await;
    assert_eq!(violated_fields(&assert_status(refused, Code::FailedPrecondition, "CODE_INVALID")), ["code"]);
    let first = client.sign_agreement(authed(sign(&id, &code), &applicant)).await.unwrap().into_inner();
    assert_eq!(first.status(), pb::AgreementStatus::Signing);
    let again = client.sign_agreement(authed(sign(&id, &code), &applicant)).await;
    assert_status(again, Code::FailedPrecondition, "ALREADY_SIGNED");
    // Once a party has signed, the text stays.
    let redraft = client.draft_agreement(authed(draft(&s.case.id, "另一条款"), &s.mediator)).await;
    assert_status(redraft, Code::FailedPrecondition, "AGREEMENT_SIGNING");

    // 赵强 signs at the station's kiosk, in a walk-in session; his code cannot be used twice.
    let respondent = kiosk_session(&app, &s, RESPONDENT_PHONE).await;
    identity_client.send_phone_code(authed(sign_code(RESPONDENT_PHONE), &respondent)).await.unwrap();
    let code = app.last_code(&format!("+86{RESPONDENT_PHONE}"));
    let signed = client.sign_agreement(authed(sign(&id, &code), &respondent)).await.unwrap().into_inner();
    assert_eq!(signed.status(), pb::AgreementStatus::Signed);
    let reused = client.sign_agreement(authed(sign(&id, &code), &respondent)).await;
    assert_status(reused, Code::FailedPrecondition, "AGREEMENT_SIGNED");

    // SIGNED is fixed: no redraft; each party sees the other's name masked, staff see both.
    let redraft = client.draft_agreement(authed(draft(&s.case.id, "另一条款"), &s.mediator)).await;
    let status = assert_status(redraft, Code::FailedPrecondition, "AGREEMENT_SIGNED");
    assert!(status.message().contains("can no longer change"), "{}", status.message());
    let by_case = pb::GetAgreementRequest { case_id: s.case.id.clone(), ..Default::default() };
    let seen = client.get_agreement(authed(by_case.clone(), &respondent)).await.unwrap().into_inner();
    let names: Vec<&str> = seen.signatures.iter().map(|s| s.party_name_masked.as_str()).collect();
    assert_eq!(names, ["王*", "赵强"]);
    assert_eq!(seen.signatures[0].party_role(), pb::PartyRole::Applicant);
    let staff_view = client.get_agreement(authed(by_case, &s.admin)).await.unwrap().into_inner();
    assert_eq!(
        staff_view.signatures.iter().map(|s| s.party_name_masked.as_str()).collect::<Vec<_>>(),
        ["王芳", "赵强"]
    );
    assert_eq!(staff_view.content_sha256, redrafted.content_sha256);
    assert!(staff_view.signed_at.is_some());

    // The signed text's digest is in the audit chain.
    let events = app
        .audit()
        .await
        .list_audit_events(authed(
            audit::ListAuditEventsRequest { action: "AGREEMENT_SIGNED".into(), ..Default::default() },
            &s.centre,
        ))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].target_id.as_str(), events[0].detail.as_str()),
        (id.as_str(), redrafted.content_sha256.as_str())
    );

    // It prints: a PDF whose text names the parties and the terms, no longer a draft.
    let pdf = client.export_agreement(authed(export, &applicant)).await.unwrap().into_inner();
    let text = pdf_text(&pdf.data);
    for expected in ["人民调解协议书", "王芳", "赵强", OBLIGATION, "3000", &redrafted.content_sha256] {
        assert!(text.contains(expected), "{expected:?} not in the PDF's text:\n{text}");
    }
    assert!(!text.contains("草稿"), "a signed agreement has no watermark");

    // The station's figures count it.
    let figures = pb::GetStatisticsRequest {
        site_id: s.station.clone(),
        from: Some(ts(chrono::Utc::now() - chrono::Duration::hours(1))),
        to: Some(ts(chrono::Utc::now() + chrono::Duration::hours(1))),
        ..Default::default()
    };
    let stats = client.get_statistics(authed(figures, &s.admin)).await.unwrap().into_inner();
    assert_eq!((stats.agreements_signed, stats.agreements_followed_up), (1, 0));

    // Voided by the station's admin, with a reason: audited; then a new draft, which a used
    // code does not sign.
    let by_mediator = client
        .void_agreement(authed(pb::VoidAgreementRequest { agreement_id: id.clone(), reason: "x".into() }, &s.mediator))
        .await;
    assert_status(by_mediator, Code::PermissionDenied, "FORBIDDEN");
    let void = pb::VoidAgreementRequest { agreement_id: id.clone(), reason: "当事人身份登记有误".into() };
    let voided = client.void_agreement(authed(void.clone(), &s.admin)).await.unwrap().into_inner();
    assert_eq!((voided.status(), voided.void_reason.as_str()), (pb::AgreementStatus::Void, "当事人身份登记有误"));
    assert_status(client.void_agreement(authed(void, &s.admin)).await, Code::FailedPrecondition, "AGREEMENT_VOID");
    let voided_events = app
        .audit()
        .await
        .list_audit_events(authed(
            audit::ListAuditEventsRequest { action: "AGREEMENT_VOIDED".into(), ..Default::default() },
            &s.centre,
        ))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(voided_events.len(), 1);
    let fresh = client.draft_agreement(authed(draft(&s.case.id, OBLIGATION), &s.mediator)).await.unwrap().into_inner();
    assert_ne!(fresh.id, id);
    assert_eq!(fresh.status(), pb::AgreementStatus::Draft);
    let old_code = app.last_code(&format!("+86{RESPONDENT_PHONE}"));
    let reused = client.sign_agreement(authed(sign(&fresh.id, &old_code), &respondent)).await;
    assert_status(reused, Code::FailedPrecondition, "CODE_INVALID");
}

async fn the_follow_up_comes_due_and_broken_reopens_the_case(backend: Backend) {
    let clock = TestClock::default();
    let app = TestApp::spawn_with_clock(backend, clock.clock(), quick_codes).await;
    let s = settled(&app).await;
    let mut client = app.appointments().await;
    let drafted =
        client.draft_agreement(authed(draft(&s.case.id, OBLIGATION), &s.mediator)).await.unwrap().into_inner();
    let follow_up = pb::RecordFollowUpRequest {
        case_id: s.case.id.clone(),
        result: pb::FollowUpResult::Kept.into(),
        note: String::new(),
    };
    let too_soon = client.record_follow_up(authed(follow_up.clone(), &s.admin)).await;
    assert_status(too_soon, Code::FailedPrecondition, "NO_SIGNED_AGREEMENT");
    let (_, applicant, respondent) = both_sign(&app, &s, &drafted.id).await;

    // 29 days on, nothing is due yet: a notice due now (an invitation to a new case) goes out,
    // and no follow-up with it, though the worker sends the older due notices first.
    clock.advance(chrono::Duration::days(29));
    create_case(&app, &s.admin, new_case(&s.station, pb::CaseOrigin::WalkIn, "13800000302", ordinary())).await;
    let sent = wait_for(
        &app,
        |n| n.iter().any(|n| n["kind"] == "CASE_INVITATION" && n["to"] == "+8613800000302"),
        std::time::Duration::from_secs(10),
    )
    .await;
    assert!(!sent.iter().any(|n| n["kind"] == "FOLLOW_UP"), "not due before 30 days");

    // On the 30th day each party is asked whether it was kept.
    clock.advance(chrono::Duration::days(1));
    let asked = wait_for(
        &app,
        |n| n.iter().filter(|n| n["kind"] == "FOLLOW_UP").count() == 2,
        std::time::Duration::from_secs(10),
    )
    .await;
    let to: Vec<&str> = asked.iter().filter(|n| n["kind"] == "FOLLOW_UP").filter_map(|n| n["to"].as_str()).collect();
    assert!(to.contains(&"+8613800000301") && to.contains(&"+8613800000001"), "{to:?}");

    // A stranger cannot answer; 赵强 says it was kept, 王芳 that it was broken: the case reopens.
    let stranger = app.resident("13800000398").await.access_token;
    let not_theirs = client.record_follow_up(authed(follow_up.clone(), &stranger)).await;
    assert_status(not_theirs, Code::NotFound, "NOT_FOUND");
    let kept = client.record_follow_up(authed(follow_up.clone(), &respondent)).await.unwrap().into_inner();
    assert!(!kept.case_reopened);
    let broken = pb::RecordFollowUpRequest {
        result: pb::FollowUpResult::Broken.into(),
        note: "对方至今未支付维修费".into(),
        ..follow_up
    };
    let answer = client.record_follow_up(authed(broken, &applicant)).await.unwrap().into_inner();
    assert!(answer.case_reopened);
    assert_eq!(answer.agreement_id, drafted.id);
    let case =
        client.get_case(authed(pb::GetCaseRequest { id: s.case.id.clone() }, &s.admin)).await.unwrap().into_inner();
    assert_eq!(case.status(), pb::CaseStatus::Open);
    let events = client
        .list_case_events(authed(
            pb::ListCaseEventsRequest { case_id: s.case.id.clone(), ..Default::default() },
            &s.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .events;
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    for expected in ["AGREEMENT_DRAFTED", "AGREEMENT_SIGNED", "FOLLOW_UP_RECORDED", "REOPENED"] {
        assert!(kinds.contains(&expected), "{expected} not in {kinds:?}");
    }
    // The station's staff are told.
    wait_for(&app, |n| n.iter().any(|n| n["kind"] == "AGREEMENT_BROKEN"), std::time::Duration::from_secs(10)).await;

    // The figures: one agreement followed up, not kept (its latest answer is BROKEN); the
    // mediator's assessment shows it, weighing nothing by default.
    let now = chrono::Utc::now();
    let figures = pb::GetStatisticsRequest {
        site_id: s.station.clone(),
        from: Some(ts(now - chrono::Duration::hours(1))),
        to: Some(ts(now + chrono::Duration::hours(1))),
        ..Default::default()
    };
    let stats = client.get_statistics(authed(figures, &s.admin)).await.unwrap().into_inner();
    assert_eq!((stats.agreements_signed, stats.agreements_followed_up, stats.agreements_kept), (1, 1, 0));
    assert_eq!(stats.agreement_kept_rate, 0.0);
    let local = now.with_timezone(&shanghai());
    let period = mediation_api::ratings::v1::Period {
        year: chrono::Datelike::year(&local),
        month: chrono::Datelike::month(&local) as i32,
        ..Default::default()
    };
    let assessment = app
        .ratings()
        .await
        .get_assessment(authed(
            mediation_api::ratings::v1::GetAssessmentRequest {
                mediator_id: s.mediator_id.clone(),
                period: Some(period),
            },
            &s.centre,
        ))
        .await
        .unwrap()
        .into_inner();
    let inputs = assessment.inputs.unwrap();
    assert_eq!((inputs.agreements_followed_up, inputs.agreements_kept), (1, 0));
    assert!(
        assessment.explanation.contains("0.00 × agreements kept 0.00 [0 of 1 followed up]"),
        "{}",
        assessment.explanation
    );
}

fn hex_sha256(text: &str) -> String {
    sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}
