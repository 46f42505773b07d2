//! Remote video: a VIDEO room at a station or kiosk meets a mediator who may work anywhere (a
//! think-tank expert at the district centre), and GetJoinLink gives each participant a link of
//! their own into the session's video room. The links come from the [`VideoProvider`] the
//! service was built with; this module decides who joins, as whom, and when.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use mediation_api::Fault;
use mediation_directory::domain::{Mode, RoomKind, SiteKind};
use mediation_store::DbConnection;
use mediation_video::{JoinGrant, VideoProvider};

use super::{AppointmentSettings, site_zone};
use crate::domain::access::Viewer;
use crate::domain::hours::{self, Interval};
use crate::domain::video::{self, Participant, RoomPlace};
use crate::domain::{Case, ExceptionKind, PartyRole};
use crate::error::Result;
use crate::repo;

/// The site of `room_id` when it is a VIDEO room at a station or kiosk: a VIDEO session booked
/// in it may take mediators working anywhere.
pub(super) fn remote_video_room(conn: &mut DbConnection, room_id: &str) -> Result<Option<String>> {
    let Some(room) = mediation_directory::repo::room(conn, room_id)?.filter(|r| r.kind == RoomKind::Video) else {
        return Ok(None);
    };
    let site = mediation_directory::repo::site(conn, &room.site_id)?;
    Ok(site.filter(|s| video::hosts_remote_video(s.kind)).map(|s| s.id))
}

/// Checks that every mediator works through `span` somewhere: weekly hours at any site or EXTRA
/// hours anywhere, with no leave during it.
pub(super) fn check_working_anywhere(conn: &mut DbConnection, mediator_ids: &[String], span: Interval) -> Result<()> {
    let all_hours = repo::hours(conn, Some(mediator_ids), None)?;
    let exceptions = repo::exceptions(conn, mediator_ids, span)?;
    for mediator_id in mediator_ids {
        let mine = exceptions.iter().filter(|e| e.mediator_id == *mediator_id);
        let on_leave = mine.clone().any(|e| e.kind == ExceptionKind::Leave && e.span.overlaps(&span));
        let mut working: Vec<Interval> = mine.filter(|e| e.kind == ExceptionKind::Extra).map(|e| e.span).collect();
        for (_, site_id, rules) in all_hours.iter().filter(|(m, ..)| m == mediator_id) {
            let tz: Tz = site_zone(conn, site_id)?;
            working.extend(hours::expand(rules, tz, span));
        }
        if on_leave || !hours::merge(working).iter().any(|w| w.contains(&span)) {
            return Err(Fault::invalid("start", "a mediator is not working through that whole time").into());
        }
    }
    Ok(())
}

/// The `join_url` a session carries: for VIDEO, the video system's page of its room without a
/// token (`<join page>?room=appointment-<id>`), which admits nobody by itself; each participant
/// asks GetJoinLink for their own. Empty for other modes.
pub fn join_url(settings: &AppointmentSettings, mode: Mode, appointment_id: &str) -> String {
    if mode != Mode::Video || settings.video_join_page.is_empty() {
        return String::new();
    }
    let page = &settings.video_join_page;
    let separator = if page.contains('?') { '&' } else { '?' };
    format!("{page}{separator}room={}", video::room_name(appointment_id))
}

/// A participant's own link into a VIDEO session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedLink {
    pub url: String,
    pub not_before: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Whom it admits: `party:<position>`, `mediator:<id>` or `room:<id>`.
    pub identity: String,
}

/// Where a room is, with the station its site belongs to.
fn room_place(conn: &mut DbConnection, room_id: &str) -> Result<Option<(RoomPlace, String)>> {
    let Some(room) = mediation_directory::repo::room(conn, room_id)? else { return Ok(None) };
    let site = mediation_directory::repo::site(conn, &room.site_id)?;
    let station = site.as_ref().and_then(|s| match s.kind {
        SiteKind::Station => Some(s.id.clone()),
        SiteKind::Kiosk => s.parent_id.clone(),
        SiteKind::Centre | SiteKind::Partner => None,
    });
    let shown = match &site {
        Some(site) => format!("{} {}", site.name, room.name),
        None => room.name.clone(),
    };
    Ok(Some((RoomPlace { room_id: room.id, site_id: room.site_id, station }, shown)))
}

/// The name the others see: a party by their role (not their name, which a screen in a public
/// place could show), a mediator by their profile's name, the room by its site and name.
fn display_name(
    conn: &mut DbConnection,
    case: &Case,
    participant: &Participant,
    room: Option<String>,
) -> Result<String> {
    Ok(match participant {
        Participant::Party(position) => match case.parties.get(*position).map(|p| p.role) {
            Some(PartyRole::Applicant) | None => "申请人".to_owned(),
            Some(PartyRole::Respondent) => "被申请人".to_owned(),
            Some(PartyRole::Other) => "当事人".to_owned(),
        },
        Participant::Mediator(id) => match mediation_directory::repo::mediator(conn, id)? {
            Some(mediator) => mediator.display_name,
            None => "调解员".to_owned(),
        },
        Participant::Room(_) => room.unwrap_or_else(|| "调解室".to_owned()),
    })
}

/// GetJoinLink: the viewer's own link into a BOOKED or CHECKED_IN VIDEO session, valid from
/// `video_join_early` before its start to its end. NOT_FOUND for anyone who does not take part
/// in it, before any other answer, so that its existence stays private.
pub fn join_link(
    conn: &mut DbConnection,
    viewer: &Viewer,
    settings: &AppointmentSettings,
    provider: &dyn VideoProvider,
    appointment_id: &str,
) -> Result<IssuedLink> {
    let appointment = repo::appointment(conn, appointment_id)?.ok_or(Fault::NotFound("appointment"))?;
    let case = repo::case(conn, &appointment.case_id)?.ok_or(Fault::NotFound("appointment"))?;
    let (room, room_shown) = match &appointment.room_id {
        Some(room_id) => room_place(conn, room_id)?.unzip(),
        None => (None, None),
    };
    let participant =
        video::participant(viewer, &case, &appointment, room.as_ref()).ok_or(Fault::NotFound("appointment"))?;
    if let Some(reason) = video::not_joinable(&appointment) {
        let message = format!(
            "only a BOOKED or CHECKED_IN VIDEO session is joined; this one is {} and {}",
            appointment.mode.as_str(),
            appointment.status.as_str()
        );
        let fault = Fault::state(reason, message).with("appointment_id", &appointment.id);
        return Err(fault.with("current_state", appointment.status.as_str()).into());
    }
    let window = video::join_window(appointment.span, settings.video_join_early);
    let grant = JoinGrant {
        room: video::room_name(&appointment.id),
        identity: participant.identity(),
        display_name: display_name(conn, &case, &participant, room_shown)?,
        not_before: window.start,
        expires_at: window.end,
    };
    let link = provider.join_link(&grant)?;
    Ok(IssuedLink { url: link.url, not_before: window.start, expires_at: link.expires_at, identity: grant.identity })
}
