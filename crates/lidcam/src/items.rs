//! Waste items as projected 2-D sprites: bags, food, boxes, bottles, cans,
//! paper and specks. Each is a signed-distance shape with its own shading.

use std::f32::consts::TAU;

use rand::Rng;

use crate::raster::{Canvas, Rgb, fbm, mix, scale, smoothstep, value_noise};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Bag,
    Food,
    Box,
    Bottle,
    Can,
    Paper,
    Speck,
}

/// One item, already projected: centre in pixels, `s` pixels per world unit.
pub(crate) struct Item {
    pub kind: Kind,
    pub cx: f32,
    pub cy: f32,
    pub z: f32,
    pub s: f32,
    pub angle: f32,
    /// World half-extents along the item's own axes.
    pub a: f32,
    pub b: f32,
    pub colour: Rgb,
    pub accent: Rgb,
    pub seed: u32,
    pub light: f32,
    pub gloss: f32,
    pub opacity: f32,
    /// Phases of the outline wobble of bags and food.
    pub wobble: [f32; 4],
}

const BAGS: [Rgb; 12] = [
    [0.05, 0.05, 0.06],
    [0.06, 0.06, 0.07],
    [0.08, 0.08, 0.09],
    [0.22, 0.23, 0.25],
    [0.35, 0.36, 0.37],
    [0.80, 0.80, 0.78],
    [0.86, 0.86, 0.84],
    [0.45, 0.55, 0.70],
    [0.30, 0.45, 0.32],
    [0.75, 0.68, 0.35],
    [0.55, 0.25, 0.22],
    [0.60, 0.62, 0.60],
];
const FOOD: [Rgb; 5] = [
    [0.40, 0.25, 0.12],
    [0.36, 0.50, 0.16],
    [0.86, 0.46, 0.10],
    [0.86, 0.76, 0.30],
    [0.55, 0.12, 0.10],
];
const CARDBOARD: [Rgb; 4] = [
    [0.62, 0.45, 0.28],
    [0.56, 0.40, 0.24],
    [0.82, 0.80, 0.76],
    [0.70, 0.55, 0.36],
];
const BOTTLES: [(Rgb, f32); 6] = [
    ([0.78, 0.84, 0.86], 0.55),
    ([0.74, 0.80, 0.88], 0.6),
    ([0.18, 0.42, 0.22], 0.85),
    ([0.36, 0.20, 0.08], 0.9),
    ([0.92, 0.92, 0.90], 1.0),
    ([0.20, 0.35, 0.75], 1.0),
];
const CANS: [Rgb; 4] = [
    [0.72, 0.74, 0.77],
    [0.78, 0.10, 0.10],
    [0.10, 0.25, 0.65],
    [0.15, 0.55, 0.25],
];
const PAPER: [Rgb; 4] = [
    [0.90, 0.90, 0.88],
    [0.80, 0.78, 0.72],
    [0.92, 0.80, 0.82],
    [0.70, 0.72, 0.74],
];
const ACCENTS: [Rgb; 6] = [
    [0.85, 0.1, 0.1],
    [0.1, 0.3, 0.8],
    [0.95, 0.85, 0.1],
    [0.1, 0.6, 0.2],
    [0.95, 0.95, 0.95],
    [0.1, 0.1, 0.1],
];

fn pick<R: Rng + ?Sized, T: Copy>(rng: &mut R, xs: &[T]) -> T {
    xs[rng.random_range(0..xs.len())]
}

fn pick_jittered<R: Rng + ?Sized>(rng: &mut R, xs: &[Rgb], k: f32) -> Rgb {
    let c = pick(rng, xs);
    jitter(rng, c, k)
}

fn jitter<R: Rng + ?Sized>(rng: &mut R, c: Rgb, k: f32) -> Rgb {
    let b = rng.random_range(1.0 - k..1.0 + k);
    [
        c[0] * b * rng.random_range(0.95..1.05),
        c[1] * b,
        c[2] * b * rng.random_range(0.95..1.05),
    ]
}

