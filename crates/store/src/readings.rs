//! Fill readings, the service events they reveal, and per-bin forecasts.
//!
//! Recording a classification is one transaction keyed by the image id, so a
//! redelivered message finds the reading already there and changes nothing:
//! that upsert, not the message bus, is what makes the effect exactly-once.
//! A blind frame (a covered lens, no light: [`Classification::blind`])
//! marks its image classified with its flags and becomes no reading, so it
//! can neither fake an emptying nor move a forecast.

use crate::{
    BinForecast, BinId, Classification, ClassificationOutcome, Detection, ImageId, NewReading,
    PipelineCounts, Reading, ServiceEvent, Store, StoreError, parse_source, source_columns,
};
use sqlx::{Postgres, Transaction};
use time::OffsetDateTime;

impl Store {
    /// Records an image's reading and marks it `classified`, in one
    /// transaction; a second call for the same image changes nothing.
    pub async fn record_classification(
        &self,
        c: &Classification,
    ) -> Result<ClassificationOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Row lock: two workers holding the same redelivered message serialise here.
        let image = sqlx::query!(
            "SELECT bin_id, device_id, captured_at, status FROM images WHERE id = $1 FOR UPDATE",
            c.image.0
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "image",
            id: c.image.to_string(),
        })?;
        if c.blind {
            // No reading: the image is classified with its flags, once.
            let newly_recorded = image.status != "classified";
            if newly_recorded {
                mark_classified(&mut tx, c).await?;
            }
            tx.commit().await?;
            return Ok(ClassificationOutcome {
                reading_id: None,
                bin: BinId(image.bin_id),
                newly_recorded,
                service_event: None,
            });
        }
        let inserted = sqlx::query_scalar!(
            r#"INSERT INTO fill_readings (bin_id, observed_at, fill_fraction, class_probabilities, source,
                                          model_version, device_id, image_id)
               VALUES ($1, $2, $3, $4, 'camera', $5, $6, $7)
               ON CONFLICT (image_id) DO NOTHING
               RETURNING id"#,
            image.bin_id,
            image.captured_at,
            c.fill_fraction,
            &c.probabilities,
            c.model_version,
            image.device_id,
            c.image.0,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(reading_id) = inserted else {
            let reading_id = sqlx::query_scalar!(
                "SELECT id FROM fill_readings WHERE image_id = $1",
                c.image.0
            )
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(ClassificationOutcome {
                reading_id: Some(reading_id),
                bin: BinId(image.bin_id),
                newly_recorded: false,
                service_event: None,
            });
        };
        mark_classified(&mut tx, c).await?;
        let service_event = detect_service(
            &mut tx,
            BinId(image.bin_id),
            image.captured_at,
            c.fill_fraction,
            reading_id,
            c.service_drop,
        )
        .await?;
        tx.commit().await?;
        Ok(ClassificationOutcome {
            reading_id: Some(reading_id),
            bin: BinId(image.bin_id),
            newly_recorded: true,
            service_event,
        })
    }

    /// Records a sensor or driver reading (and any service event it reveals).
    /// A device's report repeated (same bin, instant, source and value: a
    /// retry) returns the first reading and its event instead of a new row.
    pub async fn insert_reading(
        &self,
        r: &NewReading,
        service_drop: f32,
    ) -> Result<(i64, Option<i64>), StoreError> {
        self.record_reading(r, Some(service_drop)).await
    }

    /// Records a crew's report that it emptied the bin at `r.observed_at`,
    /// leaving `r.fill_fraction` in it: the reading plus a `driver` service
    /// event, which every forecast fit takes as a reported (certain)
    /// emptying. A retry returns the first reading and its event.
    pub async fn insert_emptying(&self, r: &NewReading) -> Result<(i64, Option<i64>), StoreError> {
        self.record_reading(r, None).await
    }

    /// One reading; `service_drop` detects a fall from the readings, `None`
    /// records the reading as a reported emptying.
    async fn record_reading(
        &self,
        r: &NewReading,
        service_drop: Option<f32>,
    ) -> Result<(i64, Option<i64>), StoreError> {
        let (source, kind) = source_columns(r.source);
        let mut tx = self.pool.begin().await?;
        if let Some(device) = r.device {
            // The bin lock `detect_service` takes, taken first: concurrent
            // retries serialise here and each sees the rows committed before.
            sqlx::query("SELECT id FROM bins WHERE id = $1 FOR NO KEY UPDATE")
                .bind(r.bin.0)
                .execute(&mut *tx)
                .await?;
            let first: Option<(i64, Option<i64>)> = sqlx::query_as(
                "SELECT f.id, (SELECT e.id FROM service_events e WHERE e.reading_id = f.id)
                 FROM fill_readings f
                 WHERE f.bin_id = $1 AND f.observed_at = $2 AND f.device_id = $3 AND f.source = $4
                   AND f.sensor_kind IS NOT DISTINCT FROM $5 AND f.fill_fraction = $6
                 ORDER BY f.id LIMIT 1",
            )
            .bind(r.bin.0)
            .bind(r.observed_at)
            .bind(device.0)
            .bind(source)
            .bind(kind)
            .bind(r.fill_fraction)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(first) = first {
                tx.commit().await?;
                return Ok(first);
            }
        }
        let id = sqlx::query_scalar!(
            r#"INSERT INTO fill_readings (bin_id, observed_at, fill_fraction, source, sensor_kind, device_id)
               VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"#,
            r.bin.0,
            r.observed_at,
            r.fill_fraction,
            source,
            kind,
            r.device.map(|d| d.0),
        )
        .fetch_one(&mut *tx)
        .await?;
        let event = match service_drop {
            Some(min_drop) => {
                detect_service(&mut tx, r.bin, r.observed_at, r.fill_fraction, id, min_drop).await?
            }
            None => {
                let before = previous_fill(&mut tx, r.bin, r.observed_at).await?;
                let after = r.fill_fraction;
                record_service(
                    &mut tx,
                    r.bin,
                    r.observed_at,
                    Detection::Driver,
                    (before, after),
                    id,
                )
                .await?
            }
        };
        tx.commit().await?;
        Ok((id, event))
    }

    /// A bin's readings since `since`, oldest first.
    pub async fn readings_for_bin(
        &self,
        bin: BinId,
        since: OffsetDateTime,
    ) -> Result<Vec<Reading>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT id, bin_id, observed_at, fill_fraction, class_probabilities, source, sensor_kind,
                      model_version, image_id
               FROM fill_readings WHERE bin_id = $1 AND observed_at >= $2
               ORDER BY observed_at, id"#,
            bin.0,
            since
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Reading {
                id: r.id,
                bin: BinId(r.bin_id),
                observed_at: r.observed_at,
                fill_fraction: r.fill_fraction,
                probabilities: r.class_probabilities,
                source: parse_source(&r.source, r.sensor_kind.as_deref()),
                model_version: r.model_version,
                image: r.image_id.map(ImageId),
            })
            .collect())
    }

    /// A bin's service events since `since`, oldest first.
    pub async fn service_events_for_bin(
        &self,
        bin: BinId,
        since: OffsetDateTime,
    ) -> Result<Vec<ServiceEvent>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT id, bin_id, serviced_at, detection, fill_before, fill_after
               FROM service_events WHERE bin_id = $1 AND serviced_at >= $2 ORDER BY serviced_at, id"#,
            bin.0,
            since
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| ServiceEvent {
                id: r.id,
                bin: BinId(r.bin_id),
                serviced_at: r.serviced_at,
                detection: Detection::parse(&r.detection),
                fill_before: r.fill_before,
                fill_after: r.fill_after,
            })
            .collect())
    }

    /// Replaces a bin's forecast.
    pub async fn upsert_forecast(&self, f: &BinForecast) -> Result<(), StoreError> {
        sqlx::query!(
            r#"INSERT INTO bin_forecasts (bin_id, computed_at, level_after, rate_per_hour, full_at, full_at_low,
                                          full_at_high, readings_used, method)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
               ON CONFLICT (bin_id) DO UPDATE SET
                 computed_at = EXCLUDED.computed_at, level_after = EXCLUDED.level_after,
                 rate_per_hour = EXCLUDED.rate_per_hour, full_at = EXCLUDED.full_at,
                 full_at_low = EXCLUDED.full_at_low, full_at_high = EXCLUDED.full_at_high,
                 readings_used = EXCLUDED.readings_used, method = EXCLUDED.method"#,
            f.bin.0,
            f.computed_at,
            f.level_after,
            f.rate_per_hour,
            f.full_at,
            f.full_at_low,
            f.full_at_high,
            f.readings_used,
            f.method,
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A bin's latest forecast.
    pub async fn forecast(&self, bin: BinId) -> Result<Option<BinForecast>, StoreError> {
        let row = sqlx::query!(
            r#"SELECT bin_id, computed_at, level_after, rate_per_hour, full_at, full_at_low, full_at_high,
                      readings_used, method
               FROM bin_forecasts WHERE bin_id = $1"#,
            bin.0
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| BinForecast {
            bin: BinId(r.bin_id),
            computed_at: r.computed_at,
            level_after: r.level_after,
            rate_per_hour: r.rate_per_hour,
            full_at: r.full_at,
            full_at_low: r.full_at_low,
            full_at_high: r.full_at_high,
            readings_used: r.readings_used,
            method: r.method,
        }))
    }

    /// Totals over images and camera readings.
    pub async fn pipeline_counts(&self) -> Result<PipelineCounts, StoreError> {
        let r = sqlx::query!(
            r#"SELECT
                 (SELECT count(*) FROM images) AS "images!",
                 (SELECT count(*) FROM images WHERE status = 'pending') AS "pending!",
                 (SELECT count(*) FROM images WHERE status = 'classified') AS "classified!",
                 (SELECT count(*) FROM images i WHERE i.status = 'classified'
                    AND NOT EXISTS (SELECT 1 FROM fill_readings f WHERE f.image_id = i.id)) AS "blind!",
                 (SELECT count(*) FROM images WHERE status = 'failed') AS "failed!",
                 (SELECT count(*) FROM fill_readings WHERE source = 'camera') AS "camera_readings!",
                 (SELECT count(DISTINCT image_id) FROM fill_readings WHERE image_id IS NOT NULL) AS "images_with_reading!""#
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(PipelineCounts {
            images: r.images,
            pending: r.pending,
            classified: r.classified,
            blind: r.blind,
            failed: r.failed,
            camera_readings: r.camera_readings,
            images_with_reading: r.images_with_reading,
        })
    }
}

