//! TSPLIB / CVRPLIB `.vrp` files: Augerat A/B/P (EUC_2D, nint per arc),
//! LKH-3 CMT (EXACT_2D real distances, DISTANCE, SERVICE_TIME, depot from
//! DEPOT_SECTION), and VRPLIB MTVRPTWR (DIMACS: truncated x10 integers,
//! reloads at the depot, release dates).

use std::collections::HashMap;
use std::path::Path;

use super::{
    BenchInstance, Format, MAX_LOCATIONS, ReadError, check_locations, euclid, fleet_size, number,
    parse_err,
};
use crate::model::{DisposalSite, InstanceBuilder, Stop, TimeWindow, Vehicle};

/// Real-distance sets keep four decimals.
pub(crate) const REAL_SCALE: f64 = 10_000.0;

pub(crate) fn parse(path: &Path, text: &str) -> Result<BenchInstance, ReadError> {
    let mut header: HashMap<String, (String, usize)> = HashMap::new();
    let mut sections: HashMap<String, Vec<(usize, Vec<f64>)>> = HashMap::new();
    let mut current: Option<String> = None;
    for (ln0, raw) in text.lines().enumerate() {
        let ln = ln0 + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if line == "EOF" {
            break;
        }
        let first = line.split_whitespace().next().unwrap_or("");
        if first.ends_with("_SECTION") {
            current = Some(first.to_string());
            sections.entry(first.to_string()).or_default();
            continue;
        }
        if let Some(idx) = line.find(':') {
            let key = line[..idx].trim();
            if key.chars().all(|c| c.is_ascii_uppercase() || c == '_') && !key.is_empty() {
                let value = line[idx + 1..].trim();
                // Refused at once: no matrix of this size will ever be built.
                if key == "DIMENSION"
                    && let Ok(d) = value.parse::<usize>()
                {
                    check_locations(path, ln, "DIMENSION", d)?;
                }
                header.insert(key.to_string(), (value.to_string(), ln));
                current = None;
                continue;
            }
        }
        let Some(sec) = &current else {
            return Err(parse_err(
                path,
                ln,
                format!("unexpected line `{line}` outside any section"),
            ));
        };
        let mut vals = Vec::new();
        for tok in line.split_whitespace() {
            vals.push(number(path, ln, tok, sec)?);
        }
        let rows = sections.get_mut(sec).expect("section exists");
        rows.push((ln, vals));
        // A node section holds one row per node: stop reading at the limit.
        // (Explicit weights, not supported, are refused after the header.)
        if rows.len() > MAX_LOCATIONS && sec != "EDGE_WEIGHT_SECTION" {
            check_locations(path, ln, &format!("rows of {sec}"), rows.len())?;
        }
    }
    let get = |k: &str| header.get(k).map(|(v, _)| v.as_str());
    let num = |k: &str| -> Result<Option<f64>, ReadError> {
        match header.get(k) {
            None => Ok(None),
            Some((v, ln)) => number(path, *ln, v, k).map(Some),
        }
    };
    let ty = get("TYPE").unwrap_or("CVRP").to_string();
    let ewt = get("EDGE_WEIGHT_TYPE").unwrap_or("EUC_2D").to_string();
    let multi_trip = ty.starts_with("MTVRPTW");
    let dim = match header.get("DIMENSION") {
        None => return Err(parse_err(path, 0, "missing DIMENSION")),
        Some((v, ln)) => v.parse::<usize>().ok().filter(|&d| d > 0).ok_or_else(|| {
            parse_err(
                path,
                *ln,
                format!("DIMENSION `{v}` is not a positive whole number"),
            )
        })?,
    };
    let capacity = num("CAPACITY")?.ok_or_else(|| parse_err(path, 0, "missing CAPACITY"))?;
    let coords = sections
        .get("NODE_COORD_SECTION")
        .ok_or_else(|| parse_err(path, 0, "missing NODE_COORD_SECTION"))?;
    if coords.len() != dim {
        return Err(parse_err(
            path,
            coords.last().map(|c| c.0).unwrap_or(0),
            format!(
                "NODE_COORD_SECTION has {} rows, DIMENSION is {dim}",
                coords.len()
            ),
        ));
    }
    let mut id_to_idx = HashMap::new();
    let mut xy = Vec::with_capacity(dim);
    for (k, (ln, v)) in coords.iter().enumerate() {
        if v.len() < 3 {
            return Err(parse_err(path, *ln, "coordinate row needs `id x y`"));
        }
        if id_to_idx.insert(v[0] as i64, k).is_some() {
            return Err(parse_err(
                path,
                *ln,
                format!("node {} appears twice in NODE_COORD_SECTION", v[0]),
            ));
        }
        xy.push((v[1], v[2]));
    }
    let node_vals = |sec: &str, min_len: usize| -> Result<Option<Vec<Vec<f64>>>, ReadError> {
        let Some(rows) = sections.get(sec) else {
            return Ok(None);
        };
        let mut out = vec![Vec::new(); dim];
        for (ln, v) in rows {
            if v.len() < min_len {
                return Err(parse_err(
                    path,
                    *ln,
                    format!("{sec} row needs {min_len} values"),
                ));
            }
            let idx = *id_to_idx
                .get(&(v[0] as i64))
                .ok_or_else(|| parse_err(path, *ln, format!("{sec}: unknown node {}", v[0])))?;
            out[idx] = v[1..].to_vec();
        }
        Ok(Some(out))
    };
    let demands = node_vals("DEMAND_SECTION", 2)?
        .ok_or_else(|| parse_err(path, 0, "missing DEMAND_SECTION"))?;
    let depot = match sections.get("DEPOT_SECTION") {
        Some(rows) => {
            let (ln, v) = rows
                .first()
                .ok_or_else(|| parse_err(path, 0, "empty DEPOT_SECTION"))?;
            *id_to_idx.get(&(v[0] as i64)).ok_or_else(|| {
                parse_err(path, *ln, format!("DEPOT_SECTION: unknown node {}", v[0]))
            })?
        }
        None => 0,
    };
    let (format, scale, round): (Format, f64, fn(f64) -> f64) = if multi_trip {
        (Format::Mtvrptw, 1.0, |d| (10.0 * d).trunc())
    } else if ewt == "EUC_2D" {
        (Format::Cvrp, 1.0, |d| d.round())
    } else if ewt == "EXACT_2D" || ewt == "EUC_2D_REAL" {
        (Format::Cmt, REAL_SCALE, |d| d)
    } else {
        return Err(parse_err(
            path,
            header.get("EDGE_WEIGHT_TYPE").map(|h| h.1).unwrap_or(0),
            format!("unsupported EDGE_WEIGHT_TYPE {ewt}"),
        ));
    };
    let time_mult = if multi_trip { 10.0 } else { 1.0 };
    let mut dist = vec![0.0; dim * dim];
    for i in 0..dim {
        for j in 0..dim {
            if i != j {
                dist[i * dim + j] = round(euclid(xy[i], xy[j]));
            }
        }
    }
    let service = num("SERVICE_TIME")?.unwrap_or(0.0);
    let tws = node_vals("TIME_WINDOW_SECTION", 3)?;
    let rel = node_vals("RELEASE_TIME_SECTION", 2)?;
    let svc = node_vals("SERVICE_TIME_SECTION", 2)?;
    let conv = |x: f64| (x * time_mult * scale).round() as i64;
    let mut b = InstanceBuilder::new()
        .profile(dist.clone(), dist, scale)
        .depot("depot", depot);
    let mut stop_labels = Vec::new();
    let mut label = 0;
    for i in 0..dim {
        if i == depot {
            continue;
        }
        label += 1;
        let q = demands[i].first().copied().unwrap_or(0.0);
        let mut s = Stop::new(format!("{}", coords[i].1[0] as i64), i, q.round() as i64);
        s.service = conv(
            svc.as_ref()
                .and_then(|v| v[i].first().copied())
                .unwrap_or(service),
        );
        if let Some(t) = &tws
            && t[i].len() >= 2
        {
            s.windows = vec![TimeWindow::new(conv(t[i][0]), conv(t[i][1]))];
        }
        if let Some(r) = &rel {
            s.release = conv(r[i].first().copied().unwrap_or(0.0));
        }
        b = b.stop(s);
        stop_labels.push(label);
    }
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    // In A/B/P the `k` of the name is the fleet; in Uchoa et al.'s X set it
    // is only the fewest routes, and the fleet is unlimited.
    let k_from_name = name
        .rsplit("-k")
        .next()
        .and_then(|k| k.parse::<usize>().ok())
        .filter(|_| name.contains("-k") && !name.starts_with("X-"));
    let fleet = fleet_size(
        num("VEHICLES")?
            .map(|v| v as usize)
            .or(k_from_name)
            .unwrap_or(dim),
        stop_labels.len(),
    );
    let shift = match &tws {
        Some(t) if t[depot].len() >= 2 => TimeWindow::new(conv(t[depot][0]), conv(t[depot][1])),
        _ => TimeWindow::OPEN,
    };
    let max_duration = num("DISTANCE")?.map(|d| (d * scale).round() as i64);
    let mut site_labels = Vec::new();
    if multi_trip {
        b = b.site(DisposalSite {
            id: "reload".into(),
            location: depot,
            hours: shift,
            unload_time: 0,
            accepts: u64::MAX,
        });
        site_labels.push(0);
    }
    for k in 0..fleet {
        let mut v = Vehicle::new(format!("v{}", k + 1), vec![capacity.round() as i64], 0);
        v.shift = shift;
        v.max_duration = max_duration;
        b = b.vehicle(v);
    }
    let instance = b.build().map_err(|source| ReadError::Model {
        path: path.display().to_string(),
        source,
    })?;
    Ok(BenchInstance {
        name,
        path: path.to_path_buf(),
        format,
        instance,
        scale,
        stop_labels,
        site_labels,
    })
}
