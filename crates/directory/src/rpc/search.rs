//! Mediator search on the wire: the request parsed into a normalised [`SearchFilter`] and a
//! page bound to it (every bad field named), and the hits with their rating summaries.

use mediation_api::Violations;
use mediation_api::directory::v1 as pb;
use mediation_api::paging;
use tonic::Status;

use super::{Page, mediators, specialties};
use crate::domain::parse_languages;
use crate::domain::search::{Cursor, Order, RatingSummary, SearchFilter};
use crate::service::SearchPage;

const QUERY_CHARS: usize = 100;

pub struct SearchMediators {
    pub filter: SearchFilter,
    /// After a position in the filter's ranking.
    pub page: Page<Cursor>,
}

impl TryFrom<pb::SearchMediatorsRequest> for SearchMediators {
    type Error = Status;

    fn try_from(req: pb::SearchMediatorsRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let codes = specialties::codes(&mut v, "specialty_codes", &req.specialty_codes);
        let site_id = v.optional_id("site_id", &req.site_id);
        let mode = (req.mode != 0).then(|| mediators::mode_from(req.mode));
        if mode == Some(None) {
            v.add("mode", mediators::MODE_RULE);
        }
        let language = if req.language.trim().is_empty() {
            Some(None)
        } else {
            v.check("language", parse_languages(std::slice::from_ref(&req.language))).map(|mut l| l.pop())
        };
        let query = v.text("query", &req.query, QUERY_CHARS, false);
        if !(0.0..=5.0).contains(&req.min_rating) {
            v.add("min_rating", "must be 0 to 5");
        }
        let order = match pb::MediatorOrder::try_from(req.order_by) {
            Ok(pb::MediatorOrder::Unspecified | pb::MediatorOrder::Relevance) => Some(Order::Relevance),
            Ok(pb::MediatorOrder::Rating) => Some(Order::Rating),
            Ok(pb::MediatorOrder::Name) => Some(Order::Name),
            Err(_) => {
                v.add("order_by", "must be RELEVANCE, RATING or NAME");
                None
            }
        };
        let filter = (|| {
            Some(SearchFilter {
                specialty_codes: codes?,
                site_id: site_id?,
                include_child_sites: req.include_child_sites,
                mode: mode.flatten(),
                language: language?,
                terms: SearchFilter::terms_of(query.as_deref()?),
                min_rating: req.min_rating,
                order: order?,
            })
        })();
        // A token is bound to the whole filter; with a bad filter, no token is from this query.
        let fingerprint = filter.as_ref().map(paging::fingerprint).unwrap_or_default();
        let page = Page::parse(&mut v, req.page_size, &req.page_token, (20, 100), fingerprint);
        v.finish(|| Some(SearchMediators { filter: filter?, page: page? }))
    }
}

fn rating_to_proto(r: RatingSummary) -> pb::RatingSummary {
    pb::RatingSummary { count: r.count as i32, mean: r.mean, bayesian_mean: r.bayesian_mean }
}

pub fn to_proto(found: SearchPage, page: &Page<Cursor>) -> pb::SearchMediatorsResponse {
    pb::SearchMediatorsResponse {
        hits: found
            .hits
            .into_iter()
            .map(|(m, rating)| pb::MediatorHit {
                mediator: Some(mediators::to_proto(m)),
                rating: Some(rating_to_proto(rating)),
            })
            .collect(),
        next_page_token: found.next.map(|cursor| page.token(&cursor)).unwrap_or_default(),
    }
}
