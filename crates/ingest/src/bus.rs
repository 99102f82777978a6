//! The JetStream side: stream set-up, the image message, and publishing with
//! `Nats-Msg-Id` = image id so the server drops a repeated publish (device
//! retry, sweeper) within its duplicate window; outside the window the
//! workers' upsert makes the repeat harmless anyway.

use crate::config::BusConfig;
use crate::error::IngestError;
use async_nats::jetstream::{self, stream};
use fillroute_store::{BinId, ImageId, ImageRecord};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The message workers consume: enough to find the bytes without a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageMessage {
    /// Image id (also the message id).
    pub image_id: uuid::Uuid,
    /// The bin shown.
    pub bin_id: i64,
    /// Object-storage key of the bytes.
    pub object_key: String,
}

impl From<&ImageRecord> for ImageMessage {
    fn from(r: &ImageRecord) -> Self {
        Self {
            image_id: r.id.0,
            bin_id: r.bin.0,
            object_key: r.object_key.clone(),
        }
    }
}

/// A connected JetStream context with the stream in place.
#[derive(Clone)]
pub struct Bus {
    /// The JetStream context.
    pub js: jetstream::Context,
    /// The names in use.
    pub config: BusConfig,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn unavailable(e: impl std::fmt::Display) -> IngestError {
    IngestError::Unavailable {
        service: "nats",
        detail: e.to_string(),
    }
}

impl Bus {
    /// Connects (retrying in the background after a later outage) and
    /// creates the stream if it does not exist.
    pub async fn connect(config: &BusConfig) -> Result<Self, IngestError> {
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(3))
            .connect(&config.nats_url)
            .await
            .map_err(unavailable)?;
        let mut js = jetstream::new(client);
        js.set_timeout(config.publish_timeout);
        let bus = Self {
            js,
            config: config.clone(),
        };
        bus.ensure_stream().await?;
        Ok(bus)
    }

    async fn ensure_stream(&self) -> Result<(), IngestError> {
        let p = &self.config.subject_prefix;
        self.js
            .get_or_create_stream(stream::Config {
                name: self.config.stream.clone(),
                subjects: vec![format!("{p}.received.>"), format!("{p}.deadletter.>")],
                storage: stream::StorageType::File,
                duplicate_window: Duration::from_secs(120),
                ..Default::default()
            })
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// `<prefix>.received.<bin>`.
    pub fn received_subject(&self, bin: BinId) -> String {
        format!("{}.received.{}", self.config.subject_prefix, bin.0)
    }

    /// `<prefix>.received.>`, what workers consume.
    pub fn received_filter(&self) -> String {
        format!("{}.received.>", self.config.subject_prefix)
    }

    /// `<prefix>.deadletter.<bin>`.
    pub fn deadletter_subject(&self, bin: i64) -> String {
        format!("{}.deadletter.{}", self.config.subject_prefix, bin)
    }

    /// Publishes an image and waits for JetStream to store it.
    /// Returns whether the server saw it as a duplicate.
    pub async fn publish_image(&self, message: &ImageMessage) -> Result<bool, IngestError> {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(
            async_nats::header::NATS_MESSAGE_ID,
            ImageId(message.image_id).to_string().as_str(),
        );
        let payload =
            serde_json::to_vec(message).map_err(|e| IngestError::Internal(e.to_string()))?;
        let ack = self
            .js
            .publish_with_headers(
                self.received_subject(BinId(message.bin_id)),
                headers,
                payload.into(),
            )
            .await
            .map_err(unavailable)?;
        let ack = tokio::time::timeout(self.config.publish_timeout, ack.into_future())
            .await
            .map_err(|_| unavailable("publish acknowledgement timed out"))?
            .map_err(unavailable)?;
        Ok(ack.duplicate)
    }

    /// Publishes a dead letter (the original payload plus why it failed).
    pub async fn publish_deadletter(
        &self,
        bin: i64,
        payload: &[u8],
        reason: &str,
    ) -> Result<(), IngestError> {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(
            "Fillroute-Failure",
            reason.replace(['\r', '\n'], " ").as_str(),
        );
        let ack = self
            .js
            .publish_with_headers(
                self.deadletter_subject(bin),
                headers,
                payload.to_vec().into(),
            )
            .await
            .map_err(unavailable)?;
        ack.await.map_err(unavailable)?;
        Ok(())
    }

    /// Deletes the stream (tests and benchmarks clean up with this).
    pub async fn delete_stream(&self) -> Result<(), IngestError> {
        self.js
            .delete_stream(&self.config.stream)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