impl Item {
    /// A random item of a random kind; the caller fills in position,
    /// projection and light.
    pub fn random<R: Rng + ?Sized>(rng: &mut R, speck: bool) -> Self {
        let kind = if speck {
            Kind::Speck
        } else {
            match rng.random_range(0..100) {
                0..36 => Kind::Bag,
                36..46 => Kind::Food,
                46..64 => Kind::Box,
                64..78 => Kind::Bottle,
                78..85 => Kind::Can,
                _ => Kind::Paper,
            }
        };
        let (a, b, colour, gloss, opacity) = match kind {
            Kind::Bag => {
                let r = rng.random_range(0.07..0.16);
                (
                    r * rng.random_range(0.9..1.25),
                    r * rng.random_range(0.75..1.0),
                    pick_jittered(rng, &BAGS, 0.15),
                    rng.random_range(0.3..0.9),
                    1.0,
                )
            }
            Kind::Food => {
                let r = rng.random_range(0.025..0.06);
                (
                    r * rng.random_range(1.0..1.8),
                    r,
                    pick_jittered(rng, &FOOD, 0.2),
                    rng.random_range(0.0..0.3),
                    1.0,
                )
            }
            Kind::Box => (
                rng.random_range(0.05..0.14),
                rng.random_range(0.04..0.11),
                pick_jittered(rng, &CARDBOARD, 0.12),
                0.0,
                1.0,
            ),
            Kind::Bottle => {
                let (c, o) = pick(rng, &BOTTLES);
                (
                    rng.random_range(0.08..0.14),
                    rng.random_range(0.022..0.04),
                    jitter(rng, c, 0.1),
                    0.9,
                    o,
                )
            }
            Kind::Can => (
                rng.random_range(0.03..0.04),
                0.0,
                pick_jittered(rng, &CANS, 0.1),
                0.8,
                1.0,
            ),
            Kind::Paper => (
                rng.random_range(0.04..0.1),
                rng.random_range(0.03..0.08),
                pick_jittered(rng, &PAPER, 0.08),
                0.0,
                1.0,
            ),
            Kind::Speck => {
                let r = rng.random_range(0.004..0.014);
                (
                    r,
                    r * rng.random_range(0.4..1.0),
                    // Crumbs, grit and shreds: mostly muted, the odd bright bit.
                    mix(
                        [rng.random(), rng.random(), rng.random()],
                        [0.35, 0.3, 0.25],
                        rng.random_range(0.3..0.9),
                    ),
                    0.0,
                    1.0,
                )
            }
        };
        let b = if kind == Kind::Can { a } else { b };
        Self {
            kind,
            cx: 0.0,
            cy: 0.0,
            z: 1.0,
            s: 1.0,
            angle: rng.random_range(0.0..TAU),
            a,
            b,
            colour,
            accent: pick(rng, &ACCENTS),
            seed: rng.random(),
            light: 1.0,
            gloss,
            opacity,
            wobble: [
                rng.random_range(0.0..TAU),
                rng.random_range(0.0..TAU),
                rng.random_range(0.0..TAU),
                rng.random_range(0.0..TAU),
            ],
        }
    }

    /// World radius of the item's footprint, for placement.
    pub fn radius(&self) -> f32 {
        self.a.max(self.b)
    }

    /// Draws the item's contact shadow and then the item. `pp` is the
    /// principal point: the camera's flash throws shadows away from it.
    pub fn draw(&self, cv: &mut Canvas, pp: (f32, f32)) {
        let (pa, pb) = ((self.a * self.s).max(0.6), (self.b * self.s).max(0.6));
        let reach = pa.max(pb) * 1.3 + 2.0;
        let bbox = (
            self.cx - reach,
            self.cy - reach,
            self.cx + reach,
            self.cy + reach,
        );
        let (ca, sa) = (self.angle.cos(), self.angle.sin());
        let (cx, cy) = (self.cx, self.cy);
        let local = move |x: f32, y: f32| {
            let (dx, dy) = (x - cx, y - cy);
            (dx * ca + dy * sa, -dx * sa + dy * ca)
        };
        let l = self.light;
        if self.kind != Kind::Speck {
            let (dx, dy) = (cx - pp.0, cy - pp.1);
            let norm = dx.hypot(dy).max(1.0);
            let off = 0.25 * pa.min(pb) + 1.0;
            let (sx, sy) = (dx / norm * off, dy / norm * off);
            let m = pa.min(pb);
            cv.shadow(bbox, 0.45, 0.4 * m + 1.0, |x, y| {
                let (u, v) = local(x - sx, y - sy);
                ((u / pa).hypot(v / pb) - 1.0) * m
            });
        }
        match self.kind {
            Kind::Bag | Kind::Food => self.draw_blob(cv, bbox, &local, pa, pb, l),
            Kind::Box => self.draw_box(cv, pp, pa, pb, l),
            Kind::Bottle => self.draw_bottle(cv, bbox, &local, pa, pb, l),
            Kind::Can => self.draw_can(cv, bbox, &local, pa, l),
            Kind::Paper => self.draw_paper(cv, bbox, &local, pa, pb, l),
            Kind::Speck => cv.paint(bbox, 1.0, 1.0, |x, y| {
                let (u, v) = local(x, y);
                let sdf = ((u / pa).hypot(v / pb) - 1.0) * pa.min(pb);
                Some((sdf, || scale(self.colour, l)))
            }),
        }
    }

