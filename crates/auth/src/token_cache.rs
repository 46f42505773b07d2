//! A per-process memory of the access tokens already checked, so that a signed-in call pays the
//! Ed25519 verification (about 50 µs of CPU) once per token and process rather than on every
//! call. A token is checked fully the first time the process sees it; afterwards the same bytes
//! (found by their SHA-256) give the same principal until the token's expiry (plus the leeway),
//! exactly as long as the full check would accept it. Tokens that fail the check are not kept,
//! so they cost the full check every time, as before. What this memory does not answer is
//! revocation: the caller still checks every call against the account's token not-before.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::token::{TokenError, TokenKeys, Verified};

/// The most tokens kept at once: about 200 bytes each, so some 20 MB at worst.
pub const DEFAULT_CAPACITY: usize = 100_000;

#[derive(Debug)]
pub struct TokenCache {
    keys: Arc<TokenKeys>,
    capacity: usize,
    verified: Mutex<HashMap<[u8; 32], Verified>>,
}

impl TokenCache {
    pub fn new(keys: Arc<TokenKeys>, capacity: usize) -> Self {
        Self { keys, capacity: capacity.max(1), verified: Mutex::new(HashMap::new()) }
    }

    pub fn keys(&self) -> &Arc<TokenKeys> {
        &self.keys
    }

    /// What `token` says, checked fully the first time and remembered until it expires; `now` is
    /// seconds since the epoch.
    pub fn verify(&self, token: &str, now: i64) -> Result<Verified, TokenError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        {
            let mut verified = self.lock();
            match verified.get(&digest) {
                Some(known) if now <= known.valid_until => return Ok(known.clone()),
                // Expired: the full check below says so, with the right error.
                Some(_) => {
                    verified.remove(&digest);
                }
                None => {}
            }
        }
        let fresh = self.keys.verify_full(token)?;
        let mut verified = self.lock();
        if verified.len() >= self.capacity {
            verified.retain(|_, known| now <= known.valid_until);
            // Still full of live tokens: start again rather than grow; each pays one full
            // check more.
            if verified.len() >= self.capacity {
                verified.clear();
            }
        }
        verified.insert(digest, fresh.clone());
        Ok(fresh)
    }

    /// How many tokens are remembered now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Verified>> {
        // A panic while holding the lock cannot leave the map half-written in a way that
        // matters: every entry is inserted whole.
        self.verified.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};

    use super::*;
    use crate::token::{LEEWAY_SECS, generate_signing_key_pem};
    use crate::{Principal, Role};

    fn keys() -> Arc<TokenKeys> {
        Arc::new(TokenKeys::from_pem(&generate_signing_key_pem(), "mediation", "mediation-api").unwrap())
    }

    fn resident(id: &str) -> Principal {
        Principal { account_id: id.into(), role: Role::Resident, site_id: None, kiosk_id: None }
    }

    #[test]
    fn a_token_is_checked_once_and_then_remembered() {
        let keys = keys();
        let cache = TokenCache::new(keys.clone(), 10);
        let issued = Utc::now();
        let (token, _) = keys.issue(&resident("a1"), issued, Duration::minutes(15)).unwrap();
        let now = Utc::now().timestamp();
        let first = cache.verify(&token, now).unwrap();
        assert_eq!((first.principal.clone(), first.issued_at), (resident("a1"), issued.timestamp()));
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.verify(&token, now + 60).unwrap(), first);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_remembered_token_expires_when_the_full_check_would_refuse_it() {
        let keys = keys();
        let cache = TokenCache::new(keys.clone(), 10);
        let (token, expires_at) = keys.issue(&resident("a1"), Utc::now(), Duration::minutes(15)).unwrap();
        let now = Utc::now().timestamp();
        cache.verify(&token, now).unwrap();
        let last = expires_at.timestamp() + LEEWAY_SECS as i64;
        assert!(cache.verify(&token, last).is_ok());
        // Past its expiry the entry is dropped and the full check (on the real clock, where the
        // token is still valid) decides; the entry comes back only because it is still valid.
        assert!(cache.verify(&token, last + 1).is_ok());
        let (old, _) = keys.issue(&resident("a2"), Utc::now() - Duration::hours(1), Duration::minutes(15)).unwrap();
        assert!(matches!(cache.verify(&old, now), Err(TokenError::Expired)));
        assert_eq!(cache.len(), 1, "a refused token is not kept");
    }

    #[test]
    fn tampered_and_foreign_tokens_are_refused_every_time() {
        let keys = keys();
        let cache = TokenCache::new(keys.clone(), 10);
        let (token, _) = keys.issue(&resident("a1"), Utc::now(), Duration::minutes(15)).unwrap();
        let now = Utc::now().timestamp();
        cache.verify(&token, now).unwrap();
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        for _ in 0..2 {
            assert!(matches!(cache.verify(&tampered, now), Err(TokenError::Invalid(_))));
        }
        let (foreign, _) = self::keys().issue(&resident("a1"), Utc::now(), Duration::minutes(15)).unwrap();
        assert!(matches!(cache.verify(&foreign, now), Err(TokenError::Invalid(_))));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn the_memory_stays_within_its_capacity() {
        let keys = keys();
        let cache = TokenCache::new(keys.clone(), 3);
        let now = Utc::now().timestamp();
        for i in 0..10 {
            let (token, _) = keys.issue(&resident(&format!("a{i}")), Utc::now(), Duration::minutes(15)).unwrap();
            assert_eq!(cache.verify(&token, now).unwrap().principal, resident(&format!("a{i}")));
            assert!(cache.len() <= 3);
        }
    }
}
