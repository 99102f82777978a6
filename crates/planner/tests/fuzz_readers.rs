//! Fuzzing the benchmark readers (issue 18): arbitrary bytes, token soups in
//! each format's vocabulary, and mutations of valid files must give `Ok` or
//! `Err`, never a panic, and what a reader builds stays within what the text
//! holds (locations within its lines, a fleet within its customers).
//!
//! The number of inputs per property is `FILLROUTE_FUZZ_CASES` (default
//! 1000); each property prints its count. For the full report:
//! `FILLROUTE_FUZZ_CASES=20000 cargo test -p fillroute-planner --release --test fuzz_readers -- --nocapture`
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use fillroute_planner::io::{self, BenchInstance};
use fillroute_planner::{Route, Solution, Visit, check};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

const TINY_VRP: &str = "NAME : tiny\nTYPE : CVRP\nDIMENSION : 4\nEDGE_WEIGHT_TYPE : EUC_2D\nCAPACITY : 10\nNODE_COORD_SECTION\n1 0 0\n2 3 4\n3 6 8\n4 0 5\nDEMAND_SECTION\n1 0\n2 5\n3 5\n4 5\nDEPOT_SECTION\n1\n-1\nEOF\n";
const CMT_VRP: &str = "NAME : CMT0\nTYPE : CVRP\nDIMENSION : 4\nEDGE_WEIGHT_TYPE : EXACT_2D\nCAPACITY : 10\nDISTANCE : 200\nSERVICE_TIME : 10\nNODE_COORD_SECTION\n1 3 4\n2 6 8\n3 0 5\n4 0 0\nDEMAND_SECTION\n1 5\n2 5\n3 5\n4 0\nDEPOT_SECTION\n4\n-1\nEOF\n";
const MT_VRP: &str = "NAME: C0R0.5\nTYPE: MTVRPTWR\nEDGE_WEIGHT_TYPE: EUC_2D\nDIMENSION: 4\nVEHICLES: 2\nCAPACITY: 10\nSERVICE_TIME: 9\nNODE_COORD_SECTION\n1 40 50\n2 45 68\n3 45 70\n4 42 66\nDEMAND_SECTION\n1 0\n2 5\n3 5\n4 5\nTIME_WINDOW_SECTION\n1 0 1236\n2 0 1200\n3 0 1200\n4 0 1200\nRELEASE_TIME_SECTION\n1 0\n2 10\n3 0\n4 20\nSERVICE_TIME_SECTION\n1 0\n2 9\n3 9\n4 9\nDEPOT_SECTION\n1\n-1\nEOF\n";
const SOLOMON: &str = "C9\n\nVEHICLE\nNUMBER     CAPACITY\n  3         200\n\nCUSTOMER\nCUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME\n\n    0      40         50          0          0       1236          0\n    1      45         68         10        912        967         90\n    2      45         70         30        825        870         90\n    3      42         66         10         65        146         90\n";
const KIM: &str = "280.0 // cap\n400.0\n500\n3600\n40\nStop_ID X Y\n0 1215029.00 3461398.00 0400 1500 0 9999.00 0\n1 1229125.00 3460107.00 0000 2400 1600 9999.00 2\n2 1208344.00 3469904.00 0700 2400 180 12.00 1\n3 1208544.00 3469004.00 0700 2400 180 10.00 1\n4 1209344.00 3468904.00 0700 1400 180 7.50 1\n";
const SOL: &str = "Route #1: 1 2\nRoute #2: 3\nCost 30\n";
const MT_SOL: &str = "Route #1: 1 0 2\nRoute #2: 3\nCost: 123\n";
const KIM_SOL: &str = "Route #1: 2 3 1\nRoute #2: 4 1\nCost 12.3456\n";

/// A seed: the name decides the reader, as on disk.
struct Seed {
    name: &'static str,
    text: String,
}

