//! gRPC health for load balancers and orchestrators. An ingest replica that
//! cannot reach PostgreSQL or JetStream can only answer `UNAVAILABLE`, so it
//! reports `NOT_SERVING` and traffic goes to a replica that can store images;
//! the status follows its dependencies, probed on a fixed period, rather than
//! being set once at start.

use crate::error::IngestError;
use crate::pipeline::Ingest;
use fillroute_proto::ingest::v1::ingest_service_server::SERVICE_NAME;
use std::sync::Arc;
use std::time::Duration;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

/// The health-service names this server reports: the overall server (`""`)
/// and `fillroute.ingest.v1.IngestService`.
pub const REPORTED: [&str; 2] = ["", SERVICE_NAME];

/// Checks that PostgreSQL hands out a live connection and that JetStream
/// answers for this deployment's stream, each within `timeout`.
pub async fn probe(ingest: &Ingest, timeout: Duration) -> Result<(), IngestError> {
    let unavailable =
        |service: &'static str, detail: String| IngestError::Unavailable { service, detail };
    match tokio::time::timeout(timeout, ingest.store.pool().acquire()).await {
        Ok(Ok(_connection)) => {}
        Ok(Err(e)) => return Err(unavailable("database", e.to_string())),
        Err(_) => return Err(unavailable("database", format!("no answer in {timeout:?}"))),
    }
    let stream = &ingest.config().bus.stream;
    match tokio::time::timeout(timeout, ingest.bus.js.get_stream(stream)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(unavailable("nats", e.to_string())),
        Err(_) => Err(unavailable("nats", format!("no answer in {timeout:?}"))),
    }
}

/// Probes every `every` until `stop` completes, publishing `SERVING` or
/// `NOT_SERVING` under every name in [`REPORTED`] and logging each change.
pub async fn watch(
    ingest: Arc<Ingest>,
    reporter: HealthReporter,
    every: Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    let mut last = None;
    loop {
        let status = match probe(&ingest, every.max(Duration::from_secs(1))).await {
            Ok(()) => ServingStatus::Serving,
            Err(e) => {
                if last != Some(ServingStatus::NotServing) {
                    tracing::warn!(error = %e, "health: not serving");
                }
                ServingStatus::NotServing
            }
        };
        if last != Some(status) {
            if status == ServingStatus::Serving && last.is_some() {
                tracing::info!("health: serving again");
            }
            for name in REPORTED {
                reporter.set_service_status(name, status).await;
            }
            last = Some(status);
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}
