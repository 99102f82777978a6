//! Solomon VRPTW `.txt`: real Euclidean distances, travel time = distance.

use std::path::Path;

use super::tsplib::REAL_SCALE;
use super::{
    BenchInstance, Format, ReadError, check_locations, euclid, fleet_size, number, parse_err,
};
use crate::model::{InstanceBuilder, Stop, TimeWindow, Vehicle};

pub(crate) fn parse(path: &Path, text: &str) -> Result<BenchInstance, ReadError> {
    let mut fleet: Option<(usize, f64)> = None;
    let mut rows: Vec<(usize, [f64; 7])> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i].trim();
        if l.starts_with("NUMBER") && fleet.is_none() {
            // Next non-empty line: "K Q".
            let mut j = i + 1;
            while j < lines.len() && lines[j].trim().is_empty() {
                j += 1;
            }
            let v: Vec<&str> = lines
                .get(j)
                .map(|x| x.split_whitespace().collect())
                .unwrap_or_default();
            let (Some(k), Some(q)) = (
                v.first().and_then(|x| x.parse::<usize>().ok()),
                v.get(1)
                    .and_then(|x| number(path, j + 1, x, "CAPACITY").ok()),
            ) else {
                return Err(parse_err(
                    path,
                    j + 1,
                    "expected `NUMBER CAPACITY` values (a whole number of vehicles, a capacity)",
                ));
            };
            fleet = Some((k, q));
            i = j + 1;
            continue;
        }
        if l.chars().next().is_some_and(|c| c.is_ascii_digit()) && fleet.is_some() {
            let toks: Vec<&str> = l.split_whitespace().collect();
            if toks.len() < 7 {
                return Err(parse_err(
                    path,
                    i + 1,
                    format!("customer row has {} fields, expected 7", toks.len()),
                ));
            }
            let mut v = [0.0; 7];
            for (k, t) in toks.iter().take(7).enumerate() {
                v[k] = number(path, i + 1, t, "a customer row")?;
            }
            rows.push((i + 1, v));
            check_locations(path, i + 1, "depot and customer rows", rows.len())?;
        }
        i += 1;
    }
    let (k, q) =
        fleet.ok_or_else(|| parse_err(path, 0, "missing VEHICLE NUMBER/CAPACITY block"))?;
    if rows.is_empty() {
        return Err(parse_err(path, 0, "no customer rows"));
    }
    let n = rows.len();
    let mut dist = vec![0.0; n * n];
    for a in 0..n {
        for b in 0..n {
            if a != b {
                dist[a * n + b] =
                    euclid((rows[a].1[1], rows[a].1[2]), (rows[b].1[1], rows[b].1[2]));
            }
        }
    }
    let s = |x: f64| (x * REAL_SCALE).round() as i64;
    let depot = &rows[0].1;
    let mut b = InstanceBuilder::new()
        .profile(dist.clone(), dist, REAL_SCALE)
        .depot("depot", 0);
    let mut labels = Vec::new();
    for (idx, (_, r)) in rows.iter().enumerate().skip(1) {
        let mut st = Stop::new(format!("{}", r[0] as i64), idx, r[3].round() as i64);
        st.windows = vec![TimeWindow::new(s(r[4]), s(r[5]))];
        st.service = s(r[6]);
        b = b.stop(st);
        labels.push(idx);
    }
    for v in 0..fleet_size(k, labels.len()) {
        let mut veh = Vehicle::new(format!("v{}", v + 1), vec![q.round() as i64], 0);
        veh.shift = TimeWindow::new(s(depot[4]), s(depot[5]));
        b = b.vehicle(veh);
    }
    let instance = b.build().map_err(|source| ReadError::Model {
        path: path.display().to_string(),
        source,
    })?;
    Ok(BenchInstance {
        name: String::new(),
        path: path.to_path_buf(),
        format: Format::Solomon,
        instance,
        scale: REAL_SCALE,
        stop_labels: labels,
        site_labels: Vec::new(),
    })
}
