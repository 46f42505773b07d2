//! Who may do what with a home visit, and who sees its address: the resident whose case it is
//! and the station's dispatchers see it; a van crew only for visits assigned to its van.

use mediation_appointments::domain::Case;
use mediation_appointments::domain::access::Viewer;
use mediation_auth::Role;

use super::HomeVisit;

/// Dispatchers, station admins and centre admins of `station`, or centre-wide ones.
pub fn is_dispatcher_of(viewer: &Viewer, station: &str) -> bool {
    let role = viewer.role();
    matches!(role, Role::Dispatcher | Role::StationAdmin | Role::CentreAdmin)
        && (viewer.is_centre_wide() || role == Role::CentreAdmin || viewer.station.as_deref() == Some(station))
}

/// Whether the viewer crews the van the visit is assigned to; `crew_vans` are the vans the
/// viewer crews on the visit's date.
pub fn crews_visit(visit: &HomeVisit, crew_vans: &[String]) -> bool {
    visit.van_id.as_ref().is_some_and(|van| crew_vans.contains(van))
}

/// Whether the visit exists as far as the viewer may know.
pub fn can_see(viewer: &Viewer, case: &Case, visit: &HomeVisit, crew_vans: &[String]) -> bool {
    viewer.can_see(case, false) || is_dispatcher_of(viewer, &visit.station_id) || crews_visit(visit, crew_vans)
}

/// Whether the address and exact location show in full.
pub fn sees_address(viewer: &Viewer, case: &Case, visit: &HomeVisit, crew_vans: &[String]) -> bool {
    viewer.is_applicant(case) || is_dispatcher_of(viewer, &visit.station_id) || crews_visit(visit, crew_vans)
}

/// The resident whose case it is, or its dispatchers.
pub fn may_cancel(viewer: &Viewer, case: &Case, visit: &HomeVisit) -> bool {
    viewer.is_applicant(case) || is_dispatcher_of(viewer, &visit.station_id)
}

/// The crew of the assigned van, or a dispatcher standing in for it.
pub fn may_report(viewer: &Viewer, visit: &HomeVisit, crew_vans: &[String]) -> bool {
    crews_visit(visit, crew_vans) || is_dispatcher_of(viewer, &visit.station_id)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use mediation_appointments::domain::grading::Assessment;
    use mediation_appointments::domain::{CaseStatus, Grade, Origin};
    use mediation_auth::Principal;

    use super::*;
    use crate::domain::travel::Point;
    use crate::domain::{VisitReason, VisitStatus};

    fn case() -> Case {
        Case {
            id: "c1".into(),
            site_id: "s1".into(),
            applicant_account_id: Some("resident-a".into()),
            created_by: "resident-a".into(),
            category: "family_marriage".into(),
            summary: String::new(),
            origin: Origin::App,
            grade: Grade::Ordinary,
            grade_rationale: String::new(),
            status: CaseStatus::Open,
            assessment: Assessment::default(),
            parties: vec![],
            created_at: Utc::now(),
            police_incident_id: None,
            handed_over_by: String::new(),
            proceed_reason: String::new(),
        }
    }

    fn visit() -> HomeVisit {
        HomeVisit {
            id: "v1".into(),
            case_id: "c1".into(),
            station_id: "s1".into(),
            day: Utc::now().date_naive(),
            address: "宁波市鄞州区中河街道1号".into(),
            location: Point::lat_lng(29.8, 121.5),
            window_start: Utc::now(),
            window_end: Utc::now() + chrono::Duration::hours(2),
            duration_minutes: 60,
            reason: VisitReason::Privacy,
            specialty_code: None,
            priority: 0,
            status: VisitStatus::Planned,
            van_id: Some("van-1".into()),
            position: Some(0),
            eta: None,
            note: String::new(),
            cancel_reason: String::new(),
            requested_by: "resident-a".into(),
            outcome: None,
            appointment_id: None,
        }
    }

    fn viewer(role: Role, account: &str, station: Option<&str>) -> Viewer {
        Viewer {
            principal: Principal { account_id: account.into(), role, site_id: station.map(Into::into), kiosk_id: None },
            station: station.map(Into::into),
            mediator_id: (role == Role::Mediator).then(|| format!("m-{account}")),
            verified_phone: None,
        }
    }

    #[test]
    fn the_matrix() {
        let (c, v) = (case(), visit());
        let crew: Vec<String> = vec!["van-1".into()];
        let other_crew: Vec<String> = vec!["van-2".into()];
        // (who, viewer, crew vans, sees the visit, sees the address, may cancel, may report)
        let cases = [
            ("applicant", viewer(Role::Resident, "resident-a", None), &[][..], true, true, true, false),
            ("another resident", viewer(Role::Resident, "resident-b", None), &[][..], false, false, false, false),
            ("station dispatcher", viewer(Role::Dispatcher, "d", Some("s1")), &[][..], true, true, true, true),
            (
                "other station's dispatcher",
                viewer(Role::Dispatcher, "d", Some("s2")),
                &[][..],
                false,
                false,
                false,
                false,
            ),
            ("centre dispatcher", viewer(Role::Dispatcher, "d", None), &[][..], true, true, true, true),
            ("centre admin", viewer(Role::CentreAdmin, "a", None), &[][..], true, true, true, true),
            ("assigned crew", viewer(Role::Mediator, "m", Some("s1")), &crew[..], true, true, false, true),
            ("crew from the centre", viewer(Role::Mediator, "m", None), &crew[..], true, true, false, true),
            ("unassigned crew", viewer(Role::Mediator, "m", Some("s1")), &other_crew[..], true, false, false, false),
            // A kiosk in a public place sees no case, so no home visit either.
            ("station kiosk", viewer(Role::Kiosk, "k", Some("s1")), &[][..], false, false, false, false),
        ];
        for (who, viewer, vans, see, address, cancel, report) in cases {
            assert_eq!(can_see(&viewer, &c, &v, vans), see, "{who} sees");
            assert_eq!(sees_address(&viewer, &c, &v, vans), address, "{who} address");
            assert_eq!(may_cancel(&viewer, &c, &v), cancel, "{who} cancels");
            assert_eq!(may_report(&viewer, &v, vans), report, "{who} reports");
        }
    }
}
