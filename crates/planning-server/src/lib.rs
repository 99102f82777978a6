//! `fillroute.planner.v1.PlannerService`, the fleet dashboard's API, as a thin
//! adapter over `fillroute-planning`: every handler authenticates (a
//! read-only dashboard token or a planner token, compared the way ingestion
//! compares its admin token), converts the request ([`convert`]), calls one
//! domain function, and converts the answer back; every failure reaches the
//! wire through the single `From<ApiError> for Status` ([`error`]).
#![forbid(unsafe_code)]

pub mod auth;
pub mod convert;
pub mod error;
pub mod service;

pub use auth::{Role, Tokens};
pub use error::ApiError;
pub use service::PlannerApi;

use fillroute_clock::Clock;
use fillroute_planning::PlanningError;
use fillroute_proto::planner::v1::planner_service_server::{self, PlannerServiceServer};
use fillroute_store::Store;
use std::future::Future;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;

/// Validates the tokens: each at least 16 characters, and different.
pub fn check_tokens(tokens: &Tokens) -> Result<(), PlanningError> {
    for (field, t) in [
        ("dashboard_token", &tokens.dashboard),
        ("planner_token", &tokens.planner),
    ] {
        if t.len() < 16 {
            return Err(PlanningError::invalid(
                field,
                format!("({} characters)", t.len()),
                "use at least 16 random characters",
            ));
        }
    }
    if tokens.dashboard == tokens.planner {
        return Err(PlanningError::invalid(
            "dashboard_token",
            "(same as planner_token)",
            "give the two roles different tokens",
        ));
    }
    Ok(())
}

/// Serves `PlannerService` on `listener` until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    store: Store,
    tokens: Tokens,
    shutdown: impl Future<Output = ()>,
) -> Result<(), PlanningError> {
    run_with_clock(listener, store, tokens, Clock::System, shutdown).await
}

/// [`run`] with "now" read from `clock` (a scenario replay's simulated time).
pub async fn run_with_clock(
    listener: TcpListener,
    store: Store,
    tokens: Tokens,
    clock: Clock,
    shutdown: impl Future<Output = ()>,
) -> Result<(), PlanningError> {
    check_tokens(&tokens)?;
    let reflection = fillroute_serving::reflection(&[planner_service_server::SERVICE_NAME])
        .map_err(|e| PlanningError::Internal(format!("reflection: {e}")))?;
    // Stateless: serving as soon as it listens; each call reports a database outage itself.
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<PlannerServiceServer<PlannerApi>>()
        .await;
    let addr = listener.local_addr().ok();
    tracing::info!(?addr, "planner service listening");
    let shutdown = async move {
        shutdown.await;
        health
            .set_not_serving::<PlannerServiceServer<PlannerApi>>()
            .await;
    };
    tonic::transport::Server::builder()
        .add_routes(reflection)
        .add_service(health_service)
        .add_service(PlannerServiceServer::new(
            PlannerApi::new(store, tokens).with_clock(clock),
        ))
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await
        .map_err(|e| PlanningError::Internal(format!("server: {e}")))?;
    tracing::info!("planner service stopped");
    Ok(())
}
