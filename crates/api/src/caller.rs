//! The verified caller of a request, as the gateway's auth layer left it in the extensions.

use mediation_auth::Principal;
use tonic::{Code, Request, Status};

use crate::status::{self, reason};

/// The caller the gateway verified, or UNAUTHENTICATED when the request carried no token.
/// Methods the policy table opens to the public may still see a caller here.
pub fn caller<T>(request: &Request<T>) -> Result<Principal, Status> {
    request.extensions().get::<Principal>().cloned().ok_or_else(|| {
        status::with_reason(
            Code::Unauthenticated,
            reason::TOKEN_INVALID,
            "this call needs `authorization: Bearer <access token>`",
        )
    })
}

/// The client's address as the gateway resolved it (through trusted proxies), put into the
/// request's extensions beside the principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

/// The client's address: the gateway's resolution, else the connection's peer.
pub fn client_addr<T>(request: &Request<T>) -> Option<std::net::IpAddr> {
    request.extensions().get::<ClientAddr>().map(|addr| addr.0).or_else(|| request.remote_addr().map(|addr| addr.ip()))
}
