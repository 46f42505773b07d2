//! The demo's fixed, readable ids and logins, derived from the rows of `data.rs`.

use super::CENTRE_ID;
use super::data::{Home, StationSeed};

pub(super) fn station_id(s: &StationSeed) -> String {
    format!("site-station-{}", s.slug)
}

pub(super) fn kiosk_site_id(s: &StationSeed) -> String {
    format!("site-kiosk-{}", s.slug)
}

pub(super) fn kiosk_account_id(s: &StationSeed) -> String {
    format!("kiosk-{}", s.slug)
}

pub(super) fn kiosk_name(s: &StationSeed) -> String {
    format!("{}城市智能警务亭", s.name)
}

pub(super) fn station_admin_login(s: &StationSeed) -> String {
    format!("{}.admin", s.slug)
}

/// The dispatcher of a station's vans: the centre's dispatcher account is bound to the centre,
/// which is neither a station nor centre-wide, so the vans need one of their own station.
pub(super) fn station_dispatcher_login(s: &StationSeed) -> String {
    format!("{}.dispatcher", s.slug)
}

pub(super) fn mediator_id(index: usize) -> String {
    format!("mediator-{:03}", index + 1)
}

pub(super) fn mediator_login(index: usize) -> String {
    format!("mediator.{:03}", index + 1)
}

pub(super) fn home_site_id(home: Home) -> String {
    match home {
        Home::Centre => CENTRE_ID.to_owned(),
        Home::Station(slug) => format!("site-station-{slug}"),
    }
}
