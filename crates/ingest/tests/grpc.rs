//! `IngestService` over real gRPC with real PostGIS and JetStream: the
//! durability contract of an upload, idempotent repeats, every class of bad
//! input, and authentication. No vision workers run here.
#![allow(clippy::unwrap_used, missing_docs)]

mod support;

use fillroute_proto::ingest::v1 as pb;
use support::{ADMIN, Stack, admin, bin_request, jpeg, now_ms};
use tonic::Code;

async fn assert_nothing_stored(stack: &Stack) {
    let counts = stack.db.store.pipeline_counts().await.unwrap();
    assert_eq!(counts.images, 0, "no image row");
    assert_eq!(stack.stream_messages().await, 0, "no message");
}

#[tokio::test]
async fn upload_answers_only_after_the_image_is_stored_recorded_and_queued() {
    let stack = Stack::start().await;
    let cam = stack.camera().await;
    let mut c = stack.client().await;
    let image = jpeg(0.5, 1);
    let r = c
        .upload_image(cam.upload(image.clone(), now_ms()))
        .await
        .unwrap()
        .into_inner();
    assert!(!r.duplicate);
    let id = fillroute_store::ImageId(r.image_id.parse().unwrap());
    let record = stack.db.store.image(id).await.unwrap().unwrap();
    assert_eq!(record.status, fillroute_store::ImageStatus::Pending);
    assert!(
        record.published_at.is_some(),
        "JetStream acknowledged before the answer"
    );
    assert_eq!(record.sha256, r.sha256);
    let stored = std::fs::read(stack.objects.path().join(&record.object_key)).unwrap();
    assert_eq!(
        stored, image,
        "bytes are content-addressed in object storage"
    );
    assert_eq!(stack.stream_messages().await, 1);
    stack.cleanup().await;
}

#[tokio::test]
async fn repeated_upload_returns_the_original_id_and_queues_nothing_new() {
    let stack = Stack::start().await;
    let cam = stack.camera().await;
    let mut c = stack.client().await;
    let at = now_ms();
    let first = c
        .upload_image(cam.upload(jpeg(0.2, 2), at))
        .await
        .unwrap()
        .into_inner();
    let again = c
        .upload_image(cam.upload(jpeg(0.2, 2), at))
        .await
        .unwrap()
        .into_inner();
    assert!(again.duplicate);
    assert_eq!(again.image_id, first.image_id);
    let later = c
        .upload_image(cam.upload(jpeg(0.2, 2), at + 1000))
        .await
        .unwrap()
        .into_inner();
    assert!(
        !later.duplicate && later.image_id != first.image_id,
        "a new capture time is a new image"
    );
    assert_eq!(stack.db.store.pipeline_counts().await.unwrap().images, 2);
    assert_eq!(stack.stream_messages().await, 2);
    stack.cleanup().await;
}

#[tokio::test]
async fn chunked_upload_stores_the_same_image_as_unary() {
    let stack = Stack::start().await;
    let cam = stack.camera().await;
    let mut c = stack.client().await;
    let image = jpeg(0.7, 3);
    let at = now_ms();
    let mut parts = vec![pb::UploadImageChunk {
        part: Some(pb::upload_image_chunk::Part::Header(pb::UploadHeader {
            bin_id: cam.bin,
            captured_at_unix_ms: at,
            total_bytes: image.len() as u64,
        })),
    }];
    parts.extend(image.chunks(700).map(|c| pb::UploadImageChunk {
        part: Some(pb::upload_image_chunk::Part::Data(c.to_vec())),
    }));
    let streamed = c
        .upload_image_chunks(cam.req(futures::stream::iter(parts)))
        .await
        .unwrap()
        .into_inner();
    let unary = c
        .upload_image(cam.upload(image, at))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        unary.image_id, streamed.image_id,
        "same device, time and bytes"
    );
    assert!(unary.duplicate);
    stack.cleanup().await;
}

