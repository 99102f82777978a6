//! Fuzzing the scenario reader (issue 18): whatever text a user hands to
//! `fillroute scenario check`, the answer is Ok or an error that names what
//! to fix, never a panic; and a scenario `check` accepts builds its world
//! without the road network refusing it (the same validation as `run`).
//!
//! Three generators: TOML-ish text from scenario keys and hostile values,
//! byte edits of the shipped scenarios, and value edits of their TOML tree
//! (so edits reach the validation behind the parser). The case counts are
//! printed (`--nocapture`); `PROPTEST_CASES` scales them.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use fillroute_scenario::{Scenario, ScenarioError, World};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestRunner};
use toml::Value;

/// Cases per generator: `PROPTEST_CASES`, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        // Found cases are kept below as named tests, not in a side file.
        failure_persistence: None,
        ..Config::default()
    })
}

/// The shipped scenarios, with relative paths made absolute so that the
/// text alone reads the same as the file.
fn shipped() -> Vec<(&'static str, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    ["small", "andorra", "metro"]
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(format!("{name}.toml")))
                .unwrap_or_else(|e| panic!("{name}.toml: {e}"));
            let text = text.replace("file = \"../", &format!("file = \"{}/../", dir.display()));
            (name, text)
        })
        .collect()
}

/// What the reader must do with any input: return, and when it refuses,
/// say where (a parser message or a named field with a fix).
fn read(text: &str) -> Option<Scenario> {
    match Scenario::from_toml_str(text) {
        Ok(s) => Some(s),
        Err(ScenarioError::Parse { message, .. }) => {
            assert!(!message.is_empty(), "empty parser message");
            None
        }
        Err(ScenarioError::Invalid { field, fix, .. }) => {
            assert!(!field.is_empty() && !fix.is_empty(), "{field}: {fix}");
            None
        }
        Err(e) => panic!("the reader failed underneath, not on the input: {e}"),
    }
}

/// A scenario `check` accepted must not be refused by the road network when
/// `run` builds its world (small cities only, to keep the fuzzing quick).
fn build_if_small(s: &Scenario) {
    let Some(g) = &s.roads.grid else { return };
    let locations = s.depots.len() + s.disposal_sites.len() + s.bins.count + s.bins.explicit.len();
    if u64::from(g.blocks_x) * u64::from(g.blocks_y) > 400 || locations > 120 {
        return;
    }
    match World::build(s) {
        Ok(_) | Err(ScenarioError::Invalid { .. }) => {}
        Err(e) => panic!("`check` accepted a scenario that `run` refuses: {e}"),
    }
}

const SECTIONS: &[&str] = &[
    "[run]",
    "[roads]",
    "[roads.grid]",
    "[[depots]]",
    "[[disposal_sites]]",
    "[bins]",
    "[[bins.zones]]",
    "[[bins.explicit]]",
    "[trucks]",
    "[trucks.lunch]",
    "[cameras]",
    "[[policies]]",
];

const KEYS: &[&str] = &[
    "name",
    "start_date",
    "utc_offset_hours",
    "days",
    "seed",
    "planner_seconds",
    "planner_iterations",
    "map_days",
    "file",
    "blocks_x",
    "blocks_y",
    "block_m",
    "origin",
    "id",
    "at",
    "hours",
    "count",
    "share",
    "rate_mean",
    "containers_litres",
    "window",
    "holidays",
    "capacity_litres",
    "shift",
    "per_day",
    "kind",
    "per_week",
    "risk_level",
    "calendar",
];

/// TOML value texts chosen to hit edges: huge, negative, non-finite,
/// impossible dates and clocks, wrong types.
const VALUES: &[&str] = &[
    "0",
    "-1",
    "1",
    "7",
    "366",
    "367",
    "65536",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "1e308",
    "-1e308",
    "5e-324",
    "nan",
    "inf",
    "-inf",
    "-0.0",
    "95.0",
    "[4.35, 95.0]",
    "[181, 0]",
    "[nan, nan]",
    "[]",
    "[[]]",
    "{}",
    "true",
    "\"\"",
    "\"2026-02-31\"",
    "\"2026-02-29\"",
    "\"9999-12-31\"",
    "\"24:00\"",
    "\"25:61\"",
    "\"-1:00\"",
    "[\"06:00\", \"05:00\"]",
    "\"fixed\"",
    "\"forecast_risk\"",
    "\"a/b\"",
    "1979-05-27T07:32:00Z",
    "'''x'''",
];

