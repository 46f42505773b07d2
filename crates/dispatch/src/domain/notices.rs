//! The texts of a home visit's notices to the resident, in Chinese as an SMS: when a plan puts
//! the visit on a van (VISIT_PLANNED), when the crew sets off (VISIT_EN_ROUTE, with the tracking
//! link) and when it could not be done (VISIT_FAILED, with how to book again). An SMS may be read
//! by anyone holding the phone and passes through the carrier: it never carries the home
//! address, and a crew's note that quotes the address is left out.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

/// The arrival window the resident is told once a plan is committed: the planned arrival less
/// `margin` to the planned arrival plus `margin`, inside the window they asked for.
pub fn arrival_window(
    eta: DateTime<Utc>,
    asked: (DateTime<Utc>, DateTime<Utc>),
    margin: Duration,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let (from, to) = asked;
    let start = (eta - margin).max(from).min(eta);
    let end = (eta + margin).min(to).max(eta);
    (start, end)
}

fn clock(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone).format("%H:%M").to_string()
}

fn day(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone).format("%m月%d日").to_string()
}

/// VISIT_PLANNED: the date and the arrival window, in the station's zone.
pub fn planned_text(window: (DateTime<Utc>, DateTime<Utc>), zone: Tz, station: &str) -> String {
    format!(
        "【鄞州调解】您申请的上门调解已安排：调解员将于{} {}至{}之间上门（{}流动调解车）。如需取消，请在App中操作。",
        day(window.0, zone),
        clock(window.0, zone),
        clock(window.1, zone),
        station
    )
}

/// VISIT_EN_ROUTE: the expected arrival and the tracking link.
pub fn en_route_text(eta: Option<DateTime<Utc>>, zone: Tz, link: &str) -> String {
    let when = eta.map(|t| format!("，预计{}到达", clock(t, zone))).unwrap_or_default();
    format!("【鄞州调解】调解员已出发前往您家{when}。查看车辆实时位置：{link}")
}

/// VISIT_FAILED: the crew's note as the reason (unless it is empty, too long, or quotes the
/// address), and how to book again.
pub fn failed_text(note: &str, address: &str, station: &str) -> String {
    let note = note.trim();
    let reason = if note.is_empty() || quotes(note, address) || note.chars().count() > 100 {
        "现场情况不允许".to_owned()
    } else {
        note.to_owned()
    };
    format!(
        "【鄞州调解】很抱歉，本次上门调解未能完成，原因：{reason}。如需重新预约，请在App中为该案件再次申请上门调解，或联系{station}。"
    )
}

/// Whether `note` quotes any four characters in a row of the address past the city and
/// district (what a masked address shows anyway), or the whole of a short one.
fn quotes(note: &str, address: &str) -> bool {
    let chars: Vec<char> = address.trim().chars().collect();
    if chars.is_empty() {
        return false;
    }
    let private = &chars[(chars.len() / 3).min(6)..];
    if private.len() < 4 {
        return note.contains(address.trim());
    }
    private.windows(4).any(|w| note.contains(&w.iter().collect::<String>()))
}

/// The tracking link of a visit: `<base>/track/<token>`.
pub fn tracking_link(base: &str, token: &str) -> String {
    format!("{}/track/{token}", base.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    const ZONE: Tz = chrono_tz::Asia::Shanghai;
    const ADDRESS: &str = "宁波市鄞州区中河街道天童南路588号3幢201室";

    #[test]
    fn the_arrival_window_narrows_around_the_eta_inside_the_asked_window() {
        let asked = (at("2026-12-08T01:00:00Z"), at("2026-12-08T05:00:00Z"));
        let m = Duration::minutes(30);
        let cases = [
            ("2026-12-08T02:00:00Z", ("2026-12-08T01:30:00Z", "2026-12-08T02:30:00Z")),
            ("2026-12-08T01:10:00Z", ("2026-12-08T01:00:00Z", "2026-12-08T01:40:00Z")),
            ("2026-12-08T04:50:00Z", ("2026-12-08T04:20:00Z", "2026-12-08T05:00:00Z")),
        ];
        for (eta, (from, to)) in cases {
            assert_eq!(arrival_window(at(eta), asked, m), (at(from), at(to)), "eta {eta}");
        }
    }

    #[test]
    fn notices_are_chinese_in_local_time_and_never_carry_the_address() {
        let planned = planned_text((at("2026-12-08T01:30:00Z"), at("2026-12-08T02:30:00Z")), ZONE, "中河派出所");
        assert!(planned.contains("12月08日 09:30至10:30"), "{planned}");
        let link = tracking_link("https://m.example/", "abc");
        assert_eq!(link, "https://m.example/track/abc");
        let en_route = en_route_text(Some(at("2026-12-08T01:45:00Z")), ZONE, &link);
        assert!(en_route.contains("预计09:45到达") && en_route.ends_with("https://m.example/track/abc"), "{en_route}");
        for text in [planned, en_route] {
            assert!(!text.contains("天童南路"), "{text}");
        }
    }

    #[test]
    fn a_failure_gives_the_crews_reason_unless_it_quotes_the_address() {
        let told = failed_text("家中无人", ADDRESS, "中河派出所");
        assert!(told.contains("原因：家中无人") && told.contains("重新预约"), "{told}");
        for note in [ADDRESS, "到了天童南路588号3幢没人开门", "", "  "] {
            let told = failed_text(note, ADDRESS, "中河派出所");
            assert!(told.contains("原因：现场情况不允许") && !told.contains("天童南路"), "{note}: {told}");
        }
    }
}
