//! Pre-assessment grading: the seed's tiers, "ordinary disputes on the spot, difficult ones to
//! think-tank experts, major ones to joint mediation".

use super::Grade;

/// The answers of a pre-assessment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Assessment {
    pub amount_in_dispute_yuan: i64,
    pub party_count: i32,
    pub violence_risk: bool,
    pub vulnerable_party: bool,
    pub repeat_dispute: bool,
    pub group_incident_risk: bool,
    pub petition_history: bool,
}

/// Where the grades begin; configurable, these are the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub major_parties: i32,
    pub major_amount_yuan: i64,
    pub difficult_parties: i32,
    pub difficult_amount_yuan: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self { major_parties: 10, major_amount_yuan: 1_000_000, difficult_parties: 3, difficult_amount_yuan: 50_000 }
    }
}

/// The grade and the rules that fired, as a rationale a person can read.
pub fn grade(a: &Assessment, t: &Thresholds) -> (Grade, String) {
    let major: Vec<String> = [
        a.group_incident_risk.then(|| "group-incident risk".to_owned()),
        (a.party_count >= t.major_parties).then(|| format!("{} parties (>= {})", a.party_count, t.major_parties)),
        (a.amount_in_dispute_yuan >= t.major_amount_yuan)
            .then(|| format!("{} yuan in dispute (>= {})", a.amount_in_dispute_yuan, t.major_amount_yuan)),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !major.is_empty() {
        return (Grade::Major, format!("MAJOR: {}", major.join("; ")));
    }
    let difficult: Vec<String> = [
        a.violence_risk.then(|| "violence risk".to_owned()),
        a.repeat_dispute.then(|| "repeat dispute".to_owned()),
        a.petition_history.then(|| "petition history".to_owned()),
        a.vulnerable_party.then(|| "vulnerable party".to_owned()),
        (a.party_count >= t.difficult_parties)
            .then(|| format!("{} parties (>= {})", a.party_count, t.difficult_parties)),
        (a.amount_in_dispute_yuan >= t.difficult_amount_yuan)
            .then(|| format!("{} yuan in dispute (>= {})", a.amount_in_dispute_yuan, t.difficult_amount_yuan)),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !difficult.is_empty() {
        return (Grade::Difficult, format!("DIFFICULT: {}", difficult.join("; ")));
    }
    (Grade::Ordinary, "ORDINARY: no risk factor and below every threshold".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: impl FnOnce(&mut Assessment)) -> Assessment {
        let mut a = Assessment { party_count: 2, amount_in_dispute_yuan: 1_000, ..Default::default() };
        f(&mut a);
        a
    }

    #[test]
    fn the_default_table() {
        let cases: Vec<(&str, Assessment, Grade, &str)> = vec![
            ("plain", with(|_| {}), Grade::Ordinary, "ORDINARY"),
            ("group incident", with(|a| a.group_incident_risk = true), Grade::Major, "group-incident risk"),
            ("ten parties", with(|a| a.party_count = 10), Grade::Major, "10 parties"),
            ("nine parties", with(|a| a.party_count = 9), Grade::Difficult, "9 parties"),
            ("a million", with(|a| a.amount_in_dispute_yuan = 1_000_000), Grade::Major, "1000000 yuan"),
            ("just under a million", with(|a| a.amount_in_dispute_yuan = 999_999), Grade::Difficult, "999999 yuan"),
            ("violence", with(|a| a.violence_risk = true), Grade::Difficult, "violence risk"),
            ("repeat", with(|a| a.repeat_dispute = true), Grade::Difficult, "repeat dispute"),
            ("petition", with(|a| a.petition_history = true), Grade::Difficult, "petition history"),
            ("vulnerable", with(|a| a.vulnerable_party = true), Grade::Difficult, "vulnerable party"),
            ("three parties", with(|a| a.party_count = 3), Grade::Difficult, "3 parties"),
            ("fifty thousand", with(|a| a.amount_in_dispute_yuan = 50_000), Grade::Difficult, "50000 yuan"),
            ("just under", with(|a| a.amount_in_dispute_yuan = 49_999), Grade::Ordinary, "ORDINARY"),
            (
                "major wins over difficult",
                with(|a| {
                    a.violence_risk = true;
                    a.group_incident_risk = true
                }),
                Grade::Major,
                "group-incident risk",
            ),
        ];
        for (label, assessment, expected, mentions) in cases {
            let (grade, rationale) = grade(&assessment, &Thresholds::default());
            assert_eq!(grade, expected, "{label}");
            assert!(rationale.contains(mentions), "{label}: {rationale}");
        }
    }

    #[test]
    fn every_fired_rule_is_named() {
        let a = with(|a| {
            a.violence_risk = true;
            a.repeat_dispute = true;
            a.party_count = 4
        });
        let (_, rationale) = grade(&a, &Thresholds::default());
        for rule in ["violence risk", "repeat dispute", "4 parties"] {
            assert!(rationale.contains(rule), "{rationale}");
        }
    }

    #[test]
    fn thresholds_are_configurable() {
        let strict = Thresholds { difficult_amount_yuan: 10_000, ..Thresholds::default() };
        assert_eq!(grade(&with(|a| a.amount_in_dispute_yuan = 20_000), &strict).0, Grade::Difficult);
    }
}
