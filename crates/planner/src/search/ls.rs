//! Granular local search on the neighbour lists. For a stop `u` and each of
//! its nearest stops `v`, the moves below try to make `u` and `v` adjacent:
//!
//! - *string moves* (relocate, or-opt): move `u`, or a string of 2–3
//!   consecutive stops with `u` at one end, next to `v`, in `v`'s route or
//!   in its own; strings are also tried reversed when the matrices are
//!   symmetric;
//! - *swap*: exchange `u` and `v` between two routes;
//! - *2-opt\**: exchange the tails after `u` and after `v`;
//! - *2-opt*: reverse the visits between `u` and `v` in one route;
//! - *SWAP\**, once the moves above find nothing (see `swap_star.rs`).
//!
//! Each is a [`NodeOperator`] whose `evaluate` prices a move before anything
//! changes: inter-route moves in constant time from prefix/suffix segments,
//! moves inside one route by concatenating the node segments of the changed
//! span, which is capped at [`MAX_SPAN`] visits. [`LocalSearch`] tries them
//! in order, applies the first improving move, and counts both per operator.

use std::time::Instant;

use super::operator::{Move, NodeOperator, OperatorStats, apply};
use super::ops::is_stop;
use super::segment::Seg;
use super::state::{BREAK, Data, RouteState, State};
use crate::model::Units;

const GRANULAR: usize = 20;
/// Longest span of visits an intra-route move rebuilds node by node.
const MAX_SPAN: usize = 48;
/// Longest string moved by or-opt.
const MAX_STRING: usize = 3;

fn pos_of(st: &State, u: u32) -> Option<(usize, usize)> {
    let r = st.route_of[u as usize];
    if r == usize::MAX {
        return None;
    }
    st.routes[r]
        .nodes
        .iter()
        .position(|&x| x == u)
        .map(|p| (r, p))
}

fn brk_at(st: &State, r: usize, p: usize) -> bool {
    st.routes[r].nodes.get(p) == Some(&BREAK)
}

/// The granular local search: node operators in a fixed order, then SWAP*,
/// with statistics per operator.
///
/// It remembers, across calls, when each route last changed and when each
/// stop was last tried (HGS's timestamps), so a pair of routes is
/// re-evaluated only when one of them changed since: `evaluate` reads
/// nothing but the two routes, so skipping changes no result, only the
/// time. The caller reports the routes it changed ([`Self::changed`]) or
/// that the whole plan was replaced ([`Self::forget`]).
pub(crate) struct LocalSearch {
    ops: Vec<Box<dyn NodeOperator>>,
    stats: Vec<OperatorStats>,
    swap_star: OperatorStats,
    /// Counter of changes; the stamps below are values of it.
    moves: u64,
    /// Per route: when it last changed.
    modified: Vec<u64>,
    /// Per stop: when its neighbour pairs were last all tried.
    tested: Vec<u64>,
    /// When SWAP* last started over all route pairs.
    swap_tested: u64,
}

impl LocalSearch {
    /// 2-opt and relocate/or-opt inside a route; relocate/or-opt, swap and
    /// 2-opt\* between routes.
    pub fn new() -> Self {
        let ops: Vec<Box<dyn NodeOperator>> = vec![
            Box::new(IntraRoute),
            Box::new(StringMoves),
            Box::new(Swap),
            Box::new(TwoOptStar),
        ];
        let stats = vec![OperatorStats::default(); ops.len()];
        LocalSearch {
            ops,
            stats,
            swap_star: OperatorStats::default(),
            moves: 1,
            modified: Vec::new(),
            tested: Vec::new(),
            swap_tested: 0,
        }
    }

    /// Counts per operator, by name.
    pub fn stats(&self) -> Vec<(&'static str, OperatorStats)> {
        self.ops
            .iter()
            .map(|o| o.name())
            .zip(self.stats.iter().copied())
            .chain(std::iter::once(("swap*", self.swap_star)))
            .collect()
    }

    /// Route `r` changed outside the local search.
    pub fn changed(&mut self, r: usize) {
        self.moves += 1;
        if let Some(m) = self.modified.get_mut(r) {
            *m = self.moves;
        }
    }

