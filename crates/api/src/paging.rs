//! AIP-158 paging: page sizes with a default and a maximum, and opaque page tokens that carry
//! a keyset cursor bound to the query they came from, so that a token reused with another
//! query is refused instead of silently paging through something else.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PagingError {
    #[error("must not be negative")]
    NegativeSize,
    #[error("is not a token from a previous page of this query")]
    BadToken,
}

/// The page size to use: `requested`, `default` when 0, at most `max`.
pub fn page_size(requested: i32, default: usize, max: usize) -> Result<usize, PagingError> {
    match requested {
        n if n < 0 => Err(PagingError::NegativeSize),
        0 => Ok(default),
        n => Ok((n as usize).min(max)),
    }
}

/// A short digest of everything that defines a query (not its page size or token).
pub fn fingerprint(query: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(query).expect("a query serialises");
    base16ct::lower::encode_string(&Sha256::digest(bytes)[..12])
}

#[derive(Serialize, serde::Deserialize)]
struct Token<C> {
    q: String,
    after: C,
}

/// A token for the page after `last`.
pub fn encode_token<C: Serialize>(query_fingerprint: &str, last: &C) -> String {
    let token = Token { q: query_fingerprint.to_owned(), after: last };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).expect("a cursor serialises"))
}

/// The cursor in `token`, `None` for the first page (an empty token).
pub fn decode_token<C: DeserializeOwned>(token: &str, query_fingerprint: &str) -> Result<Option<C>, PagingError> {
    if token.is_empty() {
        return Ok(None);
    }
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| PagingError::BadToken)?;
    let token: Token<C> = serde_json::from_slice(&bytes).map_err(|_| PagingError::BadToken)?;
    if token.q != query_fingerprint {
        return Err(PagingError::BadToken);
    }
    Ok(Some(token.after))
}

/// Cuts a page from `items`, fetched with one more than `size`: the page, and the token for the
/// next one (empty when there is none) holding the last item's `cursor`.
pub fn split_page<T, C: Serialize>(
    mut items: Vec<T>,
    size: usize,
    query: &str,
    cursor: impl Fn(&T) -> C,
) -> (Vec<T>, String) {
    if items.len() <= size {
        return (items, String::new());
    }
    items.truncate(size);
    let token = encode_token(query, &cursor(items.last().expect("size + 1 items, so a last one")));
    (items, token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_split_off_one_extra_item() {
        let (page, token) = split_page(vec![1, 2, 3], 2, "q", |n| *n);
        assert_eq!(page, [1, 2]);
        assert_eq!(decode_token::<i32>(&token, "q"), Ok(Some(2)));
        let (page, token) = split_page(vec![1, 2], 2, "q", |n| *n);
        assert_eq!((page, token.as_str()), (vec![1, 2], ""));
    }

    #[test]
    fn sizes() {
        assert_eq!(page_size(0, 20, 100), Ok(20));
        assert_eq!(page_size(7, 20, 100), Ok(7));
        assert_eq!(page_size(1_000_000, 20, 100), Ok(100));
        assert_eq!(page_size(-1, 20, 100), Err(PagingError::NegativeSize));
    }

    #[test]
    fn tokens_are_bound_to_their_query() {
        let q1 = fingerprint(&("neighbour", "site-1"));
        let q2 = fingerprint(&("neighbour", "site-2"));
        assert_ne!(q1, q2);
        let token = encode_token(&q1, &("王芳", "m-17"));
        assert_eq!(decode_token::<(String, String)>(&token, &q1), Ok(Some(("王芳".into(), "m-17".into()))));
        assert_eq!(decode_token::<(String, String)>(&token, &q2), Err(PagingError::BadToken));
        assert_eq!(decode_token::<(String, String)>("", &q1), Ok(None));
        assert_eq!(decode_token::<(String, String)>("%%%", &q1), Err(PagingError::BadToken));
        assert_eq!(decode_token::<(String, String)>("bm9wZQ", &q1), Err(PagingError::BadToken));
    }
}
