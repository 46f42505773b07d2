//! The directory's rules as pure functions: the kinds of sites, rooms, mediators and modes,
//! what a valid site, room or profile is, the shape of the site hierarchy, and search ranking.

pub mod search;

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

/// An enum stored and carried by its upper-case name (other service crates use it too).
#[macro_export]
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::domain::Invalid;

            fn from_str(s: &str) -> Result<Self, $crate::domain::Invalid> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s)
                    .ok_or_else(|| $crate::domain::Invalid(format!("unknown {} {s:?}", stringify!($name))))
            }
        }
    };
}

named_enum!(SiteKind { Centre => "CENTRE", Station => "STATION", Kiosk => "KIOSK", Partner => "PARTNER" });
named_enum!(RoomKind { Mediation => "MEDIATION", Triage => "TRIAGE", Video => "VIDEO", Advisory => "ADVISORY" });
named_enum!(MediatorKind {
    StationMediator => "STATION_MEDIATOR",
    ThinkTankExpert => "THINK_TANK_EXPERT",
    PoliceLiaison => "POLICE_LIAISON",
    PartnerMediator => "PARTNER_MEDIATOR",
});
named_enum!(
    /// How a session is held.
    Mode { InPerson => "IN_PERSON", Video => "VIDEO", HomeVisit => "HOME_VISIT" }
);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

pub const DEFAULT_TIME_ZONE: &str = "Asia/Shanghai";
pub const LEVELS: std::ops::RangeInclusive<i32> = 1..=5;
pub const MAX_CAPACITY: i32 = 500;

#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub id: String,
    pub name: String,
    pub kind: SiteKind,
    pub parent_id: Option<String>,
    pub time_zone: String,
    pub address: String,
    pub location: Option<LatLng>,
}

impl Site {
    /// The site's time zone. `time_zone` holds a name [`parse_time_zone`] accepted, so this
    /// fails only for a row written around the rules.
    pub fn zone(&self) -> Result<chrono_tz::Tz, Invalid> {
        chrono_tz::Tz::from_str(&self.time_zone)
            .map_err(|_| Invalid(format!("{:?} is not an IANA time zone such as Asia/Shanghai", self.time_zone)))
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLng {
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    pub id: String,
    pub site_id: String,
    pub name: String,
    pub kind: RoomKind,
    pub capacity: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mediator {
    pub id: String,
    pub account_id: String,
    pub display_name: String,
    pub kind: MediatorKind,
    pub level: i32,
    pub specialty_codes: Vec<String>,
    pub languages: Vec<String>,
    pub modes: Vec<Mode>,
    pub home_site_id: String,
    pub bio: String,
    pub active: bool,
}

/// A trimmed name of 1 to `max` characters without control characters. Other crates check
/// texts with it; the directory's own face uses `Violations::text`, which keeps the same rules.
pub fn parse_text(value: &str, max: usize, required: bool) -> Result<String, Invalid> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(Invalid("is required".into()));
    }
    if value.chars().count() > max {
        return Err(Invalid(format!("must be at most {max} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Invalid("must not contain control characters".into()));
    }
    Ok(value.to_owned())
}

/// An IANA zone name chrono-tz knows; empty means the default.
pub fn parse_time_zone(value: &str) -> Result<String, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(DEFAULT_TIME_ZONE.to_owned());
    }
    chrono_tz::Tz::from_str(value)
        .map(|tz| tz.name().to_owned())
        .map_err(|_| Invalid(format!("{value:?} is not an IANA time zone such as Asia/Shanghai")))
}

pub fn check_location(location: LatLng) -> Result<LatLng, Invalid> {
    let ok = (-90.0..=90.0).contains(&location.latitude) && (-180.0..=180.0).contains(&location.longitude);
    if ok { Ok(location) } else { Err(Invalid("latitude must be within ±90 and longitude within ±180".into())) }
}

/// A centre has no parent; a station's and a partner body's parent is a centre; a kiosk's a
/// station.
pub fn check_parent(kind: SiteKind, parent: Option<SiteKind>) -> Result<(), Invalid> {
    match (kind, parent) {
        (SiteKind::Centre, None)
        | (SiteKind::Station | SiteKind::Partner, Some(SiteKind::Centre))
        | (SiteKind::Kiosk, Some(SiteKind::Station)) => Ok(()),
        (SiteKind::Centre, Some(_)) => Err(Invalid("a centre has no parent".into())),
        (SiteKind::Station, _) => Err(Invalid("a station's parent must be a centre".into())),
        (SiteKind::Partner, _) => Err(Invalid("a partner body's parent must be a centre".into())),
        (SiteKind::Kiosk, _) => Err(Invalid("a kiosk's parent must be a station".into())),
    }
}

/// A station's police desk, where the outcome of its POLICE_110 cases is sent: a phone for SMS
/// (E.164) and/or a webhook URL. The default has neither, and nothing is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoliceDesk {
    pub phone: Option<String>,
    pub webhook_url: Option<String>,
}

impl PoliceDesk {
    pub fn is_empty(&self) -> bool {
        self.phone.is_none() && self.webhook_url.is_none()
    }
}

/// The longest webhook URL a police desk may have.
pub const MAX_WEBHOOK_URL: usize = 500;

/// An `https://` or `http://` URL with a host, without spaces or control characters; empty is
/// none.
pub fn parse_webhook_url(value: &str) -> Result<Option<String>, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > MAX_WEBHOOK_URL {
        return Err(Invalid(format!("must be at most {MAX_WEBHOOK_URL} characters")));
    }
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
    let clean = !value.chars().any(|c| c.is_whitespace() || c.is_control());
    match host {
        Some(host) if clean && !host.is_empty() && !host.starts_with(':') => Ok(Some(value.to_owned())),
        _ => Err(Invalid("must be an https:// or http:// URL with a host, such as https://desk.example/110".into())),
    }
}

