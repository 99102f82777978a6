//! Concatenable route-segment data: constant-time evaluation of any move that
//! splices whole segments together.
//!
//! A segment summarises a run of visits: distance, a PyVRP-style duration
//! segment (duration, time warp, earliest/latest start), and load. Disposal
//! visits (and the depots) are *resets*: they empty the truck and start a new
//! trip (the start depot's trip opens with the vehicle's initial load). A
//! segment that contains resets keeps three time parts, the head trip (open
//! on the left), the closed middle, and the tail trip (open on the right),
//! so that a trip's load, streams and release date are only judged once both
//! of its ends are known. Concatenation is associative, so
//! `prefix ⊕ node ⊕ suffix` gives exactly what a full recomputation gives.

use crate::model::{FAR, Matrix, Units};

/// Maximum capacity dimensions handled by the search.
pub(crate) const MAXD: usize = crate::model::MAX_DIMS;
/// "No location" marker.
pub(crate) const NONE: u32 = u32::MAX;
const NEG: Units = -FAR;

/// Duration segment (PyVRP's `DurationSegment`, with locations).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dur {
    pub first: u32,
    pub last: u32,
    pub dur: Units,
    pub tw: Units,
    pub early: Units,
    pub late: Units,
}

impl Dur {
    pub const EMPTY: Dur = Dur {
        first: NONE,
        last: NONE,
        dur: 0,
        tw: 0,
        early: NEG,
        late: FAR,
    };

    pub fn node(loc: u32, service: Units, early: Units, late: Units) -> Dur {
        Dur {
            first: loc,
            last: loc,
            dur: service,
            tw: 0,
            early,
            late,
        }
    }

    /// Earliest time the segment can end (starting at `early`).
    #[inline]
    pub fn end_early(&self) -> Units {
        self.early + self.dur - self.tw
    }

    #[inline(always)]
    pub fn merge(a: &Dur, b: &Dur, time: &Matrix) -> Dur {
        if b.first == NONE && b.dur == 0 && b.early == NEG && b.late == FAR {
            return *a;
        }
        if a.first == NONE && a.dur == 0 && a.early == NEG && a.late == FAR {
            return *b;
        }
        let edge = if a.last == NONE || b.first == NONE {
            0
        } else {
            time.get(a.last as usize, b.first as usize)
        };
        let at = a.dur - a.tw + edge;
        let diff_wait = (b.early - at - a.late).max(0);
        let diff_tw = (a.early + at - b.late).max(0);
        Dur {
            first: if a.first != NONE { a.first } else { b.first },
            last: if b.last != NONE { b.last } else { a.last },
            dur: a.dur + b.dur + edge + diff_wait,
            tw: a.tw + b.tw + diff_tw,
            early: (b.early - at).max(a.early) - diff_wait,
            late: (b.late - at).min(a.late) + diff_tw,
        }
    }
}

/// Full segment summary.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Seg {
    pub h: Dur,
    pub m: Dur,
    pub t: Dur,
    pub reset: bool,
    pub h_rel: Units,
    pub t_rel: Units,
    pub h_load: [Units; MAXD],
    pub t_load: [Units; MAXD],
    pub total: [Units; MAXD],
    pub excess: Units,
    pub h_mask: u64,
    pub t_mask: u64,
    pub first_accepts: u64,
    pub mask_viol: u32,
    pub nstops: u32,
    pub ndisp: u32,
    pub nbrk: u32,
    pub dist: Units,
    pub first: u32,
    pub last: u32,
}

impl Seg {
    const BLANK: Seg = Seg {
        h: Dur::EMPTY,
        m: Dur::EMPTY,
        t: Dur::EMPTY,
        reset: false,
        h_rel: NEG,
        t_rel: NEG,
        h_load: [0; MAXD],
        t_load: [0; MAXD],
        total: [0; MAXD],
        excess: 0,
        h_mask: 0,
        t_mask: 0,
        first_accepts: u64::MAX,
        mask_viol: 0,
        nstops: 0,
        ndisp: 0,
        nbrk: 0,
        dist: 0,
        first: NONE,
        last: NONE,
    };

