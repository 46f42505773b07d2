use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::{Principal, Role};

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token expired")]
    Expired,
    #[error("token invalid: {0}")]
    Invalid(String),
    #[error("signing key unusable: {0}")]
    Key(String),
}

/// How far past `exp` (and before `nbf`) a token is still accepted, for clocks that disagree.
pub const LEEWAY_SECS: u64 = 30;

/// The claims of an access token. `iss`, `aud`, `sub`, `exp` and `nbf` are required.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kiosk: Option<String>,
}

/// What a fully checked token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub principal: Principal,
    /// `iat`, seconds since the epoch.
    pub issued_at: i64,
    /// The last second (since the epoch) at which the token is still accepted: `exp` plus the
    /// leeway.
    pub valid_until: i64,
}

/// Signs and verifies access tokens with one Ed25519 key; the algorithm is pinned to EdDSA so
/// that `alg: none` or an HMAC token made with the public key is refused.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

/// A new Ed25519 private key as PKCS#8 PEM.
pub fn generate_signing_key_pem() -> String {
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    key.to_pkcs8_pem(LineEnding::LF).expect("an Ed25519 key encodes").to_string()
}

impl TokenKeys {
    pub fn from_pem(private_key_pem: &str, issuer: &str, audience: &str) -> Result<Self, TokenError> {
        let key = SigningKey::from_pkcs8_pem(private_key_pem).map_err(|err| TokenError::Key(err.to_string()))?;
        let public_pem =
            key.verifying_key().to_public_key_pem(LineEnding::LF).map_err(|err| TokenError::Key(err.to_string()))?;
        let encoding =
            EncodingKey::from_ed_pem(private_key_pem.as_bytes()).map_err(|err| TokenError::Key(err.to_string()))?;
        let decoding =
            DecodingKey::from_ed_pem(public_pem.as_bytes()).map_err(|err| TokenError::Key(err.to_string()))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["iss", "aud", "sub", "exp", "nbf"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        Ok(Self { encoding, decoding, validation, issuer: issuer.into(), audience: audience.into() })
    }

    /// An access token for `principal` valid from `now` for `ttl`, and its expiry.
    pub fn issue(
        &self,
        principal: &Principal,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<(String, DateTime<Utc>), TokenError> {
        let expires_at = now + ttl;
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: principal.account_id.clone(),
            exp: expires_at.timestamp(),
            nbf: now.timestamp(),
            iat: now.timestamp(),
            role: principal.role.as_str().to_owned(),
            site: principal.site_id.clone(),
            kiosk: principal.kiosk_id.clone(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &self.encoding)
            .map_err(|err| TokenError::Key(err.to_string()))?;
        Ok((token, expires_at))
    }

    /// The principal of a valid token, checked against the clock now.
    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        self.verify_issued(token).map(|(principal, _)| principal)
    }

    /// The principal of a valid token and when it was issued (`iat`, seconds since the epoch),
    /// which the gateway checks against the account's token not-before.
    pub fn verify_issued(&self, token: &str) -> Result<(Principal, i64), TokenError> {
        self.verify_full(token).map(|verified| (verified.principal, verified.issued_at))
    }

    /// Checks a token fully: signature, algorithm, issuer, audience, times and role.
    pub fn verify_full(&self, token: &str) -> Result<Verified, TokenError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map_err(|err| match err
            .kind()
        {
            ErrorKind::ExpiredSignature => TokenError::Expired,
            _ => TokenError::Invalid(err.to_string()),
        })?;
        let claims = data.claims;
        let role = claims.role.parse::<Role>().map_err(|err| TokenError::Invalid(err.to_string()))?;
        let principal = Principal { account_id: claims.sub, role, site_id: claims.site, kiosk_id: claims.kiosk };
        let valid_until = claims.exp.saturating_add(LEEWAY_SECS as i64);
        Ok(Verified { principal, issued_at: claims.iat, valid_until })
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::from_pem(&generate_signing_key_pem(), "mediation", "mediation-api").unwrap()
    }

