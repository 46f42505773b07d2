//! Mediator search: which candidates match the free text, how they rank in each order, and
//! keyset pages over that ranking, so that rows added between two pages never repeat or hide
//! a mediator already ranked.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::Mode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Order {
    Relevance,
    Rating,
    Name,
}

/// Everything that defines a search, normalised; its fingerprint binds page tokens.
#[derive(Debug, Clone, Serialize)]
pub struct SearchFilter {
    /// Sorted, without repeats; a mediator matches with any of them.
    pub specialty_codes: Vec<String>,
    pub site_id: Option<String>,
    pub include_child_sites: bool,
    pub mode: Option<Mode>,
    pub language: Option<String>,
    /// Lower-cased terms, all of which must appear in the name or the bio.
    pub terms: Vec<String>,
    pub min_rating: f64,
    pub order: Order,
}

impl SearchFilter {
    pub fn terms_of(query: &str) -> Vec<String> {
        query.split_whitespace().map(str::to_lowercase).collect()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RatingSummary {
    pub count: i64,
    pub mean: f64,
    pub bayesian_mean: f64,
}

/// Every rated mediator's summary, and the one an unrated mediator has (its Bayesian mean is
/// the prior's); supplied by the rating service.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RatingBook {
    pub by_mediator: std::collections::HashMap<String, RatingSummary>,
    pub unrated: RatingSummary,
}

impl RatingBook {
    pub fn of(&self, mediator_id: &str) -> RatingSummary {
        self.by_mediator.get(mediator_id).copied().unwrap_or(self.unrated)
    }
}

/// A mediator as search sees it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: String,
    pub display_name: String,
    pub bio: String,
    /// How many of the requested specialities this mediator has.
    pub matched_specialties: usize,
    pub rating: RatingSummary,
}

/// A position in a ranking: enough to find the next item in any order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub score: i64,
    /// Bayesian mean in thousandths, so that the cursor compares exactly.
    pub rating_milli: i64,
    pub name: String,
    pub id: String,
}

/// Each term's weight (10 in the name, 3 in the bio) and whether every term was found; the name
/// and bio are lowercased once, and not at all when the query has no text.
fn text_score(filter: &SearchFilter, candidate: &Candidate) -> (bool, i64) {
    if filter.terms.is_empty() {
        return (true, 0);
    }
    let (name, bio) = (candidate.display_name.to_lowercase(), candidate.bio.to_lowercase());
    filter.terms.iter().fold((true, 0), |(all, score), term| {
        let weight = if name.contains(term.as_str()) {
            10
        } else if bio.contains(term.as_str()) {
            3
        } else {
            0
        };
        (all && weight > 0, score + weight)
    })
}

/// Whether every term of the query appears in the name or the bio.
pub fn matches_text(filter: &SearchFilter, candidate: &Candidate) -> bool {
    text_score(filter, candidate).0
}

/// Name hits weigh more than bio hits; each requested speciality held adds to the score.
pub fn relevance(filter: &SearchFilter, candidate: &Candidate) -> i64 {
    text_score(filter, candidate).1 + 5 * candidate.matched_specialties as i64
}

fn cursor_with_score(candidate: &Candidate, score: i64) -> Cursor {
    Cursor {
        score,
        rating_milli: (candidate.rating.bayesian_mean * 1000.0).round() as i64,
        name: candidate.display_name.clone(),
        id: candidate.id.clone(),
    }
}

/// The total order of each ranking; ties always end on the id, so no two items are equal.
pub fn compare(order: Order, a: &Cursor, b: &Cursor) -> Ordering {
    let by_name = || a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id));
    match order {
        Order::Relevance => b.score.cmp(&a.score).then(b.rating_milli.cmp(&a.rating_milli)).then_with(by_name),
        Order::Rating => b.rating_milli.cmp(&a.rating_milli).then_with(by_name),
        Order::Name => by_name(),
    }
}