    /// A stop (collects `demand`).
    pub fn stop(
        loc: u32,
        service: Units,
        early: Units,
        late: Units,
        release: Units,
        demand: [Units; MAXD],
        stream: u64,
    ) -> Seg {
        Seg {
            h: Dur::node(loc, service, early, late),
            h_rel: release,
            h_load: demand,
            total: demand,
            h_mask: stream,
            nstops: 1,
            first: loc,
            last: loc,
            ..Seg::BLANK
        }
    }

    /// A reset point: depot or disposal site. `disposal` counts it as a trip.
    pub fn reset(
        loc: u32,
        service: Units,
        early: Units,
        late: Units,
        accepts: u64,
        disposal: bool,
    ) -> Seg {
        Seg {
            m: Dur::node(loc, service, early, late),
            reset: true,
            first_accepts: accepts,
            ndisp: u32::from(disposal),
            first: loc,
            last: loc,
            ..Seg::BLANK
        }
    }

    /// A break taken at `loc` (the previous visit's location).
    pub fn brk(loc: u32, duration: Units, early: Units, late: Units) -> Seg {
        Seg {
            h: Dur::node(loc, duration, early, late),
            nbrk: 1,
            first: loc,
            last: loc,
            ..Seg::BLANK
        }
    }

    #[inline]
    fn over(load: &[Units; MAXD], cap: &[Units; MAXD]) -> Units {
        let mut e = 0;
        for d in 0..MAXD {
            e += (load[d] - cap[d]).max(0);
        }
        e
    }

    /// `a ⊕ b` for a vehicle with `dist`/`time` matrices and per-trip `cap`.
    #[inline(always)]
    pub fn concat(a: &Seg, b: &Seg, dist: &Matrix, time: &Matrix, cap: &[Units; MAXD]) -> Seg {
        let edge = if a.last == NONE || b.first == NONE {
            0
        } else {
            dist.get(a.last as usize, b.first as usize)
        };
        let mut r = Seg {
            dist: a.dist + b.dist + edge,
            first: if a.first != NONE { a.first } else { b.first },
            last: if b.last != NONE { b.last } else { a.last },
            nstops: a.nstops + b.nstops,
            ndisp: a.ndisp + b.ndisp,
            nbrk: a.nbrk + b.nbrk,
            ..Seg::BLANK
        };
        for d in 0..MAXD {
            r.total[d] = a.total[d] + b.total[d];
        }
        match (a.reset, b.reset) {
            (false, false) => {
                r.h = Dur::merge(&a.h, &b.h, time);
                r.h_rel = a.h_rel.max(b.h_rel);
                for d in 0..MAXD {
                    r.h_load[d] = a.h_load[d] + b.h_load[d];
                }
                r.h_mask = a.h_mask | b.h_mask;
            }
            (false, true) => {
                r.reset = true;
                r.h = Dur::merge(&a.h, &b.h, time);
                r.h_rel = a.h_rel.max(b.h_rel);
                for d in 0..MAXD {
                    r.h_load[d] = a.h_load[d] + b.h_load[d];
                }
                r.h_mask = a.h_mask | b.h_mask;
                r.m = b.m;
                r.t = b.t;
                r.t_rel = b.t_rel;
                r.t_load = b.t_load;
                r.t_mask = b.t_mask;
                r.excess = b.excess;
                r.mask_viol = b.mask_viol;
                r.first_accepts = b.first_accepts;
            }
            (true, false) => {
                r.reset = true;
                r.h = a.h;
                r.h_rel = a.h_rel;
                r.h_load = a.h_load;
                r.h_mask = a.h_mask;
                r.m = a.m;
                r.t = Dur::merge(&a.t, &b.h, time);
                r.t_rel = a.t_rel.max(b.h_rel);
                for d in 0..MAXD {
                    r.t_load[d] = a.t_load[d] + b.h_load[d];
                }
                r.t_mask = a.t_mask | b.h_mask;
                r.excess = a.excess;
                r.mask_viol = a.mask_viol;
                r.first_accepts = a.first_accepts;
            }
            (true, true) => {
                r.reset = true;
                r.h = a.h;
                r.h_rel = a.h_rel;
                r.h_load = a.h_load;
                r.h_mask = a.h_mask;
                r.first_accepts = a.first_accepts;
                let trip = Dur::merge(&a.t, &b.h, time);
                let rel = a.t_rel.max(b.h_rel);
                let mut m = a.m;
                if rel > NEG {
                    // The trip may leave the reset point only after its release.
                    m = Dur::merge(
                        &m,
                        &Dur {
                            first: NONE,
                            last: NONE,
                            dur: 0,
                            tw: 0,
                            early: rel,
                            late: FAR,
                        },
                        time,
                    );
                }
                m = Dur::merge(&m, &trip, time);
                r.m = Dur::merge(&m, &b.m, time);
                r.t = b.t;
                r.t_rel = b.t_rel;
                r.t_load = b.t_load;
                r.t_mask = b.t_mask;
                let load: [Units; MAXD] = std::array::from_fn(|d| a.t_load[d] + b.h_load[d]);
                r.excess = a.excess + b.excess + Self::over(&load, cap);
                r.mask_viol = a.mask_viol
                    + b.mask_viol
                    + u32::from((a.t_mask | b.h_mask) & !b.first_accepts != 0);
            }
        }
        r
    }
}

