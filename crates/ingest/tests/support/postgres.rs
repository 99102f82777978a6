//! A private PostgreSQL cluster (own data folder, own loopback port) that a
//! test may stop and start like an operator would, without touching the
//! shared server other tests use. PostgreSQL refuses to run as root, so when
//! the tests run as root the server tools run as the `postgres` user.
#![allow(dead_code, clippy::unwrap_used)]

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A running (or stopped) private cluster; dropped means stopped and deleted.
pub struct PrivatePostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

/// The newest installed PostgreSQL major that also has PostGIS, or a panic
/// naming the apt package to install.
fn server_binaries() -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let mut majors: Vec<u32> = std::fs::read_dir(root)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .filter(|m: &u32| root.join(m.to_string()).join("bin/pg_ctl").exists())
                .collect()
        })
        .unwrap_or_default();
    majors.sort_unstable();
    let Some(major) = majors.last() else {
        panic!(
            "no PostgreSQL server binaries (initdb, pg_ctl) under {}: install the apt package \
             postgresql-15 (match `ls /etc/postgresql`), e.g. `apt-get install postgresql-15 postgresql-15-postgis-3`",
            root.display()
        );
    };
    let control = format!("/usr/share/postgresql/{major}/extension/postgis.control");
    assert!(
        Path::new(&control).exists(),
        "PostgreSQL {major} has no PostGIS ({control} is missing): install the apt package \
         postgresql-{major}-postgis-3"
    );
    root.join(major.to_string()).join("bin")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl PrivatePostgres {
    /// Creates a cluster with trust authentication and starts it.
    pub fn start() -> Self {
        let bin = server_binaries();
        // `/proc/self` is owned by the effective user.
        let as_postgres = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
        let dir = tempfile::Builder::new()
            .prefix("fillroute-pg-")
            .tempdir()
            .unwrap();
        if as_postgres {
            let status = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown runs");
            assert!(
                status.success(),
                "chown of {} to the `postgres` user failed: create that user (apt package postgresql-common does)",
                dir.path().display()
            );
        }
        let pg = Self {
            bin,
            dir,
            port: free_port(),
            as_postgres,
        };
        pg.run(
            "initdb",
            &[
                "-D",
                &pg.data(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        pg.start_server();
        pg
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// Runs one server tool (as `postgres` when we are root), panicking with its output on failure.
    fn run(&self, tool: &str, args: &[&str]) {
        let exe = self.bin.join(tool);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = command
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("{} does not run: {e}", exe.display()));
        assert!(
            out.status.success(),
            "{tool} {args:?} failed ({}):\n{}\n{}\nserver log:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
        );
    }

    fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=16MB -c max_connections=60",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-o",
                &options,
                "-w",
                "start",
            ],
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "private PostgreSQL on port {} did not accept connections",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's URL for database `postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server the way an operator's restart does (`pg_ctl stop -m
    /// fast`): open sessions are terminated and connections refused.
    pub fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    /// Starts the stopped server again on the same port and data.
    pub fn restart(&self) {
        self.start_server();
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let exe = self.bin.join("pg_ctl");
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let _ = command
            .args(["-D", &self.data(), "-m", "immediate", "-w", "stop"])
            .current_dir(self.dir.path())
            .output();
    }
}
