//! The identity flows, on plain types: each runs its reads and writes in one transaction through
//! the repo, and its slow or remote steps (argon2, delivering a code) outside it. Split by
//! concern: `accounts` (registration, the caller's account), `codes` (phone codes), `sessions`
//! (login, refresh-token families, the signing key), `staff` (staff accounts, admins, disabling)
//! and `kiosks` (provisioning, kiosk login, walk-in sessions).

mod accounts;
mod codes;
mod identity;
mod kiosks;
mod sessions;
mod staff;

pub use accounts::Registration;
pub use codes::{CodeRefused, CodeRequest, PhoneProof, code_budget_refusals, take_phone_code};
pub use identity::{Identity, IdentitySettings, SiteLookup, SiteRef};
pub use kiosks::{KioskCredentials, NewKiosk, ProvisionedKiosk};
pub use sessions::{Credentials, IssuedTokens, RefreshToken, load_signing_key};
pub use staff::{AccessChange, AccountState, NewStaff, create_admin};