/// Route-level totals of `a ⊕ [b] ⊕ c` (or `a ⊕ c`), where `a` and `c` are
/// reset-bounded (a prefix from the start depot and a suffix to the end
/// depot) and `b` is a non-reset segment: computed without materialising
/// intermediate segments. Mirrors `Seg::concat` exactly.
pub(crate) struct Joined {
    pub dist: Units,
    pub dur: Units,
    pub tw: Units,
    pub excess: Units,
    pub mask_viol: u32,
    pub total: [Units; MAXD],
    pub nstops: u32,
    pub ndisp: u32,
    pub nbrk: u32,
    /// Earliest return to the end depot.
    pub end: Units,
}

#[inline]
pub(crate) fn join(
    a: &Seg,
    b: Option<&Seg>,
    c: &Seg,
    dist: &Matrix,
    time: &Matrix,
    cap: &[Units; MAXD],
) -> Joined {
    debug_assert!(a.reset && c.reset);
    let mut load = [0; MAXD];
    let mut total = [0; MAXD];
    let (trip, rel, mask, d, ns, nb) = match b {
        Some(b) => {
            let t1 = Dur::merge(&a.t, &b.h, time);
            let t2 = Dur::merge(&t1, &c.h, time);
            for k in 0..MAXD {
                load[k] = a.t_load[k] + b.h_load[k] + c.h_load[k];
                total[k] = a.total[k] + b.total[k] + c.total[k];
            }
            let e1 = if a.last == NONE || b.first == NONE {
                0
            } else {
                dist.get(a.last as usize, b.first as usize)
            };
            let e2 = if b.last == NONE || c.first == NONE {
                0
            } else {
                dist.get(b.last as usize, c.first as usize)
            };
            (
                t2,
                a.t_rel.max(b.h_rel).max(c.h_rel),
                a.t_mask | b.h_mask | c.h_mask,
                b.dist + e1 + e2,
                b.nstops,
                b.nbrk,
            )
        }
        None => {
            let t2 = Dur::merge(&a.t, &c.h, time);
            for k in 0..MAXD {
                load[k] = a.t_load[k] + c.h_load[k];
                total[k] = a.total[k] + c.total[k];
            }
            let e = if a.last == NONE || c.first == NONE {
                0
            } else {
                dist.get(a.last as usize, c.first as usize)
            };
            (t2, a.t_rel.max(c.h_rel), a.t_mask | c.h_mask, e, 0, 0)
        }
    };
    let mut m = a.m;
    if rel > NEG {
        m = Dur::merge(
            &m,
            &Dur {
                first: NONE,
                last: NONE,
                dur: 0,
                tw: 0,
                early: rel,
                late: FAR,
            },
            time,
        );
    }
    m = Dur::merge(&m, &trip, time);
    m = Dur::merge(&m, &c.m, time);
    let mut excess = a.excess + c.excess;
    for k in 0..MAXD {
        excess += (load[k] - cap[k]).max(0);
    }
    Joined {
        dist: a.dist + c.dist + d,
        dur: m.dur + a.h.dur + c.t.dur,
        tw: m.tw + a.h.tw + c.t.tw,
        excess,
        mask_viol: a.mask_viol + c.mask_viol + u32::from(mask & !c.first_accepts != 0),
        total,
        nstops: a.nstops + c.nstops + ns,
        ndisp: a.ndisp + c.ndisp,
        nbrk: a.nbrk + c.nbrk + nb,
        end: m.end_early(),
    }
}
