//! Field parsers the resources of this face share: ids, enum filters, the mode of a session,
//! and pages of a list.

use mediation_api::Violations;
use mediation_api::directory::v1::MediationMode;
use mediation_api::paging::{self, split_page};
use mediation_directory::domain::Mode;
use tonic::Status;

/// The id of a request that carries nothing else.
pub(super) fn required_id(field: &str, value: &str) -> Result<String, Status> {
    let mut v = Violations::new();
    let id = v.id(field, value);
    v.finish(|| id)
}

/// The optional `request_id` of a call that may be retried (none when empty) and the encoded
/// request its replay is bound to.
pub(super) fn retry_of(request_id: &str, request: &impl prost::Message) -> Result<(Option<String>, Vec<u8>), Status> {
    let mut v = Violations::new();
    let id = v.optional_request_id(request_id);
    v.finish(|| id).map(|id| (id, request.encode_to_vec()))
}

/// An optional enum filter: unspecified is none; an unknown value is a violation.
pub(super) fn enum_filter<T>(
    v: &mut Violations,
    field: &str,
    value: i32,
    parsed: Option<T>,
    expected: &str,
) -> Option<T> {
    if value != 0 && parsed.is_none() {
        v.add(field, expected);
    }
    parsed
}

/// How a session is held; unspecified is IN_PERSON.
pub(super) fn mode(v: &mut Violations, value: i32) -> Option<Mode> {
    if value == MediationMode::Unspecified as i32 {
        return Some(Mode::InPerson);
    }
    let mode = mediation_directory::mode_from(value);
    if mode.is_none() {
        v.add("mode", "must be IN_PERSON, VIDEO or HOME_VISIT");
    }
    mode
}

/// An AIP-158 page of a list in id order: its size, the id it starts after, and the
/// fingerprint of the query its tokens are bound to.
pub(super) struct Page {
    pub size: usize,
    pub after: Option<String>,
    pub query: String,
}

impl Page {
    /// 50 items unless asked, at most 500.
    pub fn parse(v: &mut Violations, page_size: i32, page_token: &str, query: String) -> Option<Page> {
        let size = v.page_size(page_size, 50, 500);
        let after = v.check("page_token", paging::decode_token::<Option<String>>(page_token, &query));
        Some(Page { size: size?, after: after?.flatten(), query })
    }

    /// How many to fetch: one more than the page, to know whether another follows.
    pub fn limit(&self) -> i64 {
        self.size as i64 + 1
    }

    /// The page out of what was fetched, and the token for the next one.
    pub fn split<T>(&self, fetched: Vec<T>, id: impl Fn(&T) -> String) -> (Vec<T>, String) {
        split_page(fetched, self.size, &self.query, id)
    }
}