fn seeds() -> Vec<Seed> {
    let mut v = vec![
        Seed {
            name: "tiny.vrp",
            text: TINY_VRP.into(),
        },
        Seed {
            name: "CMT0.vrp",
            text: CMT_VRP.into(),
        },
        Seed {
            name: "C0R0.5.vrp",
            text: MT_VRP.into(),
        },
        Seed {
            name: "C9.txt",
            text: SOLOMON.into(),
        },
        Seed {
            name: "9_stop.txt",
            text: KIM.into(),
        },
    ];
    // Real files, when the shared benchmarks are present (small ones: each
    // case reads the whole file).
    for (sub, name) in [
        ("cvrp/P", "P-n16-k8.vrp"),
        ("cvrp/CMT", "CMT1.vrp"),
        ("vrptw-solomon", "C101.txt"),
        ("waste-kim2006", "102_stop.txt"),
        ("mtvrptw-reloads", "C201R0.25.vrp"),
    ] {
        if let Some(dir) = common::shared(sub)
            && let Ok(text) = std::fs::read_to_string(dir.join(name))
        {
            v.push(Seed {
                name: Box::leak(name.to_string().into_boxed_str()),
                text,
            });
        }
    }
    v
}

/// Tokens that matter to the readers: keywords, separators and the numbers
/// that break naive code (negative, zero, huge, not finite, not integral).
const TOKENS: &[&str] = &[
    "NAME",
    "TYPE",
    "CVRP",
    "MTVRPTWR",
    "DIMENSION",
    "CAPACITY",
    "VEHICLES",
    "DISTANCE",
    "SERVICE_TIME",
    "EDGE_WEIGHT_TYPE",
    "EUC_2D",
    "EXACT_2D",
    "EXPLICIT",
    "NODE_COORD_SECTION",
    "DEMAND_SECTION",
    "DEPOT_SECTION",
    "TIME_WINDOW_SECTION",
    "RELEASE_TIME_SECTION",
    "SERVICE_TIME_SECTION",
    "EDGE_WEIGHT_SECTION",
    "EOF",
    ":",
    "VEHICLE",
    "NUMBER",
    "CUST NO.",
    "Stop_ID",
    "//",
    "Route",
    "Route #1:",
    "#",
    "Cost",
    "Cost:",
    "0",
    "1",
    "2",
    "3",
    "4",
    "-1",
    "0.5",
    "1e9",
    "1e30",
    "-1e30",
    "1e308",
    "nan",
    "inf",
    "-inf",
    "NaN",
    "100000000",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "2400",
    "2599",
    "9999",
    "0000",
    "x",
    "",
    " ",
    "\t",
    "\n",
];

fn token_line() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..6).prop_map(|t| t.join(" "))
}

#[derive(Clone, Debug)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    ReplaceToken(usize, usize, &'static str),
    InsertLine(usize, String),
    Truncate(usize),
    InsertBytes(usize, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => any::<usize>().prop_map(Mutation::DeleteLine),
        1 => any::<usize>().prop_map(Mutation::DuplicateLine),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        4 => (any::<usize>(), any::<usize>(), prop::sample::select(TOKENS))
            .prop_map(|(l, t, s)| Mutation::ReplaceToken(l, t, s)),
        1 => (any::<usize>(), token_line()).prop_map(|(l, s)| Mutation::InsertLine(l, s)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, b)| Mutation::InsertBytes(at, b)),
    ]
}

