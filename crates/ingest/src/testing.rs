//! Test support shared by this crate's tests and the CLI's: a throwaway
//! certificate authority for the TLS paths, and request fixtures (feature
//! `testing` only).
#![allow(clippy::unwrap_used)]

use crate::TlsConfig;
use fillroute_proto::ingest::v1 as pb;
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
