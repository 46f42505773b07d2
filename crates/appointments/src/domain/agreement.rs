//! The mediation agreement (人民调解协议书) a settled session ends in: its states, who may move
//! it, its text rendered from a template in the usual layout, and the follow-up of whether it
//! was kept.
//!
//! DRAFT (the mediator may redraft) -> SIGNING (a party signed: the text is fixed) -> SIGNED
//! (every party signed) ; any of those -> VOID (station staff, with a reason). A VOID agreement
//! may be followed by a new draft of the same case.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use mediation_directory::named_enum;
use sha2::{Digest, Sha256};

use super::PartyRole;

named_enum!(AgreementStatus { Draft => "DRAFT", Signing => "SIGNING", Signed => "SIGNED", Void => "VOID" });
named_enum!(FollowUpResult { Kept => "KEPT", PartlyKept => "PARTLY_KEPT", Broken => "BROKEN" });

/// Most terms one agreement holds.
pub const MAX_TERMS: usize = 20;

/// One term: which party undertakes what, by when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Term {
    /// The party's position in the case's parties.
    pub party_position: usize,
    pub obligation: String,
    pub due: DateTime<Utc>,
}

/// A party's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub party_position: usize,
    pub account_id: String,
    pub signed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    pub id: String,
    pub case_id: String,
    /// The completed SETTLED session it came from.
    pub appointment_id: String,
    pub status: AgreementStatus,
    pub text: String,
    pub terms: Vec<Term>,
    pub performance_deadline: DateTime<Utc>,
    /// SHA-256 of `text`, lower-case hex.
    pub content_sha256: String,
    pub drafted_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub signed_at: Option<DateTime<Utc>>,
    pub void_reason: String,
    /// In the order of the parties.
    pub signatures: Vec<Signature>,
}

/// A follow-up answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    pub id: String,
    pub agreement_id: String,
    pub case_id: String,
    pub result: FollowUpResult,
    pub note: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// Why the agreement's text may not change, as the FAILED_PRECONDITION reason: once a party
/// has signed, the text they signed stays (`AGREEMENT_SIGNING`, `AGREEMENT_SIGNED`); a VOID one
/// is replaced by a new draft rather than changed (`AGREEMENT_VOID`).
pub fn may_redraft(status: AgreementStatus) -> Result<(), String> {
    match status {
        AgreementStatus::Draft => Ok(()),
        other => Err(format!("AGREEMENT_{}", other.as_str())),
    }
}

/// The state after one more party signs, `signed` counting them, of `parties`; or why no
/// signature is taken now.
pub fn after_signature(status: AgreementStatus, signed: usize, parties: usize) -> Result<AgreementStatus, String> {
    match status {
        AgreementStatus::Draft | AgreementStatus::Signing if signed >= parties => Ok(AgreementStatus::Signed),
        AgreementStatus::Draft | AgreementStatus::Signing => Ok(AgreementStatus::Signing),
        other => Err(format!("AGREEMENT_{}", other.as_str())),
    }
}

/// Whether the agreement may be voided: anything but VOID.
pub fn may_void(status: AgreementStatus) -> Result<(), String> {
    match status {
        AgreementStatus::Void => Err("AGREEMENT_VOID".into()),
        _ => Ok(()),
    }
}

/// Whether a follow-up answer reopens the case: a broken agreement sends the dispute back to
/// the station.
pub fn reopens(result: FollowUpResult) -> bool {
    result == FollowUpResult::Broken
}

/// The share of followed-up agreements that were kept; 0 when none was followed up.
pub fn kept_rate(kept: i64, followed_up: i64) -> f64 {
    if followed_up == 0 { 0.0 } else { kept as f64 / followed_up as f64 }
}

/// SHA-256 of the text, lower-case hex.
pub fn sha256_hex(text: &str) -> String {
    base16ct::lower::encode_string(&Sha256::digest(text.as_bytes()))
}

/// How the role reads in the agreement.
pub fn role_zh(role: PartyRole) -> &'static str {
    match role {
        PartyRole::Applicant => "申请人",
        PartyRole::Respondent => "被申请人",
        PartyRole::Other => "其他当事人",
    }
}

