//! Puts the scenario's city into the services the way an operator would:
//! the road network, depot, disposal sites, trucks and the planning region
//! through the store (there is no API for them yet), and every bin and its
//! lid camera through `IngestService`'s admin calls.

use std::collections::HashMap;
use std::path::Path;

use fillroute_proto::ingest::v1 as pb;
use fillroute_scenario::config::parse_clock;
use fillroute_scenario::{Scenario, World};
use fillroute_store::{BinId, NewDisposalSite, NewPlace, NewRegion, NewTruck};

use crate::error::{Result, call, invalid};
use crate::services::{Services, bearer};

/// One bin's identity in the services.
#[derive(Debug, Clone)]
pub struct Camera {
    /// The bin's database id.
    pub bin: i64,
    /// The lid camera's device id.
    pub device_id: String,
    /// Its token.
    pub token: String,
}

impl Camera {
    /// `message` with this camera's credentials.
    pub fn req<T>(&self, message: T) -> tonic::Request<T> {
        let mut r = bearer(&self.token, message);
        if let Ok(v) = self.device_id.parse() {
            r.metadata_mut().insert("x-device-id", v);
        }
        r
    }
}

/// The registered city.
#[derive(Debug, Clone)]
pub struct City {
    /// Planning region name.
    pub region: String,
    /// Camera per scenario bin (same order as `World::bins`).
    pub cameras: Vec<Camera>,
    /// Scenario bin index per database bin id.
    pub bin_index: HashMap<i64, usize>,
    /// Scenario disposal site index per database id.
    pub site_index: HashMap<i64, usize>,
}

fn seconds(field: &str, hhmm: &str) -> Result<i32> {
    Ok(parse_clock(field, hhmm)? as i32)
}

/// Registers everything the nightly job and the cameras need.
pub async fn register(s: &Scenario, world: &World, services: &mut Services) -> Result<City> {
    let store = services.store.clone();
    let name = format!("scenario-{}", sanitize(&s.name));
    let rows = fillroute_planning::network::to_rows(
        &world.net,
        &name,
        Path::new(&format!("scenario:{}", s.name)),
    );
    let network = store.replace_road_network(&rows).await?;

    let t = &s.trucks;
    let depot_index = t
        .depot
        .as_ref()
        .and_then(|d| world.depots.iter().position(|x| &x.id == d))
        .unwrap_or(0);
    let depot = &world.depots[depot_index];
    let depot_id = store
        .insert_depot(&NewPlace {
            name: depot.id.clone(),
            lon: depot.at.lon(),
            lat: depot.at.lat(),
        })
        .await?;
    let mut site_index = HashMap::new();
    for (i, (site, cfg)) in world.sites.iter().zip(&s.disposal_sites).enumerate() {
        let id = store
            .insert_disposal_site(&NewDisposalSite {
                place: NewPlace {
                    name: site.id.clone(),
                    lon: site.at.lon(),
                    lat: site.at.lat(),
                },
                service_time_s: (cfg.unload_minutes * 60.0).round() as i32,
                opens_s: seconds("disposal_sites.hours[0]", &cfg.hours[0])?,
                closes_s: seconds("disposal_sites.hours[1]", &cfg.hours[1])?,
            })
            .await?;
        site_index.insert(id, i);
    }
    // The region is the network's bounding box with a margin: every bin is in it.
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for n in world.net.node_ids() {
        let p = world
            .net
            .position(n)
            .map_err(fillroute_scenario::ScenarioError::from)?;
        (x0, y0, x1, y1) = (
            x0.min(p.lon()),
            y0.min(p.lat()),
            x1.max(p.lon()),
            y1.max(p.lat()),
        );
    }
    let m = 0.01;
    let (lunch_opens_s, lunch_closes_s, lunch_minutes) = match &t.lunch {
        Some(l) => (
            seconds("trucks.lunch.window[0]", &l.window[0])?,
            seconds("trucks.lunch.window[1]", &l.window[1])?,
            l.minutes.round() as i32,
        ),
        None => (0, 0, 0),
    };
    if !t.final_disposal && !s.disposal_sites.is_empty() {
        return Err(invalid(
            "trucks.final_disposal",
            "false",
            "the nightly job always ends a shift at a disposal site when one exists; \
             set final_disposal = true for --stack",
        ));
    }
    store
        .insert_region(&NewRegion {
            name: name.clone(),
            ring: vec![
                [x0 - m, y0 - m],
                [x1 + m, y0 - m],
                [x1 + m, y1 + m],
                [x0 - m, y1 + m],
                [x0 - m, y0 - m],
            ],
            depot_id,
            network: network.id,
            utc_offset_s: s.utc_offset_hours * 3600,
            time_zone: None,
            lunch_opens_s,
            lunch_closes_s,
            lunch_minutes,
        })
        .await?;
    // The scenario's capacity is compacted litres; the nightly job counts bin litres.
    let capacity = (t.capacity_litres * t.compaction).round() as i32;
    for k in 0..t.count {
        store
            .insert_truck(&NewTruck {
                name: format!("truck-{}", k + 1),
                depot_id,
                capacity_litres: capacity,
                shift_start_s: seconds("trucks.shift[0]", &t.shift[0])?,
                shift_end_s: seconds("trucks.shift[1]", &t.shift[1])?,
                cost_per_km: t.eur_per_km,
                cost_per_hour: t.eur_per_hour,
            })
            .await?;
    }

    let admin = services.admin_token.clone();
    let mut cameras = Vec::with_capacity(world.bins.len());
    let mut bin_index = HashMap::new();
    let cadence_s = (86_400 / s.cameras.per_day.max(1)) as u32;
    for (b, bin) in world.bins.iter().enumerate() {
        let prior = s.planning_prior(&bin.zone);
        let request = pb::RegisterBinRequest {
            lon: bin.at.lon(),
            lat: bin.at.lat(),
            capacity_litres: bin.litres.round() as u32,
            waste_stream: "residual".into(),
            service_time_s: (t.service_minutes * 60.0).round() as u32,
            container_type: format!("{:.0}l", bin.litres),
            customer: bin.zone.clone(),
            time_windows: bin
                .window
                .map(|(a, c)| pb::TimeWindow {
                    weekday: None,
                    opens_s: a as u32,
                    closes_s: c as u32,
                })
                .into_iter()
                .collect(),
            fill_rate_prior: prior.map(|p| p.rate_per_day),
            fill_rate_prior_log_sd: prior.map(|p| p.log_sd),
        };
        let id = services
            .ingest
            .register_bin(bearer(&admin, request))
            .await
            .map_err(call("RegisterBin", 0))?
            .into_inner()
            .bin_id;
        if let Some(days) = s.bins.max_interval_days {
            store.set_max_interval(BinId(id), Some(days)).await?;
        }
        let device = services
            .ingest
            .register_device(bearer(
                &admin,
                pb::RegisterDeviceRequest {
                    bin_id: id,
                    firmware: "lidcam-sim".into(),
                    cadence_s,
                    max_upload_bytes: 0,
                    uploads_per_minute: 10_000,
                },
            ))
            .await
            .map_err(call("RegisterDevice", 0))?
            .into_inner();
        bin_index.insert(id, b);
        cameras.push(Camera {
            bin: id,
            device_id: device.device_id,
            token: device.token,
        });
    }
    Ok(City {
        region: name,
        cameras,
        bin_index,
        site_index,
    })
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
