//! Settings for the ingestion service and the vision workers, validated once
//! at start so a bad value fails with the field, the value and the fix.

use crate::error::IngestError;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A credential or key that never prints: `Debug` shows `Secret(hidden)`,
/// so a logged configuration or an error carrying one leaks nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that must use it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(hidden)")
    }
}

impl<T: Into<String>> From<T> for Secret {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

/// Where image bytes go.
#[derive(Debug, Clone, PartialEq)]
pub enum ObjectStoreConfig {
    /// A local folder (the default; one machine).
    LocalDir(PathBuf),
    /// An S3-compatible bucket (AWS S3, MinIO, Ceph, R2, ...), shared by
    /// every ingest replica and worker.
    S3(S3Config),
    /// In memory, for tests only: lost on exit and not shared between processes.
    Memory,
}

/// An S3-compatible bucket. Credentials are deliberately not here: they come
/// from the standard `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
/// `AWS_SESSION_TOKEN` variables (or the instance's role), so a logged or
/// committed configuration never carries a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    /// Bucket name.
    pub bucket: String,
    /// Region; `AWS_REGION` / `AWS_DEFAULT_REGION` when `None`.
    pub region: Option<String>,
    /// Endpoint of an S3-compatible server other than AWS, e.g.
    /// `http://127.0.0.1:9000`; requests then use path-style URLs.
    pub endpoint: Option<String>,
    /// Permit a plain `http://` endpoint (a private network only).
    pub allow_http: bool,
}

/// How an object-store location is written, for error messages.
const OBJECTS_FORMS: &str = "use a folder path, file:///abs/path, memory:// (tests) or \
     s3://bucket[?region=R&endpoint=URL&allow_http=true]";

impl ObjectStoreConfig {
    /// Parses a location: a folder path or `file:///path`, `memory://`, or
    /// `s3://bucket?region=..&endpoint=..&allow_http=true`. Errors name the
    /// part that is wrong and how to write it.
    pub fn parse(spec: &str) -> Result<Self, IngestError> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err(IngestError::invalid("objects", "\"\"", OBJECTS_FORMS));
        }
        if let Some(path) = spec.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(IngestError::invalid(
                    "objects",
                    spec,
                    "a file:// location needs an absolute path, e.g. file:///var/lib/fillroute/objects",
                ));
            }
            return Ok(Self::LocalDir(PathBuf::from(path)));
        }
        if spec == "memory://" || spec == "memory:" {
            return Ok(Self::Memory);
        }
        if let Some(rest) = spec.strip_prefix("s3://") {
            return S3Config::parse(rest).map(Self::S3);
        }
        if let Some((scheme, _)) = spec.split_once("://") {
            return Err(IngestError::invalid(
                "objects",
                spec,
                format!("`{scheme}://` is not supported; {OBJECTS_FORMS}"),
            ));
        }
        Ok(Self::LocalDir(PathBuf::from(spec)))
    }
}

