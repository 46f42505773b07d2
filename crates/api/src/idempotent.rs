//! Idempotent creates at the edge (AIP-155): the store records the encoded response of the first
//! call under `(principal, method, request_id)`, and a retry decodes and replays it.

use mediation_store::DbConnection;
use mediation_store::idempotency::{self, Claim, Key};

/// Runs `create` once per key and replays its response to retries. `request` is the encoded
/// request, minus anything that must not be kept (a password).
pub fn once<M, E, F>(conn: &mut DbConnection, key: Key<'_>, request: &[u8], create: F) -> Result<M, E>
where
    M: prost::Message + Default,
    E: From<mediation_store::Error>,
    F: FnOnce(&mut DbConnection) -> Result<M, E>,
{
    match idempotency::claim(conn, key, request)? {
        Claim::Replay(bytes) => {
            Ok(M::decode(bytes.as_slice()).map_err(|err| mediation_store::Error::Unreadable(err.to_string()))?)
        }
        Claim::New => {
            let response = create(conn)?;
            idempotency::complete(conn, key, &response.encode_to_vec())?;
            Ok(response)
        }
    }
}

/// The response recorded for `key`, decoded, if a first call recorded one; claims nothing. For
/// calls whose work spans transactions: look here first, then run, then record with [`once`].
pub fn recorded<M>(conn: &mut DbConnection, key: Key<'_>, request: &[u8]) -> Result<Option<M>, mediation_store::Error>
where
    M: prost::Message + Default,
{
    idempotency::recorded(conn, key, request)?
        .map(|bytes| M::decode(bytes.as_slice()).map_err(|err| mediation_store::Error::Unreadable(err.to_string())))
        .transpose()
}