    /// The plan was replaced or re-priced: every pair is tried again.
    pub fn forget(&mut self) {
        self.moves += 1;
        let m = self.moves;
        self.modified.iter_mut().for_each(|x| *x = m);
    }

    /// Applies improving moves until none is left, a pass cap is hit, or
    /// `deadline` passes.
    pub fn improve(&mut self, data: &Data, st: &mut State, deadline: Option<Instant>) {
        if self.modified.len() != st.routes.len() || self.tested.len() != data.n {
            self.modified = vec![0; st.routes.len()];
            self.tested = vec![0; data.n];
            self.forget();
        }
        for _pass in 0..50 {
            let mut improved = false;
            for u in 0..data.n as u32 {
                if st.route_of[u as usize] == usize::MAX {
                    continue;
                }
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    self.forget();
                    return;
                }
                let last = self.tested[u as usize];
                if data.ls_every && self.modified[st.route_of[u as usize]] <= last {
                    continue;
                }
                self.tested[u as usize] = self.moves;
                for k in 0..data.neigh[u as usize].len().min(GRANULAR) {
                    let v = data.neigh[u as usize][k];
                    let (ru, rv) = (st.route_of[u as usize], st.route_of[v as usize]);
                    if rv == usize::MAX || ru == usize::MAX {
                        continue;
                    }
                    // Localized: only stops whose own route changed.
                    let stamp = if data.ls_every {
                        self.modified[ru]
                    } else {
                        self.modified[ru].max(self.modified[rv])
                    };
                    if stamp <= last {
                        continue;
                    }
                    if let Some(routes) = self.try_moves(data, st, u, v) {
                        improved = true;
                        routes.into_iter().for_each(|r| self.changed(r));
                    }
                }
            }
            if improved || data.has_windows {
                if improved {
                    continue;
                }
                return;
            }
            // SWAP* once the node moves are exhausted (capacity-driven instances).
            let since = self.swap_tested;
            self.swap_tested = self.moves;
            let changed = super::swap_star::swap_star(
                data,
                st,
                GRANULAR,
                &mut self.swap_star,
                (&self.modified, since),
            );
            if changed.is_empty() {
                return;
            }
            changed.into_iter().for_each(|r| self.changed(r));
        }
        // Stopped at the pass cap: not every pair is known to be at rest.
        self.forget();
    }

    /// Tries the operators in order; the routes changed when one's move was
    /// kept.
    fn try_moves(&mut self, data: &Data, st: &mut State, u: u32, v: u32) -> Option<Vec<usize>> {
        let at_u = pos_of(st, u)?;
        let at_v = pos_of(st, v)?;
        let intra = at_u.0 == at_v.0;
        for (op, stats) in self.ops.iter().zip(self.stats.iter_mut()) {
            if op.intra() != intra {
                continue;
            }
            stats.evaluations += 1;
            let Some(mv) = op.evaluate(data, st, u, at_u, at_v) else {
                continue;
            };
            debug_assert!(mv.delta < 0, "{} returned a non-improving move", op.name());
            let routes: Vec<usize> = mv.changes.iter().map(|c| c.0).collect();
            if apply(data, st, mv, false) {
                stats.applied += 1;
                return Some(routes);
            }
        }
        None
    }
}

/// The move giving routes `ru` and `rv` (now costing `base` together) the
/// node lists `n1`, `n2` and final sites `f1`, `f2`, at a new cost `cost`.
fn two_routes(
    base: Units,
    cost: Units,
    (ru, n1, f1): (usize, Vec<u32>, usize),
    (rv, n2, f2): (usize, Vec<u32>, usize),
) -> Move {
    Move {
        base,
        delta: cost - base,
        changes: vec![(ru, n1, f1), (rv, n2, f2)],
    }
}

/// Cheapest cost of `a ⊕ u ⊕ c` over the time windows of stop `u`.
fn ins_cost(data: &Data, v: usize, a: &Seg, u: u32, c: &Seg) -> Option<Units> {
    data.wins(u)
        .iter()
        .filter_map(|w| data.eval(v, a, Some(w), c))
        .min()
}

