//! Row types crossing the store boundary. Ids are newtypes so a bin id can
//! never be passed where a device id belongs.

use time::OffsetDateTime;
use uuid::Uuid;

/// A bin's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BinId(pub i64);

/// A camera's id (also the name it authenticates with).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeviceId(pub Uuid);

/// An uploaded image's id; also the JetStream message id and the reading's idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageId(pub Uuid);

impl std::fmt::Display for BinId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
impl std::fmt::Display for DeviceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
impl std::fmt::Display for ImageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A daily service window in seconds after local midnight; `weekday` `None` means every day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    /// 0 = Monday … 6 = Sunday, or every day.
    pub weekday: Option<i16>,
    /// Opening, seconds after midnight.
    pub opens_s: i32,
    /// Closing, seconds after midnight (after `opens_s`).
    pub closes_s: i32,
}

/// A bin to register; validated by the caller (the database re-checks ranges).
#[derive(Debug, Clone, PartialEq)]
pub struct NewBin {
    /// Longitude, degrees (WGS 84).
    pub lon: f64,
    /// Latitude, degrees (WGS 84).
    pub lat: f64,
    /// Volume, litres.
    pub capacity_litres: i32,
    /// E.g. `residual`, `paper`, `glass`.
    pub waste_stream: String,
    /// Time to empty it, seconds.
    pub service_time_s: i32,
    /// E.g. `1100l-wheelie`.
    pub container_type: String,
    /// Who owns or pays for it.
    pub customer: String,
    /// When it may be serviced; empty means any time.
    pub time_windows: Vec<TimeWindow>,
    /// The fill rate the hauler plans with for bins like it: the forecast's
    /// prior until it has history. `None`: the model's default.
    pub rate_prior: Option<fillroute_forecast::RatePrior>,
}

/// A registered bin.
#[derive(Debug, Clone, PartialEq)]
pub struct Bin {
    /// Its id.
    pub id: BinId,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Volume, litres.
    pub capacity_litres: i32,
    /// Waste stream.
    pub waste_stream: String,
    /// Service time, seconds.
    pub service_time_s: i32,
    /// Container type.
    pub container_type: String,
    /// Customer.
    pub customer: String,
}

/// A camera to register; `token_hash` is a keyed hash of the token
/// (`hmac-sha256$<hex>`, see `fillroute_ingest::auth`), never the token.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDevice {
    /// Its id.
    pub id: DeviceId,
    /// The bin it watches.
    pub bin: BinId,
    /// Keyed hash of its token (`hmac-sha256$<hex>`).
    pub token_hash: String,
    /// Firmware version, if known.
    pub firmware: Option<String>,
    /// Seconds between photos it is expected to take.
    pub cadence_s: i32,
    /// Largest image it may upload.
    pub max_upload_bytes: i32,
    /// Uploads it may make per minute.
    pub uploads_per_minute: i32,
}

/// What authenticating a device needs.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceAuth {
    /// Its id.
    pub id: DeviceId,
    /// The bin it watches.
    pub bin: BinId,
    /// Keyed hash of its token (`hmac-sha256$<hex>`; older rows: argon2).
    pub token_hash: String,
    /// Revoked devices are refused.
    pub revoked: bool,
    /// Largest image it may upload.
    pub max_upload_bytes: i32,
    /// Uploads it may make per minute.
    pub uploads_per_minute: i32,
}

/// A device's state for health checks.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceStatus {
    /// Its id.
    pub id: DeviceId,
    /// Last upload or heartbeat.
    pub last_seen: Option<OffsetDateTime>,
    /// Current flags (`silent`, `blocked`, `dark`, `moved`, …).
    pub health_flags: Vec<String>,
    /// Firmware version.
    pub firmware: Option<String>,
}

/// An uploaded image, already in object storage, to record as `pending`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewImage {
    /// Its id.
    pub id: ImageId,
    /// The uploading camera.
    pub device: DeviceId,
    /// The bin it shows.
    pub bin: BinId,
    /// When the camera took it.
    pub captured_at: OffsetDateTime,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    /// Where the bytes are in object storage.
    pub object_key: String,
    /// Byte count.
    pub size_bytes: i32,
}

/// Processing state of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageStatus {
    /// Stored, waiting for a worker.
    Pending,
    /// A reading exists for it.
    Classified,
    /// Dead-lettered; see the failure reason.
    Failed,
}

impl ImageStatus {
    fn parse(s: &str) -> Self {
        match s {
            "classified" => Self::Classified,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// A recorded image.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRecord {
    /// Its id.
    pub id: ImageId,
    /// The uploading camera.
    pub device: DeviceId,
    /// The bin it shows.
    pub bin: BinId,
    /// When the camera took it.
    pub captured_at: OffsetDateTime,
    /// Hex SHA-256.
    pub sha256: String,
    /// Object-storage key.
    pub object_key: String,
    /// Byte count.
    pub size_bytes: i32,
    /// Processing state.
    pub status: ImageStatus,
    /// Why it failed, if it did.
    pub failure_reason: Option<String>,
    /// When JetStream acknowledged its publish.
    pub published_at: Option<OffsetDateTime>,
    /// Camera-health flags the vision service raised.
    pub health_flags: Vec<String>,
}

/// A vision result to record for an image.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    /// The image.
    pub image: ImageId,
    /// Fill fraction, 0 = empty, 1 = full.
    pub fill_fraction: f32,
    /// Per-class probabilities.
    pub probabilities: Vec<f32>,
    /// Classifier version.
    pub model_version: String,
    /// Camera-health flags (`blocked`, `dark`, `moved`, …).
    pub health_flags: Vec<String>,
    /// A fall in fill at least this large since the previous reading records a service event.
    pub service_drop: f32,
    /// The frame shows no fill at all (a covered lens, no light): it becomes
    /// no reading. The vision service decides (`ClassifyFillResponse.blind`,
    /// `fillroute_vision::health::HealthFlag::is_blind`), the same rule the
    /// replay's reader uses.
    pub blind: bool,
}

/// What recording a classification did.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassificationOutcome {
    /// The image's reading; none for a blind frame.
    pub reading_id: Option<i64>,
    /// The image's bin.
    pub bin: BinId,
    /// False when a reading already existed (a redelivery): nothing changed.
    pub newly_recorded: bool,
    /// A service event this reading revealed, if any.
    pub service_event: Option<i64>,
}

