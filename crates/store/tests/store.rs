//! The store against a real PostGIS database of its own per test.
#![allow(clippy::unwrap_used, missing_docs)]

use fillroute_store::testing::TestDb;
use fillroute_store::*;
use time::{Duration, OffsetDateTime};

fn bin() -> NewBin {
    NewBin {
        rate_prior: None,
        lon: 4.9041,
        lat: 52.3676,
        capacity_litres: 1100,
        waste_stream: "residual".into(),
        service_time_s: 90,
        container_type: "1100l-wheelie".into(),
        customer: "city".into(),
        time_windows: vec![TimeWindow {
            weekday: None,
            opens_s: 6 * 3600,
            closes_s: 18 * 3600,
        }],
    }
}

async fn device(store: &Store, bin: BinId) -> DeviceId {
    let id = DeviceId(uuid::Uuid::new_v4());
    store
        .insert_device(&NewDevice {
            id,
            bin,
            token_hash: "$argon2id$placeholder".into(),
            firmware: Some("1.0".into()),
            cadence_s: 3600,
            max_upload_bytes: 1 << 20,
            uploads_per_minute: 60,
        })
        .await
        .unwrap();
    id
}

fn image(device: DeviceId, bin: BinId, captured_at: OffsetDateTime, sha: char) -> NewImage {
    let sha256: String = std::iter::repeat_n(sha, 64).collect();
    NewImage {
        id: ImageId(uuid::Uuid::now_v7()),
        device,
        bin,
        captured_at,
        object_key: format!("images/sha256/{}", sha256),
        sha256,
        size_bytes: 1234,
    }
}

fn classification(image: ImageId, fill: f32) -> Classification {
    Classification {
        image,
        fill_fraction: fill,
        probabilities: vec![0.1, 0.9],
        model_version: "test-v1".into(),
        health_flags: vec![],
        service_drop: 0.3,
        blind: false,
    }
}