/// Only a station has a police desk; any site may have none.
pub fn check_police_desk(kind: SiteKind, desk: &PoliceDesk) -> Result<(), Invalid> {
    if desk.is_empty() || kind == SiteKind::Station {
        Ok(())
    } else {
        Err(Invalid("only a STATION has a police desk".into()))
    }
}

/// MEDIATION rooms need 1 to 500 seats; other rooms 0 to 500.
pub fn check_capacity(kind: RoomKind, capacity: i32) -> Result<i32, Invalid> {
    let min = if kind == RoomKind::Mediation { 1 } else { 0 };
    if (min..=MAX_CAPACITY).contains(&capacity) {
        Ok(capacity)
    } else {
        Err(Invalid(format!("must be {min} to {MAX_CAPACITY} for a {} room", kind.as_str())))
    }
}

pub fn check_level(level: i32) -> Result<i32, Invalid> {
    if LEVELS.contains(&level) { Ok(level) } else { Err(Invalid("must be 1 (entry) to 5 (chief mediator)".into())) }
}

/// Lower-case language tags such as `zh`, `en`, `yue`, `zh-hans`; sorted, without repeats.
pub fn parse_languages(values: &[String]) -> Result<Vec<String>, Invalid> {
    let mut out = Vec::new();
    for value in values {
        let tag = value.trim().to_ascii_lowercase();
        let mut parts = tag.split('-');
        let primary_ok =
            parts.next().is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase()));
        let rest_ok = parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !primary_ok || !rest_ok {
            return Err(Invalid(format!("{value:?} is not a language tag such as zh or en")));
        }
        out.push(tag);
    }
    out.sort();
    out.dedup();
    if out.is_empty() {
        return Err(Invalid("at least one language is required".into()));
    }
    Ok(out)
}

/// `,a,b,`: a list that one `LIKE '%,a,%'` searches on either backend.
pub fn join_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::from(",");
    for item in items {
        out.push_str(item);
        out.push(',');
    }
    out
}

