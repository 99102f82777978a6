//! Ruin (string, random, worst removal), recreate (greedy insertion with
//! blinks, disposal trips inserted on demand) and route polishing (disposal
//! site choice, redundant disposal removal, break placement).

use super::segment::{MAXD, Seg};
use super::state::{BREAK, Data, Node, RouteState, State};
use crate::model::Units;

/// Small, fast, seedable generator (xoshiro256**), so runs are reproducible
/// without depending on a crate's stream stability.
#[derive(Clone)]
pub(crate) struct Rng([u64; 4]);

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut s = [0u64; 4];
        for x in &mut s {
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut y = z;
            y = (y ^ (y >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            y = (y ^ (y >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            *x = y ^ (y >> 31);
        }
        Rng(s)
    }
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let r = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        r
    }
    /// Uniform in `[0, 1)`.
    #[inline]
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    /// Uniform in `[0, n)`.
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }
}

pub(crate) fn is_stop(data: &Data, x: Node) -> bool {
    (x as usize) < data.n
}

/// Removes `stops` from their routes, cleans up disposal/break visits, and
/// rebuilds the touched routes. Removed stops join `unassigned`.
pub(crate) fn remove_stops(data: &Data, st: &mut State, stops: &[u32]) {
    let mut touched = Vec::new();
    for &u in stops {
        let r = st.route_of[u as usize];
        if r == usize::MAX {
            continue;
        }
        st.touch(r);
        let route = &mut st.routes[r];
        if let Some(p) = route.nodes.iter().position(|&x| x == u) {
            route.nodes.remove(p);
        }
        st.route_of[u as usize] = usize::MAX;
        st.unassigned.push(u);
        if !touched.contains(&r) {
            touched.push(r);
        }
    }
    for r in touched {
        cleanup(data, &mut st.routes[r]);
        st.routes[r].rebuild(data);
        if !st.routes[r].feasible {
            // Removing can move a break onto another place; re-place it, and
            // as a last resort empty the route.
            place_break(data, &mut st.routes[r]);
            if !st.routes[r].feasible {
                let rest: Vec<u32> = st.routes[r]
                    .nodes
                    .iter()
                    .copied()
                    .filter(|&x| is_stop(data, x))
                    .collect();
                for u in rest {
                    st.route_of[u as usize] = usize::MAX;
                    st.unassigned.push(u);
                }
                st.routes[r].nodes.clear();
                st.routes[r].rebuild(data);
            }
        }
    }
}

/// Drops disposal visits that close an empty trip and breaks on empty routes.
/// A truck that leaves loaded has no empty first trip.
pub(crate) fn cleanup(data: &Data, r: &mut RouteState) {
    if !r.nodes.iter().any(|&x| is_stop(data, x)) {
        r.nodes.clear();
        return;
    }
    let mut out: Vec<Node> = Vec::with_capacity(r.nodes.len());
    let mut since_reset = usize::from(data.veh[r.veh].loaded); // loads since the last reset
    for &x in &r.nodes {
        if x != BREAK && !is_stop(data, x) {
            if since_reset == 0 {
                continue;
            }
            since_reset = 0;
        } else if x != BREAK {
            since_reset += 1;
        }
        out.push(x);
    }
    // A disposal right before the end (with nothing after) is redundant when
    // the end already unloads, and useless otherwise.
    while let Some(pos) = out.iter().rposition(|&x| x != BREAK) {
        if is_stop(data, out[pos]) {
            break;
        }
        out.remove(pos);
    }
    r.nodes = out;
}

/// Moves the break to its cheapest feasible position, adds it, or drops it
/// when the route is back before the break window closes (ties: no break).
pub(crate) fn place_break(data: &Data, r: &mut RouteState) {
    if data.veh[r.veh].brk.is_none() {
        return;
    }
    r.nodes.retain(|&x| x != BREAK);
    r.rebuild(data);
    if r.nodes.is_empty() {
        return;
    }
    let v = r.veh;
    let k = r.nodes.len();
    let mut best: Option<(Units, Option<usize>)> = r.feasible.then_some((r.cost, None));
    for p in 0..=k {
        let loc = r.pre[p].last;
        let b = data.brk_seg(v, loc);
        let s = data.cat(v, &data.cat(v, &r.pre[p], &b), &r.suf[p]);
        if let Some(c) = data.route_cost(v, &s)
            && best.is_none_or(|(bc, _)| c < bc)
        {
            best = Some((c, Some(p)));
        }
    }
    match best {
        Some((_, None)) => {}
        Some((_, Some(p))) => {
            r.nodes.insert(p, BREAK);
            r.rebuild(data);
        }
        None => {
            r.nodes.insert(k, BREAK);
            r.rebuild(data);
        }
    }
}