#[tokio::test]
async fn chunked_upload_larger_than_the_unary_limit_is_accepted() {
    let stack = Stack::start_with(support::nats_url(), |c| c.max_unary_bytes = 4096).await;
    let cam = stack.camera().await;
    let mut c = stack.client().await;
    let image = fillroute_vision_server::synthetic::png(
        &fillroute_vision_server::synthetic::fill_frame(0.4, 4, 96),
    );
    assert!(image.len() > 4096);
    let status = c
        .upload_image(cam.upload(image.clone(), now_ms()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().contains("UploadImageChunks"),
        "{}",
        status.message()
    );
    let header = pb::UploadImageChunk {
        part: Some(pb::upload_image_chunk::Part::Header(pb::UploadHeader {
            bin_id: 0,
            captured_at_unix_ms: now_ms(),
            total_bytes: image.len() as u64,
        })),
    };
    let data = image.chunks(4000).map(|c| pb::UploadImageChunk {
        part: Some(pb::upload_image_chunk::Part::Data(c.to_vec())),
    });
    let parts: Vec<_> = std::iter::once(header).chain(data).collect();
    c.upload_image_chunks(cam.req(futures::stream::iter(parts)))
        .await
        .unwrap();
    assert_eq!(stack.db.store.pipeline_counts().await.unwrap().images, 1);
    stack.cleanup().await;
}

async fn assert_upload_refused(
    stack: &Stack,
    request: tonic::Request<pb::UploadImageRequest>,
    code: Code,
    names: &str,
) {
    let status = stack
        .client()
        .await
        .upload_image(request)
        .await
        .unwrap_err();
    assert_eq!(status.code(), code, "{status:?}");
    assert!(
        status.message().contains(names),
        "message {:?} does not name {names:?}",
        status.message()
    );
    assert_nothing_stored(stack).await;
}

#[tokio::test]
async fn bad_uploads_are_refused_with_the_field_and_store_nothing() {
    let stack = Stack::start().await;
    let cam = stack
        .camera_with(pb::RegisterDeviceRequest {
            max_upload_bytes: 20_000,
            ..Default::default()
        })
        .await;
    let hour = 3_600_000;
    // Captured beyond the allowed clock skew in the future.
    assert_upload_refused(
        &stack,
        cam.upload(jpeg(0.5, 5), now_ms() + hour),
        Code::InvalidArgument,
        "captured_at",
    )
    .await;
    // Absurdly old.
    assert_upload_refused(
        &stack,
        cam.upload(jpeg(0.5, 5), now_ms() - 400 * 24 * hour),
        Code::InvalidArgument,
        "captured_at",
    )
    .await;
    // Not an image.
    assert_upload_refused(
        &stack,
        cam.upload(b"hello, this is text".to_vec(), now_ms()),
        Code::InvalidArgument,
        "not JPEG",
    )
    .await;
    assert_upload_refused(
        &stack,
        cam.upload(Vec::new(), now_ms()),
        Code::InvalidArgument,
        "image",
    )
    .await;
    // Larger than this device's limit.
    let mut big = jpeg(0.5, 6);
    big.resize(30_000, 0);
    assert_upload_refused(
        &stack,
        cam.upload(big, now_ms()),
        Code::InvalidArgument,
        "exceeds the limit of 20000",
    )
    .await;
    // Unknown bin.
    let mut unknown = cam.upload(jpeg(0.5, 7), now_ms());
    unknown.get_mut().bin_id = 987_654;
    assert_upload_refused(&stack, unknown, Code::NotFound, "bin 987654").await;
    stack.cleanup().await;
}

#[tokio::test]
async fn chunked_upload_announcing_more_than_the_device_limit_is_refused_up_front() {
    let stack = Stack::start().await;
    let cam = stack
        .camera_with(pb::RegisterDeviceRequest {
            max_upload_bytes: 1000,
            ..Default::default()
        })
        .await;
    let header = pb::UploadImageChunk {
        part: Some(pb::upload_image_chunk::Part::Header(pb::UploadHeader {
            bin_id: 0,
            captured_at_unix_ms: now_ms(),
            total_bytes: 5000,
        })),
    };
    let status = stack
        .client()
        .await
        .upload_image_chunks(cam.req(futures::stream::iter(vec![header])))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("5000"), "{}", status.message());
    assert_nothing_stored(&stack).await;
    stack.cleanup().await;
}

