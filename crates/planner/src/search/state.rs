//! Search-side view of the instance (precomputed node segments, neighbour
//! lists) and the mutable solution state with per-route prefix/suffix data.

use super::segment::{MAXD, Seg};
use crate::model::{FAR, Instance, Matrix, Units};
use crate::solution::{Route, Solution, Visit};

/// Node id used in routes: stops `0..n`, disposal sites `n..n+d`, `BREAK`.
pub(crate) type Node = u32;
pub(crate) const BREAK: Node = u32::MAX - 1;

pub(crate) struct VehData {
    pub profile: usize,
    pub cap: [Units; MAXD],
    pub route_cap: [Units; MAXD],
    pub max_stops: u32,
    pub max_disp: u32,
    pub max_dur: Units,
    pub max_dist: Units,
    pub fixed: Units,
    pub cpd: Units,
    pub cpt: Units,
    /// The start depot; its tail trip holds the initial load.
    pub start: Seg,
    /// The truck leaves with a load, so a disposal visit before its first
    /// stop can be worth making.
    pub loaded: bool,
    /// End segment per final site (or one plain end depot segment).
    pub ends: Vec<Seg>,
    pub final_disposal: bool,
    pub brk: Option<(Units, Units, Units)>,
    pub start_loc: u32,
    pub allowed: Vec<bool>,
}

impl VehData {
    /// The load on board leaves no room for segment `s` on the first trip.
    #[inline]
    pub fn no_room_for(&self, s: &Seg) -> bool {
        self.loaded && (0..MAXD).any(|d| self.start.t_load[d] + s.h_load[d] > self.cap[d])
    }

    /// The lunch rule (see [`crate::Vehicle::break_`]): a route back at its
    /// end depot by the break window's latest start needs no break; one
    /// still out then takes exactly one. Never more than one.
    #[inline]
    pub fn breaks_ok(&self, nbrk: u32, end: Units) -> bool {
        match self.brk {
            None => nbrk == 0,
            Some((_, _, late)) => nbrk == 1 || (nbrk == 0 && end <= late),
        }
    }
}

pub(crate) struct Data<'a> {
    pub inst: &'a Instance,
    pub n: usize,
    pub nsites: usize,
    pub segs: Vec<Seg>,
    /// Per stop with several time windows: one segment per window (empty
    /// otherwise). A route fixes one window per such stop, see
    /// [`RouteState::pick_windows`].
    pub alt: Vec<Vec<Seg>>,
    /// Some stop has several windows (otherwise no window is ever re-picked).
    pub multi_window: bool,
    /// Some stop has a time window: SWAP*'s distance-only estimate is then
    /// a poor guide, and the search leaves it out.
    pub has_windows: bool,
    /// Every distance and duration matrix is symmetric, so reversing a run
    /// of visits is worth trying.
    pub symmetric: bool,
    pub locs: Vec<u32>,
    pub veh: Vec<VehData>,
    /// Per stop: other stops by increasing distance (truncated).
    pub neigh: Vec<Vec<u32>>,
    /// Per stop: disposal sites by increasing distance.
    pub near_sites: Vec<Vec<u32>>,
    /// Cost of leaving a stop out, for the search's acceptance.
    pub penalty: Vec<Units>,
    pub vehicle_weight: Units,
    pub unserved_weight: Units,
    pub has_reloads: bool,
    pub demand0: Vec<Units>,
    pub depot_dist: Vec<Units>,
    /// Penalty per unit of capacity excess (0 = capacity is hard). Only
    /// used without disposal sites, where excess cannot be fixed by a trip.
    /// The price set by the search's penalty manager (`penalty.rs`).
    pub cap_pen: Units,
    /// Sum of all prizes: the objective counts served prizes as negative cost.
    pub total_prize: Units,
    /// Vehicle class: vehicles with identical data share one.
    pub class: Vec<usize>,
    /// Insert a stop only into routes holding one of its this many nearest
    /// stops (0: into every route).
    pub insert_near: usize,
    /// Local search on every candidate, not only on new best plans, trying
    /// only the stops of changed routes (see [`Data::localized`]).
    pub ls_every: bool,
    /// Localized, and a route costs its distance times the vehicle's rate
    /// (no time cost): a move whose distance does not drop cannot pay, so
    /// the local search skips it before the full segment evaluation.
    pub distance_priced: bool,
}

