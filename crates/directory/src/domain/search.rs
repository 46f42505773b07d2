//! Mediator search: which candidates match the free text, how they rank in each order, and
//! keyset pages over that ranking, so that rows added between two pages never repeat or hide
//! a mediator already ranked.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use super::{Mediator, Mode};

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

/// A position in a ranking: enough to find the next item in any order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub score: i64,
    /// Bayesian mean in thousandths, so that the cursor compares exactly.
    pub rating_milli: i64,
    pub name: String,
    pub id: String,
}

/// The total order of each ranking over (score, rating in thousandths), with `by_name`
/// comparing name and then id, so that no two items are equal.
fn compare(order: Order, a: (i64, i64), b: (i64, i64), by_name: impl FnOnce() -> Ordering) -> Ordering {
    match order {
        Order::Relevance => b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then_with(by_name),
        Order::Rating => b.1.cmp(&a.1).then_with(by_name),
        Order::Name => by_name(),
    }
}

/// A candidate that passed the filters, with what its ranking compares.
#[derive(Debug, Clone, Copy)]
struct Ranked {
    score: i64,
    rating_milli: i64,
    /// The entry's place in (name, id) order, so ranking compares no strings.
    name_rank: u32,
    index: u32,
}

/// A mediator as search sees it, with the name and bio lowercased once, when the index is built.
#[derive(Debug)]
struct Entry {
    mediator: Mediator,
    name_lower: String,
    bio_lower: String,
}

/// What the filters and the ranking look at for every candidate, kept apart from the entries
/// in a small dense list, so that running through thousands of candidates stays in the cache.
#[derive(Debug, Clone, Copy)]
struct Facets {
    /// Index of the home site in `DirectoryPart::site_parents`; `u32::MAX` for none.
    site: u32,
    /// The modes offered, one bit each (see [`mode_bit`]).
    modes: u8,
    /// The entry's place in (name, id) order.
    name_rank: u32,
}

fn mode_bit(mode: Mode) -> u8 {
    let position = Mode::ALL.iter().position(|m| *m == mode).expect("every mode is in Mode::ALL");
    1 << position
}

/// The active mediators, the sites and the rating summaries, held in memory so that a search
/// reads no rows: lists of who holds each speciality and of who has each character, and each
/// pair of characters in a row, in their name or bio narrow the candidates before the filters
/// run. Rebuilt as a whole when the directory changes; only the ratings are swapped when only
/// they change.
#[derive(Debug, Clone)]
pub struct SearchIndex {
    directory: Arc<DirectoryPart>,
    /// Each entry's summary, in the entries' order.
    ratings: Arc<Vec<Rating>>,
}

/// A rating summary, with its Bayesian mean in the thousandths that rankings and cursors compare.
#[derive(Debug, Clone, Copy)]
struct Rating {
    summary: RatingSummary,
    milli: i64,
}

impl Rating {
    fn of(summary: RatingSummary) -> Self {
        Self { summary, milli: (summary.bayesian_mean * 1000.0).round() as i64 }
    }
}

#[derive(Debug)]
struct DirectoryPart {
    entries: Vec<Entry>,
    /// Each entry's facets, in the entries' order.
    facets: Vec<Facets>,
    by_specialty: HashMap<String, Vec<u32>>,
    by_char: HashMap<char, Vec<u32>>,
    /// Who has each two characters in a row in their name or their bio: a term of two
    /// characters or more is found among far fewer than the holders of its rarest character.
    by_pair: HashMap<(char, char), Vec<u32>>,
    site_parents: Vec<(String, Option<String>)>,
    /// Each site's index in `site_parents`.
    site_index: HashMap<String, usize>,
    /// Each site's masks over `site_parents` of the sites a search there covers: the site
    /// alone, and the site with every site under it; each worked out when first searched.
    site_masks: Vec<[OnceLock<Vec<bool>>; 2]>,
}

