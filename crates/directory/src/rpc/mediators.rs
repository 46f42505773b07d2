//! Mediator profiles on the wire: their kinds and modes, the requests that create and update
//! them parsed into plain values (every bad field named), and the `Mediator` message.

use mediation_api::Violations;
use mediation_api::directory::v1 as pb;
use tonic::Status;

use super::specialties;
use crate::domain::{Mediator, MediatorKind, Mode, check_level, parse_languages};
use crate::service::MediatorPatch;

const NAME_CHARS: usize = 100;
const BIO_CHARS: usize = 2000;
const KIND_RULE: &str = "must be STATION_MEDIATOR, THINK_TANK_EXPERT, POLICE_LIAISON or PARTNER_MEDIATOR";
pub(super) const MODE_RULE: &str = "must be IN_PERSON, VIDEO or HOME_VISIT";

fn kind_from(value: i32) -> Option<MediatorKind> {
    match pb::MediatorKind::try_from(value).ok()? {
        pb::MediatorKind::StationMediator => Some(MediatorKind::StationMediator),
        pb::MediatorKind::ThinkTankExpert => Some(MediatorKind::ThinkTankExpert),
        pb::MediatorKind::PoliceLiaison => Some(MediatorKind::PoliceLiaison),
        pb::MediatorKind::PartnerMediator => Some(MediatorKind::PartnerMediator),
        pb::MediatorKind::Unspecified => None,
    }
}

fn kind_to(kind: MediatorKind) -> pb::MediatorKind {
    match kind {
        MediatorKind::StationMediator => pb::MediatorKind::StationMediator,
        MediatorKind::ThinkTankExpert => pb::MediatorKind::ThinkTankExpert,
        MediatorKind::PoliceLiaison => pb::MediatorKind::PoliceLiaison,
        MediatorKind::PartnerMediator => pb::MediatorKind::PartnerMediator,
    }
}

/// A wire mode; `None` for UNSPECIFIED or an unknown number.
pub fn mode_from(value: i32) -> Option<Mode> {
    match pb::MediationMode::try_from(value).ok()? {
        pb::MediationMode::InPerson => Some(Mode::InPerson),
        pb::MediationMode::Video => Some(Mode::Video),
        pb::MediationMode::HomeVisit => Some(Mode::HomeVisit),
        pb::MediationMode::Unspecified => None,
    }
}

pub fn mode_to(mode: Mode) -> pb::MediationMode {
    match mode {
        Mode::InPerson => pb::MediationMode::InPerson,
        Mode::Video => pb::MediationMode::Video,
        Mode::HomeVisit => pb::MediationMode::HomeVisit,
    }
}

/// The most languages one mediator lists.
const MAX_LANGUAGES: usize = 16;

/// At least one mode, sorted, without repeats.
fn modes(v: &mut Violations, field: &str, values: &[i32]) -> Option<Vec<Mode>> {
    if !v.at_most(field, values, Mode::ALL.len()) {
        return None;
    }
    let mut out = Vec::new();
    for value in values {
        match mode_from(*value) {
            Some(mode) => out.push(mode),
            None => {
                v.add(field, "each mode must be IN_PERSON, VIDEO or HOME_VISIT");
                return None;
            }
        }
    }
    out.sort();
    out.dedup();
    if out.is_empty() {
        v.add(field, "at least one mode is required");
        return None;
    }
    Some(out)
}

fn kind(v: &mut Violations, value: i32) -> Option<MediatorKind> {
    let kind = kind_from(value);
    if kind.is_none() {
        v.add("mediator.kind", KIND_RULE);
    }
    kind
}

pub fn to_proto(m: Mediator) -> pb::Mediator {
    pb::Mediator {
        id: m.id,
        display_name: m.display_name,
        kind: kind_to(m.kind).into(),
        level: m.level,
        specialty_codes: m.specialty_codes,
        languages: m.languages,
        modes: m.modes.into_iter().map(|mode| mode_to(mode).into()).collect(),
        home_site_id: m.home_site_id,
        account_id: m.account_id,
        bio: m.bio,
        active: m.active,
    }
}

pub struct CreateMediator {
    pub request_id: String,
    /// With a new id, active.
    pub mediator: Mediator,
}

impl TryFrom<pb::CreateMediatorRequest> for CreateMediator {
    type Error = Status;

    fn try_from(req: pb::CreateMediatorRequest) -> Result<Self, Status> {
        let m = req.mediator.unwrap_or_default();
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let display_name = v.text("mediator.display_name", &m.display_name, NAME_CHARS, true);
        let kind = kind(&mut v, m.kind);
        let level = v.check("mediator.level", check_level(m.level));
        let codes = specialties::codes(&mut v, "mediator.specialty_codes", &m.specialty_codes);
        let languages = v
            .at_most("mediator.languages", &m.languages, MAX_LANGUAGES)
            .then(|| v.check("mediator.languages", parse_languages(&m.languages)))
            .flatten();
        let modes = modes(&mut v, "mediator.modes", &m.modes);
        let home = v.id("mediator.home_site_id", &m.home_site_id);
        let account = v.id("mediator.account_id", &m.account_id);
        let bio = v.text("mediator.bio", &m.bio, BIO_CHARS, false);
        v.finish(|| {
            let mediator = Mediator {
                id: uuid::Uuid::now_v7().to_string(),
                account_id: account?,
                display_name: display_name?,
                kind: kind?,
                level: level?,
                specialty_codes: codes?,
                languages: languages?,
                modes: modes?,
                home_site_id: home?,
                bio: bio?,
                active: true,
            };
            Some(CreateMediator { request_id: request_id?, mediator })
        })
    }
}

pub struct UpdateMediator {
    pub id: String,
    /// The masked fields.
    pub patch: MediatorPatch,
}

impl TryFrom<pb::UpdateMediatorRequest> for UpdateMediator {
    type Error = Status;

    fn try_from(req: pb::UpdateMediatorRequest) -> Result<Self, Status> {
        let m = req.mediator.unwrap_or_default();
        let mut v = Violations::new();
        let id = v.id("mediator.id", &m.id);
        let mut patch = MediatorPatch::default();
        let allowed = ["display_name", "kind", "level", "specialty_codes", "languages", "modes", "home_site_id", "bio"];
        for path in v.update_mask(req.update_mask, &allowed) {
            match path.as_str() {
                "display_name" => {
                    patch.display_name = v.text("mediator.display_name", &m.display_name, NAME_CHARS, true)
                }
                "kind" => patch.kind = kind(&mut v, m.kind),
                "level" => patch.level = v.check("mediator.level", check_level(m.level)),
                "specialty_codes" => {
                    patch.specialty_codes = specialties::codes(&mut v, "mediator.specialty_codes", &m.specialty_codes)
                }
                "languages" => {
                    patch.languages = v
                        .at_most("mediator.languages", &m.languages, MAX_LANGUAGES)
                        .then(|| v.check("mediator.languages", parse_languages(&m.languages)))
                        .flatten()
                }
                "modes" => patch.modes = modes(&mut v, "mediator.modes", &m.modes),
                "home_site_id" => patch.home_site_id = v.id("mediator.home_site_id", &m.home_site_id),
                "bio" => patch.bio = v.text("mediator.bio", &m.bio, BIO_CHARS, false),
                _ => {}
            }
        }
        v.finish(|| Some(UpdateMediator { id: id?, patch }))
    }
}