impl<'a> Data<'a> {
    /// Large capacity-only instances (CVRPLIB X above 200 customers) are
    /// searched the localized way: granular insertion (20 nearest stops)
    /// and a local search of the changed routes after every ruin and
    /// recreate, under a colder annealing. Measured on X, 2026-12-07
    /// (BENCHMARKS-planner.md); not measured with time windows, disposal
    /// trips or breaks, whose instances keep the plain search (and the
    /// replay's iteration budgets keep their speed).
    fn localized(inst: &Instance) -> bool {
        // FR_LOCALIZED=0/1 forces the choice, for experiments.
        if let Ok(v) = std::env::var("FR_LOCALIZED") {
            return v == "1";
        }
        inst.stops().len() > 200
            && inst.sites().is_empty()
            && inst.stops().iter().all(|s| s.windows.is_empty())
            && inst.vehicles().iter().all(|v| v.break_.is_none())
    }

    pub fn new(inst: &'a Instance) -> Self {
        let n = inst.stops().len();
        let nsites = inst.sites().len();
        let mut segs = Vec::with_capacity(n + nsites);
        let mut locs = Vec::with_capacity(n + nsites);
        let mut alt: Vec<Vec<Seg>> = Vec::with_capacity(n);
        for s in inst.stops() {
            let mut dem = [0; MAXD];
            for (d, &q) in s.demand.iter().enumerate().take(MAXD) {
                dem[d] = q;
            }
            let seg =
                |e, l| Seg::stop(s.location as u32, s.service, e, l, s.release, dem, s.stream);
            // `segs` holds the widest window; a stop with several windows
            // also gets one segment per window, in the stop's order.
            let (e, l) = s
                .windows
                .iter()
                .max_by_key(|w| w.late - w.early)
                .map(|w| (w.early, w.late))
                .unwrap_or((-FAR, FAR));
            segs.push(seg(e, l));
            alt.push(if s.windows.len() > 1 {
                s.windows.iter().map(|w| seg(w.early, w.late)).collect()
            } else {
                Vec::new()
            });
            locs.push(s.location as u32);
        }
        for d in inst.sites() {
            segs.push(Seg::reset(
                d.location as u32,
                d.unload_time,
                d.hours.early,
                d.hours.late,
                d.accepts,
                true,
            ));
            locs.push(d.location as u32);
        }
        let (uw, vw) = inst.objective().weights();
        let prof0 = &inst.profiles()[inst.vehicles()[0].profile];
        let mut veh = Vec::new();
        for v in inst.vehicles() {
            let prof = &inst.profiles()[v.profile];
            let mut cap = [FAR; MAXD];
            let mut route_cap = [FAR; MAXD];
            for d in 0..inst.dims().min(MAXD) {
                cap[d] = v.capacity[d];
                if let Some(rc) = &v.route_capacity {
                    route_cap[d] = rc[d];
                }
            }
            let sl = inst.depots()[v.start_depot].location as u32;
            let el = inst.depots()[v.end_depot].location as u32;
            // A crew paid from the shift start leaves then: waiting is route time.
            let latest_departure = if v.paid_from_shift_start {
                v.shift.early
            } else {
                v.shift.late
            };
            let mut start = Seg::reset(sl, 0, v.shift.early, latest_departure, u64::MAX, false);
            // The load on board opens the first trip: every prefix carries
            // it, so each move prices it at no extra cost.
            for (d, l) in start.t_load.iter_mut().enumerate().take(inst.dims()) {
                *l = v.initial_load_in(d);
            }
            let end = Seg::reset(el, 0, v.shift.early, v.shift.late, u64::MAX, false);
            let ends = if v.final_disposal_required {
                (0..nsites)
                    .map(|d| Seg::concat(&segs[n + d], &end, &prof.distance, &prof.duration, &cap))
                    .collect()
            } else {
                vec![end]
            };
            let allowed = inst
                .stops()
                .iter()
                .map(|s| v.skills & s.skills == s.skills && v.streams & s.stream == s.stream)
                .collect();
            veh.push(VehData {
                profile: v.profile,
                cap,
                route_cap,
                max_stops: v.max_stops.map(|m| m as u32).unwrap_or(u32::MAX),
                max_disp: v.max_disposal_trips.map(|m| m as u32).unwrap_or(u32::MAX),
                max_dur: v.max_duration.unwrap_or(FAR),
                max_dist: v.max_distance.unwrap_or(FAR),
                fixed: v.fixed_cost + vw,
                cpd: v.cost_per_distance,
                cpt: v.cost_per_time,
                loaded: v.starts_loaded(),
                start,
                ends,
                final_disposal: v.final_disposal_required,
                brk: v
                    .break_
                    .map(|b| (b.duration, b.window.early, b.window.late)),
                start_loc: sl,
                allowed,
            });
        }
        let dm = &prof0.distance;
        let k = 60.min(n.saturating_sub(1));
        let neigh = (0..n)
            .map(|i| {
                let li = locs[i] as usize;
                let mut o: Vec<u32> = (0..n as u32).filter(|&j| j as usize != i).collect();
                o.sort_by_key(|&j| {
                    dm.get(li, locs[j as usize] as usize) + dm.get(locs[j as usize] as usize, li)
                });
                o.truncate(k);
                o
            })
            .collect();
        let near_sites = (0..n)
            .map(|i| {
                let li = locs[i] as usize;
                let mut o: Vec<u32> = (0..nsites as u32).collect();
                o.sort_by_key(|&d| {
                    dm.get(li, locs[n + d as usize] as usize)
                        + dm.get(locs[n + d as usize] as usize, li)
                });
                o
            })
            .collect();
        let depot_loc = inst.depots()[inst.vehicles()[0].start_depot].location;
        let depot_dist: Vec<Units> = (0..n)
            .map(|i| dm.get(depot_loc, locs[i] as usize))
            .collect();
        let max_cpd = inst
            .vehicles()
            .iter()
            .map(|v| v.cost_per_distance.max(1))
            .max()
            .unwrap_or(1);
        let maxd = depot_dist.iter().copied().max().unwrap_or(0);
        let max_fixed = inst
            .vehicles()
            .iter()
            .map(|v| v.fixed_cost)
            .max()
            .unwrap_or(0);
        let max_cpt = inst
            .vehicles()
            .iter()
            .map(|v| v.cost_per_time)
            .max()
            .unwrap_or(0);
        let maxt = inst
            .vehicles()
            .iter()
            .map(|v| v.shift.late.min(FAR / 4) - v.shift.early.max(0))
            .max()
            .unwrap_or(0)
            .min(1 << 30);
        let pen_mult: Units = std::env::var("FR_PEN")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(4);
        let total_prize: Units = inst.stops().iter().filter_map(|s| s.prize).sum();
        let penalty = inst
            .stops()
            .iter()
            .map(|s| match s.prize {
                Some(p) => p,
                // Large enough to prefer serving, small enough to let the
                // annealing pass through states with a stop left out.
                None => vw
                    .saturating_add(
                        max_fixed + pen_mult * maxd * max_cpd + max_cpt.saturating_mul(maxt) + 1000,
                    )
                    .min(uw),
            })
            .collect();
        let demand0 = inst
            .stops()
            .iter()
            .map(|s| s.demand.first().copied().unwrap_or(0))
            .collect();
        let keys: Vec<String> = inst
            .vehicles()
            .iter()
            .map(|v| {
                let mut v = v.clone();
                v.id.clear();
                format!("{v:?}")
            })
            .collect();
        let class = (0..keys.len())
            .map(|i| keys.iter().position(|k| *k == keys[i]).unwrap_or(i))
            .collect();
        let localized = Self::localized(inst);
        let v0 = &inst.vehicles()[0];
        let distance_priced = localized
            && inst.vehicles().iter().all(|v| {
                v.cost_per_time == 0
                    && v.cost_per_distance >= 0
                    && v.cost_per_distance == v0.cost_per_distance
                    && v.profile == v0.profile
            });
        Data {
            ls_every: localized,
            distance_priced,
            insert_near: if localized { 20 } else { 0 },
            cap_pen: 0,
            total_prize,
            class,
            inst,
            n,
            nsites,
            segs,
            multi_window: alt.iter().any(|a| !a.is_empty()),
            has_windows: inst.stops().iter().any(|s| !s.windows.is_empty()),
            symmetric: inst.profiles().iter().all(|p| {
                let sym =
                    |m: &Matrix| (0..m.len()).all(|i| (0..i).all(|j| m.get(i, j) == m.get(j, i)));
                sym(&p.distance) && sym(&p.duration)
            }),
            alt,
            locs,
            veh,
            neigh,
            near_sites,
            penalty,
            vehicle_weight: vw,
            unserved_weight: uw,
            has_reloads: nsites > 0,
            demand0,
            depot_dist,
        }
    }

