//! The ingestion spine: cameras upload over gRPC, bytes land in object
//! storage, a `pending` row in PostGIS, and a message on JetStream; vision
//! workers turn messages into fill readings, service events and forecasts.
//! It is built around one promise — an image is never lost and never counted
//! twice — which is why every step is idempotent on a key that exists before
//! the step runs (the bytes' SHA-256, the device's upload key, the image id as
//! `Nats-Msg-Id` and as the reading's unique key), why a device hears "stored"
//! only after JetStream has the message, and why a sweeper, not the request
//! path, owns recovery from a publish that never completed. The gRPC adapter
//! ([`grpc`]) is thin; [`pipeline`] is the domain; all SQL is in
//! `fillroute-store`.

pub mod auth;
pub mod bus;
pub mod config;
pub mod error;
pub mod forecast;
pub mod grpc;
pub mod health;
pub mod objects;
pub mod photo;
pub mod pipeline;
pub mod sweeper;
#[cfg(feature = "testing")]
pub mod testing;
pub mod worker;

pub use config::{BusConfig, IngestConfig, ObjectStoreConfig, S3Config, TlsConfig};
pub use error::IngestError;
pub use pipeline::Ingest;

use fillroute_proto::ingest::v1::ingest_service_server::IngestServiceServer;
use futures::StreamExt;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;

/// Room for the other request fields around a unary upload's bytes.
pub const MESSAGE_OVERHEAD: usize = 64 << 10;

/// Connects to PostgreSQL, NATS and object storage, then serves
/// `IngestService` on `listener` until `shutdown` completes. PostgreSQL is
/// connected lazily (an outage answers `UNAVAILABLE`); NATS must answer at
/// start because the stream is created then.
pub async fn run(
    listener: TcpListener,
    config: IngestConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), IngestError> {
    let ingest = Arc::new(Ingest::connect(config).await?);
    run_with(listener, ingest, shutdown).await
}

/// Serves an already assembled [`Ingest`] (tests inject faults this way).
///
/// Besides `IngestService` the server answers gRPC health (`SERVING` while
/// PostgreSQL and JetStream answer, `NOT_SERVING` otherwise and while
/// shutting down) and reflection; with [`IngestConfig::tls`] set, every
/// connection is TLS (rustls) and plaintext clients are refused.
pub async fn run_with(
    listener: TcpListener,
    ingest: Arc<Ingest>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), IngestError> {
    let config = ingest.config().clone();
    let max_message = config.max_unary_bytes + MESSAGE_OVERHEAD;
    let service = IngestServiceServer::new(grpc::service::IngestApi::new(ingest.clone()))
        .max_decoding_message_size(max_message);
    // TLS first: a bad identity fails start-up before anything runs.
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = &config.tls {
        let identity = tls.load()?;
        builder = builder
            .tls_config(tonic::transport::ServerTlsConfig::new().identity(identity))
            .map_err(|e| {
                IngestError::invalid(
                    "tls",
                    format!("{} + {}", tls.cert_path.display(), tls.key_path.display()),
                    format!(
                        "give tls.cert_path a PEM certificate chain and tls.key_path its matching PEM private key ({e})"
                    ),
                )
            })?;
    }
    let reflection = fillroute_serving::reflection(&[
        fillroute_proto::ingest::v1::ingest_service_server::SERVICE_NAME,
    ])
    .map_err(|e| IngestError::Internal(format!("reflection: {e}")))?;
    let (reporter, health_service) = tonic_health::server::health_reporter();
    // Not serving until the first probe says the dependencies answer.
    for name in health::REPORTED {
        reporter
            .set_service_status(name, tonic_health::ServingStatus::NotServing)
            .await;
    }
    let (stop_probe, probe_stopped) = tokio::sync::oneshot::channel::<()>();
    let probe = tokio::spawn(health::watch(
        ingest,
        reporter.clone(),
        config.health_probe_every,
        async move {
            let _ = probe_stopped.await;
        },
    ));
    let shutdown = async move {
        shutdown.await;
        let _ = stop_probe.send(());
        let _ = probe.await;
        for name in health::REPORTED {
            reporter
                .set_service_status(name, tonic_health::ServingStatus::NotServing)
                .await;
        }
    };

    let addr = listener.local_addr().ok();
    // tonic ignores its own nodelay setting for a supplied listener.
    let incoming = TcpListenerStream::new(listener).map(|conn| {
        if let Ok(stream) = &conn {
            let _ = stream.set_nodelay(true);
        }
        conn
    });
    tracing::info!(
        ?addr,
        tls = config.tls.is_some(),
        "ingest service listening"
    );
    builder
        .add_routes(reflection)
        .add_service(health_service)
        .add_service(service)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
        .map_err(|e| IngestError::Internal(format!("server: {e}")))?;
    tracing::info!("ingest service stopped");
    Ok(())
}

/// Binds `config.listen` and serves until `shutdown`.
pub async fn serve(
    config: IngestConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), IngestError> {
    let listener = TcpListener::bind(config.listen).await.map_err(|e| {
        IngestError::invalid("listen", config.listen, format!("use a free address ({e})"))
    })?;
    run(listener, config, shutdown).await
}