impl DirectoryPart {
    fn sites_searched(&self, site: usize, with_children: bool) -> &[bool] {
        self.site_masks[site][usize::from(with_children)].get_or_init(|| {
            if !with_children {
                return (0..self.site_parents.len()).map(|other| other == site).collect();
            }
            let wanted = super::subtree(&self.site_parents, &self.site_parents[site].0);
            self.site_parents.iter().map(|(id, _)| wanted.contains(id)).collect()
        })
    }
}

/// Each two characters in a row of `text`, in order, repeats included.
fn pairs(text: &str) -> impl Iterator<Item = (char, char)> + '_ {
    text.chars().zip(text.chars().skip(1))
}

impl SearchIndex {
    /// `mediators` are the active ones; `site_parents` every site with its parent.
    pub fn build(mediators: Vec<Mediator>, site_parents: Vec<(String, Option<String>)>, ratings: &RatingBook) -> Self {
        let mut by_specialty: HashMap<String, Vec<u32>> = HashMap::new();
        let mut by_char: HashMap<char, Vec<u32>> = HashMap::new();
        let mut by_pair: HashMap<(char, char), Vec<u32>> = HashMap::new();
        let site_index: HashMap<String, usize> =
            site_parents.iter().enumerate().map(|(index, (id, _))| (id.clone(), index)).collect();
        let mut entries = Vec::with_capacity(mediators.len());
        let mut facets = Vec::with_capacity(mediators.len());
        for (index, mut mediator) in mediators.into_iter().enumerate() {
            let index = u32::try_from(index).expect("fewer than four billion mediators");
            mediator.specialty_codes.sort();
            for code in &mediator.specialty_codes {
                by_specialty.entry(code.clone()).or_default().push(index);
            }
            let name_lower = mediator.display_name.to_lowercase();
            let bio_lower = mediator.bio.to_lowercase();
            let mut chars: Vec<char> = name_lower.chars().chain(bio_lower.chars()).collect();
            chars.sort_unstable();
            chars.dedup();
            for c in chars {
                by_char.entry(c).or_default().push(index);
            }
            // Within the name and within the bio: a term is found in one of them, never across.
            let mut held_pairs: Vec<(char, char)> = pairs(&name_lower).chain(pairs(&bio_lower)).collect();
            held_pairs.sort_unstable();
            held_pairs.dedup();
            for pair in held_pairs {
                by_pair.entry(pair).or_default().push(index);
            }
            let site = site_index.get(&mediator.home_site_id).map_or(u32::MAX, |site| *site as u32);
            let modes = mediator.modes.iter().fold(0, |bits, mode| bits | mode_bit(*mode));
            facets.push(Facets { site, modes, name_rank: 0 });
            entries.push(Entry { mediator, name_lower, bio_lower });
        }
        let mut by_name: Vec<usize> = (0..entries.len()).collect();
        by_name.sort_by(|a, b| {
            let (a, b) = (&entries[*a].mediator, &entries[*b].mediator);
            (&a.display_name, &a.id).cmp(&(&b.display_name, &b.id))
        });
        for (rank, index) in by_name.into_iter().enumerate() {
            facets[index].name_rank = rank as u32;
        }
        let site_masks = site_parents.iter().map(|_| Default::default()).collect();
        let directory = Arc::new(DirectoryPart {
            entries,
            facets,
            by_specialty,
            by_char,
            by_pair,
            site_parents,
            site_index,
            site_masks,
        });
        let ratings = Arc::new(directory.entries.iter().map(|e| Rating::of(ratings.of(&e.mediator.id))).collect());
        Self { directory, ratings }
    }

    /// The same directory with new rating summaries.
    pub fn with_ratings(&self, ratings: &RatingBook) -> Self {
        let summaries = self.directory.entries.iter().map(|e| Rating::of(ratings.of(&e.mediator.id))).collect();
        Self { directory: self.directory.clone(), ratings: Arc::new(summaries) }
    }