    #[inline]
    pub fn mats(&self, v: usize) -> (&Matrix, &Matrix) {
        let p = &self.inst.profiles()[self.veh[v].profile];
        (&p.distance, &p.duration)
    }

    /// Cost of a complete route segment, or `None` when infeasible.
    #[inline]
    pub fn route_cost(&self, v: usize, s: &Seg) -> Option<Units> {
        let vd = &self.veh[v];
        if s.nstops == 0 {
            return Some(0);
        }
        let pen = self.cap_pen;
        if s.m.tw != 0 || (s.excess != 0 && pen == 0) || s.mask_viol != 0 {
            return None;
        }
        for d in 0..MAXD {
            if s.total[d] > vd.route_cap[d] {
                return None;
            }
        }
        if s.nstops > vd.max_stops
            || s.ndisp > vd.max_disp
            || s.m.dur > vd.max_dur
            || s.dist > vd.max_dist
            || !vd.breaks_ok(s.nbrk, s.m.end_early())
        {
            return None;
        }
        Some(vd.fixed + vd.cpd * s.dist + vd.cpt * s.m.dur + pen * s.excess)
    }

    /// Cost of `a ⊕ [b] ⊕ c` for reset-bounded `a`, `c`, or `None`.
    #[inline]
    pub fn eval(&self, v: usize, a: &Seg, b: Option<&Seg>, c: &Seg) -> Option<Units> {
        let (dm, tm) = self.mats(v);
        let vd = &self.veh[v];
        let j = super::segment::join(a, b, c, dm, tm, &vd.cap);
        if j.nstops == 0 {
            return Some(0);
        }
        let pen = self.cap_pen;
        if j.tw != 0 || (j.excess != 0 && pen == 0) || j.mask_viol != 0 {
            return None;
        }
        for d in 0..MAXD {
            if j.total[d] > vd.route_cap[d] {
                return None;
            }
        }
        if j.nstops > vd.max_stops
            || j.ndisp > vd.max_disp
            || j.dur > vd.max_dur
            || j.dist > vd.max_dist
            || !vd.breaks_ok(j.nbrk, j.end)
        {
            return None;
        }
        Some(vd.fixed + vd.cpd * j.dist + vd.cpt * j.dur + pen * j.excess)
    }

