//! The pure part of the audit log: what a record holds, its canonical encoding and SHA-256, and
//! the verification of a chain of records. No storage, no clock: the repo hands records in.
//!
//! A record's hash covers every field but the hash itself, the previous record's hash included,
//! so changing any field of any record, or removing one, breaks the chain at that record.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SubsecRound, Utc};
use mediation_auth::Principal;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Labels the encoding, so that a future change of fields cannot be confused with this one.
const ENCODING: &str = "mediation-audit-v1";

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A staff member was shown personal data in clear (a case's parties, a home address).
    PersonalDataRead,
    GradeOverridden,
    RatingHidden,
    AccountCreated,
    KioskProvisioned,
    AccountDisabled,
    AccountEnabled,
    PlanCommitted,
    /// A dispatcher's manual placement of a visit on a van (AssignVisit).
    VisitAssigned,
    /// Every party signed a mediation agreement; the detail is the SHA-256 of its text.
    AgreementSigned,
    /// Station staff voided a mediation agreement, with the reason.
    AgreementVoided,
}

impl Action {
    pub const ALL: [Action; 11] = [
        Action::PersonalDataRead,
        Action::GradeOverridden,
        Action::RatingHidden,
        Action::AccountCreated,
        Action::KioskProvisioned,
        Action::AccountDisabled,
        Action::AccountEnabled,
        Action::PlanCommitted,
        Action::VisitAssigned,
        Action::AgreementSigned,
        Action::AgreementVoided,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::PersonalDataRead => "PERSONAL_DATA_READ",
            Action::GradeOverridden => "GRADE_OVERRIDDEN",
            Action::RatingHidden => "RATING_HIDDEN",
            Action::AccountCreated => "ACCOUNT_CREATED",
            Action::KioskProvisioned => "KIOSK_PROVISIONED",
            Action::AccountDisabled => "ACCOUNT_DISABLED",
            Action::AccountEnabled => "ACCOUNT_ENABLED",
            Action::PlanCommitted => "PLAN_COMMITTED",
            Action::VisitAssigned => "VISIT_ASSIGNED",
            Action::AgreementSigned => "AGREEMENT_SIGNED",
            Action::AgreementVoided => "AGREEMENT_VOIDED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not an audit action ({})", Action::ALL.map(Action::as_str).join(", "))]
pub struct UnknownAction;

impl FromStr for Action {
    type Err = UnknownAction;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::ALL.into_iter().find(|a| a.as_str() == s).ok_or(UnknownAction)
    }
}

/// What kind of thing the action was done to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Case,
    HomeVisit,
    Rating,
    Account,
    Plan,
    Agreement,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Case => "CASE",
            TargetKind::HomeVisit => "HOME_VISIT",
            TargetKind::Rating => "RATING",
            TargetKind::Account => "ACCOUNT",
            TargetKind::Plan => "PLAN",
            TargetKind::Agreement => "AGREEMENT",
        }
    }
}

/// Who acted, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub account_id: String,
    pub role: String,
    /// The peer address the server saw (behind a proxy, the proxy's); empty when unknown.
    pub peer: String,
    /// The kiosk of a kiosk resident session, or the kiosk itself; empty otherwise.
    pub kiosk_id: String,
}

impl Actor {
    pub fn new(principal: &Principal, peer: Option<std::net::SocketAddr>) -> Self {
        let kiosk_id = match (&principal.kiosk_id, principal.role) {
            (Some(kiosk), _) => kiosk.clone(),
            (None, mediation_auth::Role::Kiosk) => principal.account_id.clone(),
            (None, _) => String::new(),
        };
        Self {
            account_id: principal.account_id.clone(),
            role: principal.role.as_str().to_owned(),
            peer: peer.map(|addr| addr.ip().to_string()).unwrap_or_default(),
            kiosk_id,
        }
    }
}

/// What a service records: the action, its target, and a short detail without personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub action: Action,
    pub target_kind: TargetKind,
    pub target_id: String,
    pub detail: String,
}

impl Event {
    pub fn new(
        action: Action,
        target_kind: TargetKind,
        target_id: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self { action, target_kind, target_id: target_id.into(), detail: detail.into() }
    }
}

/// One stored record of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub seq: i64,
    /// UTC, to the microsecond (what both databases keep).
    pub at: DateTime<Utc>,
    pub actor_id: String,
    pub actor_role: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub detail: String,
    pub peer: String,
    pub kiosk_id: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The bytes a record's hash covers: a label, then every field but the hash in a fixed order,
