//! Both parties at the table: each party other than the one who filed is invited, answers
//! whether they take part, and a case with a declining party is not mediated unless the
//! station's staff record why it proceeds (a dispute the police hand over may start with both
//! at the table).

use mediation_directory::named_enum;

use super::{Case, Origin, PartyRole};

named_enum!(Participation { Invited => "INVITED", Accepted => "ACCEPTED", Declined => "DECLINED" });

/// The participation a new case gives each party: the resident who filed it (the APPLICANT
/// party of an APP or KIOSK case) has accepted by filing; everyone else is invited.
pub fn initial_participation(origin: Origin, role: PartyRole, is_first_applicant: bool) -> Participation {
    let filed_it = matches!(origin, Origin::App | Origin::Kiosk) && role == PartyRole::Applicant && is_first_applicant;
    if filed_it { Participation::Accepted } else { Participation::Invited }
}

/// Why a session of `case` may not be booked or started, as the FAILED_PRECONDITION reason:
/// a party declined and no staff member recorded why the case proceeds.
pub fn blocked_by_decline(case: &Case) -> Option<&'static str> {
    let declined = case.parties.iter().any(|p| p.participation == Participation::Declined);
    (declined && case.proceed_reason.is_empty()).then_some("PARTY_DECLINED")
}

/// The text of the invitation SMS, in Chinese: who filed, at which station, how to answer. It
/// carries no summary of the dispute: an SMS can be read by anyone holding the phone.
pub fn invitation_text(filed_by: &str, station: &str) -> String {
    format!(
        "【鄞州调解】{filed_by}在{station}申请人民调解，您是该纠纷的当事人。请用本手机号登录“警调一网通”App \
         或到任一智能警务亭查看，并答复是否同意调解。调解自愿，不收费。"
    )
}

/// A name as an SMS may show it: the first character, the rest as `*` (王芳 -> 王*).
pub fn masked_name(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| std::iter::once(first).chain(chars.map(|_| '*')).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Party;

    fn party(role: PartyRole, participation: Participation) -> Party {
        Party { name: "x".into(), phone: "+8613800000001".into(), role, participation, answer_reason: String::new() }
    }

    #[test]
    fn the_filer_accepts_and_everyone_else_is_invited() {
        use Participation::*;
        let cases = [
            (Origin::App, PartyRole::Applicant, true, Accepted),
            (Origin::App, PartyRole::Applicant, false, Invited),
            (Origin::App, PartyRole::Respondent, false, Invited),
            (Origin::Kiosk, PartyRole::Applicant, true, Accepted),
            (Origin::Police110, PartyRole::Applicant, true, Invited),
            (Origin::WalkIn, PartyRole::Applicant, true, Invited),
        ];
        for (origin, role, first, expected) in cases {
            assert_eq!(initial_participation(origin, role, first), expected, "{origin:?} {role:?} {first}");
        }
    }

    fn case() -> Case {
        Case {
            id: "c1".into(),
            site_id: "s1".into(),
            applicant_account_id: None,
            created_by: "staff".into(),
            category: "neighbour".into(),
            summary: String::new(),
            origin: Origin::Police110,
            grade: crate::domain::Grade::Ordinary,
            grade_rationale: String::new(),
            status: crate::domain::CaseStatus::Open,
            assessment: Default::default(),
            parties: vec![],
            created_at: chrono::Utc::now(),
            police_incident_id: Some("110-1".into()),
            handed_over_by: "officer".into(),
            proceed_reason: String::new(),
            escalation: None,
        }
    }

    #[test]
    fn a_decline_blocks_until_staff_record_why_it_proceeds() {
        let mut case = case();
        case.parties = vec![party(PartyRole::Applicant, Participation::Accepted)];
        assert_eq!(blocked_by_decline(&case), None);
        case.parties.push(party(PartyRole::Respondent, Participation::Invited));
        assert_eq!(blocked_by_decline(&case), None, "an invitation not yet answered does not block");
        case.parties[1].participation = Participation::Declined;
        assert_eq!(blocked_by_decline(&case), Some("PARTY_DECLINED"));
        case.proceed_reason = "both parties brought in by the officer".into();
        assert_eq!(blocked_by_decline(&case), None);
    }

    #[test]
    fn names_are_masked_for_sms() {
        assert_eq!(masked_name("欧阳明珠"), "欧***");
        assert_eq!(masked_name("王芳"), "王*");
        assert_eq!(masked_name(""), "");
    }

    #[test]
    fn the_invitation_names_no_dispute() {
        let text = invitation_text("张三", "钟公庙派出所");
        assert!(text.contains("张三") && text.contains("钟公庙派出所"));
        assert!(text.chars().count() < 140);
    }
}
