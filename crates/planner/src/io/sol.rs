//! CVRPLIB `.sol` files: `Route #k: i j ...` lines, then `Cost <value>`.
//! Customer `i` is the i-th non-depot node of the instance file; `0` is a
//! reload at the depot (multi-trip sets). Kim landfill visits use their own
//! non-depot number. Breaks are not written; [`solution_from_sol`] places
//! them at the first position that keeps the route feasible.
//!
//! [`check_sol`] judges a file in its own terms: violations name customers
//! and `Route #k` as the file does, and the `Cost` it states must be the cost
//! of its routes under the set's rounding convention.

use std::collections::HashMap;
use std::path::Path;

use super::{BenchInstance, Format, ReadError, parse_err, read_text};
use crate::checker::{CheckReport, Naming, check, check_named};
use crate::model::Instance;
use crate::solution::{Route, Solution, Visit};

/// Parsed `.sol` content.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SolFile {
    /// Customer numbers per route (0 = depot reload).
    pub routes: Vec<Vec<usize>>,
    /// The `k` of each route's `Route #k` (its position, 1-based, when the
    /// line has no number).
    pub numbers: Vec<usize>,
    /// The 1-based line of each route.
    pub lines: Vec<usize>,
    /// `Cost` line, if any.
    pub cost: Option<f64>,
    /// Decimals written in the `Cost` value: how precisely it is stated.
    pub cost_decimals: usize,
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
            let Some((head, body)) = rest.split_once(':') else {
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
            let number = head.trim().trim_start_matches('#').trim().parse().ok();
            out.numbers.push(number.unwrap_or(out.routes.len() + 1));
            out.lines.push(ln);
            out.routes.push(r);
        } else if let Some(rest) = line.strip_prefix("Cost") {
            let v = rest.trim_start_matches(':').trim();
            let c: f64 = v
                .parse()
                .map_err(|_| parse_err(path, ln, format!("cost `{v}` is not a number")))?;
            if !c.is_finite() {
                return Err(parse_err(path, ln, format!("cost `{v}` is not finite")));
            }
            out.cost = Some(c);
            out.cost_decimals = v.split_once('.').map_or(0, |(_, f)| {
                f.chars().take_while(char::is_ascii_digit).count()
            });
        }
    }
    Ok(out)
}

/// Reads a `.sol` file.
pub fn read_sol(path: &Path) -> Result<SolFile, ReadError> {
    parse_sol(path, &read_text(path)?)
}

/// Converts a `.sol` into a [`Solution`] for `bi`: the k-th route with
/// visits uses vehicle k (an empty `Route #k:` uses none).
pub fn solution_from_sol(
    bi: &BenchInstance,
    sol: &SolFile,
    path: &Path,
) -> Result<Solution, ReadError> {
    convert(bi, sol, path).map(|(s, _)| s)
}

/// [`solution_from_sol`], with the file's number of each solution route.
fn convert(
    bi: &BenchInstance,
    sol: &SolFile,
    path: &Path,
) -> Result<(Solution, Vec<usize>), ReadError> {
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
    let mut numbers = Vec::new();
    for (k, r) in sol.routes.iter().enumerate() {
        let number = sol.numbers.get(k).copied().unwrap_or(k + 1);
        let line = sol.lines.get(k).copied().unwrap_or(0);
        if r.is_empty() {
            continue;
        }
        if out.routes.len() >= inst.vehicles().len() {
            return Err(parse_err(
                path,
                line,
                format!(
                    "Route #{number}: {} routes with customers, but the fleet has {} vehicles",
                    sol.routes.iter().filter(|r| !r.is_empty()).count(),
                    inst.vehicles().len()
                ),
            ));
        }
        let mut visits = Vec::with_capacity(r.len());
        for &c in r {
            if let Some(&i) = stops.get(&c) {
                visits.push(Visit::Stop(i));
            } else if let Some(&d) = sites.get(&c) {
                visits.push(Visit::Disposal(d));
            } else {
                return Err(parse_err(
                    path,
                    line,
                    format!("Route #{number}: unknown customer {c}"),
                ));
            }
        }
        out.routes.push(Route {
            vehicle: out.routes.len(),
            visits,
        });
        numbers.push(number);
    }
    place_breaks(inst, &mut out);
    Ok((out, numbers))
}