#[tokio::test]
async fn bin_round_trips_its_point_through_postgis() {
    let db = TestDb::new().await;
    let id = db.store.insert_bin(&bin()).await.unwrap();
    let got = db.store.bin(id).await.unwrap().unwrap();
    assert!((got.lon - 4.9041).abs() < 1e-9 && (got.lat - 52.3676).abs() < 1e-9);
    assert_eq!(got.capacity_litres, 1100);
    assert_eq!(
        db.store.bins_near(4.9042, 52.3676, 50.0).await.unwrap(),
        vec![id]
    );
    assert!(
        db.store
            .bins_near(5.5, 52.3676, 50.0)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_bins_planning_fill_rate_is_its_forecast_prior() {
    let db = TestDb::new().await;
    let prior = fillroute_forecast::RatePrior::new(0.3, None).unwrap();
    let with = db
        .store
        .insert_bin(&NewBin {
            rate_prior: Some(prior),
            ..bin()
        })
        .await
        .unwrap();
    let without = db
        .store
        .insert_bin(&NewBin { lon: 4.91, ..bin() })
        .await
        .unwrap();
    let now = OffsetDateTime::now_utc();
    let config = db.store.bin_model_config(with, now).await.unwrap();
    assert_eq!(config.prior_rate_per_day, 0.3);
    assert_eq!(config.prior_rate_log_sd, 0.7, "the default sd");
    let default = fillroute_forecast::ModelConfig::default();
    let config = db.store.bin_model_config(without, now).await.unwrap();
    assert_eq!(config.prior_rate_per_day, default.prior_rate_per_day);
    // An unknown bin fits with the defaults, as a bin outside every region.
    let config = db
        .store
        .bin_model_config(BinId(i64::MAX), now)
        .await
        .unwrap();
    assert_eq!(config, default);
}

#[tokio::test]
async fn device_for_unknown_bin_is_not_found() {
    let db = TestDb::new().await;
    let d = NewDevice {
        id: DeviceId(uuid::Uuid::new_v4()),
        bin: BinId(999),
        token_hash: "x".into(),
        firmware: None,
        cadence_s: 60,
        max_upload_bytes: 10,
        uploads_per_minute: 1,
    };
    let err = db.store.insert_device(&d).await.unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound { what: "bin", .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn same_device_time_and_bytes_return_the_original_image() {
    let db = TestDb::new().await;
    let b = db.store.insert_bin(&bin()).await.unwrap();
    let d = device(&db.store, b).await;
    let at = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let first = image(d, b, at, 'a');
    let (original, created) = db.store.insert_pending_image(&first).await.unwrap();
    assert!(created);
    let (again, created) = db
        .store
        .insert_pending_image(&image(d, b, at, 'a'))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again.id, original.id);
    assert_eq!(again.status, ImageStatus::Pending);
    let (other, created) = db
        .store
        .insert_pending_image(&image(d, b, at, 'b'))
        .await
        .unwrap();
    assert!(created && other.id != original.id);
}

/// A dark or covered lens shows no fill: the model's class for it (here a
/// confident "empty" right after a full reading) would fake an emptying and
/// pull the forecast down. It was stored as a reading until 2026-12-08, and
/// the nightly job then skipped bins the replay collected.
#[tokio::test]
async fn a_blind_frame_is_classified_once_without_a_reading_or_a_fall() {
    let db = TestDb::new().await;
    let b = db.store.insert_bin(&bin()).await.expect("bin");
    let d = device(&db.store, b).await;
    let t0 = OffsetDateTime::now_utc() - time::Duration::hours(2);
    let (full, _) = db
        .store
        .insert_pending_image(&image(d, b, t0, 'a'))
        .await
        .expect("image");
    db.store
        .record_classification(&classification(full.id, 0.95))
        .await
        .expect("full frame");
    let (blind, _) = db
        .store
        .insert_pending_image(&image(d, b, t0 + time::Duration::hours(1), 'b'))
        .await
        .expect("image");
    let dark = Classification {
        health_flags: vec!["dark".into()],
        blind: true,
        ..classification(blind.id, 0.0)
    };
    let first = db
        .store
        .record_classification(&dark)
        .await
        .expect("blind frame");
    let again = db
        .store
        .record_classification(&dark)
        .await
        .expect("redelivery");
    assert!(first.newly_recorded && !again.newly_recorded);
    assert_eq!((first.reading_id, first.service_event), (None, None));
    let stored = db.store.image(blind.id).await.expect("row").expect("image");
    assert_eq!(stored.status, ImageStatus::Classified);
    let history = db
        .store
        .bin_history(b, OffsetDateTime::UNIX_EPOCH)
        .await
        .expect("history");
    assert_eq!(
        history.readings.len(),
        1,
        "only the full frame is a reading"
    );
    assert!(
        db.store
            .service_events_for_bin(b, OffsetDateTime::UNIX_EPOCH)
            .await
            .expect("events")
            .is_empty(),
        "no fall from 0.95 to a black picture"
    );
    let c = db.store.pipeline_counts().await.expect("counts");
    assert_eq!(
        (c.classified, c.blind, c.camera_readings),
        (2, 1, 1),
        "{c:?}"
    );
}

#[tokio::test]
async fn recording_a_classification_twice_leaves_one_reading() {
    let db = TestDb::new().await;
    let b = db.store.insert_bin(&bin()).await.unwrap();
    let d = device(&db.store, b).await;
    let (img, _) = db
        .store
        .insert_pending_image(&image(d, b, OffsetDateTime::now_utc(), 'c'))
        .await
        .unwrap();
    let first = db
        .store
        .record_classification(&classification(img.id, 0.4))
        .await
        .unwrap();
    let second = db
        .store
        .record_classification(&classification(img.id, 0.9))
        .await
        .unwrap();
    assert!(first.newly_recorded && !second.newly_recorded);
    assert_eq!(first.reading_id, second.reading_id);
    let readings = db
        .store
        .readings_for_bin(b, OffsetDateTime::UNIX_EPOCH)
        .await
        .unwrap();
    assert_eq!(readings.len(), 1);
    assert_eq!(readings[0].fill_fraction, 0.4, "the first result stands");
    assert_eq!(
        db.store.image(img.id).await.unwrap().unwrap().status,
        ImageStatus::Classified
    );
    // A late dead-letter must not undo a recorded reading.
    assert!(!db.store.mark_image_failed(img.id, "late").await.unwrap());
}

#[tokio::test]
async fn sharp_fall_in_fill_records_one_service_event() {
    let db = TestDb::new().await;
    let b = db.store.insert_bin(&bin()).await.unwrap();
    let d = device(&db.store, b).await;
    let t0 = OffsetDateTime::now_utc() - Duration::hours(3);
    let mut ids = Vec::new();
    for (i, (sha, fill)) in [('d', 0.5), ('e', 0.85), ('f', 0.05), ('0', 0.15)]
        .into_iter()
        .enumerate()
    {
        let (img, _) = db
            .store
            .insert_pending_image(&image(d, b, t0 + Duration::hours(i as i64), sha))
            .await
            .unwrap();
        let out = db
            .store
            .record_classification(&classification(img.id, fill))
            .await
            .unwrap();
        ids.push(out.service_event.is_some());
    }
    assert_eq!(ids, [false, false, true, false]);
    let events = db
        .store
        .service_events_for_bin(b, OffsetDateTime::UNIX_EPOCH)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].detection, fillroute_store::Detection::FillDrop);
    assert_eq!(
        (events[0].fill_before, events[0].fill_after),
        (Some(0.85), Some(0.05))
    );
}

#[tokio::test]
async fn readings_stored_out_of_order_give_the_same_single_service_event() {
    let db = TestDb::new().await;
    let b = db.store.insert_bin(&bin()).await.unwrap();
    let d = device(&db.store, b).await;
    let t0 = OffsetDateTime::now_utc() - Duration::hours(3);
    // Captured in this order; stored with the emptying (0.05) last.
    let captured = [('d', 0.5), ('e', 0.85), ('f', 0.05), ('0', 0.15)];
    for i in [0usize, 1, 3, 2] {
        let (sha, fill) = captured[i];
        let (img, _) = db
            .store
            .insert_pending_image(&image(d, b, t0 + Duration::hours(i as i64), sha))
            .await
            .unwrap();
        db.store
            .record_classification(&classification(img.id, fill))
            .await
            .unwrap();
    }
    let events = db
        .store
        .service_events_for_bin(b, OffsetDateTime::UNIX_EPOCH)
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (events[0].fill_before, events[0].fill_after),
        (Some(0.85), Some(0.05))
    );
}

