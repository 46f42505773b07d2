//! Sealing personal data on its way into the database and opening it on its way out, with the
//! keys of the [`Db`](crate::Db) whose `read` or `write` is running.
//!
//! Why the keys travel with the `Db` rather than as a parameter of every repo function: the
//! repos that hold personal data (identity, appointments, dispatch) are also read by the other
//! services (ratings reads cases and accounts, the directory accounts, dispatch cases), and the
//! keys have to reach every one of those reads. `Db::read` puts its keyring in scope on the
//! blocking thread for exactly as long as the work runs, so a repo can never read or write a
//! personal column under keys other than its database's, and two gateways in one process (the
//! tests) keep their own keys. Work without a keyring in scope fails instead of writing clear
//! text.
//!
//! Errors come back as diesel errors so that repo functions keep their `QueryResult`: a value
//! that does not open is a `DeserializationError`, a missing keyring a `SerializationError`.

use std::cell::RefCell;
use std::sync::Arc;

use diesel::result::Error as DieselError;
use mediation_privacy::Keyring;

pub type QueryResult<T> = Result<T, DieselError>;

/// The purpose every phone's blind index is made for, whichever table holds it, so that an
/// account's index can be compared with a case party's.
const PHONE_INDEX: &str = "phone";

thread_local! {
    static IN_SCOPE: RefCell<Option<Arc<Keyring>>> = const { RefCell::new(None) };
}

/// Keeps a keyring in scope on this thread until dropped, then restores what was there.
pub(crate) struct Scope(Option<Arc<Keyring>>);

pub(crate) fn enter(keyring: Option<Arc<Keyring>>) -> Scope {
    Scope(IN_SCOPE.with(|cell| cell.replace(keyring)))
}

impl Drop for Scope {
    fn drop(&mut self) {
        let previous = self.0.take();
        IN_SCOPE.with(|cell| *cell.borrow_mut() = previous);
    }
}

#[derive(Debug, thiserror::Error)]
#[error("no privacy keys are in scope: this Db was opened without a keyring")]
struct NoKeyring;

/// The keyring of the running `Db` work.
pub fn keyring() -> QueryResult<Arc<Keyring>> {
    IN_SCOPE.with(|cell| cell.borrow().clone()).ok_or_else(|| DieselError::SerializationError(Box::new(NoKeyring)))
}

fn unreadable(purpose: &str, err: mediation_privacy::Error) -> DieselError {
    #[derive(Debug, thiserror::Error)]
    #[error("{purpose}: {source}")]
    struct Unreadable {
        purpose: String,
        source: mediation_privacy::Error,
    }
    DieselError::DeserializationError(Box::new(Unreadable { purpose: purpose.to_owned(), source: err }))
}

/// `plaintext` sealed for the column `purpose` (`table.column`).
pub fn seal(purpose: &str, plaintext: &str) -> QueryResult<String> {
    Ok(keyring()?.seal(purpose, plaintext.as_bytes()))
}

/// The plain text of a value [`seal`] wrote for the same column.
pub fn open(purpose: &str, stored: &str) -> QueryResult<String> {
    keyring()?.open_text(purpose, stored).map_err(|err| unreadable(purpose, err))
}

/// [`seal`] for bytes, kept as the UTF-8 of the sealed text (for BLOB columns). Nothing stays
/// nothing: an idempotency claim records an empty response until its create completes.
pub fn seal_bytes(purpose: &str, plaintext: &[u8]) -> QueryResult<Vec<u8>> {
    if plaintext.is_empty() {
        return Ok(Vec::new());
    }
    Ok(keyring()?.seal(purpose, plaintext).into_bytes())
}

/// The bytes of a value [`seal_bytes`] wrote.
pub fn open_bytes(purpose: &str, stored: &[u8]) -> QueryResult<Vec<u8>> {
    if stored.is_empty() {
        return Ok(Vec::new());
    }
    let text = std::str::from_utf8(stored).map_err(|_| unreadable(purpose, mediation_privacy::Error::Malformed))?;
    keyring()?.open(purpose, text).map_err(|err| unreadable(purpose, err))
}

/// The blind index of a phone number, normalized first; the same in every table.
pub fn phone_index(phone: &str) -> QueryResult<String> {
    Ok(keyring()?.blind_index(PHONE_INDEX, &mediation_privacy::normalize_phone(phone)))
}

/// What a rekey does to one stored value: `None` when it is sealed under the current key
/// already, else the value sealed under the current key. Plain text left by a database from
/// before encryption is sealed as it is.
pub fn reseal(purpose: &str, stored: &str) -> QueryResult<Option<String>> {
    let keys = keyring()?;
    if stored.starts_with(&keys.current_prefix()) {
        return Ok(None);
    }
    let plaintext = if mediation_privacy::is_sealed(stored) {
        keys.open(purpose, stored).map_err(|err| unreadable(purpose, err))?
    } else {
        stored.as_bytes().to_vec()
    };
    Ok(Some(keys.seal(purpose, &plaintext)))
}

/// [`reseal`] for a value [`seal_bytes`] wrote, or plain bytes from before encryption.
pub fn reseal_bytes(purpose: &str, stored: &[u8]) -> QueryResult<Option<Vec<u8>>> {
    let keys = keyring()?;
    if stored.is_empty() || stored.starts_with(keys.current_prefix().as_bytes()) {
        return Ok(None);
    }
    let plaintext = match std::str::from_utf8(stored) {
        Ok(text) if mediation_privacy::is_sealed(text) => {
            keys.open(purpose, text).map_err(|err| unreadable(purpose, err))?
        }
        _ => stored.to_vec(),
    };
    Ok(Some(keys.seal(purpose, &plaintext).into_bytes()))
}

/// What `LIKE` matches the values a rekey has done: (sealed values, phone indexes).
pub fn current_prefixes() -> QueryResult<(String, String)> {
    let keys = keyring()?;
    Ok((format!("{}%", keys.current_prefix()), format!("{}%", keys.index_prefix())))
}
