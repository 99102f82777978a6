//! The scaffold the three fillroute servers (vision, ingest, planner) share,
//! so each one's start-up code is only its own API: gRPC reflection in both
//! protocol versions clients use (v1, and v1alpha for grpcio-reflection and
//! older grpcurl), advertising only the services that server really serves
//! (the shared descriptor set describes all three APIs), and the name of the
//! standard health service that goes with them; and bearer tokens read and
//! compared one way ([`auth`]), so the planner server needs nothing of
//! ingestion's. Configuration, tracing and metrics are to move here next
//! (issue 18).
#![forbid(unsafe_code)]

pub mod auth;
#[cfg(feature = "testing")]
pub mod testing;

use tonic::service::Routes;

/// The standard gRPC health service every fillroute server answers.
pub const HEALTH: &str = "grpc.health.v1.Health";

const REFLECTION_V1: &str = "grpc.reflection.v1.ServerReflection";
const REFLECTION_V1ALPHA: &str = "grpc.reflection.v1alpha.ServerReflection";

/// Reflection v1 and v1alpha as routes to add to a server
/// (`Server::builder().add_routes(...)`), listing `services` (fully
/// qualified names, e.g. `fillroute.planner.v1.PlannerService`), health and
/// reflection itself, and nothing else.
pub fn reflection(services: &[&str]) -> Result<Routes, tonic_reflection::server::Error> {
    let builder = |own: &str| {
        let mut b = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(fillroute_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name(HEALTH)
            .with_service_name(own);
        for s in services {
            b = b.with_service_name(*s);
        }
        b
    };
    let v1 = builder(REFLECTION_V1).build_v1()?;
    let v1alpha = builder(REFLECTION_V1ALPHA).build_v1alpha()?;
    Ok(Routes::new(v1).add_service(v1alpha))
}
