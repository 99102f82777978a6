//! Recovery for uploads whose publish never completed. The request path
//! answers `UNAVAILABLE` when JetStream does not acknowledge, but by then the
//! bytes and the `pending` row exist; if the device never retries, this is
//! what gets the image classified. Re-publishing is safe at any time: the
//! message id is the image id, and the reading is keyed by it.

use crate::bus::{Bus, ImageMessage};
use crate::error::IngestError;
use fillroute_store::Store;
use std::future::Future;
use std::time::Duration;
use time::OffsetDateTime;

/// How long to leave a fresh upload alone, and when a published but
/// unprocessed image counts as lost downstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepPolicy {
    /// Unpublished pending images older than this are re-published.
    pub grace: Duration,
    /// Published pending images older than this are re-published too.
    pub stale: Duration,
    /// Images per sweep, at most.
    pub limit: i64,
}

impl Default for SweepPolicy {
    fn default() -> Self {
        Self {
            grace: Duration::from_secs(30),
            stale: Duration::from_secs(3600),
            limit: 500,
        }
    }
}

/// Re-publishes what `policy` says is stuck; returns how many.
pub async fn sweep_once(
    store: &Store,
    bus: &Bus,
    policy: SweepPolicy,
) -> Result<usize, IngestError> {
    let now = OffsetDateTime::now_utc();
    let stuck = store
        .images_to_republish(now - policy.grace, now - policy.stale, policy.limit)
        .await?;
    let mut republished = 0;
    for image in &stuck {
        bus.publish_image(&ImageMessage::from(image)).await?;
        store.mark_published(image.id).await?;
        republished += 1;
    }
    if republished > 0 {
        tracing::info!(republished, "sweeper re-published stuck images");
    }
    Ok(republished)
}

/// Sweeps every `every` until `shutdown`; outages are logged and retried.
pub async fn run(
    store: Store,
    bus: Bus,
    policy: SweepPolicy,
    every: Duration,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        if let Err(e) = sweep_once(&store, &bus, policy).await {
            tracing::warn!(error = %e, "sweep failed; will retry");
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}
