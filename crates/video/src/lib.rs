//! Join links for video mediation: a party at a kiosk, the station's video room and an expert
//! elsewhere each get a link of their own to one video room per session. The links carry an
//! access token that a self-hosted LiveKit server accepts (an HS256 JWT signed with the server's
//! API secret, as LiveKit's "generating tokens" documentation defines it).
//!
//! The provider sits behind [`VideoProvider`] so that another self-hosted system (Jitsi Meet's
//! JWT) can take LiveKit's place in one file. This crate knows nothing of bookings or accounts:
//! it is told who joins which room and when.

mod livekit;

use chrono::{DateTime, Utc};

pub use livekit::LiveKit;

/// Who may join which room, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinGrant {
    /// The video room: one per session, the same for every participant.
    pub room: String,
    /// The participant's identity in the room, unique per participant (`party:<n>`,
    /// `mediator:<id>`, `room:<id>`).
    pub identity: String,
    /// The name shown to the others.
    pub display_name: String,
    pub not_before: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A link a participant opens to join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinLink {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error("the video grant is empty or ends before it starts")]
    BadGrant,
    #[error("cannot sign the join token: {0}")]
    Signing(String),
}

/// A video system that turns a grant into a link.
pub trait VideoProvider: Send + Sync + std::fmt::Debug {
    fn join_link(&self, grant: &JoinGrant) -> Result<JoinLink, VideoError>;
}
