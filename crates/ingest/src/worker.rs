//! Vision workers: any number of processes share one durable JetStream pull
//! consumer. Each fetches a batch, reads the bytes, asks `VisionService` for
//! every image concurrently (the service micro-batches them), records each
//! result in one transaction keyed by the image id, and only then acks. A
//! worker dying anywhere in between costs a redelivery, never a second
//! reading. Failures are nak'ed with growing delays; a message that keeps
//! failing, or an image the vision service rejects, goes to the dead-letter
//! subject and its image is marked `failed` with the reason; an image the
//! vision service cannot decode also flags its camera `undecodable_image`
//! (uploads are decoded before they are accepted, so this means bytes
//! damaged in storage or accepted by an older server), which operators see
//! in the bin list and the device in its next heartbeat, until the
//! camera's next image is read. An outage of
//! PostgreSQL, object storage or the vision service is not the image's fault,
//! so those naks do not count towards dead-lettering: the backlog simply
//! waits and drains when the service is back.

use crate::bus::{Bus, ImageMessage};
use crate::config::{BusConfig, ObjectStoreConfig};
use crate::error::IngestError;
use crate::objects::Objects;
use crate::sweeper::{self, SweepPolicy};
use async_nats::jetstream::AckKind;
use async_nats::jetstream::consumer::{AckPolicy, PullConsumer, pull};
use fillroute_proto::vision::v1::ClassifyFillRequest;
use fillroute_proto::vision::v1::vision_service_client::VisionServiceClient;
use fillroute_store::{Classification, ImageId, Store};
use futures::StreamExt;
use std::future::Future;
use std::time::Duration;
use tonic::Code;
use tonic::transport::{Channel, Endpoint};

/// Everything a worker needs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// PostgreSQL URL.
    pub database_url: String,
    /// JetStream names (shared with the ingest service).
    pub bus: BusConfig,
    /// Image bytes' home (shared with the ingest service).
    pub objects: ObjectStoreConfig,
    /// The vision service, e.g. `http://127.0.0.1:50051`.
    pub vision_url: String,
    /// Durable consumer name shared by all workers.
    pub consumer: String,
    /// Messages per fetch.
    pub batch: usize,
    /// How long a fetch waits for messages.
    pub fetch_wait: Duration,
    /// How long JetStream waits for an ack before redelivering.
    pub ack_wait: Duration,
    /// Deliveries before a message is dead-lettered.
    pub max_deliver: i64,
    /// Nak delays by delivery count (the last repeats).
    pub backoff: Vec<Duration>,
    /// Deadline for one vision call.
    pub vision_timeout: Duration,
    /// A fall in fill at least this large records a service event.
    pub service_drop: f32,
    /// Devices silent for longer than this many cadences are flagged.
    pub silent_slack: f64,
    /// How often the sweeper and the silence check run.
    pub housekeeping_every: Duration,
    /// The sweeper's thresholds.
    pub sweep: SweepPolicy,
    /// "Now" for the forecasts refreshed after each reading.
    pub clock: fillroute_clock::Clock,
}

impl WorkerConfig {
    /// Defaults: consumer `vision-workers`, batches of 16, 30 s ack wait,
    /// 5 deliveries, naks after 1/5/15/30 s.
    pub fn new(
        database_url: impl Into<String>,
        bus: BusConfig,
        objects: ObjectStoreConfig,
        vision_url: impl Into<String>,
    ) -> Self {
        Self {
            database_url: database_url.into(),
            bus,
            objects,
            vision_url: vision_url.into(),
            consumer: "vision-workers".into(),
            batch: 16,
            fetch_wait: Duration::from_millis(500),
            ack_wait: Duration::from_secs(30),
            max_deliver: 5,
            backoff: vec![
                Duration::from_secs(1),
                Duration::from_secs(5),
                Duration::from_secs(15),
                Duration::from_secs(30),
            ],
            vision_timeout: Duration::from_secs(10),
            service_drop: fillroute_forecast::ServiceDetection::default().min_drop as f32,
            silent_slack: 2.0,
            housekeeping_every: Duration::from_secs(30),
            sweep: SweepPolicy::default(),
            clock: fillroute_clock::Clock::System,
        }
    }

    fn validate(&self) -> Result<(), IngestError> {
        if self.batch == 0 || self.batch > 256 {
            return Err(IngestError::invalid(
                "batch",
                self.batch,
                "use 1 to 256 messages",
            ));
        }
        if self.max_deliver < 1 {
            return Err(IngestError::invalid(
                "max_deliver",
                self.max_deliver,
                "use at least 1",
            ));
        }
        if self.backoff.is_empty() {
            return Err(IngestError::invalid(
                "backoff",
                "[]",
                "give at least one delay",
            ));
        }
        Ok(())
    }
}

/// What happened to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Recorded (or found already recorded): ack.
    Done,
    /// Worth retrying later; counts towards dead-lettering.
    Retry(String),
    /// A backing service is down: retry later without counting the
    /// delivery, so an outage never dead-letters healthy images.
    Outage(String),
    /// Will never succeed: dead-letter now.
    Permanent(String),
    /// The vision service cannot decode the image: dead-letter now and flag
    /// the camera that took it.
    Undecodable(String),
}

