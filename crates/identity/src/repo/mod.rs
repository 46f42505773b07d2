//! The identity tables: accounts, phone codes, refresh tokens, account blocks and the signing
//! key, one module each. Every function takes a connection, so that the caller decides the
//! transaction.
//!
//! Phone numbers are personal data: `accounts.phone` holds the number sealed under the
//! database's keys, and `accounts.phone_index` / `phone_codes.phone_index` its blind index,
//! which is what every lookup by phone compares (see `mediation_store::personal`).

mod accounts;
mod blocks;
mod codes;
mod query;
mod tokens;

pub use accounts::{
    Account, AccountRow, NewAccount, account_by_id, account_by_login, account_by_phone, clear_password, insert_account,
    mark_phone_verified, rekey_accounts, reset_unverified_resident, set_password, staff_of_station,
};
pub use blocks::{Block, block, set_block, tokens_not_before};
pub use codes::{
    CodeRow, code_times_since, codes_since, consume_code, has_open_code, insert_code, lock_code_sending,
    newest_open_code, take_code_attempt,
};
pub use query::QueryResult;
pub use tokens::{
    RefreshRow, insert_refresh, refresh_by_hash, revoke_all_refresh, revoke_family, signing_key_or_insert, use_refresh,
};
