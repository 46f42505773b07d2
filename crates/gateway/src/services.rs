//! Which services this process serves itself and which it forwards: `server.services` (or
//! `mediation serve --services a,b`; empty means all) minus those that `upstreams.<service>`
//! names an address for.

use std::collections::BTreeMap;

use crate::Settings;

/// A service of the API, by the short name settings and the command line use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceName {
    Identity,
    Directory,
    Appointments,
    Ratings,
    Dispatch,
    Audit,
}

impl ServiceName {
    pub const ALL: [ServiceName; 6] = [
        ServiceName::Identity,
        ServiceName::Directory,
        ServiceName::Appointments,
        ServiceName::Ratings,
        ServiceName::Dispatch,
        ServiceName::Audit,
    ];

    pub fn short(self) -> &'static str {
        match self {
            ServiceName::Identity => "identity",
            ServiceName::Directory => "directory",
            ServiceName::Appointments => "appointments",
            ServiceName::Ratings => "ratings",
            ServiceName::Dispatch => "dispatch",
            ServiceName::Audit => "audit",
        }
    }

    /// The fully qualified gRPC name, e.g. `mediation.dispatch.v1.DispatchService`.
    pub fn grpc(self) -> &'static str {
        use mediation_api::*;
        match self {
            ServiceName::Identity => identity::v1::identity_service_server::SERVICE_NAME,
            ServiceName::Directory => directory::v1::directory_service_server::SERVICE_NAME,
            ServiceName::Appointments => appointments::v1::appointment_service_server::SERVICE_NAME,
            ServiceName::Ratings => ratings::v1::rating_service_server::SERVICE_NAME,
            ServiceName::Dispatch => dispatch::v1::dispatch_service_server::SERVICE_NAME,
            ServiceName::Audit => audit::v1::audit_service_server::SERVICE_NAME,
        }
    }

    pub fn parse(name: &str) -> anyhow::Result<Self> {
        let wanted = name.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|s| s.short() == wanted).ok_or_else(|| {
            let known: Vec<_> = Self::ALL.iter().map(|s| s.short()).collect();
            anyhow::anyhow!("unknown service {name:?}; the services are {}", known.join(", "))
        })
    }
}

/// What this process does with each service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Served here, in [`ServiceName::ALL`] order.
    pub local: Vec<ServiceName>,
    /// Forwarded to the address given.
    pub upstreams: BTreeMap<ServiceName, String>,
}

impl Plan {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let mut upstreams = BTreeMap::new();
        for (name, url) in &settings.upstreams {
            let service = ServiceName::parse(name).map_err(|err| anyhow::anyhow!("upstreams.{name}: {err}"))?;
            let url = url.trim();
            anyhow::ensure!(
                url.starts_with("http://") || url.starts_with("https://"),
                "upstreams.{name} must be an http:// or https:// address, not {url:?}"
            );
            upstreams.insert(service, url.to_owned());
        }
        let chosen: Vec<ServiceName> = settings
            .server
            .services
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| ServiceName::parse(s).map_err(|err| anyhow::anyhow!("server.services: {err}")))
            .collect::<anyhow::Result<_>>()?;
        for service in &chosen {
            anyhow::ensure!(
                !upstreams.contains_key(service),
                "{} is both served here (server.services) and forwarded (upstreams.{0})",
                service.short()
            );
        }
        let local = ServiceName::ALL
            .into_iter()
            .filter(|s| if chosen.is_empty() { !upstreams.contains_key(s) } else { chosen.contains(s) })
            .collect();
        Ok(Plan { local, upstreams })
    }

    pub fn serves(&self, service: ServiceName) -> bool {
        self.local.contains(&service)
    }

    pub fn upstream(&self, service: ServiceName) -> Option<&str> {
        self.upstreams.get(&service).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(services: &[&str], upstreams: &[(&str, &str)]) -> anyhow::Result<Plan> {
        let mut settings = Settings::load(None).unwrap();
        settings.server.services = services.iter().map(|s| s.to_string()).collect();
        settings.upstreams = upstreams.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Plan::from_settings(&settings)
    }

    #[test]
    fn everything_by_default() {
        let all = plan(&[], &[]).unwrap();
        assert_eq!(all.local, ServiceName::ALL.to_vec());
        assert!(all.upstreams.is_empty());
    }

    #[test]
    fn a_list_serves_only_those() {
        let dispatch = plan(&["dispatch"], &[]).unwrap();
        assert_eq!(dispatch.local, vec![ServiceName::Dispatch]);
        let two = plan(&["Dispatch", " identity"], &[]).unwrap();
        assert_eq!(two.local, vec![ServiceName::Identity, ServiceName::Dispatch]);
    }

    #[test]
    fn an_upstream_replaces_the_local_service() {
        let front = plan(&[], &[("dispatch", "http://10.0.0.5:50051")]).unwrap();
        assert!(!front.serves(ServiceName::Dispatch));
        assert_eq!(front.local.len(), ServiceName::ALL.len() - 1);
        assert_eq!(front.upstream(ServiceName::Dispatch), Some("http://10.0.0.5:50051"));
    }

    #[test]
    fn mistakes_are_refused() {
        let unknown = plan(&["dispatch", "billing"], &[]).unwrap_err().to_string();
        assert!(unknown.contains("billing") && unknown.contains("identity, directory"), "{unknown}");
        assert!(plan(&[], &[("billing", "http://x:1")]).is_err());
        assert!(plan(&[], &[("dispatch", "x:1")]).is_err());
        assert!(plan(&["dispatch"], &[("dispatch", "http://x:1")]).is_err());
    }

    #[test]
    fn grpc_names_are_the_generated_ones() {
        assert_eq!(ServiceName::Dispatch.grpc(), "mediation.dispatch.v1.DispatchService");
        assert_eq!(ServiceName::Identity.grpc(), "mediation.identity.v1.IdentityService");
    }
}
