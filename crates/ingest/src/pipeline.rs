//! The ingestion domain: what registering, uploading and reporting mean,
//! independent of gRPC. Uploads follow one durability order — bytes to object
//! storage, row `pending`, publish to JetStream, mark published, answer — so
//! that at every crash point the state is either invisible to the device (it
//! retries, and the idempotency key returns the same image) or recoverable by
//! the sweeper (a pending row whose publish was never acknowledged).

use crate::auth::{TokenHasher, constant_time_eq};
use crate::bus::{Bus, ImageMessage};
use crate::config::IngestConfig;
use crate::error::IngestError;
use crate::objects::{Objects, key_for};
use crate::photo::PhotoCheck;
use bytes::Bytes;
use fillroute_forecast::{ForecastError, RatePrior};
use fillroute_store::{
    BinId, DeviceAuth, DeviceId, ImageId, ImageStatus, NewBin, NewDevice, NewImage, NewReading,
    ReadingSource, Store, TimeWindow,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;
use time::OffsetDateTime;

/// The shared state behind every request.
#[derive(Debug)]
pub struct Ingest {
    /// PostgreSQL.
    pub store: Store,
    /// Image bytes.
    pub objects: Objects,
    /// JetStream.
    pub bus: Bus,
    config: IngestConfig,
    tokens: TokenHasher,
    photos: PhotoCheck,
    rate: Mutex<HashMap<DeviceId, (Instant, i32)>>,
}

/// A bin registration as received, before validation.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterBin {
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Volume, litres.
    pub capacity_litres: u32,
    /// Waste stream.
    pub waste_stream: String,
    /// Service time, seconds.
    pub service_time_s: u32,
    /// Container type.
    pub container_type: String,
    /// Customer.
    pub customer: String,
    /// `(weekday, opens_s, closes_s)`.
    pub time_windows: Vec<(Option<u32>, u32, u32)>,
    /// The planning fill rate, fraction per day ([`RatePrior`]).
    pub fill_rate_prior: Option<f64>,
    /// Its log-scale sd.
    pub fill_rate_prior_log_sd: Option<f64>,
}

/// A device registration as received; zero limits mean the server defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterDevice {
    /// The bin it watches.
    pub bin: i64,
    /// Firmware version.
    pub firmware: String,
    /// Seconds between photos.
    pub cadence_s: u32,
    /// Largest image.
    pub max_upload_bytes: u32,
    /// Uploads per minute.
    pub uploads_per_minute: u32,
}

/// An upload as received.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    /// The bin shown; 0 = the device's own.
    pub bin: i64,
    /// Capture time, Unix milliseconds.
    pub captured_at_unix_ms: i64,
    /// The image bytes.
    pub bytes: Bytes,
}

/// What the device is told after an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadReceipt {
    /// The image id (the original's for a duplicate).
    pub image: ImageId,
    /// Whether this repeated an earlier upload.
    pub duplicate: bool,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
}

/// A sensor or driver reading as received.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The bin; 0 = the device's own.
    pub bin: i64,
    /// Observation time, Unix milliseconds.
    pub observed_at_unix_ms: i64,
    /// Fill fraction.
    pub fill_fraction: f32,
    /// Ultrasonic, weight or driver.
    pub source: Option<ReadingSource>,
    /// The crew emptied the bin then (driver reports only).
    pub emptied: bool,
}

impl Ingest {
    /// Connects to PostgreSQL (lazily, so the service starts during a
    /// database outage and answers `UNAVAILABLE`), NATS and object storage.
    pub async fn connect(config: IngestConfig) -> Result<Self, IngestError> {
        config.validate()?;
        let store = Store::connect_lazy(&config.database_url)?;
        let objects = Objects::open(&config.objects)?;
        let bus = Bus::connect(&config.bus).await?;
        Self::new(store, objects, bus, config)
    }