/// 1 -> 一, 12 -> 十二, 20 -> 二十 (terms are numbered so).
pub fn chinese_number(n: usize) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => DIGITS[n].to_owned(),
        10 => "十".to_owned(),
        11..=19 => format!("十{}", DIGITS[n % 10]),
        20..=99 if n % 10 == 0 => format!("{}十", DIGITS[n / 10]),
        20..=99 => format!("{}十{}", DIGITS[n / 10], DIGITS[n % 10]),
        _ => n.to_string(),
    }
}

/// A date as the agreement prints it, in the station's zone: 2026年12月7日.
pub fn date_zh(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%Y年%-m月%-d日").to_string()
}

/// Everything the template needs, in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateInput {
    pub case_id: String,
    /// The dispute's kind in Chinese (邻里纠纷), or its code when unnamed.
    pub category: String,
    /// Each party's role and full name, in the case's order.
    pub parties: Vec<(PartyRole, String)>,
    pub facts: String,
    pub terms: Vec<Term>,
    pub performance_deadline: DateTime<Utc>,
    pub mediators: Vec<String>,
    pub station: String,
    pub zone: Tz,
    pub drafted_at: DateTime<Utc>,
}

/// The agreement's text, in the layout of a people's mediation agreement: title and number,
/// the parties, the dispute, the terms (who does what by when), performance, copies, and the
/// mediators and committee, dated. Signatures are not part of it: the text is what is signed.
pub fn render(input: &TemplateInput) -> String {
    let mut lines = vec!["人民调解协议书".to_owned()];
    lines.push(format!("编号：（{}）调协字第{}号", input.station, input.case_id));
    lines.push(String::new());
    for (role, name) in &input.parties {
        lines.push(format!("当事人（{}）：{}", role_zh(*role), name));
    }
    lines.push(String::new());
    lines.push(format!("纠纷类型：{}", input.category));
    lines.push("纠纷主要事实、争议事项：".to_owned());
    lines.push(format!("　　{}", input.facts.trim()));
    lines.push(String::new());
    lines.push("经人民调解委员会主持调解，当事人自愿达成如下协议：".to_owned());
    for (i, term) in input.terms.iter().enumerate() {
        let who = input.parties.get(term.party_position).map_or("当事人", |(_, name)| name.as_str());
        lines.push(format!(
            "　　{}、{}于{}前{}。",
            chinese_number(i + 1),
            who,
            date_zh(term.due, input.zone),
            input_obligation(&term.obligation)
        ));
    }
    lines.push(String::new());
    lines.push("履行方式、时限：".to_owned());
    lines.push(format!(
        "　　以上各项由各方当事人自行履行，于{}前履行完毕。",
        date_zh(input.performance_deadline, input.zone)
    ));
    lines.push(
        "　　本协议经各方当事人签名（以本人手机验证码电子签名）后生效，具有法律约束力，当事人应当按照约定履行。\
         当事人可自本协议生效之日起三十日内共同向人民法院申请司法确认。"
            .to_owned(),
    );
    lines.push(format!(
        "　　本协议一式{}份，当事人各执一份，人民调解委员会留存一份。",
        chinese_number(input.parties.len() + 1)
    ));
    lines.push(String::new());
    lines.push(format!("人民调解员：{}", input.mediators.join("、")));
    lines.push(format!("人民调解委员会：{}人民调解委员会", input.station));
    lines.push(format!("日期：{}", date_zh(input.drafted_at, input.zone)));
    lines.join("\n")
}

/// The AGREEMENT_TO_SIGN SMS: where to read and sign, nothing of the terms (an SMS can be read
/// by anyone holding the phone).
pub fn to_sign_text(station: &str) -> String {
    format!(
        "【鄞州调解】您在{station}的人民调解协议书已拟好。请用本手机号登录“警调一网通”App 或到任一智能警务亭查看，\
         核对无误后以短信验证码签名。"
    )
}

