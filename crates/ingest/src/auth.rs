//! Device and admin credentials. Device tokens are 256-bit random strings
//! stored only as argon2 hashes. Verifying argon2 costs tens of milliseconds
//! by design, which a camera fleet uploading 100 images/s cannot pay per
//! request, so a successful verification is remembered as the SHA-256 of the
//! token next to the exact stored hash it matched: a revoked device is still
//! refused on its next call (revocation is read from the database every
//! time), and a changed hash invalidates the memo.

use crate::error::IngestError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use fillroute_store::{DeviceAuth, DeviceId};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use tonic::metadata::MetadataMap;
use uuid::Uuid;

/// Metadata key carrying the device id.
pub const DEVICE_ID_HEADER: &str = "x-device-id";

/// A fresh random token (64 hex characters) and its argon2 hash.
pub fn new_token() -> Result<(String, String), IngestError> {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let token = hex::encode(raw);
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| IngestError::Internal(e.to_string()))?;
    let hash = Argon2::default()
        .hash_password(token.as_bytes(), &salt)
        .map_err(|e| IngestError::Internal(e.to_string()))?
        .to_string();
    Ok((token, hash))
}

/// The bearer token in `authorization`, if any.
pub fn bearer(metadata: &MetadataMap) -> Option<&str> {
    metadata
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The device id in metadata, if well-formed.
pub fn device_id(metadata: &MetadataMap) -> Option<DeviceId> {
    let raw = metadata.get(DEVICE_ID_HEADER)?.to_str().ok()?;
    Uuid::parse_str(raw.trim()).ok().map(DeviceId)
}

/// Compares in time independent of where the strings differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Remembers tokens that verified against a stored hash.
#[derive(Debug, Default)]
pub struct VerifiedTokens {
    memo: Mutex<HashMap<DeviceId, (String, [u8; 32])>>,
}

impl VerifiedTokens {
    /// Checks `token` against `device`'s stored hash; revoked devices always fail.
    pub fn verify(&self, device: &DeviceAuth, token: &str) -> bool {
        if device.revoked {
            return false;
        }
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Ok(memo) = self.memo.lock()
            && let Some((hash, seen)) = memo.get(&device.id)
            && *hash == device.token_hash
            && constant_time_eq(seen, &digest)
        {
            return true;
        }
        let Ok(parsed) = PasswordHash::new(&device.token_hash) else {
            return false;
        };
        if Argon2::default()
            .verify_password(token.as_bytes(), &parsed)
            .is_err()
        {
            return false;
        }
        if let Ok(mut memo) = self.memo.lock() {
            memo.insert(device.id, (device.token_hash.clone(), digest));
        }
        true
    }
}