/// A candidate insertion: put `nodes[..len]` at position `pos` of `route`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ins {
    pub route: usize,
    pub pos: usize,
    pub nodes: [Node; 3],
    pub len: usize,
    pub delta: Units,
    /// Final disposal site to use (new routes only).
    pub site: Option<usize>,
}

/// Cheapest feasible insertion of stop `u`, skipping each position with
/// probability `blink`. Empty routes are tried once per vehicle class.
pub(crate) fn best_insertion(
    data: &Data,
    st: &State,
    u: u32,
    rng: &mut Rng,
    blink: f64,
    fleet_cap: usize,
) -> Option<Ins> {
    if data.insert_near > 0 {
        // Granular insertion: only the routes that hold one of `u`'s
        // nearest stops (and new routes); all routes when none of them fits.
        let mut near: Vec<usize> = data.neigh[u as usize]
            .iter()
            .take(data.insert_near)
            .map(|&v| st.route_of[v as usize])
            .filter(|&r| r != usize::MAX)
            .collect();
        near.sort_unstable();
        near.dedup();
        let found = insertion_in(data, st, u, rng, blink, fleet_cap, Some(&near));
        if found.is_some() {
            return found;
        }
    }
    insertion_in(data, st, u, rng, blink, fleet_cap, None)
}