fn apply(text: &str, muts: &[Mutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for m in muts {
        let n = lines.len().max(1);
        match m {
            Mutation::DeleteLine(i) => {
                if !lines.is_empty() {
                    lines.remove(i % n);
                }
            }
            Mutation::DuplicateLine(i) => {
                if !lines.is_empty() {
                    let l = lines[i % n].clone();
                    lines.insert(i % n, l);
                }
            }
            Mutation::SwapLines(a, b) => {
                if !lines.is_empty() {
                    lines.swap(a % n, b % n);
                }
            }
            Mutation::ReplaceToken(i, t, s) => {
                if let Some(l) = lines.get_mut(i % n) {
                    let mut toks: Vec<&str> = l.split_whitespace().collect();
                    if !toks.is_empty() {
                        let k = t % toks.len();
                        toks[k] = s;
                    }
                    *l = toks.join(" ");
                }
            }
            Mutation::InsertLine(i, s) => lines.insert(i % (lines.len() + 1), s.clone()),
            Mutation::Truncate(at) => {
                let joined = lines.join("\n");
                let cut = at % (joined.len() + 1);
                let cut = (0..=cut)
                    .rev()
                    .find(|&c| joined.is_char_boundary(c))
                    .unwrap_or(0);
                lines = joined[..cut].lines().map(str::to_string).collect();
            }
            Mutation::InsertBytes(at, b) => {
                let mut joined = lines.join("\n").into_bytes();
                let at = at % (joined.len() + 1);
                joined.splice(at..at, b.iter().copied());
                lines = String::from_utf8_lossy(&joined)
                    .lines()
                    .map(str::to_string)
                    .collect();
            }
        }
    }
    lines.join("\n") + "\n"
}

/// What a successful read may hold, given the text it came from.
fn assert_bounded(bi: &BenchInstance, text: &str) -> Result<(), TestCaseError> {
    let lines = text.lines().count();
    let n = bi.instance.profiles()[0].distance.len();
    prop_assert!(n <= lines, "{n} locations from {lines} lines");
    prop_assert!(n <= io::MAX_LOCATIONS);
    let stops = bi.instance.stops().len();
    prop_assert!(
        bi.instance.vehicles().len() <= stops.max(1),
        "{} vehicles for {stops} stops",
        bi.instance.vehicles().len()
    );
    Ok(())
}

/// The checker on an everything-in-one-route plan: extreme values from a
/// mutated file must not overflow it.
fn check_one_route(bi: &BenchInstance) {
    let mut visits: Vec<Visit> = (0..bi.instance.stops().len()).map(Visit::Stop).collect();
    if !bi.instance.sites().is_empty() {
        visits.push(Visit::Disposal(0));
    }
    let sol = Solution {
        routes: vec![Route { vehicle: 0, visits }],
        unserved: Vec::new(),
    };
    let _ = check(&bi.instance, &sol);
}

/// Tallies of one property.
#[derive(Default)]
struct Tally {
    inputs: u64,
    ok: u64,
}

fn cases() -> u32 {
    std::env::var("FILLROUTE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

fn run<S: Strategy>(
    what: &str,
    strategy: S,
    body: impl Fn(S::Value, &mut Tally) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let tally = std::cell::RefCell::new(Tally::default());
    let result = runner.run(&strategy, |v| {
        let mut t = tally.borrow_mut();
        t.inputs += 1;
        body(v, &mut t)
    });
    let t = tally.into_inner();
    eprintln!(
        "fuzz {what}: {} inputs tried ({} read Ok, {} refused with an error)",
        t.inputs,
        t.ok,
        t.inputs - t.ok
    );
    if let Err(e) = result {
        panic!("{what}: {e}");
    }
}

/// A number as a file would write it: mostly ordinary, sometimes one that
/// breaks naive code.
fn num() -> impl Strategy<Value = String> {
    const EDGE: &[&str] = &[
        "-1",
        "0",
        "0.5",
        "-0",
        "1e9",
        "1e10",
        "-1e9",
        "nan",
        "inf",
        "100000000",
        "18446744073709551616",
        "9999",
        "2.5",
        "1e-9",
    ];
    prop_oneof![
        30 => (0..200i64).prop_map(|v| v.to_string()),
        1 => prop::sample::select(EDGE).prop_map(str::to_string),
    ]
}

fn hhmm() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(&["0000", "0400", "0700", "1500", "2400", "1130"][..])
            .prop_map(str::to_string),
        1 => prop::sample::select(&["2599", "875", "-100", "x", "9999"][..]).prop_map(str::to_string),
    ]
}

/// A whole `.vrp` (CVRP, CMT-like or MTVRPTWR) with `n` nodes, sometimes
/// with a DIMENSION that disagrees.
fn vrp_file() -> impl Strategy<Value = String> {
    (1..9usize).prop_flat_map(|n| {
        (
            prop_oneof![4 => Just(n.to_string()), 1 => num()],
            num(),
            prop::option::of(num()),
            prop::sample::select(&["EUC_2D", "EXACT_2D", "EUC_2D_REAL", "GEO"][..]),
            prop::sample::select(&["CVRP", "MTVRPTWR"][..]),
            prop::collection::vec((num(), num(), num()), n),
            prop::option::of(prop::collection::vec((num(), num(), num()), n)),
            prop::option::of(num()),
            prop::option::of(num()),
        )
            .prop_map(move |(dim, cap, veh, ewt, ty, nodes, tws, depot, service)| {
                let mut s = format!("NAME : g\nTYPE : {ty}\nDIMENSION : {dim}\nEDGE_WEIGHT_TYPE : {ewt}\nCAPACITY : {cap}\n");
                if let Some(v) = veh {
                    s += &format!("VEHICLES : {v}\n");
                }
                if let Some(v) = service {
                    s += &format!("SERVICE_TIME : {v}\n");
                }
                s += "NODE_COORD_SECTION\n";
                for (i, (x, y, _)) in nodes.iter().enumerate() {
                    s += &format!("{} {x} {y}\n", i + 1);
                }
                s += "DEMAND_SECTION\n";
                for (i, (_, _, q)) in nodes.iter().enumerate() {
                    s += &format!("{} {q}\n", i + 1);
                }
                if let Some(tws) = tws {
                    s += "TIME_WINDOW_SECTION\n";
                    for (i, (a, b, _)) in tws.iter().enumerate() {
                        s += &format!("{} {a} {b}\n", i + 1);
                    }
                    s += "RELEASE_TIME_SECTION\n";
                    for (i, (_, _, r)) in tws.iter().enumerate() {
                        s += &format!("{} {r}\n", i + 1);
                    }
                }
                if let Some(d) = depot {
                    s += &format!("DEPOT_SECTION\n{d}\n-1\n");
                }
                s + "EOF\n"
            })
    })
}

/// A whole Solomon file: depot row first, then customers.
fn solomon_file() -> impl Strategy<Value = String> {
    (
        num(),
        num(),
        prop::collection::vec(prop::collection::vec(num(), 7), 1..9),
    )
        .prop_map(|(k, q, rows)| {
            let mut s = format!(
                "G1\n\nVEHICLE\nNUMBER     CAPACITY\n  {k}   {q}\n\nCUSTOMER\nCUST NO.  XCOORD.\n\n"
            );
            for (i, r) in rows.iter().enumerate() {
                s += &format!("{i} {}\n", r[1..].join(" "));
            }
            s
        })
}

/// A whole Kim file: five header numbers, then stop rows (depot first,
/// sometimes a landfill).
fn kim_file() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(num(), 5),
        prop::collection::vec((num(), num(), hhmm(), hhmm(), num(), num(), 0..3u8), 1..9),
    )
        .prop_map(|(h, rows)| {
            let mut s = h.join("\n") + "\nStop_ID X Y\n";
            for (i, (x, y, e, l, svc, q, ty)) in rows.iter().enumerate() {
                let ty = if i == 0 { 0 } else { *ty };
                s += &format!("{i} {x} {y} {e} {l} {svc} {q} {ty}\n");
            }
            s
        })
}