/// Breaks are implicit in the file: place each where the route stays
/// feasible, trying every position (a route longer than twice the stops
/// repeats one, is infeasible anyway, and gets its break at the end rather
/// than a quadratic search).
fn place_breaks(inst: &Instance, out: &mut Solution) {
    for k in 0..out.routes.len() {
        let v = &inst.vehicles()[out.routes[k].vehicle];
        if v.break_.is_none() || out.routes[k].visits.contains(&Visit::Break) {
            continue;
        }
        let base = out.routes[k].visits.clone();
        let mut chosen = base.len();
        if base.len() <= 2 * inst.stops().len() + 2 {
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
        }
        out.routes[k].visits.insert(chosen, Visit::Break);
    }
}

/// The file's own names for what the checker reports.
struct SolNames<'a> {
    bi: &'a BenchInstance,
    numbers: &'a [usize],
}

impl Naming for SolNames<'_> {
    fn route(&self, k: usize) -> String {
        format!("Route #{}", self.numbers.get(k).copied().unwrap_or(k + 1))
    }
    fn stop(&self, _: &Instance, i: usize) -> String {
        format!("customer {}", self.bi.stop_labels[i])
    }
    fn site(&self, _: &Instance, d: usize) -> String {
        match self.bi.site_labels[d] {
            0 => "reload at the depot (0)".to_string(),
            l => format!("landfill {l}"),
        }
    }
}

/// A `.sol` judged against its instance.
#[derive(Clone, Debug)]
pub struct SolCheck {
    /// The plan as read, breaks placed.
    pub solution: Solution,
    /// The independent checker's report, worded in the file's numbering.
    pub report: CheckReport,
    /// Cost of the routes in the set's units, under its rounding convention.
    pub cost: f64,
    /// The cost the file states, if any.
    pub stated: Option<f64>,
    /// Largest difference the set's rounding explains.
    pub tolerance: f64,
    /// The set's rounding convention, in words.
    pub convention: &'static str,
    integral: bool,
}

impl SolCheck {
    /// The recomputed cost as the set writes it.
    pub fn cost_text(&self) -> String {
        if self.integral {
            format!("{}", self.cost.round() as i64)
        } else {
            format!("{:.4}", self.cost)
        }
    }

    /// Why the stated cost is wrong, with both figures; `None` when it
    /// matches (or none is stated).
    pub fn cost_mismatch(&self) -> Option<String> {
        let stated = self.stated?;
        if (stated - self.cost).abs() <= self.tolerance {
            return None;
        }
        Some(format!(
            "stated Cost {stated}, but its routes cost {} ({})",
            self.cost_text(),
            self.convention
        ))
    }
}

/// Reads `sol` as a plan for `bi`, checks it, and sets its stated cost
/// against the recomputed one.
pub fn check_sol(bi: &BenchInstance, sol: &SolFile, path: &Path) -> Result<SolCheck, ReadError> {
    let (solution, numbers) = convert(bi, sol, path)?;
    let report = check_named(
        &bi.instance,
        &solution,
        &SolNames {
            bi,
            numbers: &numbers,
        },
    );
    let arcs: usize = solution
        .routes
        .iter()
        .map(|r| r.visits.iter().filter(|v| **v != Visit::Break).count() + 1)
        .sum();
    // Integral sets (nint, DIMACS x10 truncation) are exact in fixed point.
    // Real-valued ones keep each arc to 1/scale, and the file may round (or
    // cut) its figure to the decimals it writes.
    let (integral, convention) = match bi.format {
        Format::Cvrp => (true, "EUC_2D: each arc rounded to the nearest integer"),
        Format::Mtvrptw => (true, "DIMACS: each arc truncated to one decimal, in tenths"),
        Format::Cmt | Format::Solomon => (false, "real Euclidean distances"),
        Format::Kim => (false, "Manhattan distances in feet, reported in miles"),
    };
    let tolerance = if integral {
        1e-9
    } else {
        10f64.powi(-(sol.cost_decimals.min(12) as i32)) + arcs as f64 * 0.5 / bi.scale
    };
    Ok(SolCheck {
        solution,
        cost: report.distance as f64 / bi.scale,
        report,
        stated: sol.cost,
        tolerance,
        convention,
        integral,
    })
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