    /// Assembles from parts (and starts the image-decoding threads).
    pub fn new(
        store: Store,
        objects: Objects,
        bus: Bus,
        config: IngestConfig,
    ) -> Result<Self, IngestError> {
        Ok(Self {
            store,
            objects,
            bus,
            tokens: TokenHasher::new(&config.token_key),
            photos: PhotoCheck::new(config.decode_threads, config.max_image_pixels)?,
            config,
            rate: Mutex::new(HashMap::new()),
        })
    }

    /// The settings in force.
    pub fn config(&self) -> &IngestConfig {
        &self.config
    }

    /// Checks the admin bearer token.
    pub fn authenticate_admin(&self, token: Option<&str>) -> Result<(), IngestError> {
        match token {
            Some(t)
                if constant_time_eq(t.as_bytes(), self.config.admin_token.expose().as_bytes()) =>
            {
                Ok(())
            }
            _ => Err(IngestError::Unauthenticated),
        }
    }

    /// Checks a device's id and token; unknown, wrong and revoked all look the same.
    pub async fn authenticate_device(
        &self,
        id: Option<DeviceId>,
        token: Option<&str>,
    ) -> Result<DeviceAuth, IngestError> {
        let (Some(id), Some(token)) = (id, token) else {
            return Err(IngestError::Unauthenticated);
        };
        let device = self
            .store
            .device_auth(id)
            .await?
            .ok_or(IngestError::Unauthenticated)?;
        if self.tokens.verify(&device, token) {
            Ok(device)
        } else {
            Err(IngestError::Unauthenticated)
        }
    }

    /// Registers a bin after checking every field and that a planning region covers it.
    pub async fn register_bin(&self, r: RegisterBin) -> Result<BinId, IngestError> {
        if !r.lon.is_finite() || !(-180.0..=180.0).contains(&r.lon) {
            return Err(IngestError::invalid(
                "lon",
                r.lon,
                "use degrees east in [-180, 180] (WGS 84)",
            ));
        }
        if !r.lat.is_finite() || !(-90.0..=90.0).contains(&r.lat) {
            return Err(IngestError::invalid(
                "lat",
                r.lat,
                "use degrees north in [-90, 90] (WGS 84)",
            ));
        }
        if r.capacity_litres == 0 || r.capacity_litres > 100_000 {
            return Err(IngestError::invalid(
                "capacity_litres",
                r.capacity_litres,
                "use 1 to 100000 litres",
            ));
        }
        if r.service_time_s > 86_400 {
            return Err(IngestError::invalid(
                "service_time_s",
                r.service_time_s,
                "use at most 86400 seconds",
            ));
        }
        for (field, value) in [
            ("waste_stream", &r.waste_stream),
            ("container_type", &r.container_type),
            ("customer", &r.customer),
        ] {
            if value.trim().is_empty() {
                return Err(IngestError::invalid(field, "\"\"", "give a non-empty name"));
            }
            check_text(field, value)?;
        }
        if r.time_windows.len() > MAX_TIME_WINDOWS {
            return Err(IngestError::invalid(
                "time_windows",
                format!("{} windows", r.time_windows.len()),
                format!("give at most {MAX_TIME_WINDOWS} (a few per weekday)"),
            ));
        }
        let mut windows = Vec::with_capacity(r.time_windows.len());
        for (weekday, opens, closes) in r.time_windows {
            if weekday.is_some_and(|d| d > 6) || opens >= closes || closes > 86_400 {
                return Err(IngestError::invalid(
                    "time_windows",
                    format!("{weekday:?} {opens}..{closes}"),
                    "use weekday 0-6 (or unset) and 0 <= opens_s < closes_s <= 86400",
                ));
            }
            windows.push(TimeWindow {
                weekday: weekday.map(|d| d as i16),
                opens_s: opens as i32,
                closes_s: closes as i32,
            });
        }
        let rate_prior = RatePrior::from_fields(r.fill_rate_prior, r.fill_rate_prior_log_sd)
            .map_err(|e| match e {
                ForecastError::InvalidParameter { field, value, fix } => {
                    IngestError::invalid(field, value, fix)
                }
                other => IngestError::Internal(other.to_string()),
            })?;
        // Checked before writing, as `fillroute bins import` does: a bin no
        // region covers is never planned, which the caller must hear now.
        let placement = self.store.locate_points(&[[r.lon, r.lat]]).await?;
        if placement.first().is_none_or(|p| p.region.is_none()) {
            return Err(IngestError::OutsideRegions {
                lon: r.lon,
                lat: r.lat,
            });
        }
        let bin = NewBin {
            lon: r.lon,
            lat: r.lat,
            capacity_litres: r.capacity_litres as i32,
            waste_stream: r.waste_stream,
            service_time_s: r.service_time_s as i32,
            container_type: r.container_type,
            customer: r.customer,
            time_windows: windows,
            rate_prior,
        };
        Ok(self.store.insert_bin(&bin).await?)
    }