#[test]
fn instance_readers_survive_generated_whole_files() {
    let strategy = prop_oneof![
        vrp_file().prop_map(|t| ("g.vrp", t)),
        solomon_file().prop_map(|t| ("G1.txt", t)),
        kim_file().prop_map(|t| ("7_stop.txt", t)),
    ];
    run(
        "instance readers, generated whole files",
        strategy,
        |(name, text), t| {
            if let Ok(bi) = read_as(name, &text) {
                t.ok += 1;
                assert_bounded(&bi, &text)?;
                check_one_route(&bi);
            }
            Ok(())
        },
    );
}

fn read_as(name: &str, text: &str) -> Result<BenchInstance, io::ReadError> {
    io::parse_instance(Path::new(name), text)
}

#[test]
fn instance_readers_survive_arbitrary_bytes() {
    let names = ["x.vrp", "C1.txt", "1_stop.txt"];
    run(
        "instance readers, arbitrary bytes",
        (
            prop::sample::select(names.to_vec()),
            prop::collection::vec(any::<u8>(), 0..512),
        ),
        |(name, bytes), t| {
            let text = String::from_utf8_lossy(&bytes);
            if let Ok(bi) = read_as(name, &text) {
                t.ok += 1;
                assert_bounded(&bi, &text)?;
            }
            Ok(())
        },
    );
}