/// The page of `size` after `after` (from the start when `None`), and the cursor of the
/// page's last item when more follow.
pub fn page(
    filter: &SearchFilter,
    candidates: Vec<Candidate>,
    after: Option<&Cursor>,
    size: usize,
) -> (Vec<Candidate>, Option<Cursor>) {
    let mut ranked: Vec<(Cursor, Candidate)> = candidates
        .into_iter()
        .filter(|c| c.rating.bayesian_mean >= filter.min_rating)
        .filter_map(|c| {
            let (matched, text) = text_score(filter, &c);
            let score = text + 5 * c.matched_specialties as i64;
            matched.then(|| (cursor_with_score(&c, score), c))
        })
        .filter(|(cursor, _)| after.is_none_or(|after| compare(filter.order, cursor, after) == Ordering::Greater))
        .collect();
    ranked.sort_by(|a, b| compare(filter.order, &a.0, &b.0));
    let more = ranked.len() > size;
    ranked.truncate(size);
    let next = if more { ranked.last().map(|(cursor, _)| cursor.clone()) } else { None };
    (ranked.into_iter().map(|(_, c)| c).collect(), next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(query: &str, order: Order) -> SearchFilter {
        SearchFilter {
            specialty_codes: vec![],
            site_id: None,
            include_child_sites: false,
            mode: None,
            language: None,
            terms: SearchFilter::terms_of(query),
            min_rating: 0.0,
            order,
        }
    }

    fn candidate(id: &str, name: &str, bio: &str, matched: usize, rating: f64) -> Candidate {
        Candidate {
            id: id.into(),
            display_name: name.into(),
            bio: bio.into(),
            matched_specialties: matched,
            rating: RatingSummary { count: 1, mean: rating, bayesian_mean: rating },
        }
    }

    #[test]
    fn every_term_must_match_name_or_bio() {
        let f = filter("劳动 Wages", Order::Relevance);
        assert!(matches_text(&f, &candidate("a", "劳动调解员", "unpaid wages", 0, 0.0)));
        assert!(!matches_text(&f, &candidate("b", "劳动调解员", "traffic", 0, 0.0)));
        assert!(matches_text(&filter("", Order::Name), &candidate("c", "x", "y", 0, 0.0)));
    }

    #[test]
    fn relevance_prefers_name_hits_and_held_specialities() {
        let f = filter("潘", Order::Relevance);
        let in_name = candidate("a", "老潘", "", 0, 0.0);
        let in_bio = candidate("b", "王", "师从老潘", 0, 0.0);
        assert!(relevance(&f, &in_name) > relevance(&f, &in_bio));
        let f = filter("", Order::Relevance);
        assert!(relevance(&f, &candidate("a", "x", "", 2, 0.0)) > relevance(&f, &candidate("b", "x", "", 1, 0.0)));
    }

    #[test]
    fn orders() {
        let all = vec![
            candidate("m1", "乙", "", 0, 4.0),
            candidate("m2", "甲", "", 0, 4.5),
            candidate("m3", "甲", "", 1, 3.0),
        ];
        let ids = |order| {
            let f = filter("", order);
            page(&f, all.clone(), None, 10).0.into_iter().map(|c| c.id).collect::<Vec<_>>()
        };
        // Names sort by code point: 乙 (U+4E59) before 甲 (U+7532); ties fall to the id.
        assert_eq!(ids(Order::Name), ["m1", "m2", "m3"]);
        assert_eq!(ids(Order::Rating), ["m2", "m1", "m3"]);
        assert_eq!(ids(Order::Relevance), ["m3", "m2", "m1"]);
    }

    #[test]
    fn keyset_pages_survive_inserts_between_pages() {
        let f = filter("", Order::Name);
        let mut rows: Vec<Candidate> =
            (0..25).map(|i| candidate(&format!("m{i:02}"), &format!("n{i:02}"), "", 0, 0.0)).collect();
        let (first, cursor) = page(&f, rows.clone(), None, 10);
        assert_eq!(first.len(), 10);
        // Someone is added before the cursor and someone after it.
        rows.push(candidate("early", "n00a", "", 0, 0.0));
        rows.push(candidate("late", "n99", "", 0, 0.0));
        let (second, cursor) = page(&f, rows.clone(), cursor.as_ref(), 10);
        let (third, cursor) = page(&f, rows.clone(), cursor.as_ref(), 10);
        assert!(cursor.is_none());
        let seen: Vec<String> = first.iter().chain(&second).chain(&third).map(|c| c.id.clone()).collect();
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "no mediator twice");
        for i in 0..25 {
            assert!(seen.contains(&format!("m{i:02}")), "m{i:02} was skipped");
        }
        assert!(seen.contains(&"late".to_owned()));
    }

    #[test]
    fn min_rating_filters_on_the_bayesian_mean() {
        let mut f = filter("", Order::Rating);
        f.min_rating = 4.5;
        let rows = vec![candidate("good", "a", "", 0, 4.6), candidate("fair", "b", "", 0, 4.4)];
        let ids: Vec<_> = page(&f, rows, None, 10).0.into_iter().map(|c| c.id).collect();
        assert_eq!(ids, ["good"]);
    }

    #[test]
    fn exact_page_counts() {
        let f = filter("", Order::Relevance);
        let rows: Vec<Candidate> = (0..20).map(|i| candidate(&format!("m{i:02}"), "x", "", 0, 0.0)).collect();
        let (first, cursor) = page(&f, rows.clone(), None, 10);
        let (second, cursor) = page(&f, rows, cursor.as_ref(), 10);
        assert_eq!((first.len(), second.len()), (10, 10));
        assert!(cursor.is_none(), "no empty third page");
    }
}