/// The FOLLOW_UP SMS: whether the agreement was kept.
pub fn follow_up_text(station: &str) -> String {
    format!(
        "【鄞州调解】回访：您在{station}签订的人民调解协议书是否已履行？请在“警调一网通”App 中答复\
         （已履行／部分履行／未履行），或等候调解员电话回访。"
    )
}

/// The notice to the station's staff when an agreement is reported broken.
pub fn broken_text(case_id: &str) -> String {
    format!("【鄞州调解】案件 {case_id} 的调解协议回访结果为未履行，案件已重新打开，请安排跟进。")
}

/// What the printed agreement watermarks: a draft or one being signed (草稿), a void one
/// (作废); a SIGNED one prints clean.
pub fn watermark(status: AgreementStatus) -> Option<&'static str> {
    match status {
        AgreementStatus::Draft | AgreementStatus::Signing => Some("草稿 DRAFT"),
        AgreementStatus::Void => Some("作废 VOID"),
        AgreementStatus::Signed => None,
    }
}

/// The printable document: the text as signed, then each signature (role, name, time in the
/// station's zone) and the text's digest, under the state's watermark.
pub fn document(
    a: &Agreement,
    signers: &[(PartyRole, String, DateTime<Utc>)],
    zone: Tz,
) -> mediation_document::Document {
    let mut lines = a.text.lines();
    let title = lines.next().unwrap_or("人民调解协议书").to_owned();
    let mut lines: Vec<String> = lines.map(str::to_owned).collect();
    lines.push(String::new());
    lines.push("当事人签名：".to_owned());
    if signers.is_empty() {
        lines.push("　　（尚无当事人签名）".to_owned());
    }
    for (role, name, at) in signers {
        let when = at.with_timezone(&zone).format("%Y年%-m月%-d日 %H:%M");
        lines.push(format!("　　{}：{}（{when}，以本人手机验证码电子签名）", role_zh(*role), name));
    }
    lines.push(format!("文本摘要（SHA-256）：{}", a.content_sha256));
    if a.status == AgreementStatus::Void {
        lines.push(format!("本协议已作废：{}", a.void_reason));
    }
    mediation_document::Document { title, lines, watermark: watermark(a.status).map(str::to_owned) }
}