#[test]
fn instance_readers_survive_token_soup() {
    let names = ["x.vrp", "C1.txt", "1_stop.txt"];
    run(
        "instance readers, token soup",
        (
            prop::sample::select(names.to_vec()),
            prop::collection::vec(token_line(), 0..40),
        ),
        |(name, lines), t| {
            let text = lines.join("\n");
            if let Ok(bi) = read_as(name, &text) {
                t.ok += 1;
                assert_bounded(&bi, &text)?;
                check_one_route(&bi);
            }
            Ok(())
        },
    );
}

#[test]
fn instance_readers_survive_mutated_valid_files() {
    let seeds = seeds();
    run(
        &format!(
            "instance readers, mutated valid files ({} seeds)",
            seeds.len()
        ),
        (0..seeds.len(), prop::collection::vec(mutation(), 1..6)),
        |(k, muts), t| {
            let text = apply(&seeds[k].text, &muts);
            if let Ok(bi) = read_as(seeds[k].name, &text) {
                t.ok += 1;
                assert_bounded(&bi, &text)?;
                check_one_route(&bi);
            }
            Ok(())
        },
    );
}

#[test]
fn the_valid_seeds_read() {
    for s in seeds() {
        read_as(s.name, &s.text).unwrap_or_else(|e| panic!("{}: {e}", s.name));
    }
}

/// `.sol` files, mutated and checked against their instance: parse, convert
/// (Kim places breaks by trial), check, compare the stated cost.
#[test]
fn sol_reader_and_checker_survive_mutated_solutions() {
    let pairs: Vec<(BenchInstance, &str)> = [
        ("tiny.vrp", TINY_VRP, SOL),
        ("C0R0.5.vrp", MT_VRP, MT_SOL),
        ("9_stop.txt", KIM, KIM_SOL),
    ]
    .into_iter()
    .map(|(n, t, s)| (read_as(n, t).unwrap(), s))
    .collect();
    let path = PathBuf::from("x.sol");
    run(
        "sol reader + checker, mutated solutions",
        (0..pairs.len(), prop::collection::vec(mutation(), 1..6)),
        |(k, muts), t| {
            let (bi, sol) = &pairs[k];
            let text = apply(sol, &muts);
            if let Ok(sol) = io::parse_sol(&path, &text) {
                prop_assert!(sol.routes.len() <= text.lines().count());
                if let Ok(checked) = io::check_sol(bi, &sol, &path) {
                    t.ok += 1;
                    let _ = checked.cost_mismatch();
                }
            }
            Ok(())
        },
    );
}

#[test]
fn sol_reader_survives_arbitrary_bytes() {
    let path = PathBuf::from("x.sol");
    run(
        "sol reader, arbitrary bytes",
        prop::collection::vec(any::<u8>(), 0..512),
        |bytes, t| {
            if io::parse_sol(&path, &String::from_utf8_lossy(&bytes)).is_ok() {
                t.ok += 1;
            }
            Ok(())
        },
    );
}
