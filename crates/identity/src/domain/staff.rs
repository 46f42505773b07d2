//! Who may create staff accounts and kiosks, and where they may belong: a station admin acts
//! only within their own station, a centre admin anywhere.

use mediation_auth::{Principal, Role};

/// The kinds of site the directory keeps, as these rules need them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteKind {
    Centre,
    Station,
    Kiosk,
    /// A partner body (court, lawyers' association, civil affairs, a community).
    Partner,
}

impl SiteKind {
    /// The kind a site's stored name (`CENTRE`, `STATION`, `KIOSK`) stands for; `None` for a
    /// kind these rules do not know, which fits nothing.
    pub fn parse(kind: &str) -> Option<Self> {
        match kind {
            "CENTRE" => Some(SiteKind::Centre),
            "STATION" => Some(SiteKind::Station),
            "KIOSK" => Some(SiteKind::Kiosk),
            "PARTNER" => Some(SiteKind::Partner),
            _ => None,
        }
    }
}

/// The site an admin acts for: a station admin's own station (whether named or not), a centre
/// admin's choice; or why not.
pub fn admin_site(principal: &Principal, requested: Option<String>) -> Result<Option<String>, &'static str> {
    match principal.role {
        Role::CentreAdmin => Ok(requested),
        Role::StationAdmin => match (&principal.site_id, requested) {
            (Some(own), None) => Ok(Some(own.clone())),
            (Some(own), Some(site)) if *own == site => Ok(Some(site)),
            _ => Err("a station admin acts only for their own station"),
        },
        _ => Err("only admins may do this"),
    }
}

/// Staff belong to a centre or a station; station admins to a station; partner staff to a
/// PARTNER site, the only role such a site takes.
pub fn staff_site_fits(role: Role, kind: Option<SiteKind>) -> bool {
    match role {
        Role::StationAdmin => kind == Some(SiteKind::Station),
        Role::PartnerStaff => kind == Some(SiteKind::Partner),
        _ => matches!(kind, Some(SiteKind::Centre | SiteKind::Station)),
    }
}

/// A centre admin provisions any kiosk; a station admin those under their own station.
pub fn may_provision_kiosk(principal: &Principal, kiosk_station: Option<&str>) -> bool {
    let own_station = principal.site_id.is_some() && kiosk_station == principal.site_id.as_deref();
    principal.role == Role::CentreAdmin || own_station
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, site: Option<&str>) -> Principal {
        Principal { account_id: "p".into(), role, site_id: site.map(Into::into), kiosk_id: None }
    }

    #[test]
    fn station_admins_stay_in_their_station() {
        let station = principal(Role::StationAdmin, Some("s1"));
        assert_eq!(admin_site(&station, None).unwrap(), Some("s1".into()));
        assert_eq!(admin_site(&station, Some("s1".into())).unwrap(), Some("s1".into()));
        assert!(admin_site(&station, Some("s2".into())).is_err());
        assert!(admin_site(&principal(Role::StationAdmin, None), None).is_err());
        let centre = principal(Role::CentreAdmin, None);
        assert_eq!(admin_site(&centre, Some("s2".into())).unwrap(), Some("s2".into()));
        assert_eq!(admin_site(&centre, None).unwrap(), None);
        assert!(admin_site(&principal(Role::Mediator, Some("s1")), None).is_err());
    }

    #[test]
    fn staff_belong_to_centres_and_stations() {
        assert!(staff_site_fits(Role::Mediator, Some(SiteKind::Centre)));
        assert!(staff_site_fits(Role::Dispatcher, Some(SiteKind::Station)));
        assert!(!staff_site_fits(Role::Mediator, Some(SiteKind::Kiosk)));
        assert!(!staff_site_fits(Role::StationAdmin, Some(SiteKind::Centre)));
        assert!(staff_site_fits(Role::StationAdmin, Some(SiteKind::Station)));
        assert!(!staff_site_fits(Role::Mediator, SiteKind::parse("VAN")));
        assert!(staff_site_fits(Role::PartnerStaff, SiteKind::parse("PARTNER")));
        assert!(!staff_site_fits(Role::PartnerStaff, Some(SiteKind::Station)));
        assert!(!staff_site_fits(Role::PartnerStaff, None));
        assert!(!staff_site_fits(Role::Mediator, Some(SiteKind::Partner)));
        assert!(!staff_site_fits(Role::StationAdmin, Some(SiteKind::Partner)));
    }

    #[test]
    fn kiosks_are_provisioned_within_reach() {
        assert!(may_provision_kiosk(&principal(Role::CentreAdmin, None), Some("s1")));
        assert!(may_provision_kiosk(&principal(Role::StationAdmin, Some("s1")), Some("s1")));
        assert!(!may_provision_kiosk(&principal(Role::StationAdmin, Some("s1")), Some("s2")));
        assert!(!may_provision_kiosk(&principal(Role::StationAdmin, None), None));
    }
}