/// A string move: the stops at `start..start + len` (reversed if `rev`) go
/// right after `v` (`after`, then `u` comes first) or right before it
/// (then `u` comes last).
#[derive(Clone, Copy)]
struct StringMove {
    start: usize,
    len: usize,
    rev: bool,
    after: bool,
}

/// The string moves for `u` at position `i`: strings of 1 to [`MAX_STRING`]
/// visits with `u` at one end, oriented so that `u` ends up next to `v`.
/// Reversed strings only on symmetric matrices. See [`StringMove::fits`].
fn string_moves_of(data: &Data, i: usize) -> impl Iterator<Item = StringMove> {
    let mv = |start, len, rev, after| StringMove {
        start,
        len,
        rev,
        after,
    };
    let mut c = [mv(0, 0, false, false); 2 + 4 * (MAX_STRING - 1)];
    c[0] = mv(i, 1, false, true);
    c[1] = mv(i, 1, false, false);
    let mut m = 2;
    for len in 2..=MAX_STRING {
        let mut add = |x| {
            c[m] = x;
            m += 1;
        };
        // `u` opens the string at i..i+len, and closes the one ending at i.
        add(mv(i, len, false, true));
        if data.symmetric {
            add(mv(i, len, true, false));
        }
        if let Some(s) = (i + 1).checked_sub(len) {
            add(mv(s, len, false, false));
            if data.symmetric {
                add(mv(s, len, true, true));
            }
        }
    }
    c.into_iter().take(m)
}

impl StringMove {
    /// The string exists in `r`, holds only stops, and leaves no break
    /// behind it (a break takes its predecessor's place).
    fn fits(&self, data: &Data, r: &RouteState) -> bool {
        let end = self.start + self.len;
        end <= r.nodes.len()
            && r.nodes[self.start..end].iter().all(|&y| is_stop(data, y))
            && r.nodes.get(end) != Some(&BREAK)
    }
}

/// Segment of the string at `s..s+len` of route `r` (reversed if `rev`),
/// for vehicle `v`.
fn string_seg(data: &Data, r: &RouteState, v: usize, s: usize, len: usize, rev: bool) -> Seg {
    let mut seg = r.node_seg(data, if rev { s + len - 1 } else { s });
    for e in 1..len {
        let p = if rev { s + len - 1 - e } else { s + e };
        seg = data.cat(v, &seg, &r.node_seg(data, p));
    }
    seg
}

/// Relocate and or-opt between routes.
struct StringMoves;

impl NodeOperator for StringMoves {
    fn name(&self) -> &'static str {
        "relocate/or-opt"
    }
    fn intra(&self) -> bool {
        false
    }
    fn evaluate(
        &self,
        data: &Data,
        st: &State,
        u: u32,
        at_u: (usize, usize),
        at_v: (usize, usize),
    ) -> Option<Move> {
        string_moves(data, st, u, at_u, at_v)
    }
}

