//! The scenarios: what one call of each is, and the mix of requests it draws from.

use std::sync::Arc;

use mediation_api::directory::v1 as directory;
use mediation_api::directory::v1::directory_service_client::DirectoryServiceClient;
use rand::Rng;
use rand::rngs::StdRng;
use tonic::Status;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use crate::seed::District;

/// Page size of every search, as the phone app asks.
const PAGE_SIZE: i32 = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// grpc.health.v1 Health/Check: the floor every call pays.
    Empty,
    /// DirectoryService/SearchMediators with a mix of realistic queries.
    SearchMediators,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Empty => "empty",
            Scenario::SearchMediators => "search-mediators",
        }
    }

    /// The kinds of request a scenario mixes, each reported on its own as well.
    pub fn variants(self) -> &'static [&'static str] {
        match self {
            Scenario::Empty => &["check"],
            Scenario::SearchMediators => &["speciality-in-subtree", "speciality-and-mode", "name-text"],
        }
    }
}

/// One call's outcome: which variant ran, and how many results came back.
pub type Outcome = (usize, Result<usize, Status>);

/// One worker's clients and random source; a worker makes one call at a time.
pub struct Caller {
    health: HealthClient<Channel>,
    directory: DirectoryServiceClient<Channel>,
    district: Arc<District>,
    rng: StdRng,
    calls: usize,
}

impl Caller {
    pub fn new(channel: Channel, district: Arc<District>, rng: StdRng) -> Self {
        Self {
            health: HealthClient::new(channel.clone()),
            directory: DirectoryServiceClient::new(channel),
            district,
            rng,
            calls: 0,
        }
    }

    pub async fn call(&mut self, scenario: Scenario) -> Outcome {
        self.calls += 1;
        match scenario {
            Scenario::Empty => {
                let reply = self.health.check(HealthCheckRequest { service: String::new() }).await;
                (0, reply.map(|_| 1))
            }
            Scenario::SearchMediators => {
                let variant = self.calls % Scenario::SearchMediators.variants().len();
                let request = self.search_request(variant);
                let reply = self.directory.search_mediators(request).await;
                (variant, reply.map(|r| r.into_inner().hits.len()))
            }
        }
    }

    /// The searches residents make: a speciality across the whole district, a speciality
    /// with a way of meeting, and a mediator's name typed in full.
    fn search_request(&mut self, variant: usize) -> directory::SearchMediatorsRequest {
        let district = &self.district;
        let code = district.specialty_codes[self.rng.gen_range(0..district.specialty_codes.len())].clone();
        let base = directory::SearchMediatorsRequest { page_size: PAGE_SIZE, ..Default::default() };
        match variant {
            0 => directory::SearchMediatorsRequest {
                specialty_codes: vec![code],
                site_id: district.centre_id.clone(),
                include_child_sites: true,
                ..base
            },
            1 => {
                let mode = [
                    directory::MediationMode::InPerson,
                    directory::MediationMode::Video,
                    directory::MediationMode::HomeVisit,
                ][self.rng.gen_range(0..3)];
                directory::SearchMediatorsRequest { specialty_codes: vec![code], mode: mode.into(), ..base }
            }
            _ => {
                let name = district.names[self.rng.gen_range(0..district.names.len())].clone();
                directory::SearchMediatorsRequest { query: name, ..base }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use super::*;

    #[test]
    fn names_are_the_command_line_names() {
        for scenario in Scenario::value_variants() {
            let parsed = Scenario::from_str(scenario.name(), false).unwrap();
            assert_eq!(parsed, *scenario);
        }
        assert!(Scenario::from_str("search", false).is_err());
    }
}