/// each as its length (8 bytes, big-endian) and its UTF-8 bytes, so that no two different
/// records encode alike.
pub fn canonical(record: &Record) -> Vec<u8> {
    let seq = record.seq.to_string();
    let at = record.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    let fields: [&str; 12] = [
        ENCODING,
        &seq,
        &at,
        &record.actor_id,
        &record.actor_role,
        &record.action,
        &record.target_kind,
        &record.target_id,
        &record.detail,
        &record.peer,
        &record.kiosk_id,
        &record.prev_hash,
    ];
    let mut out = Vec::with_capacity(fields.iter().map(|f| f.len() + 8).sum());
    for field in fields {
        out.extend_from_slice(&(field.len() as u64).to_be_bytes());
        out.extend_from_slice(field.as_bytes());
    }
    out
}

/// The hex SHA-256 of a record's canonical encoding.
pub fn hash_of(record: &Record) -> String {
    base16ct::lower::encode_string(&Sha256::digest(canonical(record)))
}

/// The record `seq` of `event` by `actor` at `at`, linked to `prev_hash` and hashed.
pub fn seal(seq: i64, at: DateTime<Utc>, actor: &Actor, event: Event, prev_hash: &str) -> Record {
    let mut record = Record {
        seq,
        at: at.trunc_subsecs(6),
        actor_id: actor.account_id.clone(),
        actor_role: actor.role.clone(),
        action: event.action.as_str().to_owned(),
        target_kind: event.target_kind.as_str().to_owned(),
        target_id: event.target_id,
        detail: event.detail,
        peer: actor.peer.clone(),
        kiosk_id: actor.kiosk_id.clone(),
        prev_hash: prev_hash.to_owned(),
        hash: String::new(),
    };
    record.hash = hash_of(&record);
    record
}

/// Where and how a chain is broken: the first bad record found, walking from the start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    #[error("record {expected} is missing (deleted?); the next record found is {found}")]
    Missing { expected: i64, found: i64 },
    #[error("record {seq} was altered: its hash does not match its fields")]
    Altered { seq: i64 },
    #[error("record {seq} does not link to record {}: one of them was altered and re-hashed", seq - 1)]
    Unlinked { seq: i64 },
    #[error("the chain ends at record {last} but its head says {head}: records were removed from the end")]
    Truncated { last: i64, head: i64 },
    #[error("the chain's head does not match record {seq}: the head or the record was altered")]
    HeadMismatch { seq: i64 },
}

impl Broken {
    /// The sequence number of the first bad record.
    pub fn seq(&self) -> i64 {
        match *self {
            Broken::Missing { expected, .. } => expected,
            Broken::Altered { seq } | Broken::Unlinked { seq } | Broken::HeadMismatch { seq } => seq,
            Broken::Truncated { last, .. } => last + 1,
        }
    }
}

/// Walks a chain record by record, in sequence order, so that it can be checked page by page.
#[derive(Debug, Clone)]
pub struct Verifier {
    next_seq: i64,
    prev_hash: String,
}

impl Default for Verifier {
    fn default() -> Self {
        Self { next_seq: 1, prev_hash: GENESIS.to_owned() }
    }
}

impl Verifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next record: its place, its own hash, its link to the one before.
    pub fn push(&mut self, record: &Record) -> Result<(), Broken> {
        if record.seq != self.next_seq {
            return Err(Broken::Missing { expected: self.next_seq, found: record.seq });
        }
        if record.hash != hash_of(record) {
            return Err(Broken::Altered { seq: record.seq });
        }
        if record.prev_hash != self.prev_hash {
            return Err(Broken::Unlinked { seq: record.seq });
        }
        self.next_seq += 1;
        self.prev_hash.clone_from(&record.hash);
        Ok(())
    }

    /// Checks the end of the chain against its head (the last sequence number and hash, kept
    /// apart); returns how many records were checked.
    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<i64, Broken> {
        let last = self.next_seq - 1;
        if head_seq > last {
            return Err(Broken::Truncated { last, head: head_seq });
        }
        if head_seq != last || head_hash != self.prev_hash {
            return Err(Broken::HeadMismatch { seq: last });
        }
        Ok(last)
    }
}

