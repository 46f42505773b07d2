//! The gRPC face of identity: each handler takes the caller, parses its request into a plain
//! one (`TryFrom`, naming every bad field), runs the flow in `crate::service`, and encodes the
//! answer. The conversions are grouped by resource (`accounts`, `codes`, `tokens`, `kiosks`),
//! the one mapping of errors to statuses is in `error`.

mod accounts;
mod codes;
mod error;
mod fields;
mod kiosks;
mod tokens;

use std::net::SocketAddr;

use mediation_api::caller::client_addr;
use mediation_api::identity::v1 as pb;
use mediation_api::identity::v1::identity_service_server::{IdentityService, IdentityServiceServer};
use mediation_api::{caller, idempotent};
use mediation_audit::Actor;
use mediation_auth::{Principal, Role};
use tonic::{Request, Response, Status};

pub use error::to_status;

use crate::service::{
    AccessChange, CodeRequest, Credentials, Identity, KioskCredentials, NewKiosk, NewStaff, PhoneProof, RefreshToken,
    Registration,
};

impl Identity {
    pub fn into_server(self) -> IdentityServiceServer<Identity> {
        IdentityServiceServer::new(self)
    }
}

/// The client address a login is limited by: the one the gateway resolved through trusted
/// proxies, not the connection's peer (a proxy's, behind one).
fn peer<T>(request: &Request<T>) -> Option<String> {
    client_addr(request).map(|ip| ip.to_string())
}

/// The caller, and the actor its audit records name (with the client's address; the audit
/// keeps only its IP, so the port is left 0).
fn acting<T>(request: &Request<T>) -> Result<(Principal, Actor), Status> {
    let principal = caller(request)?;
    let actor = Actor::new(&principal, client_addr(request).map(|ip| SocketAddr::new(ip, 0)));
    Ok((principal, actor))
}

/// Whether a signed-in kiosk makes this call. Public methods see a caller only when the request
/// carried a valid token.
fn by_kiosk<T>(request: &Request<T>) -> bool {
    request.extensions().get::<Principal>().is_some_and(|principal| principal.role == Role::Kiosk)
}

#[tonic::async_trait]
impl IdentityService for Identity {
    async fn register_resident(
        &self,
        request: Request<pb::RegisterResidentRequest>,
    ) -> Result<Response<pb::RegisterResidentResponse>, Status> {
        let registration = Registration::try_from(request.into_inner())?;
        let (account, code_expires_at) = self.register_resident(registration).await?;
        Ok(Response::new(accounts::registered_to_proto(&account, code_expires_at)))
    }

    async fn send_phone_code(
        &self,
        request: Request<pb::SendPhoneCodeRequest>,
    ) -> Result<Response<pb::SendPhoneCodeResponse>, Status> {
        let by_kiosk = by_kiosk(&request);
        let by_resident = request
            .extensions()
            .get::<Principal>()
            .filter(|principal| principal.role == Role::Resident)
            .map(|principal| principal.account_id.clone());
        let code = CodeRequest { by_kiosk, by_resident, ..CodeRequest::try_from(request.into_inner())? };
        Ok(Response::new(codes::sent_to_proto(self.send_phone_code(code).await?)))
    }

    async fn verify_phone(
        &self,
        request: Request<pb::VerifyPhoneRequest>,
    ) -> Result<Response<pb::VerifyPhoneResponse>, Status> {
        let proof = PhoneProof::try_from(request.into_inner())?;
        let account = self.verify_phone(proof).await?;
        Ok(Response::new(pb::VerifyPhoneResponse { account: Some(accounts::to_proto(&account, None)) }))
    }

    async fn login(&self, request: Request<pb::LoginRequest>) -> Result<Response<pb::Tokens>, Status> {
        let peer = peer(&request);
        let credentials = Credentials::try_from(request.into_inner())?;
        Ok(Response::new(tokens::to_proto(self.login(credentials, peer).await?)))
    }

    async fn refresh(&self, request: Request<pb::RefreshRequest>) -> Result<Response<pb::Tokens>, Status> {
        let token = RefreshToken::try_from(request.into_inner())?;
        Ok(Response::new(tokens::to_proto(self.refresh(token).await?)))
    }

    async fn logout(&self, request: Request<pb::LogoutRequest>) -> Result<Response<pb::LogoutResponse>, Status> {
        let token = RefreshToken::try_from(request.into_inner())?;
        self.logout(token).await?;
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn get_me(&self, request: Request<pb::GetMeRequest>) -> Result<Response<pb::Account>, Status> {
        let principal = caller(&request)?;
        let account = self.account(principal.account_id.clone()).await?;
        Ok(Response::new(accounts::to_proto(&account, principal.kiosk_id.as_deref())))
    }

    /// A retry replays the account as first encoded.
    async fn create_staff_account(
        &self,
        request: Request<pb::CreateStaffAccountRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        let (principal, actor) = acting(&request)?;
        let staff = NewStaff::try_from(request.into_inner())?;
        let account = self
            .create_staff_account(principal, actor, staff, |conn, key, fingerprint, create| {
                idempotent::once(conn, key, fingerprint, |conn| Ok(accounts::to_proto(&create(conn)?, None)))
            })
            .await?;
        Ok(Response::new(account))
    }

    /// The secret is returned once; a retry replays the response without it, since only its
    /// hash is kept.
    async fn provision_kiosk(
        &self,
        request: Request<pb::ProvisionKioskRequest>,
    ) -> Result<Response<pb::ProvisionKioskResponse>, Status> {
        let (principal, actor) = acting(&request)?;
        let kiosk = NewKiosk::try_from(request.into_inner())?;
        Ok(Response::new(kiosks::to_proto(self.provision_kiosk(principal, actor, kiosk).await?)))
    }

    async fn kiosk_login(&self, request: Request<pb::KioskLoginRequest>) -> Result<Response<pb::Tokens>, Status> {
        let peer = peer(&request);
        let credentials = KioskCredentials::try_from(request.into_inner())?;
        Ok(Response::new(tokens::to_proto(self.kiosk_login(credentials, peer).await?)))
    }

    async fn start_kiosk_resident_session(
        &self,
        request: Request<pb::StartKioskResidentSessionRequest>,
    ) -> Result<Response<pb::Tokens>, Status> {
        let kiosk = caller(&request)?;
        let proof = PhoneProof::try_from(request.into_inner())?;
        Ok(Response::new(tokens::to_proto(self.start_kiosk_resident_session(&kiosk, proof).await?)))
    }

    async fn set_account_disabled(
        &self,
        request: Request<pb::SetAccountDisabledRequest>,
    ) -> Result<Response<pb::SetAccountDisabledResponse>, Status> {
        let (principal, actor) = acting(&request)?;
        let change = AccessChange::try_from(request.into_inner())?;
        let state = self.set_account_disabled(principal, actor, change).await?;
        tracing::info!(account_id = %state.account_id, disabled = state.disabled, "account access changed");
        Ok(Response::new(accounts::state_to_proto(state)))
    }
}
