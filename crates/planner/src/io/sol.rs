//! CVRPLIB `.sol` files: `Route #k: i j ...` lines, then `Cost <value>`.
//! Customer `i` is the i-th non-depot node of the instance file; `0` is a
//! reload at the depot (multi-trip sets). Kim landfill visits use their own
//! non-depot number. Breaks are not written; [`solution_from_sol`] places
//! them at the first position that keeps the route feasible.

use std::collections::HashMap;
use std::path::Path;

use super::{BenchInstance, ReadError, parse_err, read_text};
use crate::checker::check;
use crate::solution::{Route, Solution, Visit};

/// Parsed `.sol` content.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SolFile {
    /// Customer numbers per route (0 = depot reload).
    pub routes: Vec<Vec<usize>>,
    /// `Cost` line, if any.
    pub cost: Option<f64>,
}

/// Parses `.sol` text.
pub fn parse_sol(path: &Path, text: &str) -> Result<SolFile, ReadError> {
    let mut out = SolFile::default();
    for (ln0, raw) in text.lines().enumerate() {
        let ln = ln0 + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("Route") {
            let Some((_, body)) = rest.split_once(':') else {
                return Err(parse_err(
                    path,
                    ln,
                    "route line must look like `Route #k: i j ...`",
                ));
            };
            let mut r = Vec::new();
            for t in body.split_whitespace() {
                r.push(
                    t.parse().map_err(|_| {
                        parse_err(path, ln, format!("`{t}` is not a customer number"))
                    })?,
                );
            }
            out.routes.push(r);
        } else if let Some(rest) = line.strip_prefix("Cost") {
            let v = rest.trim_start_matches(':').trim();
            out.cost = Some(
                v.parse()
                    .map_err(|_| parse_err(path, ln, format!("cost `{v}` is not a number")))?,
            );
        }
    }
    Ok(out)
}

/// Reads a `.sol` file.
pub fn read_sol(path: &Path) -> Result<SolFile, ReadError> {
    parse_sol(path, &read_text(path)?)
}

/// Converts a `.sol` into a [`Solution`] for `bi` (route k uses vehicle k).
pub fn solution_from_sol(
    bi: &BenchInstance,
    sol: &SolFile,
    path: &Path,
) -> Result<Solution, ReadError> {
    let stops: HashMap<usize, usize> = bi
        .stop_labels
        .iter()
        .enumerate()
        .map(|(i, &l)| (l, i))
        .collect();
    let sites: HashMap<usize, usize> = bi
        .site_labels
        .iter()
        .enumerate()
        .map(|(i, &l)| (l, i))
        .collect();
    let inst = &bi.instance;
    let mut out = Solution::default();
    for (k, r) in sol.routes.iter().enumerate() {
        if k >= inst.vehicles().len() {
            return Err(parse_err(
                path,
                0,
                format!(
                    "{} routes but the fleet has {} vehicles",
                    sol.routes.len(),
                    inst.vehicles().len()
                ),
            ));
        }
        let mut visits = Vec::new();
        for &c in r {
            if let Some(&i) = stops.get(&c) {
                visits.push(Visit::Stop(i));
            } else if let Some(&d) = sites.get(&c) {
                visits.push(Visit::Disposal(d));
            } else {
                return Err(parse_err(
                    path,
                    0,
                    format!("route {}: unknown customer {c}", k + 1),
                ));
            }
        }
        out.routes.push(Route { vehicle: k, visits });
    }
    // Breaks are implicit in the file: place each where the route stays feasible.
    for k in 0..out.routes.len() {
        let v = &inst.vehicles()[out.routes[k].vehicle];
        if v.break_.is_none() || out.routes[k].visits.contains(&Visit::Break) {
            continue;
        }
        let base = out.routes[k].visits.clone();
        let mut chosen = base.len();
        for p in 0..=base.len() {
            let mut vis = base.clone();
            vis.insert(p, Visit::Break);
            let single = Solution {
                routes: vec![Route {
                    vehicle: out.routes[k].vehicle,
                    visits: vis,
                }],
                unserved: Vec::new(),
            };
            let rep = check(inst, &single);
            if rep
                .violations
                .iter()
                .all(|m| m.starts_with("required stop"))
            {
                chosen = p;
                break;
            }
        }
        out.routes[k].visits.insert(chosen, Visit::Break);
    }
    Ok(out)
}

/// Writes `solution` in CVRPLIB form, with `cost` in the set's units.
pub fn write_sol(bi: &BenchInstance, solution: &Solution, cost: f64) -> String {
    let mut s = String::new();
    let mut k = 0;
    for r in &solution.routes {
        let labels: Vec<String> = r
            .visits
            .iter()
            .filter_map(|v| match *v {
                Visit::Stop(i) => Some(bi.stop_labels[i].to_string()),
                Visit::Disposal(d) => Some(bi.site_labels[d].to_string()),
                Visit::Break => None,
            })
            .collect();
        if labels.is_empty() {
            continue;
        }
        k += 1;
        s.push_str(&format!("Route #{k}: {}\n", labels.join(" ")));
    }
    let c = if (cost - cost.round()).abs() < 1e-9 {
        format!("{}", cost.round() as i64)
    } else {
        format!("{cost:.4}")
    };
    s.push_str(&format!("Cost {c}\n"));
    s
}