    /// Registers a camera and returns its id and its token (shown only now).
    pub async fn register_device(
        &self,
        r: RegisterDevice,
    ) -> Result<(DeviceId, String), IngestError> {
        let or = |v: u32, default: u32| if v == 0 { default } else { v };
        let limit = |field: &'static str, v: u32| {
            i32::try_from(v)
                .map_err(|_| IngestError::invalid(field, v, format!("use at most {}", i32::MAX)))
        };
        if r.bin <= 0 {
            return Err(IngestError::invalid(
                "bin_id",
                r.bin,
                "use the id RegisterBin returned",
            ));
        }
        check_text("firmware", &r.firmware)?;
        if r.max_upload_bytes > MAX_UPLOAD_BYTES {
            return Err(IngestError::invalid(
                "max_upload_bytes",
                r.max_upload_bytes,
                format!(
                    "use at most {MAX_UPLOAD_BYTES} bytes (64 MiB), or 0 for the server default"
                ),
            ));
        }
        let (token, token_hash) = self.tokens.issue();
        let device = NewDevice {
            id: DeviceId(uuid::Uuid::new_v4()),
            bin: BinId(r.bin),
            token_hash,
            firmware: (!r.firmware.is_empty()).then_some(r.firmware),
            cadence_s: limit("cadence_s", or(r.cadence_s, self.config.default_cadence_s))?,
            max_upload_bytes: limit(
                "max_upload_bytes",
                or(r.max_upload_bytes, self.config.default_max_upload_bytes),
            )?,
            uploads_per_minute: limit(
                "uploads_per_minute",
                or(r.uploads_per_minute, self.config.default_uploads_per_minute),
            )?,
        };
        self.store.insert_device(&device).await?;
        Ok((device.id, token))
    }

    /// Revokes a device; its token stops working immediately.
    pub async fn revoke_device(&self, id: &str) -> Result<(), IngestError> {
        let uuid = uuid::Uuid::parse_str(id).map_err(|_| {
            IngestError::invalid("device_id", id, "use the id RegisterDevice returned")
        })?;
        if self.store.revoke_device(DeviceId(uuid)).await? {
            Ok(())
        } else {
            Err(IngestError::NotFound {
                what: "device",
                id: id.to_owned(),
            })
        }
    }

    /// The bin a device may write for: its own. Another existing bin is
    /// `PERMISSION_DENIED`; a bin that does not exist is `NOT_FOUND`.
    async fn bin_for(&self, device: &DeviceAuth, requested: i64) -> Result<BinId, IngestError> {
        if requested == 0 || requested == device.bin.0 {
            return Ok(device.bin);
        }
        if self.store.bin(BinId(requested)).await?.is_none() {
            return Err(IngestError::NotFound {
                what: "bin",
                id: requested.to_string(),
            });
        }
        Err(IngestError::PermissionDenied(format!("bin {requested}")))
    }

    fn check_time(&self, field: &'static str, unix_ms: i64) -> Result<OffsetDateTime, IngestError> {
        let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000)
            .map_err(|_| IngestError::invalid(field, unix_ms, "use Unix milliseconds"))?;
        let now = self.config.clock.now();
        if at > now + self.config.max_clock_skew {
            return Err(IngestError::invalid(
                field,
                unix_ms,
                format!(
                    "it is in the future beyond the allowed clock skew of {:?}; fix the device clock",
                    self.config.max_clock_skew
                ),
            ));
        }
        if at < now - self.config.max_age {
            return Err(IngestError::invalid(
                field,
                unix_ms,
                format!(
                    "it is older than the maximum age of {} days; drop the image or fix the device clock",
                    self.config.max_age.as_secs() / 86_400
                ),
            ));
        }
        Ok(at)
    }

    /// Fails when `bytes` cannot become an image upload for `device`.
    pub fn check_size(&self, device: &DeviceAuth, size: u64) -> Result<(), IngestError> {
        let limit = device.max_upload_bytes.max(0) as u64;
        if size > limit {
            return Err(IngestError::TooLarge {
                size,
                limit,
                fix: "resize or recompress the image on the device",
            });
        }
        Ok(())
    }

    fn check_rate(&self, device: &DeviceAuth) -> Result<(), IngestError> {
        let mut rate = self
            .rate
            .lock()
            .map_err(|_| IngestError::Internal("rate limiter poisoned".into()))?;
        let now = Instant::now();
        let entry = rate.entry(device.id).or_insert((now, 0));
        if now.duration_since(entry.0).as_secs() >= 60 {
            *entry = (now, 0);
        }
        if entry.1 >= device.uploads_per_minute {
            return Err(IngestError::RateLimited {
                per_minute: device.uploads_per_minute,
            });
        }
        entry.1 += 1;
        Ok(())
    }

    /// Stores, records and queues an image; see the module docs for the order.
    pub async fn upload(
        &self,
        device: &DeviceAuth,
        upload: Upload,
    ) -> Result<UploadReceipt, IngestError> {
        let bin = self.bin_for(device, upload.bin).await?;
        let captured_at = self.check_time("captured_at_unix_ms", upload.captured_at_unix_ms)?;
        if upload.bytes.is_empty() {
            return Err(IngestError::invalid(
                "image",
                "0 bytes",
                "send the JPEG, PNG or WebP bytes",
            ));
        }
        self.check_size(device, upload.bytes.len() as u64)?;
        if let Some(bad) = not_an_image(&upload.bytes) {
            return Err(IngestError::invalid(
                "image",
                bad,
                "send JPEG, PNG or WebP bytes",
            ));
        }
        self.check_rate(device)?;
        // Decoded in full before anything is written: a device is told now,
        // not never, that its camera sends images nobody can read.
        self.photos.check(upload.bytes.clone()).await?;
        let sha256 = hex::encode(Sha256::digest(&upload.bytes));
        let object_key = key_for(&sha256);
        let size_bytes = upload.bytes.len() as i32;
        self.objects.put(&object_key, upload.bytes).await?;
        let new = NewImage {
            id: ImageId(uuid::Uuid::now_v7()),
            device: device.id,
            bin,
            captured_at,
            sha256: sha256.clone(),
            object_key,
            size_bytes,
        };
        let (record, created) = self.store.insert_pending_image(&new).await?;
        // A duplicate whose first publish was never acknowledged is published
        // now: the device's retry is the fastest recovery there is.
        if record.status == ImageStatus::Pending && record.published_at.is_none() {
            self.bus.publish_image(&ImageMessage::from(&record)).await?;
            self.store.mark_published(record.id).await?;
        }
        Ok(UploadReceipt {
            image: record.id,
            duplicate: !created,
            sha256,
        })
    }

    /// Records a sensor or driver reading.
    pub async fn report_reading(
        &self,
        device: &DeviceAuth,
        r: Report,
    ) -> Result<(i64, bool), IngestError> {
        let bin = self.bin_for(device, r.bin).await?;
        let observed_at = self.check_time("observed_at_unix_ms", r.observed_at_unix_ms)?;
        if !r.fill_fraction.is_finite() || !(0.0..=1.5).contains(&r.fill_fraction) {
            return Err(IngestError::invalid(
                "fill_fraction",
                r.fill_fraction,
                "use 0.0 (empty) to 1.5 (overflowing)",
            ));
        }
        let source = match r.source {
            Some(
                s @ (ReadingSource::Ultrasonic | ReadingSource::Weight | ReadingSource::Driver),
            ) => s,
            _ => {
                return Err(IngestError::invalid(
                    "source",
                    "unspecified",
                    "use ULTRASONIC, WEIGHT or DRIVER",
                ));
            }
        };
        let reading = NewReading {
            bin,
            device: Some(device.id),
            observed_at,
            fill_fraction: r.fill_fraction,
            source,
        };
        let (id, event) = if r.emptied {
            if source != ReadingSource::Driver {
                return Err(IngestError::invalid(
                    "emptied",
                    true,
                    "only a crew empties a bin: send emptied with source = DRIVER",
                ));
            }
            let most = fillroute_forecast::ServiceDetection::default().max_level_after;
            if f64::from(r.fill_fraction) > most {
                return Err(IngestError::invalid(
                    "fill_fraction",
                    r.fill_fraction,
                    format!("an emptied bin holds at most {most}: report the level after emptying"),
                ));
            }
            self.store.insert_emptying(&reading).await?
        } else {
            self.store
                .insert_reading(&reading, self.config.service_drop)
                .await?
        };
        self.store.touch_device(device.id, None).await?;
        Ok((id, event.is_some()))
    }

    /// Records that the device is alive and returns its camera-health flags
    /// (`undecodable_image`, `blocked`, …), which the device is told.
    pub async fn heartbeat(
        &self,
        device: &DeviceAuth,
        firmware: &str,
    ) -> Result<Vec<String>, IngestError> {
        check_text("firmware", firmware)?;
        let firmware = (!firmware.is_empty()).then_some(firmware);
        self.store.touch_device(device.id, firmware).await?;
        let status = self.store.device_status(device.id).await?;
        Ok(status.map(|s| s.health_flags).unwrap_or_default())
    }
}

