//! Personal data at rest: phone numbers, names and addresses are sealed with AES-256-GCM before
//! they reach the database, and looked up through a keyed blind index (HMAC-SHA256) where a
//! query needs to find a row by value (login by phone).
//!
//! A sealed value is text, so that it fits a TEXT column on both backends:
//! `v1:<key id>:<base64(nonce | ciphertext and tag)>`, with a random 96-bit nonce per value and
//! the column's purpose (`accounts.phone`) as associated data, so that a value copied into
//! another column does not open. The key id names the key that sealed it: a [`Keyring`] opens
//! values under its current key and any previous one, and always seals under the current one,
//! which is how keys rotate (see `mediation rekey`).
//!
//! Pure: no I/O, no settings, no storage. It must not know which tables exist.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The format written today; the first field of every sealed value.
const VERSION: &str = "v1";
const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;
const KEY_BYTES: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("a key is written <id>:<base64 of 32 bytes>; {0}")]
    BadKeySpec(&'static str),
    #[error("key id {0:?} is given twice")]
    DuplicateKeyId(String),
    #[error("the value is not sealed (no {VERSION}: prefix); run `mediation rekey` to seal old rows")]
    NotSealed,
    #[error("the sealed value is malformed")]
    Malformed,
    #[error("the value was sealed under key {0:?}, which is neither the current nor a previous key")]
    UnknownKey(String),
    #[error("the sealed value does not open: wrong key, another column's value, or tampered")]
    DoesNotOpen,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A named 256-bit key. Its `Debug` never shows the bytes.
#[derive(Clone)]
pub struct Key {
    id: String,
    bytes: [u8; KEY_BYTES],
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key").field("id", &self.id).finish_non_exhaustive()
    }
}

impl Key {
    /// Reads `<id>:<base64 of 32 bytes>`. Ids are letters, digits, `-` and `_`, so that they
    /// never clash with the `:` separators of a sealed value.
    pub fn parse(spec: &str) -> Result<Self> {
        let (id, encoded) = spec.trim().split_once(':').ok_or(Error::BadKeySpec("no ':' after the id"))?;
        if id.is_empty() || id.len() > 32 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(Error::BadKeySpec("the id must be 1 to 32 letters, digits, '-' or '_'"));
        }
        let decoded = STANDARD.decode(encoded.trim()).map_err(|_| Error::BadKeySpec("the key is not base64"))?;
        let bytes: [u8; KEY_BYTES] =
            decoded.try_into().map_err(|_| Error::BadKeySpec("the key must decode to exactly 32 bytes"))?;
        Ok(Self { id: id.to_owned(), bytes })
    }

    /// A new random key under `id`.
    pub fn generate(id: &str) -> Self {
        let mut bytes = [0u8; KEY_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self { id: id.to_owned(), bytes }
    }

    /// The `<id>:<base64>` form [`Key::parse`] reads, for a key file or a secret store.
    pub fn to_spec(&self) -> String {
        format!("{}:{}", self.id, STANDARD.encode(self.bytes))
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new((&self.bytes).into())
    }
}

/// The keys of one deployment: the current sealing key, the previous ones still accepted for
/// opening, and the blind-index key (configured apart, so that rotating the sealing key does not
/// change any index).
#[derive(Debug, Clone)]
pub struct Keyring {
    current: Key,
    previous: Vec<Key>,
    index: Key,
}

impl Keyring {
    pub fn new(current: Key, previous: Vec<Key>, index: Key) -> Result<Self> {
        let mut seen = vec![current.id.as_str()];
        for key in &previous {
            if seen.contains(&key.id.as_str()) {
                return Err(Error::DuplicateKeyId(key.id.clone()));
            }
            seen.push(&key.id);
        }
        Ok(Self { current, previous, index })
    }

    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    pub fn index_key_id(&self) -> &str {
        &self.index.id
    }

