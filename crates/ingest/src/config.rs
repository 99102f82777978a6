//! Settings for the ingestion service and the vision workers, validated once
//! at start so a bad value fails with the field, the value and the fix.

use crate::error::IngestError;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where image bytes go.
#[derive(Debug, Clone, PartialEq)]
pub enum ObjectStoreConfig {
    /// A local folder (the default; one machine).
    LocalDir(PathBuf),
    /// An S3-compatible bucket; credentials come from the usual `AWS_*` variables.
    /// Requires building `object_store` with its `aws` feature (not enabled by default).
    S3 {
        /// Bucket name.
        bucket: String,
    },
    /// In memory, for tests only: lost on exit and not shared between processes.
    Memory,
}

/// The server's TLS identity (rustls): PEM files read at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    /// PEM certificate chain, leaf first.
    pub cert_path: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of the leaf certificate.
    pub key_path: PathBuf,
}

impl TlsConfig {
    /// Reads both files; an unreadable one is named with its field.
    pub fn load(&self) -> Result<tonic::transport::Identity, IngestError> {
        let read = |field: &'static str, path: &PathBuf, what: &str| {
            std::fs::read(path).map_err(|e| {
                IngestError::invalid(
                    field,
                    path.display(),
                    format!("point it at a readable PEM {what} ({e})"),
                )
            })
        };
        let cert = read("tls.cert_path", &self.cert_path, "certificate chain")?;
        let key = read("tls.key_path", &self.key_path, "private key")?;
        let has = |bytes: &[u8], marker: &[u8]| bytes.windows(marker.len()).any(|w| w == marker);
        if !has(&cert, b"-----BEGIN CERTIFICATE-----") {
            return Err(IngestError::invalid(
                "tls.cert_path",
                self.cert_path.display(),
                "use a PEM file with a `-----BEGIN CERTIFICATE-----` block",
            ));
        }
        if !has(&key, b"PRIVATE KEY-----") {
            return Err(IngestError::invalid(
                "tls.key_path",
                self.key_path.display(),
                "use a PEM file with a `-----BEGIN PRIVATE KEY-----` (or RSA/EC) block",
            ));
        }
        Ok(tonic::transport::Identity::from_pem(cert, key))
    }
}

/// The JetStream names one deployment (or one test) uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusConfig {
    /// NATS server URL.
    pub nats_url: String,
    /// Stream name (`IMAGES` in production; unique per test).
    pub stream: String,
    /// Subject prefix: images go to `<prefix>.received.<bin>`, dead letters to `<prefix>.deadletter.<bin>`.
    pub subject_prefix: String,
    /// How long a publish waits for JetStream's acknowledgement before the upload is refused as unavailable.
    pub publish_timeout: Duration,
}

impl BusConfig {
    /// Production names on `nats_url`: stream `IMAGES`, subjects `images.*`.
    pub fn new(nats_url: impl Into<String>) -> Self {
        Self {
            nats_url: nats_url.into(),
            stream: "IMAGES".into(),
            subject_prefix: "images".into(),
            publish_timeout: Duration::from_secs(2),
        }
    }
}

/// Everything the ingestion service needs.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Address [`crate::serve`] binds (ignored by [`crate::run`], which takes a listener).
    pub listen: SocketAddr,
    /// PostgreSQL URL.
    pub database_url: String,
    /// JetStream names.
    pub bus: BusConfig,
    /// Image bytes' home.
    pub objects: ObjectStoreConfig,
    /// The administrators' bearer token.
    pub admin_token: String,
    /// Serve over TLS with this identity; plaintext when `None` (e.g.
    /// behind a TLS-terminating proxy, or on loopback).
    pub tls: Option<TlsConfig>,
    /// How often gRPC health re-checks PostgreSQL and JetStream.
    pub health_probe_every: Duration,
    /// Largest image accepted by unary `UploadImage`; larger ones must stream.
    pub max_unary_bytes: usize,
    /// Default per-device image size limit (a device may be registered with its own).
    pub default_max_upload_bytes: u32,
    /// Default per-device uploads per minute.
    pub default_uploads_per_minute: u32,
    /// Default seconds between photos.
    pub default_cadence_s: u32,
    /// How far in the future `captured_at` may be (device clock skew).
    pub max_clock_skew: Duration,
    /// How old `captured_at` may be.
    pub max_age: Duration,
    /// A fall in fill at least this large records a service event.
    pub service_drop: f32,
}

impl IngestConfig {
    /// Defaults: 4 MiB unary uploads, 16 MiB per image, 60 uploads/min, a 6 h
    /// cadence, 5 min clock skew, 30 days maximum age, local object storage in
    /// `objects_dir`, no TLS, health probed every 5 s.
    pub fn new(
        database_url: impl Into<String>,
        bus: BusConfig,
        objects_dir: impl Into<PathBuf>,
        admin_token: impl Into<String>,
    ) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 50061)),
            database_url: database_url.into(),
            bus,
            objects: ObjectStoreConfig::LocalDir(objects_dir.into()),
            admin_token: admin_token.into(),
            tls: None,
            health_probe_every: Duration::from_secs(5),
            max_unary_bytes: 4 << 20,
            default_max_upload_bytes: 16 << 20,
            default_uploads_per_minute: 60,
            default_cadence_s: 6 * 3600,
            max_clock_skew: Duration::from_secs(300),
            max_age: Duration::from_secs(30 * 86400),
            service_drop: fillroute_forecast::ServiceDetection::default().min_drop as f32,
        }
    }

    /// Checks every field; the first problem found is returned.
    pub fn validate(&self) -> Result<(), IngestError> {
        if self.admin_token.len() < 16 {
            return Err(IngestError::invalid(
                "admin_token",
                "(hidden)",
                "use at least 16 random characters",
            ));
        }
        if self.max_unary_bytes == 0 || self.max_unary_bytes > 64 << 20 {
            return Err(IngestError::invalid(
                "max_unary_bytes",
                self.max_unary_bytes,
                "use 1 byte to 64 MiB",
            ));
        }
        if self.default_max_upload_bytes == 0 {
            return Err(IngestError::invalid(
                "default_max_upload_bytes",
                0,
                "use at least 1",
            ));
        }
        if self.default_uploads_per_minute == 0 {
            return Err(IngestError::invalid(
                "default_uploads_per_minute",
                0,
                "use at least 1",
            ));
        }
        if !(0.0..=1.0).contains(&self.service_drop) || self.service_drop == 0.0 {
            return Err(IngestError::invalid(
                "service_drop",
                self.service_drop,
                "use a fraction in (0, 1], e.g. 0.3",
            ));
        }
        if self.health_probe_every.is_zero() {
            return Err(IngestError::invalid(
                "health_probe_every",
                "0s",
                "use a period of at least 1 ms, e.g. 5 s",
            ));
        }
        if self.bus.stream.is_empty() || self.bus.stream.contains(['.', ' ', '*', '>']) {
            return Err(IngestError::invalid(
                "bus.stream",
                &self.bus.stream,
                "use a name without dots, spaces or wildcards",
            ));
        }
        if self.bus.subject_prefix.is_empty() || self.bus.subject_prefix.contains([' ', '*', '>']) {
            return Err(IngestError::invalid(
                "bus.subject_prefix",
                &self.bus.subject_prefix,
                "use a subject token like `images`",
            ));
        }
        Ok(())
    }
}