#[tokio::test]
async fn registration_with_out_of_range_values_is_invalid_argument() {
    let stack = Stack::start().await;
    let mut c = stack.client().await;
    for (lon, lat, field) in [
        (181.0, 52.0, "lon"),
        (4.9, -90.5, "lat"),
        (f64::NAN, 52.0, "lon"),
    ] {
        let status = c
            .register_bin(admin(bin_request(lon, lat)))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(
            status.message().contains(&format!("`{field}`")),
            "{}",
            status.message()
        );
    }
    let mut zero = bin_request(4.9, 52.0);
    zero.capacity_litres = 0;
    assert_eq!(
        c.register_bin(admin(zero)).await.unwrap_err().code(),
        Code::InvalidArgument
    );
    let mut window = bin_request(4.9, 52.0);
    window.time_windows = vec![pb::TimeWindow {
        weekday: Some(9),
        opens_s: 10,
        closes_s: 5,
    }];
    assert_eq!(
        c.register_bin(admin(window)).await.unwrap_err().code(),
        Code::InvalidArgument
    );
    let status = c
        .register_device(admin(pb::RegisterDeviceRequest {
            bin_id: 424_242,
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let status = c
        .revoke_device(admin(pb::RevokeDeviceRequest {
            device_id: "not-a-uuid".into(),
        }))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    stack.cleanup().await;
}

/// Found by tests/hostile/hostile.py: PostgreSQL cannot store NUL, so text
/// with one came back INTERNAL; 10,000-character names and firmware, ten
/// thousand opening windows and a 2 GiB upload limit were all stored.
#[tokio::test]
async fn a_bin_outside_every_region_is_refused_naming_location_and_how_to_add_a_region() {
    let stack = Stack::start().await;
    let mut c = stack.client().await;
    for (lon, lat) in [(0.0, 0.0), (1.5, 42.5)] {
        let status = c
            .register_bin(admin(bin_request(lon, lat)))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
        for words in ["location", "`lon`", "`lat`", "fillroute fleet region add"] {
            assert!(
                status.message().contains(words),
                "{words}: {}",
                status.message()
            );
        }
        let placed = stack.db.store.locate_points(&[[lon, lat]]).await.unwrap();
        assert!(!placed[0].bin_exists, "nothing stored at ({lon}, {lat})");
    }
    // Inside the test region (around Amsterdam) the same request is accepted.
    c.register_bin(admin(bin_request(4.9, 52.37)))
        .await
        .unwrap();
    stack.cleanup().await;
}

#[tokio::test]
async fn hostile_text_and_limits_are_invalid_argument_naming_the_field_and_store_nothing() {
    let stack = Stack::start().await;
    let cam = stack.camera().await;
    let mut c = stack.client().await;
    let expect_invalid = |status: tonic::Status, field: &str| {
        assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
        assert!(
            status.message().contains(&format!("`{field}`")),
            "{field}: {}",
            status.message()
        );
    };
    let before = stack.db.store.pipeline_counts().await.unwrap();
    type Spoil = fn(&mut pb::RegisterBinRequest);
    let bad_bins: [(&str, Spoil); 8] = [
        ("fill_rate_prior", |b| b.fill_rate_prior = Some(f64::NAN)),
        ("fill_rate_prior", |b| b.fill_rate_prior = Some(0.0)),
        ("fill_rate_prior_log_sd", |b| {
            b.fill_rate_prior_log_sd = Some(0.5)
        }),
        ("waste_stream", |b| b.waste_stream = "res\0idual".into()),
        ("customer", |b| b.customer = "x".repeat(10_000)),
        ("container_type", |b| b.container_type = "bin\ntwo".into()),
        ("time_windows", |b| {
            b.time_windows = vec![
                pb::TimeWindow {
                    weekday: None,
                    opens_s: 0,
                    closes_s: 3600
                };
                10_000
            ]
        }),
        ("customer", |b| b.customer = "\0".into()),
    ];
    for (field, spoil) in bad_bins {
        let mut bin = bin_request(4.9, 52.0);
        spoil(&mut bin);
        expect_invalid(c.register_bin(admin(bin)).await.unwrap_err(), field);
    }
    for (field, device) in [
        (
            "firmware",
            pb::RegisterDeviceRequest {
                bin_id: cam.bin,
                firmware: "1.0\0evil".into(),
                ..Default::default()
            },
        ),
        (
            "max_upload_bytes",
            pb::RegisterDeviceRequest {
                bin_id: cam.bin,
                max_upload_bytes: i32::MAX as u32,
                ..Default::default()
            },
        ),
        (
            "bin_id",
            pb::RegisterDeviceRequest {
                bin_id: -1,
                ..Default::default()
            },
        ),
    ] {
        expect_invalid(c.register_device(admin(device)).await.unwrap_err(), field);
    }
    for firmware in ["2.0\0".to_owned(), "9".repeat(10_000)] {
        expect_invalid(
            c.heartbeat(cam.req(pb::HeartbeatRequest { firmware }))
                .await
                .unwrap_err(),
            "firmware",
        );
    }
    let after = stack.db.store.pipeline_counts().await.unwrap();
    assert_eq!(after, before, "no image or reading written");
    let status = stack
        .db
        .store
        .device_status(fillroute_store::DeviceId(cam.device_id.parse().unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        status.firmware, None,
        "no firmware stored by a refused heartbeat"
    );
    stack.cleanup().await;
}

#[tokio::test]
async fn admin_calls_without_the_admin_token_are_unauthenticated() {
    let stack = Stack::start().await;
    let cam = stack.camera().await;
    let mut c = stack.client().await;
    assert_eq!(
        c.register_bin(bin_request(4.9, 52.0))
            .await
            .unwrap_err()
            .code(),
        Code::Unauthenticated
    );
    let mut wrong = tonic::Request::new(bin_request(4.9, 52.0));
    wrong
        .metadata_mut()
        .insert("authorization", format!("Bearer {ADMIN}x").parse().unwrap());
    assert_eq!(
        c.register_bin(wrong).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    // A device token is not an admin token.
    let as_device = cam.req(pb::RegisterDeviceRequest {
        bin_id: cam.bin,
        ..Default::default()
    });
    assert_eq!(
        c.register_device(as_device).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    stack.cleanup().await;
}

#[tokio::test]
async fn wrong_missing_or_unknown_device_credentials_are_unauthenticated_without_detail() {
    let stack = Stack::start().await;
    let cam = stack.camera().await;
    let mut c = stack.client().await;
    let mut wrong = cam.clone();
    wrong.token = "0".repeat(64);
    let mut unknown = cam.clone();
    unknown.device_id = uuid::Uuid::new_v4().to_string();
    let mut messages = Vec::new();
    for who in [&wrong, &unknown] {
        let status = c
            .upload_image(who.upload(jpeg(0.5, 8), now_ms()))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
        messages.push(status.message().to_owned());
    }
    let status = c
        .heartbeat(tonic::Request::new(pb::HeartbeatRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    messages.push(status.message().to_owned());
    assert!(
        messages.windows(2).all(|w| w[0] == w[1]),
        "the same answer whatever is wrong: {messages:?}"
    );
    assert_nothing_stored(&stack).await;
    stack.cleanup().await;
}

#[tokio::test]
async fn revoked_device_is_refused_at_once() {
    let stack = Stack::start().await;
    let cam = stack.camera().await;
    let mut c = stack.client().await;
    c.heartbeat(cam.req(pb::HeartbeatRequest {
        firmware: "2.0".into(),
    }))
    .await
    .unwrap();
    c.revoke_device(admin(pb::RevokeDeviceRequest {
        device_id: cam.device_id.clone(),
    }))
    .await
    .unwrap();
    let status = c
        .heartbeat(cam.req(pb::HeartbeatRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::Unauthenticated,
        "the verified-token memo must not outlive revocation"
    );
    let status = c
        .upload_image(cam.upload(jpeg(0.5, 9), now_ms()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    stack.cleanup().await;
}

#[tokio::test]
async fn device_uploading_for_another_devices_bin_is_permission_denied() {
    let stack = Stack::start().await;
    let mine = stack.camera().await;
    let theirs = stack.camera().await;
    let mut request = mine.upload(jpeg(0.5, 10), now_ms());
    request.get_mut().bin_id = theirs.bin;
    let status = stack
        .client()
        .await
        .upload_image(request)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let reading = mine.req(pb::ReportReadingRequest {
        bin_id: theirs.bin,
        observed_at_unix_ms: now_ms(),
        fill_fraction: 0.5,
        source: pb::ReadingSource::Ultrasonic as i32,
        emptied: false,
    });
    assert_eq!(
        stack
            .client()
            .await
            .report_reading(reading)
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );
    assert_nothing_stored(&stack).await;
    stack.cleanup().await;
}

/// A crew that empties a bin says so: the emptying is a reported service
/// that every forecast fit takes as certain, even where the readings show
/// no sharp fall (0.3 to 0.0 is under the 0.35 a fall must drop). Before
/// `emptied`, the only trace was a driver reading, and the nightly job's
/// fits (unlike the replay's) did not know the bin had been emptied.
#[tokio::test]
async fn a_crews_emptied_report_is_a_reported_service_even_without_a_fall() {
    let stack = Stack::start().await;
    let cam = stack.camera().await;
    let mut c = stack.client().await;
    let at = now_ms();
    let report = |fill: f32, minutes_ago: i64, source: pb::ReadingSource, emptied: bool| {
        cam.req(pb::ReportReadingRequest {
            bin_id: 0,
            observed_at_unix_ms: at - minutes_ago * 60_000,
            fill_fraction: fill,
            source: source as i32,
            emptied,
        })
    };
    let before = c
        .report_reading(report(0.3, 30, pb::ReadingSource::Ultrasonic, false))
        .await
        .expect("sensor reading")
        .into_inner();
    assert!(!before.service_detected);
    let emptied = c
        .report_reading(report(0.0, 10, pb::ReadingSource::Driver, true))
        .await
        .expect("emptied report")
        .into_inner();
    assert!(emptied.service_detected, "{emptied:?}");
    let retry = c
        .report_reading(report(0.0, 10, pb::ReadingSource::Driver, true))
        .await
        .expect("retried report")
        .into_inner();
    assert_eq!(
        retry.reading_id, emptied.reading_id,
        "a retry is the same report"
    );
    for (fill, source, field) in [
        (0.0, pb::ReadingSource::Ultrasonic, "emptied"),
        (0.8, pb::ReadingSource::Driver, "fill_fraction"),
    ] {
        let status = c
            .report_reading(report(fill, 5, source, true))
            .await
            .expect_err("refused");
        assert!(
            status.code() == Code::InvalidArgument && status.message().contains(field),
            "{status:?}"
        );
    }
    let store = &stack.db.store;
    let bin = fillroute_store::BinId(cam.bin);
    let history = store
        .bin_history(bin, time::OffsetDateTime::UNIX_EPOCH)
        .await
        .expect("history");
    assert_eq!(history.readings.len(), 2, "refused reports wrote nothing");
    assert_eq!(
        history.reported,
        vec![fillroute_forecast::ServiceEvent::reported(
            fillroute_forecast::Timestamp((at - 10 * 60_000) / 1000)
        )],
        "the emptying is a reported service"
    );
    stack.cleanup().await;
}

#[tokio::test]
async fn sensor_readings_are_stored_and_a_sharp_fall_is_a_service_event() {
    let stack = Stack::start().await;
    let cam = stack.camera().await;
    let mut c = stack.client().await;
    let report = |fill: f32, minutes_ago: i64, source: pb::ReadingSource| {
        cam.req(pb::ReportReadingRequest {
            bin_id: 0,
            observed_at_unix_ms: now_ms() - minutes_ago * 60_000,
            fill_fraction: fill,
            source: source as i32,
            emptied: false,
        })
    };
    let full = c
        .report_reading(report(0.9, 30, pb::ReadingSource::Ultrasonic))
        .await
        .unwrap()
        .into_inner();
    assert!(!full.service_detected);
    let emptied = c
        .report_reading(report(0.05, 10, pb::ReadingSource::Weight))
        .await
        .unwrap()
        .into_inner();
    assert!(emptied.service_detected);
    let status = c
        .report_reading(report(2.0, 1, pb::ReadingSource::Driver))
        .await
        .unwrap_err();
    assert!(
        status.code() == Code::InvalidArgument && status.message().contains("fill_fraction"),
        "{status:?}"
    );
    let status = c
        .report_reading(report(0.5, 1, pb::ReadingSource::Unspecified))
        .await
        .unwrap_err();
    assert!(
        status.code() == Code::InvalidArgument && status.message().contains("source"),
        "{status:?}"
    );
    let bin = fillroute_store::BinId(cam.bin);
    assert_eq!(
        stack
            .db
            .store
            .readings_for_bin(bin, time::OffsetDateTime::UNIX_EPOCH)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        stack
            .db
            .store
            .service_events_for_bin(bin, time::OffsetDateTime::UNIX_EPOCH)
            .await
            .unwrap()
            .len(),
        1
    );
    stack.cleanup().await;
}

/// Found by tests/hostile/hostile.py: a device retrying one report stored a
/// row per retry (10,000 identical readings, 10,000 rows), which weighs that
/// instant 10,000 times in the bin's forecast.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_report_returns_the_first_reading_even_when_retries_race() {
    let stack = Stack::start().await;
    let cam = stack.camera().await;
    let c = stack.client().await;
    let at = now_ms() - 60_000;
    let report = |fill: f32| {
        cam.req(pb::ReportReadingRequest {
            bin_id: 0,
            observed_at_unix_ms: at,
            fill_fraction: fill,
            source: pb::ReadingSource::Ultrasonic as i32,
            emptied: false,
        })
    };
    let answers = futures::future::join_all((0..64).map(|_| {
        let mut c = c.clone();
        let request = report(0.6);
        async move { c.report_reading(request).await.unwrap().into_inner() }
    }))
    .await;
    let ids: std::collections::BTreeSet<i64> = answers.iter().map(|a| a.reading_id).collect();
    assert_eq!(ids.len(), 1, "64 racing retries, one reading: {ids:?}");
    // Another value at the same instant is another report.
    let other = c
        .clone()
        .report_reading(report(0.7))
        .await
        .unwrap()
        .into_inner();
    assert!(!ids.contains(&other.reading_id));
    let stored = stack
        .db
        .store
        .readings_for_bin(
            fillroute_store::BinId(cam.bin),
            time::OffsetDateTime::UNIX_EPOCH,
        )
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
    stack.cleanup().await;
}

#[tokio::test]
async fn heartbeat_records_firmware_and_clears_silence() {
    let stack = Stack::start().await;
    let cam = stack.camera().await;
    let store = &stack.db.store;
    assert_eq!(store.flag_silent_devices(0.0).await.unwrap().len(), 1);
    let r = stack
        .client()
        .await
        .heartbeat(cam.req(pb::HeartbeatRequest {
            firmware: "3.1".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(r.server_time_unix_ms > 0 && r.max_upload_bytes > 0);
    let device = fillroute_store::DeviceId(cam.device_id.parse().unwrap());
    let status = store.device_status(device).await.unwrap().unwrap();
    assert_eq!(status.firmware.as_deref(), Some("3.1"));
    assert!(status.health_flags.is_empty(), "{:?}", status.health_flags);
    stack.cleanup().await;
}

#[tokio::test]
async fn database_outage_is_unavailable() {
    // A service whose database URL points at a closed port: the pool is lazy,
    // so it starts, and every call that needs the database says so.
    let stack = Stack::start().await;
    let cam = stack.camera().await;
    let mut config = stack.config.clone();
    config.database_url = "postgres://postgres@127.0.0.1:1/none".into();
    let ingest = std::sync::Arc::new(fillroute_ingest::Ingest::connect(config).await.unwrap());
    let addr = support::spawn_ingest(ingest);
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut c =
        fillroute_proto::ingest::v1::ingest_service_client::IngestServiceClient::new(channel);
    let status = c
        .upload_image(cam.upload(jpeg(0.5, 11), now_ms()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(
        !status.message().contains("127.0.0.1"),
        "no infrastructure detail leaks: {}",
        status.message()
    );
    stack.cleanup().await;
}

/// Files under the test's object folder.
fn stored_objects(stack: &Stack) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .flatten()
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() { count(&path) } else { 1 }
                })
                .sum()
        })
    }
    count(stack.objects.path())
}

#[tokio::test]
async fn undecodable_image_is_refused_at_upload_naming_the_field_and_nothing_is_written() {
    let stack = Stack::start().await;
    let cam = stack.camera().await;
    let good = jpeg(0.5, 8);
    let png = fillroute_vision_server::synthetic::png(
        &fillroute_vision_server::synthetic::fill_frame(0.4, 4, 96),
    );
    // JPEG magic, garbage body: passes the magic-byte sniff, fails any decoder.
    let mut garbage = vec![0xFF, 0xD8, 0xFF, 0xE0];
    garbage.extend((0..2000u32).map(|i| (i * 31 % 251) as u8));
    let cases = [
        ("JPEG cut in half", good[..good.len() / 2].to_vec()),
        ("JPEG header then garbage", garbage),
        ("PNG cut in half", png[..png.len() / 2].to_vec()),
    ];
    for (what, bytes) in cases.clone() {
        let status = stack
            .client()
            .await
            .upload_image(cam.upload(bytes, now_ms()))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{what}: {status:?}");
        let message = status.message();
        assert!(
            message.contains("`image`") && message.contains("cannot be decoded"),
            "{what}: the message names the field and the problem: {message}"
        );
        assert!(
            message.contains("send the whole file"),
            "{what}: the message says what to do: {message}"
        );
    }
    // The streaming upload checks the same way.
    let (_, bytes) = &cases[0];
    let header = pb::UploadImageChunk {
        part: Some(pb::upload_image_chunk::Part::Header(pb::UploadHeader {
            bin_id: 0,
            captured_at_unix_ms: now_ms(),
            total_bytes: bytes.len() as u64,
        })),
    };
    let data = pb::UploadImageChunk {
        part: Some(pb::upload_image_chunk::Part::Data(bytes.clone())),
    };
    let status = stack
        .client()
        .await
        .upload_image_chunks(cam.req(futures::stream::iter(vec![header, data])))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_nothing_stored(&stack).await;
    assert_eq!(stored_objects(&stack), 0, "no object written");
    stack.cleanup().await;
}
