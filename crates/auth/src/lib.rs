//! Who is calling and what they may do: argon2id password hashes, EdDSA-signed access tokens,
//! the [`Principal`] a verified token becomes, and the per-method [`Access`] table type that
//! every service fills in for its own methods.
//!
//! Everything here is pure and synchronous; callers run argon2 on the blocking pool. This crate
//! must not touch storage or the network.

mod password;
mod policy;
mod principal;
mod secret;
mod token;
mod token_cache;

pub use password::{PasswordError, hash_password, verify_password};
pub use policy::{Access, Decision, MethodPolicy};
pub use principal::{Principal, Role, UnknownRole};
pub use secret::{hash_secret, random_secret};
pub use token::{Claims, LEEWAY_SECS, TokenError, TokenKeys, Verified, generate_signing_key_pem};
pub use token_cache::{DEFAULT_CAPACITY as TOKEN_CACHE_CAPACITY, TokenCache};
