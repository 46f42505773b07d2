use std::fmt;
use std::str::FromStr;

/// The six roles of API.md and the staff of partner bodies. Stored and carried in tokens by
/// [`Role::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Resident,
    Kiosk,
    Mediator,
    Dispatcher,
    StationAdmin,
    CentreAdmin,
    /// Staff of a PARTNER site (the court, the lawyers' association, civil affairs, a
    /// community): they see and answer only the tasks the centre sends to their site, with the
    /// few case fields a task needs, and nothing else of the district.
    PartnerStaff,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Resident,
        Role::Kiosk,
        Role::Mediator,
        Role::Dispatcher,
        Role::StationAdmin,
        Role::CentreAdmin,
        Role::PartnerStaff,
    ];
    /// The district's own people and devices: every role but a partner body's staff, who are
    /// outsiders to cases and bookings and are let into named methods only.
    pub const DISTRICT: [Role; 6] =
        [Role::Resident, Role::Kiosk, Role::Mediator, Role::Dispatcher, Role::StationAdmin, Role::CentreAdmin];
    /// Roles of people who work for the centre or a station (not residents, not devices).
    pub const STAFF: &'static [Role] = &[Role::Mediator, Role::Dispatcher, Role::StationAdmin, Role::CentreAdmin];
    pub const ADMINS: &'static [Role] = &[Role::StationAdmin, Role::CentreAdmin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Resident => "RESIDENT",
            Role::Kiosk => "KIOSK",
            Role::Mediator => "MEDIATOR",
            Role::Dispatcher => "DISPATCHER",
            Role::StationAdmin => "STATION_ADMIN",
            Role::CentreAdmin => "CENTRE_ADMIN",
            Role::PartnerStaff => "PARTNER_STAFF",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// The verified caller of a request, put into the request's extensions by the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub account_id: String,
    pub role: Role,
    /// The station or kiosk site the account belongs to; `None` for centre-wide accounts.
    pub site_id: Option<String>,
    /// For a resident session started at a kiosk: that kiosk's id.
    pub kiosk_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("ROOT".parse::<Role>().is_err());
        assert!("resident".parse::<Role>().is_err());
    }
}