    fn resident() -> Principal {
        Principal { account_id: "a1".into(), role: Role::Resident, site_id: None, kiosk_id: None }
    }

    fn b64(value: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
    }

    #[test]
    fn a_fresh_token_round_trips() {
        let keys = keys();
        let principal = Principal { site_id: Some("s1".into()), kiosk_id: Some("k1".into()), ..resident() };
        let now = Utc::now();
        let (token, _) = keys.issue(&principal, now, Duration::minutes(15)).unwrap();
        assert_eq!(keys.verify(&token).unwrap(), principal);
        assert_eq!(keys.verify_issued(&token).unwrap(), (principal, now.timestamp()));
    }

    #[test]
    fn expired_tokens_are_expired() {
        let keys = keys();
        let (token, _) = keys.issue(&resident(), Utc::now() - Duration::hours(1), Duration::minutes(15)).unwrap();
        assert!(matches!(keys.verify(&token), Err(TokenError::Expired)));
    }

    #[test]
    fn not_yet_valid_tokens_are_refused() {
        let keys = keys();
        let (token, _) = keys.issue(&resident(), Utc::now() + Duration::hours(1), Duration::minutes(15)).unwrap();
        assert!(matches!(keys.verify(&token), Err(TokenError::Invalid(_))));
    }

    #[test]
    fn other_keys_audiences_and_issuers_are_refused() {
        let keys = keys();
        let pem = generate_signing_key_pem();
        let others = [
            TokenKeys::from_pem(&pem, "mediation", "mediation-api").unwrap(),
            TokenKeys::from_pem(&pem, "mediation", "another-api").unwrap(),
            TokenKeys::from_pem(&pem, "someone-else", "mediation-api").unwrap(),
        ];
        for other in others {
            let (token, _) = other.issue(&resident(), Utc::now(), Duration::minutes(15)).unwrap();
            assert!(matches!(keys.verify(&token), Err(TokenError::Invalid(_))), "{other:?}");
        }
        let other_audience = &TokenKeys::from_pem(&pem, "mediation", "another-api").unwrap();
        let (token, _) = other_audience.issue(&resident(), Utc::now(), Duration::minutes(15)).unwrap();
        assert!(other_audience.verify(&token).is_ok());
    }

    #[test]
    fn alg_none_and_tampered_tokens_are_refused() {
        let keys = keys();
        let (token, _) = keys.issue(&resident(), Utc::now(), Duration::minutes(15)).unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();

        let unsigned = format!("{}.{}.", b64(&serde_json::json!({"alg": "none", "typ": "JWT"})), parts[1]);
        assert!(matches!(keys.verify(&unsigned), Err(TokenError::Invalid(_))));

        let now = Utc::now().timestamp();
        parts[1] = b64(&serde_json::json!({
            "iss": "mediation", "aud": "mediation-api", "sub": "a1", "exp": now + 900, "nbf": now, "iat": now,
            "role": "CENTRE_ADMIN"
        }));
        assert!(matches!(keys.verify(&parts.join(".")), Err(TokenError::Invalid(_))));
    }

    #[test]
    fn tokens_missing_required_claims_are_refused() {
        #[derive(Serialize)]
        struct NoNbf {
            iss: &'static str,
            aud: &'static str,
            sub: &'static str,
            exp: i64,
            role: &'static str,
        }
        let claims = NoNbf {
            iss: "mediation",
            aud: "mediation-api",
            sub: "a1",
            exp: Utc::now().timestamp() + 900,
            role: "RESIDENT",
        };
        let pem = generate_signing_key_pem();
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::EdDSA),
            &claims,
            &EncodingKey::from_ed_pem(pem.as_bytes()).unwrap(),
        )
        .unwrap();
        let same_key = TokenKeys::from_pem(&pem, "mediation", "mediation-api").unwrap();
        assert!(matches!(same_key.verify(&token), Err(TokenError::Invalid(_))));
    }
}