    pub fn has_site(&self, site_id: &str) -> bool {
        self.directory.site_index.contains_key(site_id)
    }

    /// The page of `size` after `after` (from the start when `None`), and the cursor of the
    /// page's last item when more follow. A site filter naming no site matches nobody.
    pub fn search(
        &self,
        filter: &SearchFilter,
        after: Option<&Cursor>,
        size: usize,
    ) -> (Vec<(&Mediator, RatingSummary)>, Option<Cursor>) {
        let part = &*self.directory;
        // The sites searched, by index; every site when there is no site filter.
        let home_sites: Option<&[bool]> = match &filter.site_id {
            Some(site_id) => match part.site_index.get(site_id) {
                Some(site) => Some(part.sites_searched(*site, filter.include_child_sites)),
                None => return (vec![], None),
            },
            None => None,
        };
        let wanted_mode = filter.mode.map(mode_bit);
        let candidates = self.candidates(filter);
        let mut ranked: Vec<Ranked> = Vec::with_capacity(candidates.len());
        for (index, held) in candidates {
            let facets = part.facets[index as usize];
            let rating = self.ratings[index as usize];
            let wanted = (filter.specialty_codes.is_empty() || held > 0)
                && home_sites.is_none_or(|sites| sites.get(facets.site as usize).copied().unwrap_or(false))
                && wanted_mode.is_none_or(|bit| facets.modes & bit != 0)
                && rating.summary.bayesian_mean >= filter.min_rating;
            if !wanted {
                continue;
            }
            let entry = &part.entries[index as usize];
            let m = &entry.mediator;
            if filter.language.as_ref().is_some_and(|language| !m.languages.contains(language)) {
                continue;
            }
            let Some(text) = text_score(&filter.terms, &entry.name_lower, &entry.bio_lower) else { continue };
            let candidate = Ranked {
                score: text + 5 * i64::from(held),
                rating_milli: rating.milli,
                name_rank: facets.name_rank,
                index,
            };
            let beyond = |after: &Cursor| {
                let by_name =
                    || (m.display_name.as_str(), m.id.as_str()).cmp(&(after.name.as_str(), after.id.as_str()));
                let ours = (candidate.score, candidate.rating_milli);
                compare(filter.order, ours, (after.score, after.rating_milli), by_name) == Ordering::Greater
            };
            if after.is_none_or(beyond) {
                ranked.push(candidate);
            }
        }
        let order = |a: &Ranked, b: &Ranked| {
            compare(filter.order, (a.score, a.rating_milli), (b.score, b.rating_milli), || {
                a.name_rank.cmp(&b.name_rank)
            })
        };
        // Only the page and the one after it need ordering.
        if ranked.len() > size + 1 {
            ranked.select_nth_unstable_by(size, order);
            ranked.truncate(size + 1);
        }
        ranked.sort_unstable_by(order);
        let more = ranked.len() > size;
        ranked.truncate(size);
        let next = more.then(|| ranked.last()).flatten().map(|last| {
            let m = &part.entries[last.index as usize].mediator;
            Cursor {
                score: last.score,
                rating_milli: last.rating_milli,
                name: m.display_name.clone(),
                id: m.id.clone(),
            }
        });
        let page = ranked
            .into_iter()
            .map(|r| (&part.entries[r.index as usize].mediator, self.ratings[r.index as usize].summary))
            .collect();
        (page, next)
    }