    #[inline(always)]
    pub fn cat(&self, v: usize, a: &Seg, b: &Seg) -> Seg {
        let (d, t) = self.mats(v);
        Seg::concat(a, b, d, t, &self.veh[v].cap)
    }

    pub fn brk_seg(&self, v: usize, loc: u32) -> Seg {
        let (d, e, l) = self.veh[v].brk.unwrap_or((0, -FAR, FAR));
        Seg::brk(loc, d, e, l)
    }

    /// The segments to try when stop `u` is moved: one per time window.
    #[inline]
    pub fn wins(&self, u: u32) -> &[Seg] {
        match self.alt.get(u as usize) {
            Some(a) if !a.is_empty() => a,
            _ => std::slice::from_ref(&self.segs[u as usize]),
        }
    }

    /// Whether a move that leaves every route non-empty and changes their
    /// distance cost by `dcost` is sure not to pay (see
    /// [`Data::distance_priced`]).
    #[inline]
    pub fn cannot_pay(&self, dcost: Units) -> bool {
        self.distance_priced && self.cap_pen == 0 && dcost >= 0
    }

    /// Distance cost for vehicle `v` of driving from location `a` to `b`.
    #[inline]
    pub fn dc(&self, v: usize, a: u32, b: u32) -> Units {
        self.veh[v].cpd * self.mats(v).0.get(a as usize, b as usize)
    }