    /// Seals `plaintext` under the current key, bound to `purpose` (the column, e.g.
    /// `accounts.phone`).
    pub fn seal(&self, purpose: &str, plaintext: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .current
            .cipher()
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: purpose.as_bytes() })
            .expect("AES-GCM seals any message under 64 GiB");
        let mut body = Vec::with_capacity(NONCE_BYTES + sealed.len());
        body.extend_from_slice(&nonce);
        body.extend_from_slice(&sealed);
        format!("{VERSION}:{}:{}", self.current.id, STANDARD.encode(body))
    }

    /// Opens a value [`Keyring::seal`] wrote for the same `purpose`, under any key of the ring.
    pub fn open(&self, purpose: &str, stored: &str) -> Result<Vec<u8>> {
        let rest = stored.strip_prefix(VERSION).and_then(|r| r.strip_prefix(':')).ok_or(Error::NotSealed)?;
        let (key_id, encoded) = rest.split_once(':').ok_or(Error::Malformed)?;
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == key_id)
            .ok_or_else(|| Error::UnknownKey(key_id.to_owned()))?;
        let body = STANDARD.decode(encoded).map_err(|_| Error::Malformed)?;
        if body.len() < NONCE_BYTES + TAG_BYTES {
            return Err(Error::Malformed);
        }
        let (nonce, sealed) = body.split_at(NONCE_BYTES);
        key.cipher()
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: purpose.as_bytes() })
            .map_err(|_| Error::DoesNotOpen)
    }

    /// [`Keyring::open`] for text.
    pub fn open_text(&self, purpose: &str, stored: &str) -> Result<String> {
        String::from_utf8(self.open(purpose, stored)?).map_err(|_| Error::Malformed)
    }

    /// What every value sealed under the current key starts with; a SQL `LIKE '<prefix>%'`
    /// finds the rows a rekey has already done.
    pub fn current_prefix(&self) -> String {
        format!("{VERSION}:{}:", self.current.id)
    }

    /// The keyed blind index of `value` for `purpose`: equal values give equal indexes under
    /// one index key, and nothing about the value can be learnt without that key. It starts
    /// with the index key's id, so that a rekey can find indexes made under an older one.
    pub fn blind_index(&self, purpose: &str, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index.bytes).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        // A separator that cannot occur in a purpose, so that (purpose, value) pairs never
        // collide by shifting bytes between them.
        mac.update(&[0]);
        mac.update(value.as_bytes());
        format!("{}:{}", self.index.id, URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    /// What every index made under the current index key starts with.
    pub fn index_prefix(&self) -> String {
        format!("{}:", self.index.id)
    }
}

/// Whether `stored` is in a sealed format at all (old rows may still hold plain text).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(VERSION) && stored[VERSION.len()..].starts_with(':')
}