fn tomlish_line() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (prop::sample::select(KEYS), prop::sample::select(VALUES))
            .prop_map(|(k, v)| format!("{k} = {v}")),
        1 => prop::sample::select(SECTIONS).prop_map(str::to_string),
        1 => "\\PC{0,24}",
        1 => "[=\\[\\]{}\",. a-z0-9\\-:#'\\\\]{0,24}",
    ]
}

#[test]
fn tomlish_text_is_read_or_refused_never_a_panic() {
    let tried = AtomicU64::new(0);
    let mut r = runner(cases(4000));
    let text = prop::collection::vec(tomlish_line(), 0..40).prop_map(|l| l.join("\n"));
    r.run(&text, |t| {
        tried.fetch_add(1, Ordering::Relaxed);
        if let Some(s) = read(&t) {
            build_if_small(&s);
        }
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "fuzz: {} TOML-ish texts read",
        tried.load(Ordering::Relaxed)
    );
}

/// One byte-level edit of a text.
#[derive(Debug, Clone)]
enum ByteEdit {
    Delete(Index, usize),
    Insert(Index, String),
    Duplicate(Index, usize),
    Truncate(Index),
}

fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    prop_oneof![
        (any::<Index>(), 1..40usize).prop_map(|(i, n)| ByteEdit::Delete(i, n)),
        (
            any::<Index>(),
            prop_oneof![
                prop::sample::select(VALUES).prop_map(str::to_string),
                "\\PC{0,8}"
            ]
        )
            .prop_map(|(i, s)| ByteEdit::Insert(i, s)),
        (any::<Index>(), 1..200usize).prop_map(|(i, n)| ByteEdit::Duplicate(i, n)),
        any::<Index>().prop_map(ByteEdit::Truncate),
    ]
}

