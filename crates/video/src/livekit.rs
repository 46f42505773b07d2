//! LiveKit access tokens: `iss` the API key, `sub` the participant's identity, `nbf`/`exp`, a
//! `name`, and the `video` grant for one room (`roomJoin`, publish and subscribe).

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::{JoinGrant, JoinLink, VideoError, VideoProvider};

/// A self-hosted LiveKit server, and the web page participants open to join it (LiveKit Meet's
/// `custom` page, or the district's own, taking `liveKitUrl` and `token` in its query).
#[derive(Debug, Clone)]
pub struct LiveKit {
    pub api_key: String,
    pub api_secret: SecretString,
    /// The server's WebSocket URL, `wss://video.example.org`.
    pub server_url: String,
    /// The page that joins with a token, `https://meet.example.org/custom`.
    pub join_page: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct VideoGrant<'a> {
    room: &'a str,
    room_join: bool,
    can_publish: bool,
    can_subscribe: bool,
    can_publish_data: bool,
}

#[derive(Debug, Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    name: &'a str,
    nbf: i64,
    exp: i64,
    video: VideoGrant<'a>,
}

impl LiveKit {
    /// The signed access token for `grant`.
    pub fn token(&self, grant: &JoinGrant) -> Result<String, VideoError> {
        if grant.room.is_empty() || grant.identity.is_empty() || grant.expires_at <= grant.not_before {
            return Err(VideoError::BadGrant);
        }
        let claims = Claims {
            iss: &self.api_key,
            sub: &grant.identity,
            name: &grant.display_name,
            nbf: grant.not_before.timestamp(),
            exp: grant.expires_at.timestamp(),
            video: VideoGrant {
                room: &grant.room,
                room_join: true,
                can_publish: true,
                can_subscribe: true,
                can_publish_data: true,
            },
        };
        let key = EncodingKey::from_secret(self.api_secret.expose_secret().as_bytes());
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key)
            .map_err(|err| VideoError::Signing(err.to_string()))
    }
}

impl VideoProvider for LiveKit {
    fn join_link(&self, grant: &JoinGrant) -> Result<JoinLink, VideoError> {
        let token = self.token(grant)?;
        let separator = if self.join_page.contains('?') { '&' } else { '?' };
        let url = format!("{}{separator}liveKitUrl={}&token={token}", self.join_page, percent_encode(&self.server_url));
        Ok(JoinLink { url, expires_at: grant.expires_at })
    }
}

/// Query-component encoding of a URL (RFC 3986 unreserved characters kept).
fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration};
    use jsonwebtoken::{DecodingKey, Validation};

    use super::*;

    fn server() -> LiveKit {
        LiveKit {
            api_key: "APIdistrict".into(),
            api_secret: SecretString::from("a-secret-of-32-characters-or-more!!"),
            server_url: "wss://video.yinzhou.example".into(),
            join_page: "https://meet.yinzhou.example/custom".into(),
        }
    }

    fn grant(identity: &str) -> JoinGrant {
        let start = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        JoinGrant {
            room: "appointment-a1".into(),
            identity: identity.into(),
            display_name: "王调解员".into(),
            not_before: start - Duration::minutes(10),
            expires_at: start + Duration::hours(1),
        }
    }

    fn claims(token: &str) -> serde_json::Value {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.required_spec_claims.clear();
        let key = DecodingKey::from_secret(b"a-secret-of-32-characters-or-more!!");
        jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation).unwrap().claims
    }

    #[test]
    fn the_token_carries_what_livekit_reads() {
        let token = server().token(&grant("mediator:m1")).unwrap();
        let c = claims(&token);
        assert_eq!(c["iss"], "APIdistrict");
        assert_eq!(c["sub"], "mediator:m1");
        assert_eq!(c["name"], "王调解员");
        assert_eq!(c["nbf"], 1_800_000_000 - 600);
        assert_eq!(c["exp"], 1_800_000_000 + 3600);
        assert_eq!(c["video"]["room"], "appointment-a1");
        assert_eq!(c["video"]["roomJoin"], true);
        assert_eq!(c["video"]["canPublish"], true);
        assert_eq!(c["video"]["canSubscribe"], true);
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let token = server().token(&grant("party:1")).unwrap();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let wrong = DecodingKey::from_secret(b"another-secret");
        assert!(jsonwebtoken::decode::<serde_json::Value>(&token, &wrong, &validation).is_err());
    }

    #[test]
    fn each_participant_gets_a_link_of_their_own() {
        let livekit = server();
        let a = livekit.join_link(&grant("party:1")).unwrap();
        let b = livekit.join_link(&grant("room:r1")).unwrap();
        assert_ne!(a.url, b.url);
        assert!(
            a.url
                .starts_with("https://meet.yinzhou.example/custom?liveKitUrl=wss%3A%2F%2Fvideo.yinzhou.example&token=")
        );
        assert_eq!(a.expires_at, grant("party:1").expires_at);
    }

    #[test]
    fn empty_or_backwards_grants_are_refused() {
        let mut g = grant("party:1");
        g.expires_at = g.not_before;
        assert!(matches!(server().token(&g), Err(VideoError::BadGrant)));
        let mut g = grant("");
        g.identity.clear();
        assert!(matches!(server().token(&g), Err(VideoError::BadGrant)));
    }
}