    #[inline]
    pub fn loc(&self, node: Node) -> u32 {
        self.locs[node as usize]
    }
}

/// One vehicle's route with prefix/suffix segment data.
#[derive(Clone)]
pub(crate) struct RouteState {
    pub veh: usize,
    pub nodes: Vec<Node>,
    /// Per position: the chosen window of a stop with several windows
    /// (index into `Data::alt`); empty unless `Data::multi_window`.
    pub win: Vec<u32>,
    /// `pre[i]` = start ⊕ nodes[..i].
    pub pre: Vec<Seg>,
    /// `suf[i]` = nodes[i..] ⊕ end.
    pub suf: Vec<Seg>,
    pub cost: Units,
    pub final_site: usize,
    pub feasible: bool,
    /// Capacity excess (non-zero only under a capacity penalty).
    pub excess: Units,
}

impl RouteState {
    pub fn new(veh: usize) -> Self {
        RouteState {
            veh,
            nodes: Vec::new(),
            win: Vec::new(),
            pre: Vec::new(),
            suf: Vec::new(),
            cost: 0,
            final_site: 0,
            feasible: true,
            excess: 0,
        }
    }

    pub fn nstops(&self) -> u32 {
        self.pre.last().map(|s| s.nstops).unwrap_or(0)
    }