/// Longest name or firmware string a request may carry, in characters.
pub const MAX_TEXT_CHARS: usize = 200;

/// Most opening-hour windows one bin may have.
pub const MAX_TIME_WINDOWS: usize = 64;

/// The largest image a device may be allowed (`max_upload_bytes`).
pub const MAX_UPLOAD_BYTES: u32 = 64 << 20;

/// Refuses text PostgreSQL cannot store (NUL), control characters and
/// strings longer than [`MAX_TEXT_CHARS`], naming the field.
fn check_text(field: &'static str, value: &str) -> Result<(), IngestError> {
    let chars = value.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(IngestError::invalid(
            field,
            format!("({chars} characters)"),
            format!("use at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(IngestError::invalid(
            field,
            format!("{value:?}"),
            "remove the control characters (NUL, newlines, tabs)",
        ));
    }
    Ok(())
}

/// `None` when the bytes start like JPEG, PNG or WebP; otherwise what they look like.
pub fn not_an_image(bytes: &[u8]) -> Option<String> {
    let jpeg = bytes.starts_with(&[0xFF, 0xD8, 0xFF]);
    let png = bytes.starts_with(b"\x89PNG\r\n\x1a\n");
    let webp = bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP";
    if jpeg || png || webp {
        return None;
    }
    let head: String = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
    Some(format!(
        "{} bytes starting {head} (not JPEG, PNG or WebP)",
        bytes.len()
    ))
}