    fn draw_blob(
        &self,
        cv: &mut Canvas,
        bbox: (f32, f32, f32, f32),
        local: &impl Fn(f32, f32) -> (f32, f32),
        pa: f32,
        pb: f32,
        l: f32,
    ) {
        let w = self.wobble;
        let amp = if self.kind == Kind::Bag { 0.1 } else { 0.15 };
        let outline = move |t: f32| {
            1.0 + amp
                * ((2.0 * t + w[0]).cos()
                    + (3.0 * t + w[1]).cos() * 0.7
                    + (5.0 * t + w[2]).cos() * 0.4)
        };
        let seed = self.seed;
        let m = pa.min(pb);
        // The outline never reaches past 1 + 2.1 amp; a pixel clearly beyond
        // it (by more than half the 1.2-pixel edge) is left untouched.
        let reach = 1.0 + 2.1 * amp + 0.01;
        cv.paint(bbox, 1.0, 1.2, |x, y| {
            let (u, v) = local(x, y);
            let (qx, qy) = (u / pa, v / pb);
            let rho = qx.hypot(qy);
            if (rho - reach) * m >= 0.6 {
                return None;
            }
            let rb = outline(qy.atan2(qx));
            let sdf = (rho - rb) * m;
            Some((sdf, move || {
                let t = (rho / rb).min(1.0);
                let dome = (1.0 - t * t).max(0.0).sqrt();
                let mut shade = 0.45 + 0.55 * dome - 0.12 * (qx + qy);
                // Plastic film folds: dark creases along value-noise contours.
                let n = fbm(seed, u / m * 2.2, v / m * 2.2, 2);
                let crease = (n - 0.5).abs();
                shade *= 0.88 + 0.12 * smoothstep(0.0, 0.2, crease);
                let fold = smoothstep(
                    0.0,
                    0.04,
                    (value_noise(seed ^ 9, u / m * 1.3, v / m * 1.3) - 0.5).abs(),
                );
                let spec = self.gloss
                    * ((-((qx + 0.32).powi(2) + (qy + 0.36).powi(2)) / 0.06).exp() * 0.3
                        + 0.25 * (1.0 - fold) * dome);
                let mut c = scale(self.colour, shade * l);
                for ch in &mut c {
                    *ch += spec * l;
                }
                c
            }))
        });
        if self.kind == Kind::Bag && self.wobble[3] < 3.0 {
            // The tied knot, at the rim of the bag.
            let (ang, r) = (self.wobble[3] * 2.0, 0.22 * m);
            let (kx, ky) = (0.8 * pa * ang.cos(), 0.8 * pb * ang.sin());
            cv.paint(bbox, 1.0, 1.0, |x, y| {
                let (u, v) = local(x, y);
                let d = (u - kx).hypot(v - ky);
                Some((d - r, move || {
                    scale(self.colour, l * (0.9 - 0.4 * d / r.max(0.5)))
                }))
            });
        }
    }

    fn draw_box(&self, cv: &mut Canvas, pp: (f32, f32), pa: f32, pb: f32, l: f32) {
        // The visible sides: the bottom face sits deeper, so it projects
        // smaller and pulled towards the principal point; sweep between.
        let depth = 1.0 + 0.8 * self.b / self.z;
        let (ca, sa) = (self.angle.cos(), self.angle.sin());
        let side = scale(self.colour, 0.55 * l);
        let steps = 4;
        for k in 0..=steps {
            let t = k as f32 / steps as f32;
            let f = 1.0 / (1.0 + (depth - 1.0) * (1.0 - t));
            let (cx, cy) = (pp.0 + (self.cx - pp.0) * f, pp.1 + (self.cy - pp.1) * f);
            let (ha, hb) = (pa * f, pb * f);
            let shade = if k == steps { l } else { l * (0.5 + 0.15 * t) };
            let reach = ha.max(hb) * 1.5 + 2.0;
            let seed = self.seed;
            let colour = self.colour;
            let accent = self.accent;
            let top = k == steps;
            cv.paint(
                (cx - reach, cy - reach, cx + reach, cy + reach),
                1.0,
                1.0,
                |x, y| {
                    let (dx, dy) = (x - cx, y - cy);
                    let (u, v) = (dx * ca + dy * sa, -dx * sa + dy * ca);
                    let sdf = (u.abs() - ha).max(v.abs() - hb);
                    Some((sdf, move || {
                        if !top {
                            return side;
                        }
                        let fibre = 0.9 + 0.2 * value_noise(seed, u / ha * 6.0, v / hb * 1.5);
                        let mut c = scale(colour, fibre * shade);
                        if v.abs() < hb * 0.1 {
                            c = scale(mix(colour, [0.8, 0.7, 0.5], 0.5), shade * 1.1);
                        }
                        if (v.abs() - hb * 0.1).abs() < 0.6 {
                            c = scale(c, 0.75);
                        }
                        let (lu, lv) = (u / ha - 0.45, v / hb + 0.5);
                        if lu.abs() < 0.22 && lv.abs() < 0.18 {
                            c = scale(accent, shade * 0.8);
                        }
                        let edge = smoothstep(0.0, 2.0, -sdf);
                        scale(c, 0.75 + 0.25 * edge)
                    }))
                },
            );
        }
    }

