//! What surrounds `IngestService` on the wire, over real gRPC with real
//! PostGIS and JetStream: health that follows the dependencies (a private
//! PostgreSQL is stopped and started under it), reflection, and TLS with a
//! certificate made at test time.
#![allow(clippy::unwrap_used, missing_docs)]

mod support;

use fillroute_ingest::testing::TestPki;
use fillroute_proto::ingest::v1::ingest_service_client::IngestServiceClient;
use std::time::Duration;
use support::postgres::PrivatePostgres;
use support::{Stack, eventually, jpeg, now_ms};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const INGEST: &str = "fillroute.ingest.v1.IngestService";

async fn status(health: &mut HealthClient<Channel>, service: &str) -> ServingStatus {
    let r = health
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .unwrap()
        .into_inner();
    ServingStatus::try_from(r.status).unwrap()
}

async fn channel(stack: &Stack) -> Channel {
    Channel::from_shared(format!("http://{}", stack.addr))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_serving_while_postgres_answers_and_not_serving_while_it_is_down() {
    let pg = tokio::task::spawn_blocking(PrivatePostgres::start)
        .await
        .unwrap();
    let stack = Stack::start_on_database(&pg.url(), |c| {
        c.health_probe_every = Duration::from_millis(200);
    })
    .await;
    let mut health = HealthClient::new(channel(&stack).await);
    for service in ["", INGEST] {
        eventually(Duration::from_secs(10), "SERVING", || {
            let mut h = health.clone();
            async move { status(&mut h, service).await == ServingStatus::Serving }
        })
        .await;
    }
    let pg = tokio::task::spawn_blocking(move || {
        pg.stop();
        pg
    })
    .await
    .unwrap();
    for service in ["", INGEST] {
        eventually(Duration::from_secs(15), "NOT_SERVING", || {
            let mut h = health.clone();
            async move { status(&mut h, service).await == ServingStatus::NotServing }
        })
        .await;
    }
    let pg = tokio::task::spawn_blocking(move || {
        pg.restart();
        pg
    })
    .await
    .unwrap();
    eventually(Duration::from_secs(15), "SERVING again", || {
        let mut h = health.clone();
        async move { status(&mut h, INGEST).await == ServingStatus::Serving }
    })
    .await;
    assert_eq!(status(&mut health, "").await, ServingStatus::Serving);
    stack.cleanup().await;
    drop(pg);
}

#[tokio::test]
async fn reflection_lists_the_ingest_and_health_services() {
    use fillroute_serving::testing::{Reflection, list_services};
    let stack = Stack::start().await;
    for version in [Reflection::V1, Reflection::V1Alpha] {
        let names = list_services(channel(&stack).await, version).await.unwrap();
        for expected in [INGEST, "grpc.health.v1.Health"] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} in {names:?}"
            );
        }
        assert!(
            !names
                .iter()
                .any(|n| n.contains("vision") || n.contains("planner")),
            "only what this server serves: {names:?}"
        );
    }
    stack.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_server_accepts_clients_trusting_its_ca_and_refuses_plaintext() {
    let pki = TestPki::new();
    let tls = pki.config();
    let stack = Stack::start_with(support::nats_url(), move |c| c.tls = Some(tls)).await;
    // Registration needs a client too; over TLS like everything else.
    let trusted = Endpoint::from_shared(format!("https://127.0.0.1:{}", stack.addr.port()))
        .unwrap()
        .tls_config(
            ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(&pki.ca_pem))
                .domain_name("localhost"),
        )
        .unwrap()
        .connect()
        .await
        .expect("a client trusting the test CA connects");
    let mut c = IngestServiceClient::new(trusted);
    let bin = c
        .register_bin(support::admin(support::bin_request(4.9, 52.37)))
        .await
        .unwrap()
        .into_inner()
        .bin_id;
    let device = c
        .register_device(support::admin(
            fillroute_proto::ingest::v1::RegisterDeviceRequest {
                bin_id: bin,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let cam = support::Camera {
        bin,
        device_id: device.device_id,
        token: device.token,
    };
    let r = c
        .upload_image(cam.upload(jpeg(0.5, 7), now_ms()))
        .await
        .expect("upload over TLS")
        .into_inner();
    assert!(!r.duplicate && !r.image_id.is_empty());

    // Plaintext HTTP/2 to the TLS port: the handshake never completes.
    let plaintext = async {
        let channel = Channel::from_shared(format!("http://{}", stack.addr))
            .unwrap()
            .connect_timeout(Duration::from_secs(3))
            .connect()
            .await?;
        let mut c = IngestServiceClient::new(channel);
        c.upload_image(cam.upload(jpeg(0.5, 8), now_ms()))
            .await
            .map(|_| ())
            .map_err(Box::<dyn std::error::Error>::from)
    };
    let outcome = tokio::time::timeout(Duration::from_secs(10), plaintext).await;
    assert!(
        !matches!(outcome, Ok(Ok(()))),
        "a plaintext client must not get an upload through"
    );

    // TLS without trusting the CA: the certificate is rejected.
    let untrusted = Endpoint::from_shared(format!("https://127.0.0.1:{}", stack.addr.port()))
        .unwrap()
        .tls_config(ClientTlsConfig::new().domain_name("localhost"))
        .unwrap()
        .connect()
        .await;
    assert!(untrusted.is_err(), "a client without the CA is refused");

    assert_eq!(
        stack.db.store.pipeline_counts().await.unwrap().images,
        1,
        "only the trusted upload was stored"
    );
    stack.cleanup().await;
}

#[test]
fn tls_config_with_a_missing_or_wrong_file_names_the_field_and_the_fix() {
    let pki = TestPki::new();
    let mut missing = pki.config();
    missing.cert_path = pki.dir.path().join("nope.pem");
    let e = missing.load().unwrap_err().to_string();
    assert!(
        e.contains("tls.cert_path") && e.contains("nope.pem") && e.contains("readable PEM"),
        "{e}"
    );
    let mut swapped = pki.config();
    swapped.key_path = swapped.cert_path.clone();
    let e = swapped.load().unwrap_err().to_string();
    assert!(
        e.contains("tls.key_path") && e.contains("PRIVATE KEY"),
        "{e}"
    );
}

#[tokio::test]
async fn tls_key_that_does_not_parse_stops_start_up_naming_both_files() {
    let pki = TestPki::new();
    let tls = pki.config();
    std::fs::write(
        &tls.key_path,
        "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let stack = Stack::start().await;
    let mut config = stack.config.clone();
    config.tls = Some(tls);
    let ingest = std::sync::Arc::new(
        fillroute_ingest::Ingest::connect(config)
            .await
            .expect("NATS answers"),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let e = tokio::time::timeout(
        Duration::from_secs(10),
        fillroute_ingest::run_with(listener, ingest, std::future::pending()),
    )
    .await
    .expect("start-up fails at once")
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("tls") && e.contains("server.key") && e.contains("tls.key_path"),
        "{e}"
    );
    stack.cleanup().await;
}