#[tokio::test]
async fn unpublished_pending_images_are_offered_for_republishing() {
    let db = TestDb::new().await;
    let b = db.store.insert_bin(&bin()).await.unwrap();
    let d = device(&db.store, b).await;
    let (lost, _) = db
        .store
        .insert_pending_image(&image(d, b, OffsetDateTime::now_utc(), '1'))
        .await
        .unwrap();
    let (sent, _) = db
        .store
        .insert_pending_image(&image(d, b, OffsetDateTime::now_utc(), '2'))
        .await
        .unwrap();
    db.store.mark_published(sent.id).await.unwrap();
    let later = OffsetDateTime::now_utc() + Duration::seconds(1);
    let stuck = db
        .store
        .images_to_republish(later, OffsetDateTime::UNIX_EPOCH, 10)
        .await
        .unwrap();
    assert_eq!(
        stuck.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![lost.id]
    );
}

#[tokio::test]
async fn devices_silent_past_their_cadence_are_flagged_once() {
    let db = TestDb::new().await;
    let b = db.store.insert_bin(&bin()).await.unwrap();
    let d = device(&db.store, b).await;
    // A slack of zero cadences: anything not seen "now" is silent.
    assert_eq!(db.store.flag_silent_devices(0.0).await.unwrap(), vec![d]);
    assert!(
        db.store.flag_silent_devices(0.0).await.unwrap().is_empty(),
        "flagged once"
    );
    db.store.touch_device(d, Some("1.1")).await.unwrap();
    let status = db.store.device_status(d).await.unwrap().unwrap();
    assert!(status.health_flags.is_empty() && status.firmware.as_deref() == Some("1.1"));
    assert!(db.store.revoke_device(d).await.unwrap());
    assert!(db.store.device_auth(d).await.unwrap().unwrap().revoked);
}
