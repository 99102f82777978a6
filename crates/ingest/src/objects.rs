//! Content-addressed image storage. The key is derived from the bytes'
//! SHA-256, so writing the same image twice is a harmless overwrite with
//! identical bytes, and a retry after a crash between "stored" and "recorded"
//! leaves no orphan of a different name.

use crate::config::{ObjectStoreConfig, S3Config};
use crate::error::IngestError;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::sync::Arc;

/// The object store plus the key scheme.
#[derive(Debug, Clone)]
pub struct Objects {
    inner: Arc<dyn ObjectStore>,
}

/// `images/sha256/<first two hex>/<all hex>`.
pub fn key_for(sha256_hex: &str) -> String {
    format!("images/sha256/{}/{}", &sha256_hex[..2], sha256_hex)
}

impl Objects {
    /// Opens the configured store (creating a local folder if needed).
    pub fn open(config: &ObjectStoreConfig) -> Result<Self, IngestError> {
        let inner: Arc<dyn ObjectStore> = match config {
            ObjectStoreConfig::LocalDir(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    IngestError::invalid(
                        "objects",
                        dir.display(),
                        format!("make the folder writable ({e})"),
                    )
                })?;
                Arc::new(
                    object_store::local::LocalFileSystem::new_with_prefix(dir).map_err(|e| {
                        IngestError::invalid(
                            "objects",
                            dir.display(),
                            format!("use an existing writable folder ({e})"),
                        )
                    })?,
                )
            }
            ObjectStoreConfig::Memory => Arc::new(object_store::memory::InMemory::new()),
            ObjectStoreConfig::S3(s3) => Arc::new(open_s3(s3)?),
        };
        Ok(Self { inner })
    }

    /// Stores `bytes` under `key`.
    pub async fn put(&self, key: &str, bytes: bytes::Bytes) -> Result<(), IngestError> {
        self.inner
            .put(&Path::from(key), PutPayload::from(bytes))
            .await
            .map_err(|e| IngestError::Unavailable {
                service: "object storage",
                detail: e.to_string(),
            })?;
        Ok(())
    }

    /// Reads the bytes under `key`.
    pub async fn get(&self, key: &str) -> Result<bytes::Bytes, IngestError> {
        let got = self
            .inner
            .get(&Path::from(key))
            .await
            .map_err(|e| match e {
                object_store::Error::NotFound { .. } => IngestError::NotFound {
                    what: "object",
                    id: key.to_owned(),
                },
                e => IngestError::Unavailable {
                    service: "object storage",
                    detail: e.to_string(),
                },
            })?;
        got.bytes().await.map_err(|e| IngestError::Unavailable {
            service: "object storage",
            detail: e.to_string(),
        })
    }
}

fn open_s3(config: &S3Config) -> Result<object_store::aws::AmazonS3, IngestError> {
    config.validate()?;
    // reqwest is built without a default crypto provider; use ring, like the
    // rest of the process. Fails only if one is already installed, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder =
        object_store::aws::AmazonS3Builder::from_env().with_bucket_name(&config.bucket);
    if let Some(region) = &config.region {
        builder = builder.with_region(region);
    }
    if let Some(endpoint) = &config.endpoint {
        builder = builder
            .with_endpoint(endpoint)
            .with_virtual_hosted_style_request(false);
    }
    builder
        .with_allow_http(config.allow_http)
        .build()
        .map_err(|e| {
            IngestError::invalid(
                "objects",
                format!("s3://{}", config.bucket),
                format!("check the bucket, region, endpoint and AWS_* variables ({e})"),
            )
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn s3_location_opens_without_contacting_the_server() {
        // Building the client is local: no request until the first put or get.
        let config = ObjectStoreConfig::parse(
            "s3://fillroute-images?region=eu-west-1&endpoint=http://127.0.0.1:9&allow_http=true",
        )
        .unwrap();
        assert!(Objects::open(&config).is_ok());
    }

    #[test]
    fn s3_config_built_in_code_is_checked_on_open_too() {
        let mut s3 = S3Config::new("fillroute-images");
        s3.endpoint = Some("http://127.0.0.1:9".into());
        let e = Objects::open(&ObjectStoreConfig::S3(s3))
            .unwrap_err()
            .to_string();
        assert!(e.contains("objects.allow_http"), "{e}");
    }
}
