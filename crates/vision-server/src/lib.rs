//! The vision gRPC service (`fillroute.vision.v1.VisionService`): bin-camera
//! images in, fill readings, deep features and similar images out. It exists
//! as its own crate because serving has concerns the vision library must not
//! carry: one ONNX Runtime session is `&mut` and several times cheaper per
//! image in batches, so concurrent requests are micro-batched on dedicated
//! inference threads behind a bounded queue (full → `RESOURCE_EXHAUSTED`,
//! late → `DEADLINE_EXCEEDED`); untrusted uploads must never take the server
//! down, so every bad image becomes `INVALID_ARGUMENT` with the library's
//! named reason; and [`run`] takes a bound listener and a shutdown future so
//! tests drive the real server on port 0.

pub mod batcher;
pub mod cli;
pub mod config;
pub mod convert;
pub mod engine;
pub mod error;
pub mod service;
pub mod synthetic;

pub use config::{ConfigError, ServerConfig};
pub use error::{ServerError, ServiceError};

use batcher::{BatchPolicy, Batcher};
use fillroute_proto::vision::v1::vision_service_server::VisionServiceServer;
use futures::StreamExt;
use service::VisionApi;
use std::future::Future;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;

/// Loads the models and serves on `listener` until `shutdown` completes.
///
/// Besides the vision service it serves gRPC health (`SERVING` once the
/// models are loaded, `NOT_SERVING` while shutting down) and reflection.
pub async fn run(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServerError> {
    config.validate()?;
    let policy = BatchPolicy {
        max_batch: config.max_batch,
        max_wait: config.max_batch_wait,
        queue_capacity: config.queue_capacity,
        decode_threads: config.decode_threads,
    };
    let max_message_bytes = config.max_message_bytes;
    let loaded = tokio::task::spawn_blocking(move || engine::load(&config))
        .await
        .map_err(|e| ServerError::Startup(e.to_string()))??;
    let (batcher, workers) = Batcher::start(loaded.readers, policy)
        .map_err(|e| ServerError::Startup(format!("inference thread: {e}")))?;
    let vision = VisionServiceServer::new(VisionApi::new(batcher, loaded.summary, loaded.index))
        .max_decoding_message_size(max_message_bytes)
        .max_encoding_message_size(max_message_bytes);
    let vision =
        tonic::service::interceptor::InterceptedService::new(vision, convert::stamp_deadline);

    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<VisionServiceServer<VisionApi>>().await;
    let reflection = fillroute_serving::reflection(&[
        fillroute_proto::vision::v1::vision_service_server::SERVICE_NAME,
    ])
    .map_err(|e| ServerError::Reflection(e.to_string()))?;

    let addr = listener.local_addr().ok();
    // tonic ignores its own nodelay setting for a supplied listener; small
    // HTTP/2 frames would otherwise wait on Nagle's algorithm.
    let incoming = TcpListenerStream::new(listener).map(|conn| {
        if let Ok(stream) = &conn {
            let _ = stream.set_nodelay(true);
        }
        conn
    });
    let shutdown = async move {
        shutdown.await;
        tracing::info!("shutting down");
        health
            .set_not_serving::<VisionServiceServer<VisionApi>>()
            .await;
    };
    tracing::info!(?addr, "vision service listening");
    tonic::transport::Server::builder()
        .add_routes(reflection)
        .add_service(health_service)
        .add_service(vision)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await?;
    // Every connection has closed, so every batcher handle is gone and the
    // inference threads finish their last batch and exit; wait for them so
    // the models are released before `run` returns.
    let _ =
        tokio::task::spawn_blocking(move || workers.into_iter().for_each(|w| drop(w.join()))).await;
    tracing::info!("vision service stopped");
    Ok(())
}

/// Binds `config.listen` and serves until Ctrl-C or SIGTERM.
pub async fn serve(config: ServerConfig) -> Result<(), ServerError> {
    let addr = config.listen;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    run(listener, config, shutdown_signal()).await
}

/// Completes on Ctrl-C or, on Unix, SIGTERM (what container runtimes send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