    pub fn end<'d>(&self, data: &'d Data) -> &'d Seg {
        let vd = &data.veh[self.veh];
        &vd.ends[if vd.final_disposal {
            self.final_site
        } else {
            0
        }]
    }

    /// Segment of the node at position `i` (breaks take the predecessor's place).
    pub fn node_seg(&self, data: &Data, i: usize) -> Seg {
        let x = self.nodes[i];
        if x == BREAK {
            let loc = if i == 0 {
                data.veh[self.veh].start_loc
            } else {
                self.node_loc(data, i - 1)
            };
            data.brk_seg(self.veh, loc)
        } else {
            match data.alt.get(x as usize) {
                Some(a) if !a.is_empty() => a[self.win[i] as usize],
                _ => data.segs[x as usize],
            }
        }
    }

    /// Fixes the window of each stop with several windows the way the
    /// checker does: simulate from the earliest departure and take, at each
    /// such stop, the window where service can start first. This choice
    /// gives the earliest start at every later visit, so it is feasible
    /// whenever any choice is.
    fn pick_windows(&mut self, data: &Data) {
        self.win.clear();
        if !data.multi_window {
            return;
        }
        let n = data.n;
        let stops = data.inst.stops();
        let vehicle = &data.inst.vehicles()[self.veh];
        let (_, tm) = data.mats(self.veh);
        let mut releases = Vec::new();
        let mut cur = Units::MIN;
        for &x in &self.nodes {
            if (x as usize) < n {
                cur = cur.max(stops[x as usize].release);
            } else if x != BREAK {
                releases.push(cur);
                cur = Units::MIN;
            }
        }
        releases.push(cur);
        let mut t = vehicle.shift.early.max(releases[0]);
        let mut loc = data.veh[self.veh].start_loc as usize;
        let mut trip = 0;
        for &x in &self.nodes {
            let mut w = 0u32;
            if x == BREAK {
                if let Some((d, e, _)) = data.veh[self.veh].brk {
                    t = t.max(e) + d;
                }
            } else if (x as usize) < n {
                let s = &stops[x as usize];
                let arrive = t + tm.get(loc, s.location);
                let mut start = arrive.max(s.windows.first().map_or(Units::MIN, |w| w.early));
                if s.windows.len() > 1 {
                    let best = s
                        .windows
                        .iter()
                        .enumerate()
                        .filter(|(_, w)| arrive.max(w.early) <= w.late)
                        .min_by_key(|(_, w)| arrive.max(w.early));
                    if let Some((k, win)) = best {
                        w = k as u32;
                        start = arrive.max(win.early);
                    }
                }
                t = start + s.service;
                loc = s.location;
            } else {
                let site = &data.inst.sites()[x as usize - n];
                t = (t + tm.get(loc, site.location)).max(site.hours.early) + site.unload_time;
                trip += 1;
                t = t.max(releases[trip]);
                loc = site.location;
            }
            self.win.push(w);
        }
    }

    pub fn node_loc(&self, data: &Data, i: usize) -> u32 {
        let x = self.nodes[i];
        if x == BREAK {
            if i == 0 {
                data.veh[self.veh].start_loc
            } else {
                self.node_loc(data, i - 1)
            }
        } else {
            data.loc(x)
        }
    }

    /// Updates prefix/suffix data after `len` nodes were inserted at `p`:
    /// prefixes before `p` and suffixes after the insertion are unchanged.
    pub fn rebuild_inserted(&mut self, data: &Data, p: usize, len: usize) {
        let k = self.nodes.len();
        if data.multi_window
            || self.pre.len() + len != k + 1
            || self.suf.len() + len != k + 1
            || self.nodes.get(p + len) == Some(&BREAK)
        {
            return self.rebuild(data);
        }
        let v = self.veh;
        self.pre.truncate(p + 1);
        for i in p..k {
            let s = self.node_seg(data, i);
            let next = data.cat(v, &self.pre[i], &s);
            self.pre.push(next);
        }
        let filler = self.suf[p];
        self.suf.splice(p..p, std::iter::repeat_n(filler, len));
        for i in (0..p + len).rev() {
            let s = self.node_seg(data, i);
            self.suf[i] = data.cat(v, &s, &self.suf[i + 1]);
        }
        self.finish(data);
    }

    /// Recomputes prefix/suffix data and cost.
    pub fn rebuild(&mut self, data: &Data) {
        self.pick_windows(data);
        let v = self.veh;
        let k = self.nodes.len();
        self.pre.clear();
        self.pre.push(data.veh[v].start);
        for i in 0..k {
            let s = self.node_seg(data, i);
            let next = data.cat(v, &self.pre[i], &s);
            self.pre.push(next);
        }
        let end = *self.end(data);
        self.suf.clear();
        self.suf.resize(k + 1, end);
        for i in (0..k).rev() {
            let s = self.node_seg(data, i);
            self.suf[i] = data.cat(v, &s, &self.suf[i + 1]);
        }
        self.finish(data);
    }

    pub fn refresh(&mut self, data: &Data) {
        self.finish(data);
    }

    fn finish(&mut self, data: &Data) {
        let k = self.nodes.len();
        let v = self.veh;
        let full = data.cat(v, &self.pre[k], self.end(data));
        self.excess = full.excess;
        match data.route_cost(v, &full) {
            Some(c) => {
                self.cost = c;
                self.feasible = true;
            }
            None => {
                self.cost = Units::MAX / 8;
                self.feasible = false;
            }
        }
    }
}

/// A complete search state.
#[derive(Clone)]
pub(crate) struct State {
    pub routes: Vec<RouteState>,
    /// Stop -> route index, or `usize::MAX` when unassigned.
    pub route_of: Vec<usize>,
    pub unassigned: Vec<u32>,
    /// Copies of routes changed since journaling started (for cheap undo).
    pub journal: Vec<(usize, RouteState)>,
    pub journaling: bool,
}