/// A phone number reduced to what identifies it before it is indexed: the digits, after a `+`
/// when it had one. Spaces, dashes, dots and brackets people type are dropped.
pub fn normalize_phone(raw: &str) -> String {
    let trimmed = raw.trim();
    let digits = trimmed.chars().filter(char::is_ascii_digit);
    if trimmed.starts_with('+') { std::iter::once('+').chain(digits).collect() } else { digits.collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(current: &Key, previous: &[&Key]) -> Keyring {
        Keyring::new(current.clone(), previous.iter().map(|k| (*k).clone()).collect(), Key::generate("i1")).unwrap()
    }

    #[test]
    fn sealed_values_open_again_and_differ_each_time() {
        let keys = ring(&Key::generate("k1"), &[]);
        let a = keys.seal("accounts.phone", b"+8613800000001");
        let b = keys.seal("accounts.phone", b"+8613800000001");
        assert_ne!(a, b, "a fresh nonce per value");
        assert!(a.starts_with("v1:k1:") && is_sealed(&a));
        assert!(!a.contains("13800000001"));
        assert_eq!(keys.open_text("accounts.phone", &a).unwrap(), "+8613800000001");
        assert_eq!(keys.open("accounts.phone", &keys.seal("accounts.phone", b"")).unwrap(), b"");
    }

    #[test]
    fn wrong_key_or_purpose_does_not_open() {
        let k1 = Key::generate("k1");
        let sealed = ring(&k1, &[]).seal("accounts.phone", b"secret");
        let other_bytes = Keyring::new(
            Key::parse(&format!("k1:{}", STANDARD.encode([7u8; 32]))).unwrap(),
            vec![],
            Key::generate("i1"),
        )
        .unwrap();
        assert_eq!(other_bytes.open("accounts.phone", &sealed), Err(Error::DoesNotOpen));
        assert_eq!(
            ring(&Key::generate("k2"), &[]).open("accounts.phone", &sealed),
            Err(Error::UnknownKey("k1".into()))
        );
        assert_eq!(ring(&k1, &[]).open("case_parties.phone", &sealed), Err(Error::DoesNotOpen));
    }

    #[test]
    fn tampered_values_do_not_open() {
        let keys = ring(&Key::generate("k1"), &[]);
        let sealed = keys.seal("home_visits.address", "宁波市鄞州区天童南路588号".as_bytes());
        let (head, body) = sealed.rsplit_once(':').unwrap();
        let mut bytes = STANDARD.decode(body).unwrap();
        for i in [0, NONCE_BYTES, bytes.len() - 1] {
            let mut flipped = bytes.clone();
            flipped[i] ^= 1;
            let tampered = format!("{head}:{}", STANDARD.encode(&flipped));
            assert_eq!(keys.open("home_visits.address", &tampered), Err(Error::DoesNotOpen), "byte {i}");
        }
        bytes.truncate(NONCE_BYTES + TAG_BYTES - 1);
        assert_eq!(keys.open("x", &format!("{head}:{}", STANDARD.encode(&bytes))), Err(Error::Malformed));
        assert_eq!(keys.open("x", "v1:k1:not base64!"), Err(Error::Malformed));
        assert_eq!(keys.open("x", "+8613800000001"), Err(Error::NotSealed));
        assert_eq!(keys.open("x", "v2:k1:AAAA"), Err(Error::NotSealed));
    }

    #[test]
    fn previous_keys_open_and_the_current_one_seals() {
        let (old, new) = (Key::generate("old"), Key::generate("new"));
        let sealed_before = ring(&old, &[]).seal("p", b"x");
        let rotated = ring(&new, &[&old]);
        assert_eq!(rotated.open("p", &sealed_before).unwrap(), b"x");
        assert!(!sealed_before.starts_with(&rotated.current_prefix()));
        assert!(rotated.seal("p", b"x").starts_with(&rotated.current_prefix()));
        assert_eq!(ring(&new, &[]).open("p", &sealed_before), Err(Error::UnknownKey("old".into())));
        let twice = Keyring::new(new.clone(), vec![old.clone(), old], Key::generate("i"));
        assert_eq!(twice.unwrap_err(), Error::DuplicateKeyId("old".into()));
    }

    #[test]
    fn blind_indexes_are_stable_keyed_and_bound_to_their_purpose() {
        let index = Key::generate("i1");
        let a = Keyring::new(Key::generate("k1"), vec![], index.clone()).unwrap();
        let b = Keyring::new(Key::generate("k2"), vec![], index).unwrap();
        let other = Keyring::new(Key::generate("k1"), vec![], Key::generate("i1")).unwrap();
        let phone = "+8613800000001";
        assert_eq!(a.blind_index("phone", phone), b.blind_index("phone", phone), "independent of the sealing key");
        assert_ne!(a.blind_index("phone", phone), other.blind_index("phone", phone), "keyed");
        assert_ne!(a.blind_index("phone", phone), a.blind_index("phone", "+8613800000002"));
        assert_ne!(a.blind_index("phone", phone), a.blind_index("login", phone));
        assert!(a.blind_index("phone", phone).starts_with(&a.index_prefix()));
        assert!(!a.blind_index("phone", phone).contains("13800000001"));
    }

    #[test]
    fn keys_parse_from_their_spec_only() {
        let key = Key::generate("2026-11");
        let again = Key::parse(&key.to_spec()).unwrap();
        assert_eq!((again.id(), again.bytes), (key.id(), key.bytes));
        assert!(!format!("{key:?}").contains(&STANDARD.encode(key.bytes)));
        for bad in ["", "nocolon", ":AAAA", "k:AAAA", "a b:AAAA", &format!("k:{}", STANDARD.encode([1u8; 16]))] {
            assert!(matches!(Key::parse(bad), Err(Error::BadKeySpec(_))), "{bad:?}");
        }
    }

    #[test]
    fn phones_are_normalized_before_indexing() {
        assert_eq!(normalize_phone(" +86 138-0000 0001 "), "+8613800000001");
        assert_eq!(normalize_phone("(0574) 8765.4321"), "057487654321");
    }
}
