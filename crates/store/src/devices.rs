//! Cameras: registration, authentication lookups, liveness and health flags.

use crate::{BinId, DeviceAuth, DeviceId, DeviceStatus, NewDevice, Store, StoreError};

impl Store {
    /// Registers a camera. An unknown bin is [`StoreError::NotFound`].
    pub async fn insert_device(&self, device: &NewDevice) -> Result<(), StoreError> {
        let result = sqlx::query!(
            r#"INSERT INTO devices (id, bin_id, token_hash, firmware, cadence_s, max_upload_bytes, uploads_per_minute)
               VALUES ($1, $2, $3, $4, $5, $6, $7)"#,
            device.id.0,
            device.bin.0,
            device.token_hash,
            device.firmware,
            device.cadence_s,
            device.max_upload_bytes,
            device.uploads_per_minute,
        )
        .execute(&self.pool)
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => match StoreError::from(e) {
                StoreError::Constraint { constraint, .. }
                    if constraint == "devices_bin_id_fkey" =>
                {
                    Err(StoreError::NotFound {
                        what: "bin",
                        id: device.bin.to_string(),
                    })
                }
                other => Err(other),
            },
        }
    }

    /// What authenticating `id` needs, if such a device was ever registered.
    pub async fn device_auth(&self, id: DeviceId) -> Result<Option<DeviceAuth>, StoreError> {
        let row = sqlx::query!(
            r#"SELECT id, bin_id, token_hash, revoked_at IS NOT NULL AS "revoked!", max_upload_bytes, uploads_per_minute
               FROM devices WHERE id = $1"#,
            id.0
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| DeviceAuth {
            id: DeviceId(r.id),
            bin: BinId(r.bin_id),
            token_hash: r.token_hash,
            revoked: r.revoked,
            max_upload_bytes: r.max_upload_bytes,
            uploads_per_minute: r.uploads_per_minute,
        }))
    }

    /// Revokes a device; false when no such device exists. Revoking twice is fine.
    pub async fn revoke_device(&self, id: DeviceId) -> Result<bool, StoreError> {
        let done = sqlx::query!(
            "UPDATE devices SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1",
            id.0
        )
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records that the device is alive (and its firmware, when given);
    /// clears the `silent` flag.
    pub async fn touch_device(
        &self,
        id: DeviceId,
        firmware: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query!(
            r#"UPDATE devices SET last_seen = now(), firmware = coalesce($2, firmware),
                      health_flags = array_remove(health_flags, 'silent')
               WHERE id = $1"#,
            id.0,
            firmware
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Flags as `silent` every active device not seen for `slack` times its
    /// cadence, and returns the newly flagged ones.
    pub async fn flag_silent_devices(&self, slack: f64) -> Result<Vec<DeviceId>, StoreError> {
        let ids = sqlx::query_scalar!(
            r#"UPDATE devices SET health_flags = array_append(health_flags, 'silent')
               WHERE revoked_at IS NULL
                 AND NOT ('silent' = ANY (health_flags))
                 AND coalesce(last_seen, created_at) < now() - make_interval(secs => cadence_s * $1::float8)
               RETURNING id"#,
            slack
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(DeviceId).collect())
    }

    /// A device's liveness and health flags.
    pub async fn device_status(&self, id: DeviceId) -> Result<Option<DeviceStatus>, StoreError> {
        let row = sqlx::query!(
            "SELECT id, last_seen, health_flags, firmware FROM devices WHERE id = $1",
            id.0
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| DeviceStatus {
            id: DeviceId(r.id),
            last_seen: r.last_seen,
            health_flags: r.health_flags,
            firmware: r.firmware,
        }))
    }
}