    fn draw_bottle(
        &self,
        cv: &mut Canvas,
        bbox: (f32, f32, f32, f32),
        local: &impl Fn(f32, f32) -> (f32, f32),
        pa: f32,
        pb: f32,
        l: f32,
    ) {
        let neck_start = 0.45 * pa;
        let radius = move |u: f32| {
            if u < neck_start {
                pb
            } else {
                pb * (1.0 - 0.6 * smoothstep(neck_start, 0.75 * pa, u))
            }
        };
        cv.paint(bbox, self.opacity, 1.0, |x, y| {
            let (u, v) = local(x, y);
            let r = radius(u);
            let sdf = (u.abs() - pa).max(v.abs() - r);
            Some((sdf, move || {
                let t = (v / r.max(0.5)).clamp(-1.0, 1.0);
                let cyl = (1.0 - t * t).sqrt();
                let mut c = scale(self.colour, (0.45 + 0.55 * cyl) * l);
                if (u + 0.1 * pa).abs() < 0.3 * pa && self.opacity > 0.8 {
                    c = scale(self.accent, (0.5 + 0.5 * cyl) * l);
                }
                if u > pa * 0.92 {
                    c = scale(self.accent, 0.9 * l);
                }
                let spec = self.gloss * (-((t + 0.45) * (t + 0.45)) / 0.02).exp() * 0.7;
                for ch in &mut c {
                    *ch += spec * l;
                }
                c
            }))
        });
    }

    fn draw_can(
        &self,
        cv: &mut Canvas,
        bbox: (f32, f32, f32, f32),
        local: &impl Fn(f32, f32) -> (f32, f32),
        pa: f32,
        l: f32,
    ) {
        cv.paint(bbox, 1.0, 1.0, |x, y| {
            let (u, v) = local(x, y);
            let d = u.hypot(v);
            Some((d - pa, move || {
                let t = d / pa;
                let rim = (-((t - 0.86) * (t - 0.86)) / 0.002).exp();
                let lid = [0.72, 0.73, 0.75];
                let mut c = if t > 0.93 { self.colour } else { lid };
                c = scale(c, l * (0.75 + 0.25 * (1.0 - t)));
                let tab = ((u / pa - 0.35).hypot(v / pa * 1.6) < 0.18) as u8 as f32;
                let spec = self.gloss
                    * (rim * 0.6
                        + (-((u / pa + 0.3).powi(2) + (v / pa + 0.3).powi(2)) / 0.05).exp() * 0.4)
                    - tab * 0.2;
                for ch in &mut c {
                    *ch += spec * l;
                }
                c
            }))
        });
    }

    fn draw_paper(
        &self,
        cv: &mut Canvas,
        bbox: (f32, f32, f32, f32),
        local: &impl Fn(f32, f32) -> (f32, f32),
        pa: f32,
        pb: f32,
        l: f32,
    ) {
        let seed = self.seed;
        let lined = self.wobble[3] < 3.5;
        cv.paint(bbox, 1.0, 1.0, |x, y| {
            let (u, v) = local(x, y);
            let sdf = (u.abs() - pa).max(v.abs() - pb);
            Some((sdf, move || {
                let crumple = fbm(seed, u / pa * 2.5, v / pb * 2.5, 2);
                let mut shade = 0.7 + 0.45 * crumple;
                if lined && u.abs() < pa * 0.8 && ((v / pb * 5.0 + 10.0).fract() < 0.3) {
                    shade *= 0.6;
                }
                scale(self.colour, shade * l)
            }))
        });
    }
}