/// The cheapest insertion of `u` into the routes `only` (empty routes
/// always count), or into any route.
fn insertion_in(
    data: &Data,
    st: &State,
    u: u32,
    rng: &mut Rng,
    blink: f64,
    fleet_cap: usize,
    only: Option<&[usize]>,
) -> Option<Ins> {
    let useg = data.segs[u as usize];
    let ul = data.loc(u) as usize;
    let mut best: Option<Ins> = None;
    let mut best_delta = Units::MAX;
    let used = st.used();
    let mut tried_class: u64 = 0;
    for (ri, r) in st.routes.iter().enumerate() {
        if !r.nodes.is_empty() && only.is_some_and(|o| o.binary_search(&ri).is_err()) {
            continue;
        }
        let v = r.veh;
        let vd = &data.veh[v];
        if !vd.allowed[u as usize] {
            continue;
        }
        let (dm, _) = data.mats(v);
        if r.nodes.is_empty() {
            if used >= fleet_cap {
                continue;
            }
            let class = data.class[v];
            if class < 64 {
                if tried_class & (1 << class) != 0 {
                    continue;
                }
                tried_class |= 1 << class;
            }
            // Lower bound: fixed cost + out-and-back.
            let lb = vd.fixed + vd.cpd * (dm.get(vd.start_loc as usize, ul));
            if lb >= best_delta {
                continue;
            }
            // Without a break first: a short route needs none.
            let mut cands: Vec<([Node; 3], usize)> = Vec::with_capacity(3);
            cands.push(([u, 0, 0], 1));
            if vd.brk.is_some() {
                cands.push(([u, BREAK, 0], 2));
                cands.push(([BREAK, u, 0], 2));
            }
            if vd.no_room_for(&useg) {
                // The load on board leaves no room: unload first.
                for site in 0..data.nsites as Node {
                    let dn = data.n as Node + site;
                    cands.push(([dn, u, 0], 2));
                    if vd.brk.is_some() {
                        cands.push(([dn, u, BREAK], 3));
                        cands.push(([dn, BREAK, u], 3));
                    }
                }
            }
            for (nodes, len) in cands {
                for useg in data.wins(u) {
                    let mut s = vd.start;
                    let mut loc = vd.start_loc;
                    for &x in &nodes[..len] {
                        let xs = if x == BREAK {
                            data.brk_seg(v, loc)
                        } else if x == u {
                            *useg
                        } else {
                            data.segs[x as usize]
                        };
                        s = data.cat(v, &s, &xs);
                        loc = s.last;
                    }
                    for (site, end) in vd.ends.iter().enumerate() {
                        if let Some(c) = data.route_cost(v, &data.cat(v, &s, end))
                            && c < best_delta
                            && (blink == 0.0 || rng.f64() >= blink)
                        {
                            best_delta = c;
                            let site = vd.final_disposal.then_some(site);
                            best = Some(Ins {
                                route: ri,
                                pos: 0,
                                nodes,
                                len,
                                delta: c,
                                site,
                            });
                        }
                    }
                }
            }
            continue;
        }
        let k = r.nodes.len();
        // A route without its break may need one once it grows past the
        // break window: then the break is tried next to the new stop.
        let may_add_break = vd.brk.is_some() && r.pre[k].nbrk == 0;
        let can_reload =
            data.has_reloads && r.pre[k].ndisp + u32::from(vd.final_disposal) < vd.max_disp;
        if !can_reload && r.pre[k].ndisp == 0 {
            // One trip: the whole route's load plus this stop must fit.
            let tl = &r.pre[k].t_load;
            if (0..MAXD).any(|d| tl[d] + useg.h_load[d] > vd.cap[d]) {
                continue;
            }
        }
        for p in 0..=k {
            if p < k && r.nodes[p] == BREAK {
                continue;
            }
            let a = r.pre[p].last as usize;
            let b = r.suf[p].first as usize;
            let dd = dm.get(a, ul) + dm.get(ul, b) - dm.get(a, b);
            if vd.cpd * dd >= best_delta {
                continue;
            }
            if blink > 0.0 && rng.f64() < blink {
                continue;
            }
            // Each of the stop's windows (one segment for most stops).
            for useg in data.wins(u) {
                match data.eval(v, &r.pre[p], Some(useg), &r.suf[p]) {
                    Some(c) => {
                        let d = c - r.cost;
                        if d < best_delta {
                            best_delta = d;
                            best = Some(Ins {
                                route: ri,
                                pos: p,
                                nodes: [u, 0, 0],
                                len: 1,
                                delta: d,
                                site: None,
                            });
                        }
                    }
                    None => {
                        if may_add_break {
                            let before = data.cat(v, &data.brk_seg(v, r.pre[p].last), useg);
                            let after = data.cat(v, useg, &data.brk_seg(v, ul as u32));
                            for (nodes, b) in [([BREAK, u, 0], before), ([u, BREAK, 0], after)] {
                                if let Some(c) = data.eval(v, &r.pre[p], Some(&b), &r.suf[p]) {
                                    let d = c - r.cost;
                                    if d < best_delta {
                                        best_delta = d;
                                        best = Some(Ins {
                                            route: ri,
                                            pos: p,
                                            nodes,
                                            len: 2,
                                            delta: d,
                                            site: None,
                                        });
                                    }
                                }
                            }
                        }
                        if can_reload
                            && data.cat(v, &data.cat(v, &r.pre[p], useg), &r.suf[p]).excess > 0
                        {
                            // Try an extra disposal trip next to the stop.
                            for &site in data.near_sites[u as usize].iter().take(2) {
                                let dn = (data.n as u32) + site;
                                let ds = data.segs[dn as usize];
                                let s1 = data.cat(
                                    v,
                                    &data.cat(v, &data.cat(v, &r.pre[p], &ds), useg),
                                    &r.suf[p],
                                );
                                if let Some(c) = data.route_cost(v, &s1) {
                                    let d = c - r.cost;
                                    if d < best_delta {
                                        best_delta = d;
                                        best = Some(Ins {
                                            route: ri,
                                            pos: p,
                                            nodes: [dn, u, 0],
                                            len: 2,
                                            delta: d,
                                            site: None,
                                        });
                                    }
                                }
                                let s2 = data.cat(
                                    v,
                                    &data.cat(v, &data.cat(v, &r.pre[p], useg), &ds),
                                    &r.suf[p],
                                );
                                if let Some(c) = data.route_cost(v, &s2) {
                                    let d = c - r.cost;
                                    if d < best_delta {
                                        best_delta = d;
                                        best = Some(Ins {
                                            route: ri,
                                            pos: p,
                                            nodes: [u, dn, 0],
                                            len: 2,
                                            delta: d,
                                            site: None,
                                        });
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    best
}

pub(crate) fn apply_insertion(data: &Data, st: &mut State, ins: &Ins) {
    st.touch(ins.route);
    let r = &mut st.routes[ins.route];
    let new_site = ins.site.is_some_and(|s| s != r.final_site);
    if let Some(site) = ins.site {
        r.final_site = site;
    }
    for (k, &x) in ins.nodes[..ins.len].iter().enumerate() {
        r.nodes.insert(ins.pos + k, x);
        if is_stop(data, x) {
            st.route_of[x as usize] = ins.route;
        }
    }
    if new_site {
        r.rebuild(data);
    } else {
        r.rebuild_inserted(data, ins.pos, ins.len);
    }
}

/// Order in which removed stops are reinserted (SISR's sorts).
pub(crate) fn sort_unassigned(data: &Data, list: &mut [u32], rng: &mut Rng) {
    let w = rng.below(11);
    if w < 4 {
        for i in (1..list.len()).rev() {
            let j = rng.below(i + 1);
            list.swap(i, j);
        }
    } else if w < 8 {
        list.sort_by_key(|&u| std::cmp::Reverse(data.demand0[u as usize]));
    } else if w < 10 {
        list.sort_by_key(|&u| std::cmp::Reverse(data.depot_dist[u as usize]));
    } else {
        list.sort_by_key(|&u| data.depot_dist[u as usize]);
    }
}

/// Greedy reinsertion with blinks. Stops whose best insertion costs more
/// than leaving them out (optional stops) stay unassigned.
pub(crate) fn recreate(
    data: &Data,
    st: &mut State,
    rng: &mut Rng,
    blink: f64,
    fleet_cap: usize,
) -> Vec<usize> {
    let mut list = std::mem::take(&mut st.unassigned);
    sort_unassigned(data, &mut list, rng);
    let mut touched = Vec::new();
    for u in list {
        match best_insertion(data, st, u, rng, blink, fleet_cap) {
            Some(ins)
                if data.inst.stops()[u as usize].prize.is_none()
                    || ins.delta < data.penalty[u as usize] =>
            {
                if !touched.contains(&ins.route) {
                    touched.push(ins.route);
                }
                apply_insertion(data, st, &ins);
            }
            _ => st.unassigned.push(u),
        }
    }
    touched
}

/// SISR ruin: removes strings (or split strings) from routes near a seed.
pub(crate) fn ruin_strings(data: &Data, st: &mut State, rng: &mut Rng, cbar: f64, lmax: f64) {
    let served: Vec<u32> = (0..data.n as u32)
        .filter(|&i| st.route_of[i as usize] != usize::MAX)
        .collect();
    if served.is_empty() {
        return;
    }
    let used = st.used().max(1);
    let avg = served.len() as f64 / used as f64;
    let ls_max = lmax.min(avg);
    let ks_max = (4.0 * cbar / (1.0 + ls_max) - 1.0).max(1.0);
    let ks = (rng.f64() * ks_max) as usize + 1;
    let seed = served[rng.below(served.len())];
    let mut ruined: Vec<usize> = Vec::new();
    let mut removed: Vec<u32> = Vec::new();
    let cands = std::iter::once(seed).chain(data.neigh[seed as usize].iter().copied());
    for c in cands {
        if ruined.len() >= ks {
            break;
        }
        let r = st.route_of[c as usize];
        if r == usize::MAX || ruined.contains(&r) || removed.contains(&c) {
            continue;
        }
        let stops: Vec<u32> = st.routes[r]
            .nodes
            .iter()
            .copied()
            .filter(|&x| is_stop(data, x))
            .collect();
        let t = stops.len();
        let Some(ci) = stops.iter().position(|&x| x == c) else {
            continue;
        };
        let lmax_r = (t as f64).min(ls_max);
        let l = ((rng.f64() * lmax_r) as usize + 1).min(t);
        if l == t || rng.f64() < 0.5 {
            // String: l consecutive stops containing c.
            let lo = ci.saturating_sub(l - 1);
            let hi = ci.min(t - l);
            let start = lo + rng.below(hi - lo + 1);
            removed.extend_from_slice(&stops[start..start + l]);
        } else {
            // Split string: keep m consecutive stops inside a window of l+m.
            let mut m = 1;
            while l + m < t && rng.f64() > 0.5 {
                m += 1;
            }
            let w = (l + m).min(t);
            let lo = ci.saturating_sub(w - 1);
            let hi = ci.min(t - w);
            let start = lo + rng.below(hi - lo + 1);
            let keep_at = start + rng.below(w - m + 1);
            for (k, &x) in stops[start..start + w].iter().enumerate() {
                let idx = start + k;
                if idx < keep_at || idx >= keep_at + m {
                    removed.push(x);
                }
            }
        }
        ruined.push(r);
    }
    remove_stops(data, st, &removed);
}

/// Random removal of about `k` served stops.
pub(crate) fn ruin_random(data: &Data, st: &mut State, rng: &mut Rng, k: usize) {
    let served: Vec<u32> = (0..data.n as u32)
        .filter(|&i| st.route_of[i as usize] != usize::MAX)
        .collect();
    if served.is_empty() {
        return;
    }
    let k = rng.below(k) + 1;
    let mut removed = Vec::new();
    for _ in 0..k {
        let u = served[rng.below(served.len())];
        if !removed.contains(&u) {
            removed.push(u);
        }
    }
    remove_stops(data, st, &removed);
}

/// Worst removal: stops with the largest detour, randomised (Ropke & Pisinger).
pub(crate) fn ruin_worst(data: &Data, st: &mut State, rng: &mut Rng, k: usize) {
    let mut det: Vec<(Units, u32)> = Vec::new();
    for r in &st.routes {
        let (dm, _) = data.mats(r.veh);
        for (i, &x) in r.nodes.iter().enumerate() {
            if !is_stop(data, x) {
                continue;
            }
            let a = r.pre[i].last as usize;
            let b = r.suf[i + 1].first as usize;
            let l = data.loc(x) as usize;
            det.push((dm.get(a, l) + dm.get(l, b) - dm.get(a, b), x));
        }
    }
    if det.is_empty() {
        return;
    }
    det.sort_by_key(|&(d, _)| std::cmp::Reverse(d));
    let k = rng.below(k) + 1;
    let mut removed = Vec::new();
    for _ in 0..k {
        if det.is_empty() {
            break;
        }
        let idx = ((rng.f64().powi(4)) * det.len() as f64) as usize;
        removed.push(det.remove(idx.min(det.len() - 1)).1);
    }
    remove_stops(data, st, &removed);
}

/// Route polish for disposal trips and breaks: best final site, best site per
/// disposal visit, drop disposals that are not needed, re-place the break.
pub(crate) fn polish(data: &Data, r: &mut RouteState) {
    let v = r.veh;
    let vd = &data.veh[v];
    if r.nodes.is_empty() {
        return;
    }
    if vd.final_disposal && data.nsites > 1 {
        let k = r.nodes.len();
        let mut best = (r.cost, r.final_site);
        for site in 0..data.nsites {
            let s = data.cat(v, &r.pre[k], &vd.ends[site]);
            if let Some(c) = data.route_cost(v, &s)
                && c < best.0
            {
                best = (c, site);
            }
        }
        if best.1 != r.final_site {
            r.final_site = best.1;
            r.rebuild(data);
        }
    }
    if data.has_reloads {
        let mut i = 0;
        while i < r.nodes.len() {
            let x = r.nodes[i];
            if x == BREAK || is_stop(data, x) {
                i += 1;
                continue;
            }
            let next_is_break = i + 1 < r.nodes.len() && r.nodes[i + 1] == BREAK;
            // Without this visit?
            if !next_is_break {
                let s = data.cat(v, &r.pre[i], &r.suf[i + 1]);
                if let Some(c) = data.route_cost(v, &s)
                    && c <= r.cost
                {
                    r.nodes.remove(i);
                    r.rebuild(data);
                    continue;
                }
            }
            if data.nsites > 1 && !next_is_break {
                let mut best = (r.cost, x);
                for site in 0..data.nsites as u32 {
                    let dn = data.n as u32 + site;
                    if dn == x {
                        continue;
                    }
                    let s = data.cat(
                        v,
                        &data.cat(v, &r.pre[i], &data.segs[dn as usize]),
                        &r.suf[i + 1],
                    );
                    if let Some(c) = data.route_cost(v, &s)
                        && c < best.0
                    {
                        best = (c, dn);
                    }
                }
                if best.1 != x {
                    r.nodes[i] = best.1;
                    r.rebuild(data);
                }
            }
            i += 1;
        }
    }
    if vd.brk.is_some() {
        let before = (r.nodes.clone(), r.cost);
        place_break(data, r);
        if !r.feasible || r.cost > before.1 {
            r.nodes = before.0;
            r.rebuild(data);
        }
    }
}

/// Quick check used by tests and reasons: the single-stop route for `u` on
/// vehicle `v`, with the break placed first or last.
pub(crate) fn solo_route(data: &Data, v: usize, u: u32, useg: Seg) -> Seg {
    let vd = &data.veh[v];
    let end = &vd.ends[0];
    // A truck whose load on board leaves no room unloads first.
    let start = match data.near_sites[u as usize].first() {
        Some(&site) if vd.no_room_for(&useg) => {
            data.cat(v, &vd.start, &data.segs[data.n + site as usize])
        }
        _ => vd.start,
    };
    let mut s = data.cat(v, &start, &useg);
    if vd.brk.is_some() {
        let none = data.cat(v, &s, end);
        if data.route_cost(v, &none).is_some() {
            return none;
        }
        let b = data.brk_seg(v, data.loc(u));
        let after = data.cat(v, &data.cat(v, &s, &b), end);
        if data.route_cost(v, &after).is_some() {
            return after;
        }
        let b0 = data.brk_seg(v, start.last);
        s = data.cat(v, &data.cat(v, &start, &b0), &useg);
    }
    data.cat(v, &s, end)
}