    /// The shortest list that holds every match, each with how many of the requested
    /// specialities they hold: the holders of those specialities, or those who have the query's
    /// rarest character or pair of characters in a row, or everyone.
    fn candidates(&self, filter: &SearchFilter) -> Vec<(u32, u32)> {
        let part = &*self.directory;
        let mut holders: Option<Vec<u32>> = None;
        if !filter.specialty_codes.is_empty() {
            let mut all: Vec<u32> = filter
                .specialty_codes
                .iter()
                .flat_map(|code| part.by_specialty.get(code).into_iter().flatten().copied())
                .collect();
            all.sort_unstable();
            holders = Some(all);
        }
        let rarest = filter
            .terms
            .iter()
            .flat_map(|term| {
                let chars = term.chars().map(|c| part.by_char.get(&c).map(Vec::as_slice).unwrap_or_default());
                chars.chain(pairs(term).map(|pair| part.by_pair.get(&pair).map(Vec::as_slice).unwrap_or_default()))
            })
            .min_by_key(|having| having.len());
        let held = |index: u32| {
            let codes = &part.entries[index as usize].mediator.specialty_codes;
            filter.specialty_codes.iter().filter(|c| codes.binary_search(c).is_ok()).count() as u32
        };
        match (holders, rarest) {
            (Some(holders), rarest) if rarest.is_none_or(|having| holders.len() <= having.len()) => {
                // Sorted, so each holder's repeats (one per speciality held) are adjacent.
                let mut counted: Vec<(u32, u32)> = Vec::with_capacity(holders.len());
                for index in holders {
                    match counted.last_mut() {
                        Some((last, count)) if *last == index => *count += 1,
                        _ => counted.push((index, 1)),
                    }
                }
                counted
            }
            (_, Some(having)) => having.iter().map(|&index| (index, held(index))).collect(),
            (_, None) => (0..part.entries.len() as u32).map(|index| (index, held(index))).collect(),
        }
    }
}

