//! Device and admin credentials. A device token is 32 random bytes (64 hex
//! characters), so nobody can guess one, stored hash or not: what the
//! stored form must resist is reading a database dump, and a keyed hash
//! does that without a memory-hard KDF. Tokens are stored as
//! `hmac-sha256$<hex>`, the HMAC-SHA256 of the token under the server's
//! [`IngestConfig::token_key`](crate::IngestConfig::token_key). Checking one
//! takes about a microsecond and no memory, so there is nothing to cache and
//! nothing that grows with the number of devices. (argon2, used before,
//! allocated 19 MiB per check, and the allocator kept about 18 MB of it per
//! device signing in for the first time: issue 18.)
//!
//! Tokens stored by earlier versions as argon2 PHC strings (`$argon2…`) are
//! refused, not verified: verifying them would bring that memory cost back.
//! Each refusal is logged with the device id and the fix (register a new
//! camera for the bin and revoke the old one); the device itself hears only
//! `UNAUTHENTICATED`, like any other bad credential.

use crate::config::Secret;
pub use fillroute_serving::auth::{bearer, constant_time_eq};
use fillroute_store::{DeviceAuth, DeviceId};
use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use sha2::Sha256;
use tonic::metadata::MetadataMap;
use uuid::Uuid;

/// Metadata key carrying the device id.
pub const DEVICE_ID_HEADER: &str = "x-device-id";

/// How a stored token hash starts.
const SCHEME: &str = "hmac-sha256$";

/// The keyed hash of device tokens, keyed once at start.
#[derive(Clone)]
pub struct TokenHasher {
    keyed: Hmac<Sha256>,
}

impl std::fmt::Debug for TokenHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHasher(hmac-sha256, key hidden)")
    }
}

impl TokenHasher {
    /// Keys the hash with the server's token key.
    pub fn new(key: &Secret) -> Self {
        let keyed = Hmac::<Sha256>::new_from_slice(key.expose().as_bytes())
            .expect("HMAC accepts a key of any length");
        Self { keyed }
    }

    /// A fresh random token and the form to store.
    pub fn issue(&self) -> (String, String) {
        let mut raw = [0u8; 32];
        rand::rng().fill_bytes(&mut raw);
        let token = hex::encode(raw);
        let stored = format!("{SCHEME}{}", hex::encode(self.mac(&token)));
        (token, stored)
    }

    /// Whether `token` is `device`'s; revoked devices always fail.
    pub fn verify(&self, device: &DeviceAuth, token: &str) -> bool {
        if device.revoked {
            return false;
        }
        let Some(stored) = device.token_hash.strip_prefix(SCHEME) else {
            if device.token_hash.starts_with("$argon2") {
                tracing::warn!(
                    device = %device.id,
                    bin = device.bin.0,
                    "device token is stored as a legacy argon2 hash, which this server no longer \
                     verifies; register a new camera for the bin (RegisterDevice) and revoke this one"
                );
            } else {
                tracing::warn!(device = %device.id, "device token hash has an unknown format");
            }
            return false;
        };
        let Ok(stored) = hex::decode(stored) else {
            return false;
        };
        constant_time_eq(&self.mac(token), &stored)
    }

    fn mac(&self, token: &str) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        mac.update(token.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// The device id in metadata, if well-formed.
pub fn device_id(metadata: &MetadataMap) -> Option<DeviceId> {
    let raw = metadata.get(DEVICE_ID_HEADER)?.to_str().ok()?;
    Uuid::parse_str(raw.trim()).ok().map(DeviceId)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use fillroute_store::BinId;

    fn device(token_hash: String) -> DeviceAuth {
        DeviceAuth {
            id: DeviceId(Uuid::nil()),
            bin: BinId(1),
            token_hash,
            revoked: false,
            max_upload_bytes: 1,
            uploads_per_minute: 1,
        }
    }

    fn hasher(key: &str) -> TokenHasher {
        TokenHasher::new(&Secret::new(key))
    }

    #[test]
    fn an_issued_token_verifies_and_nothing_else_does() {
        let h = hasher("k".repeat(32).as_str());
        let (token, stored) = h.issue();
        assert_eq!(token.len(), 64);
        assert!(stored.starts_with("hmac-sha256$") && !stored.contains(&token));
        let d = device(stored);
        assert!(h.verify(&d, &token));
        assert!(!h.verify(&d, &token[1..]));
        assert!(!h.verify(&d, ""));
        let (other, _) = h.issue();
        assert!(!h.verify(&d, &other));
    }

    #[test]
    fn another_server_key_or_a_revocation_refuses_the_token() {
        let (token, stored) = hasher("a".repeat(32).as_str()).issue();
        assert!(!hasher("b".repeat(32).as_str()).verify(&device(stored.clone()), &token));
        let mut revoked = device(stored);
        revoked.revoked = true;
        assert!(!hasher("a".repeat(32).as_str()).verify(&revoked, &token));
    }

    #[test]
    fn legacy_argon2_and_malformed_hashes_are_refused() {
        let h = hasher("k".repeat(32).as_str());
        for stored in [
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            "hmac-sha256$not-hex",
            "",
        ] {
            assert!(!h.verify(&device(stored.into()), "token"), "{stored}");
        }
    }
}