pub fn split_list(stored: &str) -> Vec<String> {
    stored.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// `root` and every site under it, given each site's parent.
pub fn subtree(parents: &[(String, Option<String>)], root: &str) -> HashSet<String> {
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    for (id, parent) in parents {
        if let Some(parent) = parent {
            children.entry(parent.as_str()).or_default().push(id.as_str());
        }
    }
    let mut found = HashSet::from([root.to_owned()]);
    let mut stack = vec![root];
    while let Some(site) = stack.pop() {
        for child in children.get(site).into_iter().flatten() {
            if found.insert((*child).to_owned()) {
                stack.push(child);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hierarchy() {
        use SiteKind::*;
        let cases = [
            (Centre, None, true),
            (Centre, Some(Centre), false),
            (Station, Some(Centre), true),
            (Station, None, false),
            (Station, Some(Station), false),
            (Kiosk, Some(Station), true),
            (Kiosk, Some(Centre), false),
            (Kiosk, None, false),
            (Partner, Some(Centre), true),
            (Partner, Some(Station), false),
            (Partner, None, false),
        ];
        for (kind, parent, ok) in cases {
            assert_eq!(check_parent(kind, parent).is_ok(), ok, "{kind:?} under {parent:?}");
        }
    }

    #[test]
    fn time_zones() {
        assert_eq!(parse_time_zone("").unwrap(), "Asia/Shanghai");
        assert_eq!(parse_time_zone("Asia/Urumqi").unwrap(), "Asia/Urumqi");
        assert!(parse_time_zone("Mars/Olympus_Mons").is_err());
        assert!(parse_time_zone("+08:00").is_err());
    }

    #[test]
    fn a_site_knows_its_zone() {
        let mut site = Site {
            id: "s".into(),
            name: "s".into(),
            kind: SiteKind::Centre,
            parent_id: None,
            time_zone: parse_time_zone("Asia/Urumqi").unwrap(),
            address: String::new(),
            location: None,
        };
        assert_eq!(site.zone(), Ok(chrono_tz::Asia::Urumqi));
        site.time_zone = "Mars/Olympus_Mons".into();
        assert!(site.zone().is_err());
    }

    #[test]
    fn capacities_and_levels() {
        assert!(check_capacity(RoomKind::Mediation, 0).is_err());
        assert_eq!(check_capacity(RoomKind::Mediation, 12), Ok(12));
        assert_eq!(check_capacity(RoomKind::Video, 0), Ok(0));
        assert!(check_capacity(RoomKind::Triage, 501).is_err());
        assert!(check_capacity(RoomKind::Triage, -1).is_err());
        assert!(check_level(0).is_err());
        assert!(check_level(6).is_err());
        assert_eq!(check_level(3), Ok(3));
    }

    #[test]
    fn locations() {
        assert!(check_location(LatLng { latitude: 29.82, longitude: 121.55 }).is_ok());
        assert!(check_location(LatLng { latitude: 91.0, longitude: 0.0 }).is_err());
        assert!(check_location(LatLng { latitude: 0.0, longitude: -180.5 }).is_err());
    }

    #[test]
    fn languages_are_normalised() {
        let input = ["ZH".to_owned(), "en".into(), "zh".into(), "wuu".into()];
        assert_eq!(parse_languages(&input).unwrap(), ["en", "wuu", "zh"]);
        assert!(parse_languages(&["chinese!".into()]).is_err());
        assert!(parse_languages(&[]).is_err());
    }

    #[test]
    fn lists_round_trip() {
        let stored = join_list(["IN_PERSON", "VIDEO"]);
        assert_eq!(stored, ",IN_PERSON,VIDEO,");
        assert_eq!(split_list(&stored), ["IN_PERSON", "VIDEO"]);
        assert!(split_list(",").is_empty());
    }

    #[test]
    fn subtrees() {
        let s = |id: &str, parent: Option<&str>| (id.to_owned(), parent.map(str::to_owned));
        let sites = [s("c", None), s("s1", Some("c")), s("s2", Some("c")), s("k1", Some("s1")), s("other", None)];
        let mut under_c: Vec<_> = subtree(&sites, "c").into_iter().collect();
        under_c.sort();
        assert_eq!(under_c, ["c", "k1", "s1", "s2"]);
        let mut under_s1: Vec<_> = subtree(&sites, "s1").into_iter().collect();
        under_s1.sort();
        assert_eq!(under_s1, ["k1", "s1"]);
    }

    #[test]
    fn names_parse_from_their_text() {
        assert_eq!("THINK_TANK_EXPERT".parse::<MediatorKind>(), Ok(MediatorKind::ThinkTankExpert));
        assert!("think_tank_expert".parse::<MediatorKind>().is_err());
        for mode in Mode::ALL {
            assert_eq!(mode.as_str().parse::<Mode>(), Ok(*mode));
        }
    }
}

/// Whether `principal` administers `site`: a centre admin every site, a station admin its own
/// station and the kiosks under it.
pub fn manages(principal: &mediation_auth::Principal, site: &Site) -> bool {
    use mediation_auth::Role;
    match principal.role {
        Role::CentreAdmin => true,
        Role::StationAdmin => {
            principal.site_id.as_deref().is_some_and(|own| site.id == own || site.parent_id.as_deref() == Some(own))
        }
        _ => false,
    }
}

#[cfg(test)]
mod police_desk_tests {
    use super::*;

    #[test]
    fn webhook_urls_are_http_with_a_host() {
        assert_eq!(parse_webhook_url(""), Ok(None));
        assert_eq!(parse_webhook_url(" https://desk.example/110 "), Ok(Some("https://desk.example/110".into())));
        assert_eq!(parse_webhook_url("http://127.0.0.1:8080/hook"), Ok(Some("http://127.0.0.1:8080/hook".into())));
        for bad in
            ["ftp://desk.example", "desk.example/110", "https://", "https:///path", "https://a b", "http://:80/x"]
        {
            assert!(parse_webhook_url(bad).is_err(), "{bad}");
        }
        assert!(parse_webhook_url(&format!("https://a.example/{}", "x".repeat(MAX_WEBHOOK_URL))).is_err());
    }

    #[test]
    fn only_stations_have_a_police_desk() {
        let desk = PoliceDesk { phone: Some("+8613800000001".into()), webhook_url: None };
        assert!(check_police_desk(SiteKind::Station, &desk).is_ok());
        for kind in [SiteKind::Centre, SiteKind::Kiosk, SiteKind::Partner] {
            assert!(check_police_desk(kind, &desk).is_err(), "{kind:?}");
            assert!(check_police_desk(kind, &PoliceDesk::default()).is_ok(), "{kind:?}");
        }
    }
}

#[cfg(test)]
mod manage_tests {
    use mediation_auth::{Principal, Role};

    use super::*;

    fn site(id: &str, kind: SiteKind, parent: Option<&str>) -> Site {
        Site {
            id: id.into(),
            name: id.into(),
            kind,
            parent_id: parent.map(Into::into),
            time_zone: DEFAULT_TIME_ZONE.into(),
            address: String::new(),
            location: None,
        }
    }

    #[test]
    fn who_manages_what() {
        let principal = |role, site: Option<&str>| Principal {
            account_id: "p".into(),
            role,
            site_id: site.map(Into::into),
            kiosk_id: None,
        };
        let centre = site("c", SiteKind::Centre, None);
        let s1 = site("s1", SiteKind::Station, Some("c"));
        let k1 = site("k1", SiteKind::Kiosk, Some("s1"));
        let s2 = site("s2", SiteKind::Station, Some("c"));
        let admin_s1 = principal(Role::StationAdmin, Some("s1"));
        assert!(manages(&admin_s1, &s1));
        assert!(manages(&admin_s1, &k1));
        assert!(!manages(&admin_s1, &s2));
        assert!(!manages(&admin_s1, &centre));
        assert!(!manages(&principal(Role::StationAdmin, None), &s1));
        assert!(manages(&principal(Role::CentreAdmin, None), &s2));
        assert!(!manages(&principal(Role::Mediator, Some("s1")), &s1));
        assert!(!manages(&principal(Role::Resident, None), &s1));
    }
}