fn string_moves(
    data: &Data,
    st: &State,
    u: u32,
    (ru, i): (usize, usize),
    (rv, j): (usize, usize),
) -> Option<Move> {
    for m in string_moves_of(data, i) {
        let (r1, r2) = (&st.routes[ru], &st.routes[rv]);
        let (v1, v2) = (r1.veh, r2.veh);
        let base = r1.cost + r2.cost;
        let (s, len) = (m.start, m.len);
        let p = if m.after { j + 1 } else { j };
        if !m.fits(data, r1)
            || brk_at(st, rv, p)
            || r1.nodes[s..s + len]
                .iter()
                .any(|&x| !data.veh[v2].allowed[x as usize])
        {
            continue;
        }
        if data.distance_priced && len < r1.nodes.len() {
            // Only the edges at the string's ends change (a reversed
            // string is only tried on symmetric matrices).
            let (first, last) = (data.loc(r1.nodes[s]), data.loc(r1.nodes[s + len - 1]));
            let (in_first, in_last) = if m.rev { (last, first) } else { (first, last) };
            let (a, b) = (r1.pre[s].last, r1.suf[s + len].first);
            let (a2, b2) = (r2.pre[p].last, r2.suf[p].first);
            let dcost = data.dc(v1, a, b) - data.dc(v1, a, first) - data.dc(v1, last, b)
                + data.dc(v2, a2, in_first)
                + data.dc(v2, in_last, b2)
                - data.dc(v2, a2, b2);
            if data.cannot_pay(dcost) {
                continue;
            }
        }
        let Some(c1) = data.eval(v1, &r1.pre[s], None, &r1.suf[s + len]) else {
            continue;
        };
        let c2 = if len == 1 {
            ins_cost(data, v2, &r2.pre[p], u, &r2.suf[p])
        } else {
            let seg = string_seg(data, r1, v2, s, len, m.rev);
            data.eval(v2, &r2.pre[p], Some(&seg), &r2.suf[p])
        };
        if let Some(c2) = c2
            && c1 + c2 < base
        {
            let mut n1 = r1.nodes.clone();
            let mut moved: Vec<u32> = n1.drain(s..s + len).collect();
            if m.rev {
                moved.reverse();
            }
            let mut n2 = r2.nodes.clone();
            n2.splice(p..p, moved);
            let (f1, f2) = (r1.final_site, r2.final_site);
            return Some(two_routes(base, c1 + c2, (ru, n1, f1), (rv, n2, f2)));
        }
    }
    None
}

/// Swap `u` and `v` between their routes, each in the other's place.
struct Swap;

impl NodeOperator for Swap {
    fn name(&self) -> &'static str {
        "swap"
    }
    fn intra(&self) -> bool {
        false
    }
    fn evaluate(
        &self,
        data: &Data,
        st: &State,
        _u: u32,
        at_u: (usize, usize),
        at_v: (usize, usize),
    ) -> Option<Move> {
        swap(data, st, at_u, at_v)
    }
}

fn swap(data: &Data, st: &State, (ru, i): (usize, usize), (rv, j): (usize, usize)) -> Option<Move> {
    let (r1, r2) = (&st.routes[ru], &st.routes[rv]);
    let (v1, v2) = (r1.veh, r2.veh);
    let (u, v) = (r1.nodes[i], r2.nodes[j]);
    if !data.veh[v2].allowed[u as usize]
        || !data.veh[v1].allowed[v as usize]
        || brk_at(st, ru, i + 1)
        || brk_at(st, rv, j + 1)
    {
        return None;
    }
    if data.distance_priced {
        let (lu, lv) = (data.loc(u), data.loc(v));
        let (a1, b1) = (r1.pre[i].last, r1.suf[i + 1].first);
        let (a2, b2) = (r2.pre[j].last, r2.suf[j + 1].first);
        let dcost =
            data.dc(v1, a1, lv) + data.dc(v1, lv, b1) - data.dc(v1, a1, lu) - data.dc(v1, lu, b1)
                + data.dc(v2, a2, lu)
                + data.dc(v2, lu, b2)
                - data.dc(v2, a2, lv)
                - data.dc(v2, lv, b2);
        if data.cannot_pay(dcost) {
            return None;
        }
    }
    let base = r1.cost + r2.cost;
    let c1 = ins_cost(data, v1, &r1.pre[i], v, &r1.suf[i + 1])?;
    match ins_cost(data, v2, &r2.pre[j], u, &r2.suf[j + 1]) {
        Some(c2) if c1 + c2 < base => {
            let mut n1 = r1.nodes.clone();
            n1[i] = v;
            let mut n2 = r2.nodes.clone();
            n2[j] = u;
            let (f1, f2) = (r1.final_site, r2.final_site);
            Some(two_routes(base, c1 + c2, (ru, n1, f1), (rv, n2, f2)))
        }
        _ => None,
    }
}

/// 2-opt*: exchange the tails after `u` and after `v` (same vehicle class);
/// the tails take their final disposal sites along.
struct TwoOptStar;

impl NodeOperator for TwoOptStar {
    fn name(&self) -> &'static str {
        "2-opt*"
    }
    fn intra(&self) -> bool {
        false
    }
    fn evaluate(
        &self,
        data: &Data,
        st: &State,
        _u: u32,
        at_u: (usize, usize),
        at_v: (usize, usize),
    ) -> Option<Move> {
        two_opt_star(data, st, at_u, at_v)
    }
}

