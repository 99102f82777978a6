//! Kim, Kim & Sahoo (2006) waste-collection instances: coordinates in feet,
//! Manhattan distance, 40 mph, landfills (type 2) with unload times, a
//! one-hour lunch starting 11:00-12:00, daily caps on yards and stops, and a
//! landfill visit before returning to the depot.
//!
//! Units: distance in feet (reported in miles), time in tenths of a second.
//! HHMM values with minutes >= 60 (four rows in 1932/2100) carry into the hour.

use std::path::Path;

use super::{BenchInstance, Format, ReadError, check_locations, fleet_size, number, parse_err};
use crate::model::{Break, DisposalSite, InstanceBuilder, Stop, TimeWindow, Vehicle};

/// Feet per mile: the reported unit.
pub(crate) const FEET_PER_MILE: f64 = 5280.0;
/// Time units per second.
const TPS: f64 = 10.0;

fn hhmm(path: &Path, ln: usize, tok: &str) -> Result<i64, ReadError> {
    let v: i64 = tok
        .parse()
        .map_err(|_| parse_err(path, ln, format!("time `{tok}` is not HHMM")))?;
    let (h, m) = (v / 100, v % 100);
    // A few rows (e.g. 1932_stop.txt:1484 `875`) have minutes >= 60; they are
    // read by carrying into the hour (8:75 = 9:15) rather than rejected.
    if !(0..=24).contains(&h) || v < 0 {
        return Err(parse_err(
            path,
            ln,
            format!("time `{tok}` is not a valid HHMM"),
        ));
    }
    Ok(((h * 3600 + m * 60) as f64 * TPS) as i64)
}

pub(crate) fn parse(path: &Path, text: &str) -> Result<BenchInstance, ReadError> {
    let mut header = Vec::new();
    let mut rows = Vec::new();
    for (ln0, raw) in text.lines().enumerate() {
        let ln = ln0 + 1;
        let line = raw.split("//").next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if header.len() < 5 {
            let tok = line.split_whitespace().next().unwrap_or("");
            let v = number(path, ln, tok, "a header line").map_err(|_| {
                parse_err(
                    path,
                    ln,
                    format!("header line must start with a number within ±1e9, not `{tok}`"),
                )
            })?;
            header.push(v);
            continue;
        }
        if line.starts_with("Stop_ID") {
            continue;
        }
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.len() < 8 {
            return Err(parse_err(
                path,
                ln,
                format!("stop row has {} fields, expected 8", t.len()),
            ));
        }
        let f = |k: usize| number(path, ln, t[k], "a stop row");
        let ty = f(7)? as i64;
        if !(0..=2).contains(&ty) {
            return Err(parse_err(
                path,
                ln,
                format!("stop type {ty} is not 0, 1 or 2"),
            ));
        }
        rows.push((
            ln,
            f(1)?,
            f(2)?,
            hhmm(path, ln, t[3])?,
            hhmm(path, ln, t[4])?,
            f(5)?,
            f(6)?,
            ty,
        ));
        check_locations(path, ln, "stop rows", rows.len())?;
    }
    if header.len() < 5 {
        return Err(parse_err(
            path,
            0,
            "expected 5 header lines (capacity, daily yards, daily stops, lunch seconds, mph)",
        ));
    }
    if header[4] < 1.0 {
        return Err(parse_err(
            path,
            0,
            format!(
                "speed {} mph: the fifth header line must be at least 1",
                header[4]
            ),
        ));
    }
    let (cap, day_yards, day_stops, lunch, mph) = (
        header[0],
        header[1],
        header[2] as usize,
        header[3],
        header[4],
    );
    let depot = rows
        .iter()
        .position(|r| r.7 == 0)
        .ok_or_else(|| parse_err(path, 0, "no depot (type 0) row"))?;
    let n = rows.len();
    let feet_per_unit = mph * FEET_PER_MILE / 3600.0 / TPS; // feet per time unit
    let mut dist = vec![0.0; n * n];
    let mut time = vec![0.0; n * n];
    for a in 0..n {
        for b in 0..n {
            let d = (rows[a].1 - rows[b].1).abs() + (rows[a].2 - rows[b].2).abs();
            dist[a * n + b] = d;
            time[a * n + b] = d / feet_per_unit;
        }
    }
    let yards = |y: f64| (y * 100.0).round() as i64; // centi-yards
    let mut b = InstanceBuilder::new()
        .profile(dist, time, 1.0)
        .depot("depot", depot);
    let mut stop_labels = Vec::new();
    let mut site_labels = Vec::new();
    let mut label = 0;
    let mut total = 0i64;
    for (k, r) in rows.iter().enumerate() {
        if k == depot {
            continue;
        }
        label += 1;
        let svc = (r.5 * TPS).round() as i64;
        if r.7 == 2 {
            b = b.site(DisposalSite {
                id: format!("landfill{label}"),
                location: k,
                hours: TimeWindow::new(r.3, r.4),
                unload_time: svc,
                accepts: u64::MAX,
            });
            site_labels.push(label);
        } else {
            let mut s = Stop::new(format!("{label}"), k, yards(r.6));
            s.windows = vec![TimeWindow::new(r.3, r.4)];
            s.service = svc;
            total = total.saturating_add(yards(r.6));
            b = b.stop(s);
            stop_labels.push(label);
        }
    }
    let d = &rows[depot];
    let by_yards = (total as f64 / yards(day_yards).max(1) as f64).ceil() as usize;
    let fleet = fleet_size(
        by_yards
            .saturating_mul(2)
            .max(stop_labels.len() / 40)
            .max(4)
            .saturating_add(2),
        stop_labels.len(),
    );
    for v in 0..fleet {
        let mut veh = Vehicle::new(format!("truck{}", v + 1), vec![yards(cap)], 0);
        veh.route_capacity = Some(vec![yards(day_yards)]);
        veh.max_stops = Some(day_stops);
        veh.shift = TimeWindow::new(d.3, d.4);
        veh.break_ = Some(Break {
            window: TimeWindow::new((11.0 * 3600.0 * TPS) as i64, (12.0 * 3600.0 * TPS) as i64),
            duration: (lunch * TPS).round() as i64,
        });
        veh.final_disposal_required = true;
        b = b.vehicle(veh);
    }
    let instance = b.build().map_err(|source| ReadError::Model {
        path: path.display().to_string(),
        source,
    })?;
    Ok(BenchInstance {
        name: String::new(),
        path: path.to_path_buf(),
        format: Format::Kim,
        instance,
        scale: FEET_PER_MILE,
        stop_labels,
        site_labels,
    })
}