/// Where a reading came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadingSource {
    /// A camera image classified by the vision service.
    Camera,
    /// An ultrasonic level sensor.
    Ultrasonic,
    /// A load-cell weight sensor.
    Weight,
    /// A driver's report.
    Driver,
}

impl ReadingSource {
    fn columns(self) -> (&'static str, Option<&'static str>) {
        match self {
            Self::Camera => ("camera", None),
            Self::Ultrasonic => ("sensor", Some("ultrasonic")),
            Self::Weight => ("sensor", Some("weight")),
            Self::Driver => ("driver", None),
        }
    }

    fn parse(source: &str, kind: Option<&str>) -> Self {
        match (source, kind) {
            ("camera", _) => Self::Camera,
            ("sensor", Some("weight")) => Self::Weight,
            ("sensor", _) => Self::Ultrasonic,
            _ => Self::Driver,
        }
    }
}

/// A non-camera reading to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReading {
    /// The bin.
    pub bin: BinId,
    /// The reporting device, if any.
    pub device: Option<DeviceId>,
    /// When it was observed.
    pub observed_at: OffsetDateTime,
    /// Fill fraction.
    pub fill_fraction: f32,
    /// Sensor or driver (not camera).
    pub source: ReadingSource,
}

/// A stored fill reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// Its id.
    pub id: i64,
    /// The bin.
    pub bin: BinId,
    /// When it was observed.
    pub observed_at: OffsetDateTime,
    /// Fill fraction.
    pub fill_fraction: f32,
    /// Per-class probabilities (camera readings only).
    pub probabilities: Vec<f32>,
    /// Where it came from.
    pub source: ReadingSource,
    /// Classifier version (camera readings only).
    pub model_version: Option<String>,
    /// The image it was read from (camera readings only).
    pub image: Option<ImageId>,
}

/// How an emptying became known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detection {
    /// Seen in the readings: the fill fell (stored by the ingest workers).
    FillDrop,
    /// Reported by a driver.
    Driver,
    /// Recorded from a driven plan.
    Plan,
}

impl Detection {
    /// The stored spelling (`service_events.detection`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FillDrop => "fill_drop",
            Self::Driver => "driver",
            Self::Plan => "plan",
        }
    }

    /// Reads the stored spelling; the schema's CHECK allows only these three.
    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "fill_drop" => Self::FillDrop,
            "driver" => Self::Driver,
            _ => Self::Plan,
        }
    }
}

/// A detected or reported emptying of a bin.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceEvent {
    /// Its id.
    pub id: i64,
    /// The bin.
    pub bin: BinId,
    /// When it happened (at the latest).
    pub serviced_at: OffsetDateTime,
    /// How it became known.
    pub detection: Detection,
    /// Fill before.
    pub fill_before: Option<f32>,
    /// Fill after.
    pub fill_after: Option<f32>,
}

/// A bin's latest forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct BinForecast {
    /// The bin.
    pub bin: BinId,
    /// When it was computed.
    pub computed_at: OffsetDateTime,
    /// Fill right after the last service.
    pub level_after: f32,
    /// Fill gained per hour.
    pub rate_per_hour: f32,
    /// Expected time the bin is full.
    pub full_at: Option<OffsetDateTime>,
    /// Lower end of its prediction interval.
    pub full_at_low: Option<OffsetDateTime>,
    /// Upper end of its prediction interval.
    pub full_at_high: Option<OffsetDateTime>,
    /// How many readings informed it.
    pub readings_used: i32,
    /// Which estimator produced it.
    pub method: String,
}

/// Image and reading totals, for tests and benchmarks that prove nothing was lost or doubled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PipelineCounts {
    /// Images recorded.
    pub images: i64,
    /// Of which still pending.
    pub pending: i64,
    /// Of which classified.
    pub classified: i64,
    /// Of the classified, blind frames: classified without a reading.
    pub blind: i64,
    /// Of which failed.
    pub failed: i64,
    /// Camera readings.
    pub camera_readings: i64,
    /// Distinct images with a camera reading.
    pub images_with_reading: i64,
}

pub(crate) fn parse_status(s: &str) -> ImageStatus {
    ImageStatus::parse(s)
}

pub(crate) fn source_columns(s: ReadingSource) -> (&'static str, Option<&'static str>) {
    s.columns()
}

pub(crate) fn parse_source(source: &str, kind: Option<&str>) -> ReadingSource {
    ReadingSource::parse(source, kind)
}