fn two_opt_star(
    data: &Data,
    st: &State,
    (ru, i): (usize, usize),
    (rv, j): (usize, usize),
) -> Option<Move> {
    let (r1, r2) = (&st.routes[ru], &st.routes[rv]);
    let (v1, v2) = (r1.veh, r2.veh);
    if data.class[v1] != data.class[v2] || brk_at(st, ru, i + 1) || brk_at(st, rv, j + 1) {
        return None;
    }
    if data.distance_priced {
        // Both new routes keep `u` or `v`: neither empties.
        let (lu, lv) = (r1.pre[i + 1].last, r2.pre[j + 1].last);
        let (nu, nv) = (r1.suf[i + 1].first, r2.suf[j + 1].first);
        let dcost =
            data.dc(v1, lu, nv) + data.dc(v2, lv, nu) - data.dc(v1, lu, nu) - data.dc(v2, lv, nv);
        if data.cannot_pay(dcost) {
            return None;
        }
    }
    let base = r1.cost + r2.cost;
    let c1 = data.eval(v1, &r1.pre[i + 1], None, &r2.suf[j + 1])?;
    match data.eval(v2, &r2.pre[j + 1], None, &r1.suf[i + 1]) {
        Some(c2) if c1 + c2 < base => {
            let mut n1: Vec<u32> = r1.nodes[..=i].to_vec();
            n1.extend_from_slice(&r2.nodes[j + 1..]);
            let mut n2: Vec<u32> = r2.nodes[..=j].to_vec();
            n2.extend_from_slice(&r1.nodes[i + 1..]);
            let (f1, f2) = (r1.final_site, r2.final_site);
            Some(two_routes(base, c1 + c2, (ru, n1, f2), (rv, n2, f1)))
        }
        _ => None,
    }
}

/// A move inside one route, as a permutation of the positions `lo..=hi`.
#[derive(Clone, Copy)]
enum Intra {
    /// 2-opt: reverse positions `a..=b`.
    Reverse(usize, usize),
    /// Relocate / or-opt: the string at `s..s + len` (reversed if `rev`)
    /// goes just before old position `t`.
    Shift {
        s: usize,
        len: usize,
        rev: bool,
        t: usize,
    },
}

impl Intra {
    fn span(self) -> (usize, usize) {
        match self {
            Intra::Reverse(a, b) => (a, b),
            Intra::Shift { s, t, .. } if t > s => (s, t - 1),
            Intra::Shift { s, len, t, .. } => (t, s + len - 1),
        }
    }

    /// Old position of the visit at new position `k` (inside the span).
    fn old(self, k: usize) -> usize {
        match self {
            Intra::Reverse(a, b) => a + b - k,
            Intra::Shift { s, len, rev, t } => {
                let elem = |e: usize| if rev { s + len - 1 - e } else { s + e };
                if t > s {
                    // The string lands at the end of the span.
                    if k < t - len {
                        k + len
                    } else {
                        elem(k - (t - len))
                    }
                } else if k < t + len {
                    elem(k - t)
                } else {
                    k - len
                }
            }
        }
    }

    /// Cost of route `r` after the move, or `None` when infeasible or the
    /// span is too long. Breaks inside the span move with their new
    /// predecessor; a break right after the span would not, so it is refused.
    fn eval(self, data: &Data, r: &RouteState) -> Option<Units> {
        let (lo, hi) = self.span();
        if hi + 1 - lo > MAX_SPAN || r.nodes.get(hi + 1) == Some(&BREAK) {
            return None;
        }
        let v = r.veh;
        let mut s = r.pre[lo];
        for k in lo..=hi {
            let p = self.old(k);
            let xs = if r.nodes[p] == BREAK {
                data.brk_seg(v, s.last)
            } else {
                r.node_seg(data, p)
            };
            s = data.cat(v, &s, &xs);
        }
        data.route_cost(v, &data.cat(v, &s, &r.suf[hi + 1]))
    }