fn apply_bytes(text: &str, edits: &[ByteEdit]) -> String {
    let mut b = text.as_bytes().to_vec();
    for e in edits {
        let at = |i: &Index, b: &Vec<u8>| i.index(b.len() + 1);
        match e {
            ByteEdit::Delete(i, n) => {
                let s = at(i, &b);
                b.drain(s..(s + n).min(b.len()));
            }
            ByteEdit::Insert(i, s) => {
                let p = at(i, &b);
                b.splice(p..p, s.bytes());
            }
            ByteEdit::Duplicate(i, n) => {
                let s = at(i, &b);
                let piece = b[s..(s + n).min(b.len())].to_vec();
                b.splice(s..s, piece);
            }
            ByteEdit::Truncate(i) => {
                let s = at(i, &b);
                b.truncate(s);
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

#[test]
fn byte_edits_of_the_shipped_scenarios_are_read_or_refused_never_a_panic() {
    let scenarios = shipped();
    let tried = AtomicU64::new(0);
    let mut r = runner(cases(3000));
    let input = (0..scenarios.len(), prop::collection::vec(byte_edit(), 1..5));
    r.run(&input, |(k, edits)| {
        tried.fetch_add(1, Ordering::Relaxed);
        if let Some(s) = read(&apply_bytes(&scenarios[k].1, &edits)) {
            build_if_small(&s);
        }
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "fuzz: {} byte-edited scenario files read",
        tried.load(Ordering::Relaxed)
    );
}

/// One edit of a scenario's TOML tree, at a leaf picked by index.
#[derive(Debug, Clone)]
enum TreeEdit {
    /// Replace the leaf with a hostile value.
    Set(Index, Value),
    /// Scale a number (keeps it plausible, so it often passes the parser).
    Scale(Index, f64),
    /// Remove the leaf's key or array item.
    Remove(Index),
}

fn hostile_value() -> impl Strategy<Value = Value> {
    let parsed: Vec<Value> = VALUES
        .iter()
        .filter_map(|v| {
            toml::from_str::<toml::Table>(&format!("v = {v}"))
                .ok()
                .and_then(|mut t| t.remove("v"))
        })
        .collect();
    prop_oneof![
        3 => prop::sample::select(parsed),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<f64>().prop_map(Value::from),
        1 => (1960..2210i64, 0..14i64, 0..33i64)
            .prop_map(|(y, m, d)| Value::from(format!("{y:04}-{m:02}-{d:02}"))),
        1 => (0..30i64, 0..70i64).prop_map(|(h, m)| Value::from(format!("{h:02}:{m:02}"))),
    ]
}

fn tree_edit() -> impl Strategy<Value = TreeEdit> {
    prop_oneof![
        3 => (any::<Index>(), hostile_value()).prop_map(|(i, v)| TreeEdit::Set(i, v)),
        2 => (any::<Index>(), prop_oneof![Just(0.0), Just(-1.0), Just(0.5), Just(2.0), Just(1000.0), Just(1e12)])
            .prop_map(|(i, f)| TreeEdit::Scale(i, f)),
        1 => any::<Index>().prop_map(TreeEdit::Remove),
    ]
}

/// Paths (keys and array positions) of every leaf of `v`.
fn leaves(v: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        Value::Table(t) => {
            for (k, x) in t {
                path.push(Step::Key(k.clone()));
                leaves(x, path, out);
                path.pop();
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, x) in a.iter().enumerate() {
                path.push(Step::At(i));
                leaves(x, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    At(usize),
}

fn at_mut<'a>(v: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, s| match (s, v) {
        (Step::Key(k), Value::Table(t)) => t.get_mut(k),
        (Step::At(i), Value::Array(a)) => a.get_mut(*i),
        _ => None,
    })
}

fn apply_tree(v: &mut Value, edits: &[TreeEdit]) {
    for e in edits {
        let mut all = Vec::new();
        leaves(v, &mut Vec::new(), &mut all);
        if all.is_empty() {
            return;
        }
        let pick = |i: &Index| all[i.index(all.len())].clone();
        match e {
            TreeEdit::Set(i, x) => {
                if let Some(leaf) = at_mut(v, &pick(i)) {
                    *leaf = x.clone();
                }
            }
            TreeEdit::Scale(i, f) => {
                if let Some(leaf) = at_mut(v, &pick(i)) {
                    match leaf {
                        Value::Integer(n) => *n = (*n as f64 * f) as i64,
                        Value::Float(x) => *x *= f,
                        _ => {}
                    }
                }
            }
            TreeEdit::Remove(i) => {
                let mut path = pick(i);
                let Some(last) = path.pop() else { continue };
                match (at_mut(v, &path), last) {
                    (Some(Value::Table(t)), Step::Key(k)) => {
                        t.remove(&k);
                    }
                    (Some(Value::Array(a)), Step::At(n)) => {
                        a.remove(n);
                    }
                    _ => {}
                }
            }
        }
    }
}

#[test]
fn value_edits_of_the_shipped_scenarios_are_read_or_refused_and_checked_ones_build() {
    let trees: Vec<Value> = shipped()
        .iter()
        .map(|(name, text)| toml::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}")))
        .collect();
    let (tried, accepted) = (AtomicU64::new(0), AtomicU64::new(0));
    let mut r = runner(cases(4000));
    let input = (0..trees.len(), prop::collection::vec(tree_edit(), 1..4));
    r.run(&input, |(k, edits)| {
        tried.fetch_add(1, Ordering::Relaxed);
        let mut v = trees[k].clone();
        apply_tree(&mut v, &edits);
        // Some edits (a NaN key path, an empty table array) do not serialise:
        // those are not files a user can write.
        let Ok(text) = toml::to_string(&v) else {
            return Ok(());
        };
        if let Some(s) = read(&text) {
            accepted.fetch_add(1, Ordering::Relaxed);
            build_if_small(&s);
        }
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "fuzz: {} value-edited scenarios read, {} accepted",
        tried.load(Ordering::Relaxed),
        accepted.load(Ordering::Relaxed)
    );
}

/// Found by the value edits above (small.toml, one leaf scaled by 1000): a
/// grid origin at longitude 4350 passed `check`, and `run` refused it when
/// it built the road network.
#[test]
fn found_a_grid_origin_at_longitude_4350_is_refused_by_check() {
    let text = fillroute_scenario::config::SMALL_TOML
        .replace("origin = [4.35, 50.85]", "origin = [4350.0, 50.85]");
    assert_ne!(text, fillroute_scenario::config::SMALL_TOML);
    match Scenario::from_toml_str(&text) {
        Err(ScenarioError::Invalid { field, .. }) => assert_eq!(field, "roads.grid.origin"),
        other => panic!("expected roads.grid.origin to be refused, got {other:?}"),
    }
}