impl State {
    /// Saves route `r` before its first change while journaling.
    #[inline]
    pub fn touch(&mut self, r: usize) {
        if self.journaling && !self.journal.iter().any(|(i, _)| *i == r) {
            self.journal.push((r, self.routes[r].clone()));
        }
    }

    pub fn empty(data: &Data) -> Self {
        State {
            routes: (0..data.veh.len())
                .map(RouteState::new)
                .map(|mut r| {
                    r.rebuild(data);
                    r
                })
                .collect(),
            route_of: vec![usize::MAX; data.n],
            unassigned: (0..data.n as u32).collect(),
            journal: Vec::new(),
            journaling: false,
        }
    }

    pub fn cost(&self, data: &Data) -> Units {
        let mut c: Units = self.routes.iter().map(|r| r.cost).sum();
        for &u in &self.unassigned {
            c += data.penalty[u as usize];
        }
        c
    }

    /// Total capacity excess; the state is a valid solution only at 0.
    pub fn excess(&self) -> Units {
        self.routes.iter().map(|r| r.excess).sum()
    }

    /// Recomputes route costs (after a penalty change).
    pub fn refresh(&mut self, data: &Data) {
        for r in &mut self.routes {
            r.refresh(data);
        }
    }

    pub fn used(&self) -> usize {
        self.routes.iter().filter(|r| r.nstops() > 0).count()
    }

    /// The true objective: unserved required, vehicles, cost − prizes.
    pub fn objective(&self, data: &Data) -> Units {
        let mut c: Units = self.routes.iter().map(|r| r.cost).sum();
        for &u in &self.unassigned {
            c += match data.inst.stops()[u as usize].prize {
                Some(p) => p,
                None => data.unserved_weight,
            };
        }
        c - data.total_prize
    }

    pub fn reindex(&mut self, data: &Data) {
        self.route_of.iter_mut().for_each(|r| *r = usize::MAX);
        for (ri, r) in self.routes.iter().enumerate() {
            for &x in &r.nodes {
                if (x as usize) < data.n {
                    self.route_of[x as usize] = ri;
                }
            }
        }
    }

    pub fn to_solution(&self, data: &Data) -> Solution {
        let mut routes = Vec::new();
        for r in &self.routes {
            if r.nstops() == 0 {
                continue;
            }
            let mut visits: Vec<Visit> = r
                .nodes
                .iter()
                .map(|&x| {
                    if x == BREAK {
                        Visit::Break
                    } else if (x as usize) < data.n {
                        Visit::Stop(x as usize)
                    } else {
                        Visit::Disposal(x as usize - data.n)
                    }
                })
                .collect();
            if data.veh[r.veh].final_disposal {
                visits.push(Visit::Disposal(r.final_site));
            }
            routes.push(Route {
                vehicle: r.veh,
                visits,
            });
        }
        Solution {
            routes,
            unserved: Vec::new(),
        }
    }

    /// Loads a solution (e.g. injected from a MIP) into search form.
    pub fn from_solution(data: &Data, sol: &Solution) -> Self {
        let mut st = State::empty(data);
        for route in &sol.routes {
            let Some(r) = st.routes.get_mut(route.vehicle) else {
                continue;
            };
            let mut nodes: Vec<Node> = route
                .visits
                .iter()
                .map(|v| match *v {
                    Visit::Stop(i) => i as Node,
                    Visit::Disposal(d) => (data.n + d) as Node,
                    Visit::Break => BREAK,
                })
                .collect();
            if data.veh[r.veh].final_disposal
                && let Some(pos) = nodes.iter().rposition(|&x| x != BREAK)
                && nodes[pos] as usize >= data.n
                && nodes[pos] != BREAK
            {
                r.final_site = nodes[pos] as usize - data.n;
                nodes.remove(pos);
            }
            r.nodes = nodes;
            r.rebuild(data);
        }
        st.reindex(data);
        st.unassigned = (0..data.n as u32)
            .filter(|&i| st.route_of[i as usize] == usize::MAX)
            .collect();
        st
    }
}
