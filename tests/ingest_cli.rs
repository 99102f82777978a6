//! `fillroute ingest serve` as an operator starts it, against the real
//! PostGIS and JetStream: the flags that choose TLS, object storage and the
//! stream reach the service, and a bad flag stops it with a message naming
//! the flag before anything is connected. With an S3-compatible server
//! (s3s-fs, in process), the service and a worker keep the image bytes in the
//! bucket named by `--objects s3://...`, with credentials from the standard
//! AWS variables only.
#![allow(clippy::unwrap_used)]

use fillroute_ingest::testing::{TestPki, admin, bin_request, device};
use fillroute_ingest::{BusConfig, bus::Bus};
use fillroute_proto::ingest::v1 as pb;
use fillroute_proto::ingest::v1::ingest_service_client::IngestServiceClient;
use fillroute_store::testing::TestDb;
use sha2::Digest;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

const ADMIN: &str = "cli-test-admin-token-0123456789";
const NATS: &str = "nats://127.0.0.1:4222";

fn fillroute(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fillroute"))
        .args(args)
        .output()
        .expect("fillroute runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn ingest_serve_refuses_an_unsupported_objects_location_before_connecting() {
    // The database URL points nowhere: the flag must be judged first.
    let out = fillroute(&[
        "ingest",
        "serve",
        "--admin-token",
        ADMIN,
        "--objects",
        "ftp://host/images",
        "--database-url",
        "postgres://nobody@127.0.0.1:1/none",
    ]);
    let e = stderr(&out);
    assert!(!out.status.success(), "must fail: {e}");
    assert!(
        e.contains("objects") && e.contains("ftp://") && e.contains("s3://"),
        "names the field and the fix: {e}"
    );
}

#[test]
fn ingest_serve_with_a_certificate_but_no_key_is_refused_naming_tls_key() {
    let out = fillroute(&[
        "ingest",
        "serve",
        "--admin-token",
        ADMIN,
        "--tls-cert",
        "/tmp/server.pem",
    ]);
    let e = stderr(&out);
    assert!(!out.status.success(), "must fail: {e}");
    assert!(e.contains("--tls-key"), "{e}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `fillroute <args>` with `env` added to its environment.
fn spawn_fillroute(args: &[&str], env: &[(&str, &str)]) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_fillroute"))
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("fillroute starts");
    Server(child)
}

/// Registers a bin at (`lon`, `lat`) and a camera for it.
async fn register_camera(
    client: &mut IngestServiceClient<Channel>,
    lon: f64,
    lat: f64,
) -> pb::RegisterDeviceResponse {
    let bin = client
        .register_bin(admin(ADMIN, bin_request(lon, lat)))
        .await
        .expect("bin registered")
        .into_inner()
        .bin_id;
    client
        .register_device(admin(
            ADMIN,
            pb::RegisterDeviceRequest {
                bin_id: bin,
                ..Default::default()
            },
        ))
        .await
        .expect("camera registered")
        .into_inner()
}

/// `camera`'s upload of a synthetic photo (varied by `seed`) captured now, and its bytes.
fn upload_now(
    camera: &pb::RegisterDeviceResponse,
    seed: u64,
) -> (tonic::Request<pb::UploadImageRequest>, Vec<u8>) {
    let bytes = fillroute_vision_server::synthetic::jpeg(
        &fillroute_vision_server::synthetic::fill_frame(0.5, seed, 96),
    );
    let request = pb::UploadImageRequest {
        bin_id: 0,
        captured_at_unix_ms: time::OffsetDateTime::now_utc().unix_timestamp() * 1000,
        image: bytes.clone(),
    };
    (device(&camera.device_id, &camera.token, request), bytes)
}

/// Kills the server when the test ends, whatever happens.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn connect(endpoint: Endpoint) -> Channel {
    let start = Instant::now();
    loop {
        match endpoint.connect().await {
            Ok(channel) => return channel,
            Err(e) if start.elapsed() > Duration::from_secs(30) => {
                panic!("server never answered: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_serve_with_tls_and_file_objects_stores_uploads_from_tls_clients_only() {
    let db = TestDb::new().await;
    // RegisterBin refuses a bin outside every region.
    fillroute_ingest::testing::cover_with_region(&db.store, "test", [1.0, 42.0, 8.0, 44.0]).await;
    let pki = TestPki::new();
    let objects = tempfile::tempdir().unwrap();
    let tag = format!("{:08x}", rand::random::<u32>());
    let mut bus = BusConfig::new(NATS);
    bus.stream = format!("IMAGES_CLI_{tag}");
    bus.subject_prefix = format!("cli{tag}.images");
    let port = free_port();
    let objects_url = format!("file://{}", objects.path().display());
    let (cert, key) = (pki.cert_path(), pki.key_path());
    let _server = spawn_fillroute(
        &[
            "ingest",
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--admin-token",
            ADMIN,
            "--database-url",
            &db.url(),
            "--nats-url",
            NATS,
            "--objects",
            &objects_url,
            "--stream",
            &bus.stream,
            "--subject-prefix",
            &bus.subject_prefix,
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
        &[],
    );

    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&pki.ca_pem))
        .domain_name("localhost");
    let endpoint = Endpoint::from_shared(format!("https://127.0.0.1:{port}"))
        .unwrap()
        .tls_config(tls)
        .unwrap();
    let mut client = IngestServiceClient::new(connect(endpoint).await);
    let camera = register_camera(&mut client, 1.52, 42.51).await;
    let (upload, _) = upload_now(&camera, 7);
    let stored = client
        .upload_image(upload)
        .await
        .expect("upload over TLS")
        .into_inner();
    assert!(!stored.image_id.is_empty());

    // The bytes went to the folder given by --objects, the row to the database.
    let files = walk(objects.path());
    assert_eq!(files, 1, "one content-addressed object under {objects_url}");
    assert_eq!(db.store.pipeline_counts().await.unwrap().images, 1);

    // Plaintext to the same port gets nothing through.
    let plaintext = async {
        let channel = Channel::from_shared(format!("http://127.0.0.1:{port}"))
            .unwrap()
            .connect()
            .await?;
        IngestServiceClient::new(channel)
            .register_bin(admin(ADMIN, bin_request(1.5, 42.5)))
            .await
            .map(|_| ())
            .map_err(Box::<dyn std::error::Error>::from)
    };
    let outcome = tokio::time::timeout(Duration::from_secs(10), plaintext).await;
    assert!(
        !matches!(outcome, Ok(Ok(()))),
        "a plaintext client must not get through"
    );

    // The stream named by --stream holds the upload's message; remove it.
    let bus = Bus::connect(&bus).await.unwrap();
    bus.delete_stream().await.unwrap();
}

const BUCKET: &str = "fillroute-images";
const S3_KEY: &str = "FILLROUTETESTKEY";
const S3_SECRET: &str = "fillroute-test-secret-0123456789";

/// An S3-compatible server (s3s-fs) over a folder whose subfolder `BUCKET` is
/// the bucket. Aborting the task closes every open connection too.
async fn spawn_s3(root: &std::path::Path) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    std::fs::create_dir_all(root.join(BUCKET)).unwrap();
    let mut builder = s3s::service::S3ServiceBuilder::new(s3s_fs::FileSystem::new(root).unwrap());
    builder.set_auth(s3s::auth::SimpleAuth::from_single(S3_KEY, S3_SECRET));
    let service = builder.build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let http =
            hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
        let mut connections = tokio::task::JoinSet::new();
        while let Ok((socket, _)) = listener.accept().await {
            let conn = http
                .serve_connection(hyper_util::rt::TokioIo::new(socket), service.clone())
                .into_owned();
            connections.spawn(async move {
                let _ = conn.await;
            });
        }
    });
    (addr, task)
}

/// The credentials the S3 server accepts, as the services read them.
const S3_ENV: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", S3_KEY),
    ("AWS_SECRET_ACCESS_KEY", S3_SECRET),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_and_worker_keep_image_bytes_in_an_s3_compatible_bucket() {
    let db = TestDb::new().await;
    // RegisterBin refuses a bin outside every region.
    fillroute_ingest::testing::cover_with_region(&db.store, "test", [1.0, 42.0, 8.0, 44.0]).await;
    let s3_root = tempfile::tempdir().unwrap();
    let (s3_addr, s3) = spawn_s3(s3_root.path()).await;
    let objects =
        format!("s3://{BUCKET}?region=us-east-1&endpoint=http://{s3_addr}&allow_http=true");
    let tag = format!("{:08x}", rand::random::<u32>());
    let mut bus = BusConfig::new(NATS);
    bus.stream = format!("IMAGES_S3_{tag}");
    bus.subject_prefix = format!("s3{tag}.images");
    let common = [
        "--database-url",
        &db.url(),
        "--nats-url",
        NATS,
        "--objects",
        &objects,
    ];
    let stream = [
        "--stream",
        bus.stream.as_str(),
        "--subject-prefix",
        bus.subject_prefix.as_str(),
    ];

    // The real fill head (rendered lid-camera photos, cached like the scenario's).
    let head = fillroute_scenario::vision::Vision::load_or_train(11, 8, 16, 1, |_| {})
        .unwrap()
        .model_path;
    let vision_port = free_port();
    let _vision = spawn_fillroute(
        &[
            "vision",
            "serve",
            "--listen",
            &format!("127.0.0.1:{vision_port}"),
            "--model",
            head.to_str().unwrap(),
            "--threads",
            "1",
        ],
        &[],
    );
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let _ingest = spawn_fillroute(
        &[
            &[
                "ingest",
                "serve",
                "--listen",
                &listen,
                "--admin-token",
                ADMIN,
            ][..],
            &common,
            &stream,
        ]
        .concat(),
        &S3_ENV,
    );
    let endpoint = Endpoint::from_shared(format!("http://{listen}")).unwrap();
    let mut client = IngestServiceClient::new(connect(endpoint).await);
    // The service has created the stream; the worker can bind its consumer.
    let vision_url = format!("http://127.0.0.1:{vision_port}");
    let _worker = spawn_fillroute(
        &[
            &["ingest", "worker", "--vision-url", &vision_url][..],
            &common,
            &stream,
        ]
        .concat(),
        &S3_ENV,
    );

    let camera = register_camera(&mut client, 7.42, 43.73).await;
    let (request, bytes) = upload_now(&camera, 1);
    client
        .upload_image(request)
        .await
        .expect("upload with the bytes going to S3");

    // The bucket holds the bytes under their content address, nothing else.
    let sha = hex::encode(sha2::Sha256::digest(&bytes));
    let key = s3_root
        .path()
        .join(BUCKET)
        .join(fillroute_ingest::objects::key_for(&sha));
    assert_eq!(std::fs::read(&key).expect("object in the bucket"), bytes);
    assert_eq!(walk(&s3_root.path().join(BUCKET)), 1);

    // The worker read them back from the bucket and the vision service classified them.
    let start = Instant::now();
    loop {
        let counts = db.store.pipeline_counts().await.unwrap();
        if counts.images_with_reading == 1 && counts.classified == 1 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "no reading from the S3 image: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // With the bucket's server gone, an upload is UNAVAILABLE and stores no row.
    s3.abort();
    let _ = s3.await;
    let (request, _) = upload_now(&camera, 2);
    let status = client
        .upload_image(request)
        .await
        .expect_err("object storage is down");
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
    assert_eq!(
        db.store.pipeline_counts().await.unwrap().images,
        1,
        "nothing half-stored"
    );

    let bus = Bus::connect(&bus).await.unwrap();
    bus.delete_stream().await.unwrap();
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| if p.is_dir() { walk(&p) } else { 1 })
        .sum()
}