/// The camera-health flag of a device whose image could not be decoded.
pub const UNDECODABLE_IMAGE: &str = "undecodable_image";

struct Worker {
    store: Store,
    objects: Objects,
    bus: Bus,
    vision: VisionServiceClient<Channel>,
    config: WorkerConfig,
}

/// Runs one worker until `shutdown`: consumes, classifies, records, and does
/// housekeeping (sweeper, silent-device flags). In-flight messages finish
/// before it returns.
pub async fn run(
    config: WorkerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), IngestError> {
    config.validate()?;
    let store = Store::connect_lazy(&config.database_url)?;
    let objects = Objects::open(&config.objects)?;
    let bus = Bus::connect(&config.bus).await?;
    let channel = Endpoint::from_shared(config.vision_url.clone())
        .map_err(|e| {
            IngestError::invalid(
                "vision_url",
                &config.vision_url,
                format!("use http://host:port ({e})"),
            )
        })?
        .connect_timeout(Duration::from_secs(5))
        .tcp_nodelay(true)
        .connect_lazy();
    let vision = VisionServiceClient::new(channel)
        .max_decoding_message_size(8 << 20)
        .max_encoding_message_size(64 << 20);
    let worker = Worker {
        store,
        objects,
        bus,
        vision,
        config,
    };
    let consumer = worker.consumer().await?;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let housekeeping = {
        let (store, bus, config) = (
            worker.store.clone(),
            worker.bus.clone(),
            worker.config.clone(),
        );
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let stopped = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            let silence = {
                let store = store.clone();
                let every = config.housekeeping_every;
                let slack = config.silent_slack;
                let mut stop = stop_rx.clone();
                async move {
                    loop {
                        match store.flag_silent_devices(slack).await {
                            Ok(ids) if !ids.is_empty() => tracing::warn!(
                                count = ids.len(),
                                "devices silent past their cadence"
                            ),
                            Ok(_) => {}
                            Err(e) => tracing::warn!(error = %e, "silent-device check failed"),
                        }
                        tokio::select! {
                            _ = stop.wait_for(|s| *s) => return,
                            () = tokio::time::sleep(every) => {}
                        }
                    }
                }
            };
            tokio::join!(
                sweeper::run(store, bus, config.sweep, config.housekeeping_every, stopped),
                silence
            );
        })
    };

    tokio::pin!(shutdown);
    loop {
        let fetched = tokio::select! {
            () = &mut shutdown => break,
            fetched = consumer.fetch().max_messages(worker.config.batch).expires(worker.config.fetch_wait).messages() => fetched,
        };
        let messages: Vec<_> = match fetched {
            Ok(stream) => stream.filter_map(|m| async move { m.ok() }).collect().await,
            Err(e) => {
                tracing::warn!(error = %e, "fetch failed; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if messages.is_empty() {
            continue;
        }
        futures::future::join_all(messages.iter().map(|m| worker.handle(m))).await;
    }
    let _ = stop_tx.send(true);
    let _ = housekeeping.await;
    Ok(())
}

impl Worker {
    async fn consumer(&self) -> Result<PullConsumer, IngestError> {
        let unavailable = |e: &dyn std::fmt::Display| IngestError::Unavailable {
            service: "nats",
            detail: e.to_string(),
        };
        let stream = self
            .bus
            .js
            .get_stream(&self.bus.config.stream)
            .await
            .map_err(|e| unavailable(&e))?;
        stream
            .get_or_create_consumer(
                &self.config.consumer,
                pull::Config {
                    durable_name: Some(self.config.consumer.clone()),
                    ack_policy: AckPolicy::Explicit,
                    ack_wait: self.config.ack_wait,
                    // The worker counts deliveries and dead-letters itself;
                    // outages must be able to redeliver without limit.
                    max_deliver: -1,
                    filter_subject: self.bus.received_filter(),
                    max_ack_pending: 1024,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| unavailable(&e))
    }

    async fn handle(&self, message: &async_nats::jetstream::Message) {
        let delivered = message.info().map(|i| i.delivered).unwrap_or(1);
        let parsed: Result<ImageMessage, _> = serde_json::from_slice(&message.payload);
        let outcome = match &parsed {
            Ok(image) => self.process(image).await,
            Err(e) => Outcome::Permanent(format!("unreadable message: {e}")),
        };
        let flag_camera = matches!(outcome, Outcome::Undecodable(_));
        let ack = match outcome {
            Outcome::Done => message.ack().await,
            Outcome::Outage(reason) => {
                let delay = self.config.backoff[self.config.backoff.len() - 1];
                tracing::warn!(delivered, ?delay, %reason, "backing service down; will retry");
                message.ack_with(AckKind::Nak(Some(delay))).await
            }
            Outcome::Retry(reason) if delivered < self.config.max_deliver => {
                let index = (delivered.max(1) as usize - 1).min(self.config.backoff.len() - 1);
                let delay = self.config.backoff[index];
                tracing::warn!(delivered, ?delay, %reason, "processing failed; will retry");
                message.ack_with(AckKind::Nak(Some(delay))).await
            }
            Outcome::Retry(reason) | Outcome::Permanent(reason) | Outcome::Undecodable(reason) => {
                match self
                    .dead_letter(parsed.as_ref().ok(), &message.payload, &reason, flag_camera)
                    .await
                {
                    Ok(()) => message.ack_with(AckKind::Term).await,
                    Err(e) => {
                        tracing::warn!(error = %e, "dead-lettering failed; will retry");
                        message
                            .ack_with(AckKind::Nak(Some(self.config.backoff[0])))
                            .await
                    }
                }
            }
        };
        if let Err(e) = ack {
            // The message will be redelivered; the upsert makes that harmless.
            tracing::warn!(error = %e, "ack failed");
        }
    }

    async fn dead_letter(
        &self,
        image: Option<&ImageMessage>,
        payload: &[u8],
        reason: &str,
        flag_camera: bool,
    ) -> Result<(), IngestError> {
        let bin = image.map_or(0, |i| i.bin_id);
        self.bus.publish_deadletter(bin, payload, reason).await?;
        if let Some(image) = image {
            let id = ImageId(image.image_id);
            if flag_camera && let Some(record) = self.store.image(id).await? {
                self.store
                    .add_device_flags(record.device, &[UNDECODABLE_IMAGE.to_owned()])
                    .await?;
                tracing::warn!(device = %record.device, image = %id, "camera flagged: {UNDECODABLE_IMAGE}");
            }
            self.store.mark_image_failed(id, reason).await?;
        }
        tracing::warn!(bin, %reason, "image dead-lettered");
        Ok(())
    }

    async fn process(&self, image: &ImageMessage) -> Outcome {
        let bytes = match self.objects.get(&image.object_key).await {
            Ok(b) => b,
            Err(IngestError::NotFound { .. }) => {
                return Outcome::Permanent(format!("object {} is missing", image.object_key));
            }
            Err(e) => return Outcome::Outage(e.to_string()),
        };
        let mut request = tonic::Request::new(ClassifyFillRequest {
            image: bytes.to_vec(),
            request_id: image.image_id.to_string(),
        });
        request.set_timeout(self.config.vision_timeout);
        let response = match self.vision.clone().classify_fill(request).await {
            Ok(r) => r.into_inner(),
            Err(status) if status.code() == Code::InvalidArgument => {
                return Outcome::Undecodable(format!(
                    "vision refused the image: {}",
                    status.message()
                ));
            }
            Err(status)
                if matches!(
                    status.code(),
                    Code::Unavailable | Code::ResourceExhausted | Code::DeadlineExceeded
                ) =>
            {
                return Outcome::Outage(format!(
                    "vision: {:?}: {}",
                    status.code(),
                    status.message()
                ));
            }
            Err(status) => {
                return Outcome::Retry(format!(
                    "vision: {:?}: {}",
                    status.code(),
                    status.message()
                ));
            }
        };
        let classification = Classification {
            image: ImageId(image.image_id),
            fill_fraction: response.fill_fraction.clamp(0.0, 1.5),
            probabilities: response.probabilities,
            model_version: response.model_version,
            blind: response.blind,
            health_flags: response
                .health_flags
                .iter()
                .map(|f| camera_flag(f).to_owned())
                .collect(),
            service_drop: self.config.service_drop,
        };
        let recorded = match self.store.record_classification(&classification).await {
            Ok(r) => r,
            Err(fillroute_store::StoreError::NotFound { .. }) => {
                return Outcome::Permanent(format!("image {} has no row", image.image_id));
            }
            Err(e) if e.is_unavailable() => return Outcome::Outage(e.to_string()),
            Err(e) => return Outcome::Retry(e.to_string()),
        };
        if recorded.newly_recorded {
            // The camera sends readable images again.
            let id = ImageId(image.image_id);
            match self
                .store
                .clear_flag_of_image_device(id, UNDECODABLE_IMAGE)
                .await
            {
                Ok(true) => tracing::info!(image = %id, "camera flag cleared: {UNDECODABLE_IMAGE}"),
                Ok(false) => {}
                // The next good image clears it.
                Err(e) => tracing::warn!(error = %e, "clearing {UNDECODABLE_IMAGE} failed"),
            }
            if let Err(e) =
                crate::forecast::refresh(&self.store, recorded.bin, self.config.clock.now()).await
            {
                // The reading is safe; the next reading refreshes the forecast.
                tracing::warn!(error = %e, bin = recorded.bin.0, "forecast refresh failed");
            }
        }
        Outcome::Done
    }
}

/// The camera-health vocabulary for the vision service's flags.
pub fn camera_flag(vision_flag: &str) -> &str {
    match vision_flag {
        "nearly_uniform" => "blocked",
        "drift" => "moved",
        other => other,
    }
}
