//! Specialities on the wire: the published taxonomy, and the lists of codes that profiles and
//! searches carry.

use mediation_api::Violations;
use mediation_api::directory::v1 as pb;

use crate::service::Specialty;

/// Trimmed codes of 1 to 64 characters, sorted, without repeats; whether each exists is the
/// flow's question.
pub fn codes(v: &mut Violations, field: &str, values: &[String]) -> Option<Vec<String>> {
    // The taxonomy has a few dozen codes; a longer list is not a list of them.
    if !v.at_most(field, values, 64) {
        return None;
    }
    let mut out: Vec<String> = values.iter().map(|c| c.trim().to_owned()).collect();
    if out.iter().any(|c| c.is_empty() || c.len() > 64) {
        v.add(field, "codes must be 1 to 64 characters");
        return None;
    }
    out.sort();
    out.dedup();
    Some(out)
}

pub fn list_to_proto(taxonomy: Vec<Specialty>) -> pb::ListSpecialtiesResponse {
    let specialties =
        taxonomy.into_iter().map(|(code, name_zh, name_en)| pb::Specialty { code, name_zh, name_en }).collect();
    pb::ListSpecialtiesResponse { specialties }
}