/// Checks a whole chain held in memory against its head.
pub fn verify<'a>(
    records: impl IntoIterator<Item = &'a Record>,
    head_seq: i64,
    head_hash: &str,
) -> Result<i64, Broken> {
    let mut verifier = Verifier::new();
    for record in records {
        verifier.push(record)?;
    }
    verifier.finish(head_seq, head_hash)
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn actor() -> Actor {
        Actor {
            account_id: "a-1".into(),
            role: "STATION_ADMIN".into(),
            peer: "10.0.0.7".into(),
            kiosk_id: String::new(),
        }
    }

    /// A chain of `n` records and its head.
    fn chain(n: i64) -> (Vec<Record>, i64, String) {
        let mut records: Vec<Record> = Vec::new();
        for seq in 1..=n {
            let prev = records.last().map_or(GENESIS.to_owned(), |r| r.hash.clone());
            let at = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap() + chrono::Duration::microseconds(seq * 1_001);
            let event = Event::new(Action::PersonalDataRead, TargetKind::Case, format!("case-{seq}"), "GetCase");
            records.push(seal(seq, at, &actor(), event, &prev));
        }
        let head = records.last().map_or((0, GENESIS.to_owned()), |r| (r.seq, r.hash.clone()));
        (records, head.0, head.1)
    }

    #[test]
    fn an_intact_chain_verifies() {
        for n in [0, 1, 5] {
            let (records, seq, hash) = chain(n);
            assert_eq!(verify(&records, seq, &hash), Ok(n));
        }
    }

    #[test]
    fn hashes_are_sha256_hex_and_depend_on_every_field() {
        let (records, _, _) = chain(1);
        let record = &records[0];
        assert_eq!(record.hash.len(), 64);
        assert_eq!(record.prev_hash, GENESIS);
        let edits: Vec<fn(&mut Record)> = vec![
            |r| r.seq += 1,
            |r| r.at += chrono::Duration::microseconds(1),
            |r| r.actor_id.push('x'),
            |r| r.actor_role = "CENTRE_ADMIN".into(),
            |r| r.action = "RATING_HIDDEN".into(),
            |r| r.target_kind = "ACCOUNT".into(),
            |r| r.target_id.push('x'),
            |r| r.detail.push('x'),
            |r| r.peer.push('x'),
            |r| r.kiosk_id.push('x'),
            |r| r.prev_hash = "1".repeat(64),
        ];
        for (i, edit) in edits.into_iter().enumerate() {
            let mut changed = record.clone();
            edit(&mut changed);
            assert_ne!(hash_of(&changed), record.hash, "edit {i}");
        }
    }

    #[test]
    fn field_boundaries_are_part_of_the_encoding() {
        let (records, _, _) = chain(1);
        let mut a = records[0].clone();
        let mut b = records[0].clone();
        (a.target_id, a.detail) = ("ab".into(), "c".into());
        (b.target_id, b.detail) = ("a".into(), "bc".into());
        assert_ne!(hash_of(&a), hash_of(&b));
    }

    #[test]
    fn an_edited_record_is_named() {
        let (mut records, seq, hash) = chain(5);
        records[2].detail = "nothing to see".into();
        assert_eq!(verify(&records, seq, &hash), Err(Broken::Altered { seq: 3 }));
    }

    #[test]
    fn an_edited_and_rehashed_record_breaks_the_next_link() {
        let (mut records, seq, hash) = chain(5);
        records[2].actor_id = "someone-else".into();
        records[2].hash = hash_of(&records[2]);
        assert_eq!(verify(&records, seq, &hash), Err(Broken::Unlinked { seq: 4 }));
    }

    #[test]
    fn a_deleted_record_is_named() {
        let (mut records, seq, hash) = chain(5);
        records.remove(1);
        let broken = verify(&records, seq, &hash).unwrap_err();
        assert_eq!(broken, Broken::Missing { expected: 2, found: 3 });
        assert_eq!(broken.seq(), 2);
        assert!(broken.to_string().contains("record 2 is missing"), "{broken}");
    }

    #[test]
    fn records_cut_off_the_end_are_noticed_through_the_head() {
        let (mut records, seq, hash) = chain(5);
        records.truncate(3);
        assert_eq!(verify(&records, seq, &hash), Err(Broken::Truncated { last: 3, head: 5 }));
        let (records, seq, _) = chain(2);
        assert_eq!(verify(&records, seq, GENESIS), Err(Broken::HeadMismatch { seq: 2 }));
    }

    #[test]
    fn actions_round_trip_through_their_names() {
        for action in Action::ALL {
            assert_eq!(action.as_str().parse::<Action>(), Ok(action));
        }
        assert_eq!("DELETE_EVERYTHING".parse::<Action>(), Err(UnknownAction));
    }

    #[test]
    fn actors_say_where_from() {
        let kiosk = Principal {
            account_id: "k-1".into(),
            role: mediation_auth::Role::Kiosk,
            site_id: Some("s".into()),
            kiosk_id: None,
        };
        let actor = Actor::new(&kiosk, Some("192.0.2.1:5555".parse().unwrap()));
        assert_eq!((actor.peer.as_str(), actor.kiosk_id.as_str()), ("192.0.2.1", "k-1"));
        let walk_in = Principal {
            account_id: "r-1".into(),
            role: mediation_auth::Role::Resident,
            site_id: None,
            kiosk_id: Some("k-1".into()),
        };
        assert_eq!(Actor::new(&walk_in, None).kiosk_id, "k-1");
    }
}