    /// Distance cost change of the move, by the matrix alone (no breaks:
    /// only used on distance-priced instances).
    fn distance_cost_delta(self, data: &Data, r: &RouteState) -> Units {
        let v = r.veh;
        let at = |p: usize| data.loc(r.nodes[p]);
        match self {
            Intra::Reverse(a, b) if data.symmetric => {
                let (p, n) = (r.pre[a].last, r.suf[b + 1].first);
                return data.dc(v, p, at(b)) + data.dc(v, at(a), n)
                    - data.dc(v, p, at(a))
                    - data.dc(v, at(b), n);
            }
            Intra::Shift { s, len, rev, t } => {
                // Three edges go, three come (a reversed string is only
                // tried on symmetric matrices).
                let (first, last) = (at(s), at(s + len - 1));
                let (in_first, in_last) = if rev { (last, first) } else { (first, last) };
                let (p, n) = (r.pre[s].last, r.suf[s + len].first);
                let (a, b) = (r.pre[t].last, r.suf[t].first);
                return data.dc(v, p, n) - data.dc(v, p, first) - data.dc(v, last, n)
                    + data.dc(v, a, in_first)
                    + data.dc(v, in_last, b)
                    - data.dc(v, a, b);
            }
            Intra::Reverse(..) => {}
        }
        let (lo, hi) = self.span();
        let walk = |at: &dyn Fn(usize) -> usize| {
            let mut prev = r.pre[lo].last;
            let mut sum = 0;
            for k in lo..=hi {
                let x = data.loc(r.nodes[at(k)]);
                sum += data.dc(v, prev, x);
                prev = x;
            }
            sum + data.dc(v, prev, r.suf[hi + 1].first)
        };
        walk(&|k| self.old(k)) - walk(&|k| k)
    }

    fn nodes(self, r: &RouteState) -> Vec<u32> {
        let (lo, hi) = self.span();
        let mut nodes = r.nodes.clone();
        for (k, node) in nodes.iter_mut().enumerate().take(hi + 1).skip(lo) {
            *node = r.nodes[self.old(k)];
        }
        nodes
    }
}

/// Moves inside one route that put `u` (at `i`) next to `v` (at `j`):
/// 2-opt (reverse the visits from one to the other, keeping either end
/// in place), then relocate and or-opt.
struct IntraRoute;

impl NodeOperator for IntraRoute {
    fn name(&self) -> &'static str {
        "intra-route 2-opt/relocate"
    }
    fn intra(&self) -> bool {
        true
    }
    fn evaluate(
        &self,
        data: &Data,
        st: &State,
        _u: u32,
        (ru, i): (usize, usize),
        (_, j): (usize, usize),
    ) -> Option<Move> {
        intra(data, st, ru, i, j)
    }
}

fn intra(data: &Data, st: &State, ru: usize, i: usize, j: usize) -> Option<Move> {
    let (lo, hi) = (i.min(j), i.max(j));
    let found = {
        let r = &st.routes[ru];
        let shifts = string_moves_of(data, i).filter_map(|m| {
            let t = if m.after { j + 1 } else { j };
            let no_op = t >= m.start && t <= m.start + m.len;
            let holds_v = (m.start..m.start + m.len).contains(&j);
            (!no_op && !holds_v && m.fits(data, r)).then_some(Intra::Shift {
                s: m.start,
                len: m.len,
                rev: m.rev,
                t,
            })
        });
        [Intra::Reverse(lo + 1, hi), Intra::Reverse(lo, hi - 1)]
            .into_iter()
            .filter(|m| matches!(m, Intra::Reverse(a, b) if a < b))
            .chain(shifts)
            .filter(|m| !data.distance_priced || !data.cannot_pay(m.distance_cost_delta(data, r)))
            .find_map(|m| m.eval(data, r).filter(|&c| c < r.cost).map(|c| (m, c)))
    };
    let r = &st.routes[ru];
    let (m, cost) = found?;
    Some(Move {
        base: r.cost,
        delta: cost - r.cost,
        changes: vec![(ru, m.nodes(r), r.final_site)],
    })
}
