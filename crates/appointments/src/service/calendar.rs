//! What availability reads that changes rarely, kept in memory: the active mediators with their
//! kinds and specialities, every site's time zone, every room, and everyone's weekly hours. A
//! search first reads `calendar_generation` (one row that triggers move on every change to
//! those tables) and reloads the whole calendar when it moved, so each answer is as current as
//! the database, on every replica; bookings and leave are never cached.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono_tz::Tz;
use mediation_directory::domain::{MediatorKind, Room};
use mediation_store::DbConnection;

use super::stored_zone;
use crate::domain::hours::Hours;
use crate::error::Result;
use crate::repo;

/// An active mediator as availability sees them.
#[derive(Debug, Clone)]
pub struct CalendarMediator {
    pub kind: MediatorKind,
    pub specialty_codes: Vec<String>,
}

/// The calendar at one generation.
#[derive(Debug, Default)]
pub struct Calendar {
    /// Active mediators by id.
    pub mediators: HashMap<String, CalendarMediator>,
    /// Every site's time zone, by site id.
    pub zones: HashMap<String, Tz>,
    /// Every room, by site id, in id order.
    pub rooms: HashMap<String, Vec<Room>>,
    /// (mediator, site, hours), in mediator and site order.
    pub hours: Vec<(String, String, Hours)>,
}

impl Calendar {
    fn load(conn: &mut DbConnection) -> Result<Self> {
        let mediators = mediation_directory::repo::active_profiles(conn)?
            .into_iter()
            .map(|m| (m.id, CalendarMediator { kind: m.kind, specialty_codes: m.specialty_codes }))
            .collect();
        let sites = mediation_directory::repo::list_sites(conn, None, None, None, i64::MAX)?;
        let site_ids: Vec<String> = sites.iter().map(|s| s.id.clone()).collect();
        let mut zones = HashMap::new();
        for site in &sites {
            zones.insert(site.id.clone(), stored_zone(site)?);
        }
        let mut rooms: HashMap<String, Vec<Room>> = HashMap::new();
        for room in mediation_directory::repo::rooms_at(conn, &site_ids)? {
            rooms.entry(room.site_id.clone()).or_default().push(room);
        }
        let hours = repo::hours(conn, None, None)?;
        Ok(Self { mediators, zones, rooms, hours })
    }
}

/// The latest calendar this process loaded, with the generation it was loaded at.
#[derive(Debug, Default)]
pub struct CalendarCache {
    current: RwLock<Option<(i64, Arc<Calendar>)>>,
}

impl CalendarCache {
    /// A calendar at least as new as the database's counter when the call began.
    pub fn current(&self, conn: &mut DbConnection) -> Result<Arc<Calendar>> {
        let wanted = repo::calendar_generation(conn)?;
        if let Some((built, calendar)) = self.current.read().expect("calendar lock poisoned").as_ref()
            && *built >= wanted
        {
            return Ok(calendar.clone());
        }
        // Rows read after the counter are at least that new, so a change landing in between is
        // picked up by the next search, never missed.
        let calendar = Arc::new(Calendar::load(conn)?);
        let mut current = self.current.write().expect("calendar lock poisoned");
        if current.as_ref().is_none_or(|(built, _)| *built < wanted) {
            *current = Some((wanted, calendar.clone()));
        }
        Ok(calendar)
    }
}
