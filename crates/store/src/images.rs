//! Image rows: the pending record written before publishing, the publish
//! mark the sweeper relies on, and the terminal states workers set.

use crate::{BinId, DeviceId, ImageId, ImageRecord, NewImage, Store, StoreError, parse_status};
use time::OffsetDateTime;

impl Store {
    /// Records an uploaded image as `pending`. If the same device already
    /// uploaded the same bytes with the same `captured_at`, nothing is written
    /// and the original record comes back with `false`.
    pub async fn insert_pending_image(
        &self,
        image: &NewImage,
    ) -> Result<(ImageRecord, bool), StoreError> {
        let inserted = sqlx::query_scalar!(
            r#"INSERT INTO images (id, device_id, bin_id, captured_at, sha256, object_key, size_bytes)
               VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (device_id, captured_at, sha256) DO NOTHING
               RETURNING id"#,
            image.id.0,
            image.device.0,
            image.bin.0,
            image.captured_at,
            image.sha256,
            image.object_key,
            image.size_bytes,
        )
        .fetch_optional(&self.pool)
        .await?;
        let id = match inserted {
            Some(id) => ImageId(id),
            None => sqlx::query_scalar!(
                "SELECT id FROM images WHERE device_id = $1 AND captured_at = $2 AND sha256 = $3",
                image.device.0,
                image.captured_at,
                image.sha256
            )
            .fetch_one(&self.pool)
            .await
            .map(ImageId)?,
        };
        let record = self.image(id).await?.ok_or_else(|| StoreError::NotFound {
            what: "image",
            id: id.to_string(),
        })?;
        Ok((record, inserted.is_some()))
    }

    /// The image with `id`.
    pub async fn image(&self, id: ImageId) -> Result<Option<ImageRecord>, StoreError> {
        let row = sqlx::query!(
            r#"SELECT id, device_id, bin_id, captured_at, sha256, object_key, size_bytes, status,
                      failure_reason, published_at, health_flags
               FROM images WHERE id = $1"#,
            id.0
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| ImageRecord {
            id: ImageId(r.id),
            device: DeviceId(r.device_id),
            bin: BinId(r.bin_id),
            captured_at: r.captured_at,
            sha256: r.sha256,
            object_key: r.object_key,
            size_bytes: r.size_bytes,
            status: parse_status(&r.status),
            failure_reason: r.failure_reason,
            published_at: r.published_at,
            health_flags: r.health_flags,
        }))
    }

    /// Notes that JetStream acknowledged the image's publish.
    pub async fn mark_published(&self, id: ImageId) -> Result<(), StoreError> {
        sqlx::query!(
            "UPDATE images SET published_at = now() WHERE id = $1 AND published_at IS NULL",
            id.0
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Pending images whose publish was never acknowledged and that arrived
    /// before `unpublished_before`, or whose acknowledged publish is older
    /// than `stale_before` (the message was lost downstream); oldest first.
    pub async fn images_to_republish(
        &self,
        unpublished_before: OffsetDateTime,
        stale_before: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<ImageRecord>, StoreError> {
        let ids = sqlx::query_scalar!(
            r#"SELECT id FROM images
               WHERE status = 'pending'
                 AND ((published_at IS NULL AND received_at < $1) OR published_at < $2)
               ORDER BY received_at
               LIMIT $3"#,
            unpublished_before,
            stale_before,
            limit
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(record) = self.image(ImageId(id)).await? {
                out.push(record);
            }
        }
        Ok(out)
    }

    /// Marks a still-pending image `failed` with `reason` (dead-lettered).
    /// An image that was classified meanwhile keeps its reading.
    pub async fn mark_image_failed(&self, id: ImageId, reason: &str) -> Result<bool, StoreError> {
        let done = sqlx::query!(
            "UPDATE images SET status = 'failed', failure_reason = $2 WHERE id = $1 AND status = 'pending'",
            id.0,
            reason
        )
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes `flag` from the camera that took `image` (a camera that
    /// sent an undecodable image is cleared by its next good one); whether
    /// the flag was there.
    pub async fn clear_flag_of_image_device(
        &self,
        image: ImageId,
        flag: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE devices SET health_flags = array_remove(health_flags, $2)
             WHERE id = (SELECT device_id FROM images WHERE id = $1) AND $2 = ANY (health_flags)",
        )
        .bind(image.0)
        .bind(flag)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Adds camera-health flags to a device (deduplicated).
    pub async fn add_device_flags(
        &self,
        device: DeviceId,
        flags: &[String],
    ) -> Result<(), StoreError> {
        sqlx::query!(
            r#"UPDATE devices SET health_flags = ARRAY(SELECT DISTINCT unnest(health_flags || $2::text[]) ORDER BY 1)
               WHERE id = $1"#,
            device.0,
            flags
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