/// An obligation as written after "by <date>": without the full stop the template adds.
fn input_obligation(obligation: &str) -> &str {
    obligation.trim().trim_end_matches(['。', '.'])
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn input() -> TemplateInput {
        let at = |d| Utc.with_ymd_and_hms(2026, 12, d, 4, 0, 0).unwrap();
        TemplateInput {
            case_id: "c-1".into(),
            category: "邻里纠纷".into(),
            parties: vec![(PartyRole::Applicant, "张三".into()), (PartyRole::Respondent, "李四".into())],
            facts: "李四装修时损坏张三家水管。".into(),
            terms: vec![
                Term {
                    party_position: 1, obligation: "向张三支付修理费人民币3000元。".into(), due: at(20)
                },
                Term { party_position: 0, obligation: "配合李四查看管道".into(), due: at(10) },
            ],
            performance_deadline: at(31),
            mediators: vec!["王调解".into(), "赵专家".into()],
            station: "钟公庙派出所".into(),
            zone: chrono_tz::Asia::Shanghai,
            drafted_at: at(7),
        }
    }

    #[test]
    fn the_template_lays_the_agreement_out() {
        let text = render(&input());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "人民调解协议书");
        for expected in [
            "当事人（申请人）：张三",
            "当事人（被申请人）：李四",
            "　　李四装修时损坏张三家水管。",
            "　　一、李四于2026年12月20日前向张三支付修理费人民币3000元。",
            "　　二、张三于2026年12月10日前配合李四查看管道。",
            "于2026年12月31日前履行完毕",
            "本协议一式三份",
            "人民调解员：王调解、赵专家",
            "人民调解委员会：钟公庙派出所人民调解委员会",
            "日期：2026年12月7日",
        ] {
            assert!(text.contains(expected), "{expected:?} not in\n{text}");
        }
        assert_eq!(render(&input()), text, "the same draft renders the same text");
    }

    #[test]
    fn dates_are_the_stations() {
        // 17:00 UTC on the 7th is already the 8th in Shanghai.
        let late = Utc.with_ymd_and_hms(2026, 12, 7, 17, 0, 0).unwrap();
        assert_eq!(date_zh(late, chrono_tz::Asia::Shanghai), "2026年12月8日");
    }

    #[test]
    fn numbers_in_chinese() {
        let cases = [(1, "一"), (9, "九"), (10, "十"), (11, "十一"), (19, "十九"), (20, "二十"), (21, "二十一")];
        for (n, zh) in cases {
            assert_eq!(chinese_number(n), zh);
        }
    }

    #[test]
    fn the_states() {
        use AgreementStatus::*;
        assert_eq!(may_redraft(Draft), Ok(()));
        assert_eq!(may_redraft(Signing), Err("AGREEMENT_SIGNING".into()));
        assert_eq!(may_redraft(Signed), Err("AGREEMENT_SIGNED".into()));
        assert_eq!(may_redraft(Void), Err("AGREEMENT_VOID".into()));
        // (from, signatures with this one, parties, result)
        let cases = [
            (Draft, 1, 2, Ok(Signing)),
            (Signing, 2, 2, Ok(Signed)),
            (Draft, 1, 1, Ok(Signed)),
            (Signed, 3, 2, Err("AGREEMENT_SIGNED".to_owned())),
            (Void, 1, 2, Err("AGREEMENT_VOID".to_owned())),
        ];
        for (from, signed, parties, expected) in cases {
            assert_eq!(after_signature(from, signed, parties), expected, "{from:?} {signed}/{parties}");
        }
        assert!(may_void(Draft).is_ok() && may_void(Signing).is_ok() && may_void(Signed).is_ok());
        assert_eq!(may_void(Void), Err("AGREEMENT_VOID".into()));
        assert!(reopens(FollowUpResult::Broken));
        assert!(!reopens(FollowUpResult::Kept) && !reopens(FollowUpResult::PartlyKept));
        assert_eq!(kept_rate(0, 0), 0.0);
        assert_eq!(kept_rate(3, 4), 0.75);
    }

    #[test]
    fn the_document_prints_the_text_and_its_signatures() {
        let text = render(&input());
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 2, 30, 0).unwrap();
        let mut a = Agreement {
            id: "a".into(),
            case_id: "c-1".into(),
            appointment_id: "s".into(),
            status: AgreementStatus::Signing,
            content_sha256: sha256_hex(&text),
            text,
            terms: vec![],
            performance_deadline: at,
            drafted_by: "m".into(),
            created_at: at,
            updated_at: at,
            signed_at: None,
            void_reason: String::new(),
            signatures: vec![],
        };
        let signers = [(PartyRole::Applicant, "张三".to_owned(), at)];
        let doc = document(&a, &signers, chrono_tz::Asia::Shanghai);
        assert_eq!(doc.title, "人民调解协议书");
        assert_eq!(doc.watermark.as_deref(), Some("草稿 DRAFT"));
        assert!(doc.lines.iter().any(|l| l.contains("申请人：张三（2026年12月7日 10:30")));
        assert!(doc.lines.iter().any(|l| l.contains(&a.content_sha256)));
        a.status = AgreementStatus::Signed;
        assert_eq!(document(&a, &signers, chrono_tz::Asia::Shanghai).watermark, None);
        a.status = AgreementStatus::Void;
        assert_eq!(watermark(a.status), Some("作废 VOID"));
    }

    #[test]
    fn notices_carry_no_terms() {
        for text in [to_sign_text("钟公庙派出所"), follow_up_text("钟公庙派出所")] {
            assert!(text.contains("钟公庙派出所") && !text.contains("3000"));
            assert!(text.chars().count() < 140, "one SMS: {text}");
        }
        assert!(broken_text("c-1").contains("c-1"));
    }

    #[test]
    fn the_digest_is_of_the_text() {
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
