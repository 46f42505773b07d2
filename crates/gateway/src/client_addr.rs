//! The caller's address. Behind a proxy every connection comes from the proxy, so the client's
//! own address is read from `X-Forwarded-For` — but only when the direct peer is one of the
//! configured trusted proxies (`server.trusted_proxies`); anyone else could write that header.

use std::net::IpAddr;

use http::Request;
use ipnet::IpNet;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};

/// The address of the connection's other end, over plain TCP or TLS.
pub fn direct_peer<B>(request: &Request<B>) -> Option<IpAddr> {
    let extensions = request.extensions();
    extensions
        .get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr)
        .or_else(|| extensions.get::<TlsConnectInfo<TcpConnectInfo>>().and_then(|tls| tls.get_ref().remote_addr()))
        .map(|addr| addr.ip())
}

/// The networks whose connections are proxies that append the client's address.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(networks)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: the direct peer, or, when that is a trusted proxy, the right-most
    /// `X-Forwarded-For` entry that is not itself a trusted proxy (the entries to its left were
    /// written by the client and prove nothing).
    pub fn client<B>(&self, request: &Request<B>) -> Option<IpAddr> {
        let direct = direct_peer(request)?;
        Some(self.resolve(direct, request.headers()))
    }

    fn resolve(&self, direct: IpAddr, headers: &http::HeaderMap) -> IpAddr {
        if !self.trusts(direct) {
            return direct;
        }
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect();
        for entry in forwarded.into_iter().rev() {
            match entry.trim().parse::<IpAddr>() {
                Ok(ip) if self.trusts(ip) => continue,
                Ok(ip) => return ip,
                // A garbled hop: nothing to its left can be trusted either.
                Err(_) => return direct,
            }
        }
        direct
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        for value in xff {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_proxy_may_name_the_client() {
        let proxies = TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap()]);
        let cases = [
            ("203.0.113.9", vec!["198.51.100.1"], "203.0.113.9"),
            ("10.0.0.2", vec!["198.51.100.1"], "198.51.100.1"),
            ("10.0.0.2", vec!["1.2.3.4, 198.51.100.1"], "198.51.100.1"),
            ("10.0.0.2", vec!["198.51.100.1, 10.0.0.3"], "198.51.100.1"),
            ("10.0.0.2", vec!["1.2.3.4", "198.51.100.1"], "198.51.100.1"),
            ("10.0.0.2", vec![], "10.0.0.2"),
            ("10.0.0.2", vec!["1.2.3.4, garbage"], "10.0.0.2"),
        ];
        for (direct, xff, expected) in cases {
            assert_eq!(proxies.resolve(ip(direct), &headers(&xff)), ip(expected), "{direct} {xff:?}");
        }
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let proxies = TrustedProxies::default();
        assert_eq!(proxies.resolve(ip("10.0.0.2"), &headers(&["198.51.100.1"])), ip("10.0.0.2"));
    }
}
