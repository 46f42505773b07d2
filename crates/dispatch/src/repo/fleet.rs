//! The dispatch tables: the vans.

use super::*;

#[derive(Queryable, Selectable)]
#[diesel(table_name = vans)]
struct VanRow {
    id: String,
    plate: String,
    depot_site_id: String,
    seats: i32,
    status: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    located_at: Option<NaiveDateTime>,
}

impl From<VanRow> for Van {
    fn from(r: VanRow) -> Self {
        let location = match (r.latitude, r.longitude) {
            (Some(lat), Some(lng)) => Some(Point::lat_lng(lat, lng)),
            _ => None,
        };
        Van {
            status: parse(&r.status),
            located_at: r.located_at.map(|t| t.and_utc()),
            location,
            id: r.id,
            plate: r.plate,
            depot_site_id: r.depot_site_id,
            seats: r.seats,
        }
    }
}

pub fn insert_van(conn: &mut DbConnection, v: &Van, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::insert_into(vans::table)
        .values((
            vans::id.eq(&v.id),
            vans::plate.eq(&v.plate),
            vans::depot_site_id.eq(&v.depot_site_id),
            vans::seats.eq(v.seats),
            vans::status.eq(v.status.as_str()),
            vans::created_at.eq(naive(now)),
            vans::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Writes plate, depot, seats and status.
pub fn update_van(conn: &mut DbConnection, v: &Van, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(vans::table.find(&v.id))
        .set((
            vans::plate.eq(&v.plate),
            vans::depot_site_id.eq(&v.depot_site_id),
            vans::seats.eq(v.seats),
            vans::status.eq(v.status.as_str()),
            vans::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_van_location(conn: &mut DbConnection, van_id: &str, at: Point, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(vans::table.find(van_id))
        .set((
            vans::latitude.eq(Some(at.latitude())),
            vans::longitude.eq(Some(at.longitude())),
            vans::located_at.eq(Some(naive(now))),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn van(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Van>> {
    vans::table.find(id).select(VanRow::as_select()).get_result(conn).optional().map(|r| r.map(Van::from))
}

pub fn plate_taken(conn: &mut DbConnection, plate: &str, except: Option<&str>) -> QueryResult<bool> {
    let mut query = vans::table.filter(vans::plate.eq(plate)).select(vans::id).into_boxed();
    if let Some(except) = except {
        query = query.filter(vans::id.ne(except));
    }
    Ok(query.first::<String>(conn).optional()?.is_some())
}

/// Vans after `after_id` in id order, of `depot` when given.
pub fn list_vans(
    conn: &mut DbConnection,
    depot: Option<&str>,
    after_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Van>> {
    let mut query = vans::table.select(VanRow::as_select()).order(vans::id).limit(limit).into_boxed();
    if let Some(depot) = depot {
        query = query.filter(vans::depot_site_id.eq(depot));
    }
    if let Some(after_id) = after_id {
        query = query.filter(vans::id.gt(after_id));
    }
    Ok(query.load(conn)?.into_iter().map(Van::from).collect())
}
