//! Content-addressed image storage. The key is derived from the bytes'
//! SHA-256, so writing the same image twice is a harmless overwrite with
//! identical bytes, and a retry after a crash between "stored" and "recorded"
//! leaves no orphan of a different name.

use crate::config::ObjectStoreConfig;
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
            ObjectStoreConfig::S3 { bucket } => {
                return Err(IngestError::invalid(
                    "objects",
                    format!("s3://{bucket}"),
                    "this build has no S3 support; build object_store with its `aws` feature or use a local folder",
                ));
            }
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
