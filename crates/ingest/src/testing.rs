//! Test support shared by this crate's tests and the CLI's: a throwaway
//! certificate authority for the TLS paths, a planning region for the bins
//! tests register (RegisterBin refuses a bin outside every region), and
//! request fixtures (feature `testing` only).
#![allow(clippy::unwrap_used)]

use crate::TlsConfig;
use fillroute_proto::ingest::v1 as pb;
use fillroute_store::{NewPlace, NewRegion, NewRoadNetwork, RegionId, RoadEdge, Store};
use std::path::PathBuf;

/// `message` with the admin bearer `token` in its metadata.
pub fn admin<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(message);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

/// `message` with a device's credentials (`x-device-id` and its bearer
/// `token`) in its metadata.
pub fn device<T>(device_id: &str, token: &str, message: T) -> tonic::Request<T> {
    let mut r = admin(token, message);
    r.metadata_mut()
        .insert("x-device-id", device_id.parse().unwrap());
    r
}

/// The area [`cover_with_region`] covers by default: the Netherlands around
/// Amsterdam, where this crate's and the CLI's test bins stand.
pub const TEST_AREA: [f64; 4] = [3.0, 50.0, 8.0, 54.0];

/// Makes `bbox` (`[min_lon, min_lat, max_lon, max_lat]`) the planning region
/// `name`, with a depot at its centre on a two-node road network, so that
/// RegisterBin accepts bins inside it.
pub async fn cover_with_region(store: &Store, name: &str, bbox: [f64; 4]) -> RegionId {
    let [x0, y0, x1, y1] = bbox;
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let edge = |source, target| RoadEdge {
        source,
        target,
        length_m: 100.0,
        travel_time_s: 10.0,
        highway: "residential".into(),
    };
    let network = store
        .replace_road_network(&NewRoadNetwork {
            name: name.into(),
            fingerprint: format!("test-{name}"),
            source_file: "fillroute_ingest::testing".into(),
            node_lon: vec![cx, cx + 0.001],
            node_lat: vec![cy, cy],
            node_osm_id: vec![0, 0],
            edges: vec![edge(0, 1), edge(1, 0)],
        })
        .await
        .unwrap();
    let depot_id = store
        .insert_depot(&NewPlace {
            name: format!("{name} depot"),
            lon: cx,
            lat: cy,
        })
        .await
        .unwrap();
    store
        .insert_region(&NewRegion {
            name: name.into(),
            ring: vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]],
            depot_id,
            network: network.id,
            utc_offset_s: 3600,
            time_zone: None,
            lunch_opens_s: 0,
            lunch_closes_s: 0,
            lunch_minutes: 0,
        })
        .await
        .unwrap()
}

/// A 1,100-litre residual-waste bin at (`lon`, `lat`), open all day.
pub fn bin_request(lon: f64, lat: f64) -> pb::RegisterBinRequest {
    pb::RegisterBinRequest {
        lon,
        lat,
        capacity_litres: 1100,
        waste_stream: "residual".into(),
        service_time_s: 90,
        container_type: "1100l-wheelie".into(),
        customer: "city".into(),
        time_windows: vec![],
        fill_rate_prior: None,
        fill_rate_prior_log_sd: None,
    }
}

/// A test CA and a server certificate it signed for `localhost` and
/// 127.0.0.1, written as PEM files into a temporary folder.
pub struct TestPki {
    /// Holds `server.pem` and `server.key`; removed on drop.
    pub dir: tempfile::TempDir,
    /// The CA certificate clients must trust.
    pub ca_pem: String,
}

impl TestPki {
    /// Generates the CA and the server identity.
    pub fn new() -> Self {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "fillroute test CA");
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);
        let server_key = KeyPair::generate().unwrap();
        let server =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        let server_cert = server.signed_by(&server_key, &issuer).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("server.pem"), server_cert.pem()).unwrap();
        std::fs::write(dir.path().join("server.key"), server_key.serialize_pem()).unwrap();
        Self {
            dir,
            ca_pem: ca_cert.pem(),
        }
    }

    /// The server certificate chain file.
    pub fn cert_path(&self) -> PathBuf {
        self.dir.path().join("server.pem")
    }

    /// The server key file.
    pub fn key_path(&self) -> PathBuf {
        self.dir.path().join("server.key")
    }

    /// The server side of it, as the ingest service takes it.
    pub fn config(&self) -> TlsConfig {
        TlsConfig {
            cert_path: self.cert_path(),
            key_path: self.key_path(),
        }
    }
}

impl Default for TestPki {
    fn default() -> Self {
        Self::new()
    }
}