impl S3Config {
    /// A bucket with the region and credentials from the environment.
    pub fn new(bucket: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            region: None,
            endpoint: None,
            allow_http: false,
        }
    }

    /// Parses `bucket[?key=value&...]` (what follows `s3://`).
    fn parse(rest: &str) -> Result<Self, IngestError> {
        let (bucket, query) = rest.split_once('?').unwrap_or((rest, ""));
        if bucket.contains('/') {
            return Err(IngestError::invalid(
                "objects.bucket",
                bucket,
                "give only the bucket after s3:// (keys are content-addressed under images/); \
                 no path or trailing slash",
            ));
        }
        let mut config = Self::new(bucket);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "region" => config.region = Some(value.to_owned()),
                "endpoint" => config.endpoint = Some(value.to_owned()),
                "allow_http" => {
                    config.allow_http = match value {
                        "true" => true,
                        "false" => false,
                        other => {
                            return Err(IngestError::invalid(
                                "objects.allow_http",
                                other,
                                "write allow_http=true or allow_http=false",
                            ));
                        }
                    }
                }
                "access_key_id" | "secret_access_key" | "session_token" | "token" => {
                    return Err(IngestError::invalid(
                        "objects",
                        format!("s3://{bucket}?{key}=(hidden)"),
                        "never put credentials in the location; set AWS_ACCESS_KEY_ID, \
                         AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) in the environment",
                    ));
                }
                other => {
                    return Err(IngestError::invalid(
                        "objects",
                        format!("s3://{bucket}?{other}=..."),
                        "the S3 options are region, endpoint and allow_http",
                    ));
                }
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks the bucket name (S3's rules) and the endpoint.
    pub fn validate(&self) -> Result<(), IngestError> {
        let b = &self.bucket;
        let valid_chars = b
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.');
        let edges = |c: Option<u8>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !(3..=63).contains(&b.len())
            || !valid_chars
            || !edges(b.bytes().next())
            || !edges(b.bytes().last())
        {
            return Err(IngestError::invalid(
                "objects.bucket",
                b,
                "use 3 to 63 lowercase letters, digits, dots or hyphens, starting and ending \
                 with a letter or digit",
            ));
        }
        if let Some(region) = &self.region
            && (region.is_empty()
                || !region
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-'))
        {
            return Err(IngestError::invalid(
                "objects.region",
                region,
                "use a region name such as eu-west-1 (or leave it out to use AWS_REGION)",
            ));
        }
        if let Some(endpoint) = &self.endpoint {
            let host = endpoint
                .strip_prefix("https://")
                .or_else(|| endpoint.strip_prefix("http://"));
            match host {
                Some(h) if !h.is_empty() && !h.contains(['?', '#', ' ']) => {}
                _ => {
                    return Err(IngestError::invalid(
                        "objects.endpoint",
                        endpoint,
                        "use http(s)://host[:port], e.g. https://s3.example.net or http://127.0.0.1:9000",
                    ));
                }
            }
            if endpoint.starts_with("http://") && !self.allow_http {
                return Err(IngestError::invalid(
                    "objects.allow_http",
                    "false",
                    format!(
                        "endpoint {endpoint} is plain http; use https, or add allow_http=true \
                         on a trusted private network"
                    ),
                ));
            }
        }
        Ok(())
    }
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
    pub admin_token: Secret,
    /// The server key of the keyed hash (HMAC-SHA256) under which device
    /// tokens are stored (see [`crate::auth`]). Every replica must share it,
    /// and changing it invalidates every device token. [`IngestConfig::new`]
    /// derives it from the admin token, so rotating the admin token also
    /// re-keys devices; set it separately to keep the two apart.
    pub token_key: Secret,
    /// Serve over TLS with this identity; plaintext when `None` (e.g.
    /// behind a TLS-terminating proxy, or on loopback).
    pub tls: Option<TlsConfig>,
    /// How often gRPC health re-checks PostgreSQL and JetStream.
    pub health_probe_every: Duration,
    /// Largest image accepted by unary `UploadImage`; larger ones must stream.
    pub max_unary_bytes: usize,
    /// Largest image accepted, width × height: the header is read first, so
    /// a larger one is refused before any pixel is decoded.
    pub max_image_pixels: u64,
    /// Threads decoding uploads before they are accepted; each holds at most
    /// one image's pixels (3 bytes per pixel for 8-bit RGB).
    pub decode_threads: usize,
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
    /// What `max_clock_skew` and `max_age` are measured from: the system
    /// clock, or a scenario replay's simulated time.
    pub clock: fillroute_clock::Clock,
}

impl IngestConfig {
    /// Defaults: 4 MiB unary uploads, 16 MiB and 40 MP per image (decoded on
    /// 2 threads), 60 uploads/min, a 6 h cadence, 5 min clock skew, 30 days
    /// maximum age, local object storage in `objects_dir`, no TLS, health
    /// probed every 5 s; the device-token key derived from the admin token.
    pub fn new(
        database_url: impl Into<String>,
        bus: BusConfig,
        objects_dir: impl Into<PathBuf>,
        admin_token: impl Into<String>,
    ) -> Self {
        let admin_token = Secret::new(admin_token);
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 50061)),
            database_url: database_url.into(),
            bus,
            objects: ObjectStoreConfig::LocalDir(objects_dir.into()),
            token_key: derived_token_key(&admin_token),
            admin_token,
            tls: None,
            health_probe_every: Duration::from_secs(5),
            max_unary_bytes: 4 << 20,
            max_image_pixels: 40_000_000,
            decode_threads: 2,
            default_max_upload_bytes: 16 << 20,
            default_uploads_per_minute: 60,
            default_cadence_s: 6 * 3600,
            max_clock_skew: Duration::from_secs(300),
            max_age: Duration::from_secs(30 * 86400),
            service_drop: fillroute_forecast::ServiceDetection::default().min_drop as f32,
            clock: fillroute_clock::Clock::System,
        }
    }

    /// Checks every field; the first problem found is returned.
    pub fn validate(&self) -> Result<(), IngestError> {
        if self.admin_token.expose().len() < 16 {
            return Err(IngestError::invalid(
                "admin_token",
                "(hidden)",
                "use at least 16 random characters",
            ));
        }
        if self.token_key.expose().len() < 32 {
            return Err(IngestError::invalid(
                "token_key",
                "(hidden)",
                "use at least 32 random characters, e.g. `openssl rand -hex 32`",
            ));
        }
        if self.max_unary_bytes == 0 || self.max_unary_bytes > 64 << 20 {
            return Err(IngestError::invalid(
                "max_unary_bytes",
                self.max_unary_bytes,
                "use 1 byte to 64 MiB",
            ));
        }
        if self.max_image_pixels == 0 {
            return Err(IngestError::invalid(
                "max_image_pixels",
                0,
                "use at least 1, e.g. 40000000 (the vision service's limit)",
            ));
        }
        if !(1..=64).contains(&self.decode_threads) {
            return Err(IngestError::invalid(
                "decode_threads",
                self.decode_threads,
                "use 1 to 64 threads",
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

/// The device-token key when none is given: a labelled hash of the admin
/// token, so a deployment configured with one secret keeps working across
/// restarts and replicas, and the key itself is never the admin token.
fn derived_token_key(admin_token: &Secret) -> Secret {
    let digest = Sha256::new()
        .chain_update(b"fillroute-ingest device-token key v1\0")
        .chain_update(admin_token.expose().as_bytes())
        .finalize();
    Secret::new(hex::encode(digest))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn error(spec: &str) -> String {
        ObjectStoreConfig::parse(spec).unwrap_err().to_string()
    }

    #[test]
    fn folder_file_and_memory_locations_parse() {
        assert_eq!(
            ObjectStoreConfig::parse("var/objects").ok(),
            Some(ObjectStoreConfig::LocalDir("var/objects".into()))
        );
        assert_eq!(
            ObjectStoreConfig::parse("file:///srv/objects").ok(),
            Some(ObjectStoreConfig::LocalDir("/srv/objects".into()))
        );
        assert_eq!(
            ObjectStoreConfig::parse("memory://").ok(),
            Some(ObjectStoreConfig::Memory)
        );
    }

    #[test]
    fn s3_location_parses_bucket_region_endpoint_and_allow_http() {
        assert_eq!(
            ObjectStoreConfig::parse("s3://fillroute-images").ok(),
            Some(ObjectStoreConfig::S3(S3Config::new("fillroute-images")))
        );
        let parsed = ObjectStoreConfig::parse(
            "s3://bins.example?region=eu-west-1&endpoint=http://127.0.0.1:9000&allow_http=true",
        )
        .ok();
        assert_eq!(
            parsed,
            Some(ObjectStoreConfig::S3(S3Config {
                bucket: "bins.example".into(),
                region: Some("eu-west-1".into()),
                endpoint: Some("http://127.0.0.1:9000".into()),
                allow_http: true,
            }))
        );
    }

    #[test]
    fn bad_s3_locations_name_the_field_and_the_fix() {
        let e = error("s3://Bad_Bucket");
        assert!(
            e.contains("objects.bucket") && e.contains("lowercase"),
            "{e}"
        );
        let e = error("s3://ok-bucket/images/");
        assert!(e.contains("objects.bucket") && e.contains("no path"), "{e}");
        let e = error("s3://ok-bucket?endpoint=http://minio:9000");
        assert!(
            e.contains("objects.allow_http") && e.contains("allow_http=true"),
            "{e}"
        );
        let e = error("s3://ok-bucket?endpoint=minio:9000");
        assert!(
            e.contains("objects.endpoint") && e.contains("http(s)://"),
            "{e}"
        );
        let e = error("s3://ok-bucket?allow_http=yes");
        assert!(
            e.contains("objects.allow_http") && e.contains("allow_http=true"),
            "{e}"
        );
        let e = error("s3://ok-bucket?region=EU West");
        assert!(e.contains("objects.region"), "{e}");
        let e = error("s3://ok-bucket?bucket_owner=me");
        assert!(e.contains("region, endpoint and allow_http"), "{e}");
        let e = error("gs://ok-bucket");
        assert!(
            e.contains("`gs://` is not supported") && e.contains("s3://bucket"),
            "{e}"
        );
        let e = error("file://relative/dir");
        assert!(e.contains("absolute path"), "{e}");
    }

    #[test]
    fn secrets_never_print() {
        let config = IngestConfig::new(
            "postgres://db",
            BusConfig::new("nats://n"),
            "objects",
            "admin-secret-0123456789",
        );
        let printed = format!("{config:?}");
        assert!(!printed.contains("admin-secret"), "{printed}");
        assert!(!printed.contains(config.token_key.expose()), "{printed}");
        assert_eq!(config.token_key.expose().len(), 64);
    }

    #[test]
    fn credentials_in_an_s3_location_are_refused_and_not_echoed() {
        let e = error("s3://ok-bucket?secret_access_key=hunter2hunter2");
        assert!(e.contains("AWS_SECRET_ACCESS_KEY"), "{e}");
        assert!(!e.contains("hunter2"), "the secret is not echoed: {e}");
    }
}