/// Marks the classification's image `classified`, with its health flags.
async fn mark_classified(
    tx: &mut Transaction<'_, Postgres>,
    c: &Classification,
) -> Result<(), StoreError> {
    sqlx::query!(
        "UPDATE images SET status = 'classified', failure_reason = NULL, health_flags = $2 WHERE id = $1",
        c.image.0,
        &c.health_flags
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Keeps `fill_drop` service events equal to "consecutive readings (by time)
/// whose fill fell by at least `min_drop`", whatever order workers store them
/// in: a reading landing between P and N replaces the pair (P, N) with (P, R)
/// and (R, N), so N's event is re-derived from R and R gets its own.
async fn detect_service(
    tx: &mut Transaction<'_, Postgres>,
    bin: BinId,
    observed_at: OffsetDateTime,
    fill: f32,
    reading_id: i64,
    min_drop: f32,
) -> Result<Option<i64>, StoreError> {
    // Concurrent workers write the same bin's readings: lock the bin so each
    // transaction sees the others' committed neighbours, not a stale gap.
    sqlx::query!("SELECT id FROM bins WHERE id = $1 FOR NO KEY UPDATE", bin.0)
        .fetch_optional(&mut **tx)
        .await?;
    let previous = previous_fill(tx, bin, observed_at).await?;
    let next = sqlx::query!(
        r#"SELECT id, observed_at, fill_fraction FROM fill_readings
           WHERE bin_id = $1 AND observed_at > $2 ORDER BY observed_at, id LIMIT 1"#,
        bin.0,
        observed_at
    )
    .fetch_optional(&mut **tx)
    .await?;
    let mut recorded = None;
    if let Some(before) = previous.filter(|before| before - fill >= min_drop) {
        recorded = record_service(
            tx,
            bin,
            observed_at,
            Detection::FillDrop,
            (Some(before), fill),
            reading_id,
        )
        .await?;
    }
    if let Some(n) = next {
        sqlx::query!(
            "DELETE FROM service_events WHERE reading_id = $1 AND detection = 'fill_drop'",
            n.id
        )
        .execute(&mut **tx)
        .await?;
        if fill - n.fill_fraction >= min_drop {
            record_service(
                tx,
                bin,
                n.observed_at,
                Detection::FillDrop,
                (Some(fill), n.fill_fraction),
                n.id,
            )
            .await?;
        }
    }
    Ok(recorded)
}

/// The bin's last reading before `at`, if any.
async fn previous_fill(
    tx: &mut Transaction<'_, Postgres>,
    bin: BinId,
    at: OffsetDateTime,
) -> Result<Option<f32>, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT fill_fraction FROM fill_readings
           WHERE bin_id = $1 AND observed_at < $2 ORDER BY observed_at DESC, id DESC LIMIT 1"#,
        bin.0,
        at
    )
    .fetch_optional(&mut **tx)
    .await?)
}

/// Inserts one service event, keyed by the reading that shows it (a fall in
/// fill, or a crew's emptied report), so a retry inserts nothing twice.
async fn record_service(
    tx: &mut Transaction<'_, Postgres>,
    bin: BinId,
    at: OffsetDateTime,
    detection: Detection,
    (before, after): (Option<f32>, f32),
    reading_id: i64,
) -> Result<Option<i64>, StoreError> {
    let id = sqlx::query_scalar!(
        r#"INSERT INTO service_events (bin_id, serviced_at, detection, fill_before, fill_after, reading_id)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (reading_id) DO NOTHING RETURNING id"#,
        bin.0,
        at,
        detection.as_str(),
        before,
        after,
        reading_id
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(id)
}