/// Each term's weight, 10 in the name and 3 in the bio; `None` when a term is in neither.
fn text_score(terms: &[String], name_lower: &str, bio_lower: &str) -> Option<i64> {
    terms.iter().try_fold(0, |score, term| {
        if name_lower.contains(term.as_str()) {
            Some(score + 10)
        } else if bio_lower.contains(term.as_str()) {
            Some(score + 3)
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::MediatorKind;
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

    fn mediator(id: &str, name: &str, bio: &str, codes: &[&str]) -> Mediator {
        Mediator {
            id: id.into(),
            account_id: format!("account-{id}"),
            display_name: name.into(),
            kind: MediatorKind::StationMediator,
            level: 1,
            specialty_codes: codes.iter().map(|c| (*c).to_owned()).collect(),
            languages: vec!["zh".into()],
            modes: vec![Mode::InPerson],
            home_site_id: "station".into(),
            bio: bio.into(),
            active: true,
        }
    }

    fn rated(ratings: &[(&str, f64)]) -> RatingBook {
        RatingBook {
            by_mediator: ratings
                .iter()
                .map(|(id, mean)| ((*id).to_owned(), RatingSummary { count: 1, mean: *mean, bayesian_mean: *mean }))
                .collect(),
            unrated: RatingSummary::default(),
        }
    }

    fn sites() -> Vec<(String, Option<String>)> {
        vec![
            ("centre".into(), None),
            ("station".into(), Some("centre".into())),
            ("other".into(), Some("centre".into())),
        ]
    }

    fn build(mediators: Vec<Mediator>, ratings: &RatingBook) -> SearchIndex {
        SearchIndex::build(mediators, sites(), ratings)
    }

    fn ids(index: &SearchIndex, filter: &SearchFilter) -> Vec<String> {
        index.search(filter, None, 100).0.into_iter().map(|(m, _)| m.id.clone()).collect()
    }

    #[test]
    fn every_term_must_match_name_or_bio_in_any_case() {
        let index = build(
            vec![mediator("a", "劳动调解员", "unpaid WAGES", &[]), mediator("b", "劳动调解员", "traffic", &[])],
            &RatingBook::default(),
        );
        assert_eq!(ids(&index, &filter("劳动 Wages", Order::Relevance)), ["a"]);
        assert_eq!(ids(&index, &filter("", Order::Name)), ["a", "b"]);
        assert!(ids(&index, &filter("劳动 火星", Order::Relevance)).is_empty(), "a character nobody has");
    }

    #[test]
    fn relevance_prefers_name_hits_then_held_specialities() {
        let index = build(
            vec![mediator("in-bio", "王", "师从老潘", &[]), mediator("in-name", "老潘", "", &[])],
            &RatingBook::default(),
        );
        assert_eq!(ids(&index, &filter("潘", Order::Relevance)), ["in-name", "in-bio"]);
        let index = build(
            vec![mediator("one", "x", "", &["FAMILY"]), mediator("two", "x", "", &["FAMILY", "LABOUR"])],
            &RatingBook::default(),
        );
        let mut f = filter("", Order::Relevance);
        f.specialty_codes = vec!["FAMILY".into(), "LABOUR".into()];
        assert_eq!(ids(&index, &f), ["two", "one"]);
        f.specialty_codes = vec!["LABOUR".into()];
        assert_eq!(ids(&index, &f), ["two"], "only holders of a requested speciality");
    }

    #[test]
    fn text_and_speciality_together_need_both() {
        let mut many: Vec<Mediator> = (0..5).map(|i| mediator(&format!("f{i}"), "王", "", &["FAMILY"])).collect();
        many.push(mediator("rare-name", "潘", "", &["LABOUR"]));
        many.push(mediator("rare-family", "潘", "", &["FAMILY"]));
        let index = build(many, &RatingBook::default());
        let mut f = filter("潘", Order::Relevance);
        f.specialty_codes = vec!["FAMILY".into()];
        assert_eq!(ids(&index, &f), ["rare-family"], "the name's list is shorter, the speciality still applies");
    }

    #[test]
    fn orders() {
        let all = vec![mediator("m1", "乙", "", &[]), mediator("m2", "甲", "", &[]), mediator("m3", "甲", "", &["X"])];
        let index = build(all, &rated(&[("m1", 4.0), ("m2", 4.5), ("m3", 3.0)]));
        // Names sort by code point: 乙 (U+4E59) before 甲 (U+7532); ties fall to the id.
        assert_eq!(ids(&index, &filter("", Order::Name)), ["m1", "m2", "m3"]);
        assert_eq!(ids(&index, &filter("", Order::Rating)), ["m2", "m1", "m3"]);
        let mut f = filter("", Order::Relevance);
        f.specialty_codes = vec!["X".into()];
        assert_eq!(ids(&index, &f), ["m3"]);
        assert_eq!(ids(&index, &filter("", Order::Relevance)), ["m2", "m1", "m3"], "equal scores rank by rating");
    }

    #[test]
    fn site_mode_and_language_filters() {
        let mut elsewhere = mediator("elsewhere", "b", "", &[]);
        elsewhere.home_site_id = "other".into();
        elsewhere.modes = vec![Mode::Video];
        elsewhere.languages = vec!["en".into()];
        let index = build(vec![mediator("here", "a", "", &[]), elsewhere], &RatingBook::default());
        let mut f = filter("", Order::Name);
        f.site_id = Some("centre".into());
        assert!(ids(&index, &f).is_empty(), "nobody is based at the centre itself");
        f.include_child_sites = true;
        assert_eq!(ids(&index, &f), ["here", "elsewhere"]);
        f.mode = Some(Mode::Video);
        assert_eq!(ids(&index, &f), ["elsewhere"]);
        f.mode = None;
        f.language = Some("zh".into());
        assert_eq!(ids(&index, &f), ["here"]);
        assert!(index.has_site("other") && !index.has_site("nowhere"));
        f.language = None;
        f.site_id = Some("nowhere".into());
        assert!(ids(&index, &f).is_empty(), "a site nobody knows has nobody based there");
        f.site_id = Some("other".into());
        f.include_child_sites = false;
        assert_eq!(ids(&index, &f), ["elsewhere"], "the site alone, after a search under the centre");
    }

    /// Texts from a four-character alphabet make many near misses: terms whose characters a
    /// mediator has, but not in a row, or only across their name and their bio.
    #[test]
    fn text_search_finds_what_checking_every_mediator_finds() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |below: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % below as u64) as usize
        };
        let alphabet = ['王', '李', 'a', 'B'];
        let mut text = |most: usize| (0..next(most + 1)).map(|_| alphabet[next(alphabet.len())]).collect::<String>();
        let mediators: Vec<Mediator> =
            (0..300).map(|i| mediator(&format!("m{i:03}"), &text(4), &text(12), &[])).collect();
        let index = build(mediators.clone(), &RatingBook::default());
        for _ in 0..500 {
            let query = format!("{} {}", text(3), text(2));
            let f = filter(&query, Order::Name);
            let mut expected: Vec<&Mediator> = mediators
                .iter()
                .filter(|m| {
                    let (name, bio) = (m.display_name.to_lowercase(), m.bio.to_lowercase());
                    f.terms.iter().all(|term| name.contains(term.as_str()) || bio.contains(term.as_str()))
                })
                .collect();
            expected.sort_by(|a, b| (&a.display_name, &a.id).cmp(&(&b.display_name, &b.id)));
            let expected: Vec<String> = expected.into_iter().map(|m| m.id.clone()).collect();
            assert_eq!(
                index.search(&f, None, 1000).0.into_iter().map(|(m, _)| m.id.clone()).collect::<Vec<_>>(),
                expected,
                "{query:?}"
            );
        }
    }

    #[test]
    fn keyset_pages_survive_inserts_between_pages() {
        let f = filter("", Order::Name);
        let mut rows: Vec<Mediator> =
            (0..25).map(|i| mediator(&format!("m{i:02}"), &format!("n{i:02}"), "", &[])).collect();
        let (first, cursor) = {
            let index = build(rows.clone(), &RatingBook::default());
            let (page, cursor) = index.search(&f, None, 10);
            (page.into_iter().map(|(m, _)| m.id.clone()).collect::<Vec<_>>(), cursor)
        };
        assert_eq!(first.len(), 10);
        // Someone is added before the cursor and someone after it.
        rows.push(mediator("early", "n00a", "", &[]));
        rows.push(mediator("late", "n99", "", &[]));
        let index = build(rows, &RatingBook::default());
        let (second, cursor) = index.search(&f, cursor.as_ref(), 10);
        let (third, cursor) = index.search(&f, cursor.as_ref(), 10);
        assert!(cursor.is_none());
        let seen: Vec<String> =
            first.into_iter().chain(second.iter().chain(&third).map(|(m, _)| m.id.clone())).collect();
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
    fn min_rating_filters_on_the_bayesian_mean_and_ratings_can_be_swapped() {
        let mut f = filter("", Order::Rating);
        f.min_rating = 4.5;
        let index =
            build(vec![mediator("good", "a", "", &[]), mediator("fair", "b", "", &[])], &rated(&[("good", 4.6)]));
        assert_eq!(ids(&index, &f), ["good"]);
        let index = index.with_ratings(&rated(&[("good", 4.6), ("fair", 4.9)]));
        assert_eq!(ids(&index, &f), ["fair", "good"]);
    }

    #[test]
    fn exact_page_counts() {
        let f = filter("", Order::Relevance);
        let index =
            build((0..20).map(|i| mediator(&format!("m{i:02}"), "x", "", &[])).collect(), &RatingBook::default());
        let (first, cursor) = index.search(&f, None, 10);
        let (second, cursor) = index.search(&f, cursor.as_ref(), 10);
        assert_eq!((first.len(), second.len()), (10, 10));
        assert!(cursor.is_none(), "no empty third page");
        let ids: Vec<&str> = first.iter().chain(&second).map(|(m, _)| m.id.as_str()).collect();
        let expected: Vec<String> = (0..20).map(|i| format!("m{i:02}")).collect();
        assert_eq!(ids, expected, "the page boundary neither skips nor repeats");
    }
}
