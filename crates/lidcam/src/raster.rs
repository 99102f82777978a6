//! A small float canvas with anti-aliased shape filling and procedural noise.
//!
//! Hand-written instead of pulling a drawing crate: every shape here is a
//! signed-distance function, which gives soft edges and shadows for free.

/// Linear-ish RGB in `0.0..=1.0` (values above 1 are clipped at the end).
pub(crate) type Rgb = [f32; 3];

pub(crate) struct Canvas {
    pub w: usize,
    pub h: usize,
    pub px: Vec<Rgb>,
}

/// Pixel bounding box `(x0, y0, x1, y1)` in canvas coordinates.
pub(crate) type Bbox = (f32, f32, f32, f32);

impl Canvas {
    pub fn new(w: usize, h: usize) -> Self {
        Self {
            w,
            h,
            px: vec![[0.0; 3]; w * h],
        }
    }

    fn clip(&self, (x0, y0, x1, y1): Bbox) -> Option<(usize, usize, usize, usize)> {
        let cx = |v: f32| v.clamp(0.0, self.w as f32) as usize;
        let cy = |v: f32| v.clamp(0.0, self.h as f32) as usize;
        let (a, b, c, d) = (
            cx(x0.floor()),
            cy(y0.floor()),
            cx(x1.ceil() + 1.0),
            cy(y1.ceil() + 1.0),
        );
        (a < c && b < d).then_some((a, b, c, d))
    }

    /// Paints a shape: `shader(x, y)` gives the signed distance in pixels
    /// (negative inside) and the colour there, lazily, so that the colour
    /// is only worked out where the shape covers the pixel; `soft` is the
    /// edge width. A shader may answer `None` where the pixel is surely
    /// outside the edge (distance at least `soft / 2`) to skip an expensive
    /// outline far from it: the pixel is left as it was either way.
    pub fn paint<C: FnOnce() -> Rgb>(
        &mut self,
        bbox: Bbox,
        opacity: f32,
        soft: f32,
        mut shader: impl FnMut(f32, f32) -> Option<(f32, C)>,
    ) {
        let Some((x0, y0, x1, y1)) = self.clip(bbox) else {
            return;
        };
        for y in y0..y1 {
            for x in x0..x1 {
                let Some((sdf, colour)) = shader(x as f32 + 0.5, y as f32 + 0.5) else {
                    continue;
                };
                let a = opacity * (0.5 - sdf / soft).clamp(0.0, 1.0);
                if a > 0.0 {
                    let c = colour();
                    let p = &mut self.px[y * self.w + x];
                    for k in 0..3 {
                        p[k] += (c[k] - p[k]) * a;
                    }
                }
            }
        }
    }

    /// Darkens under a soft shape given by its signed distance.
    pub fn shadow(&mut self, bbox: Bbox, strength: f32, soft: f32, sdf: impl Fn(f32, f32) -> f32) {
        let Some((x0, y0, x1, y1)) = self.clip(bbox) else {
            return;
        };
        for y in y0..y1 {
            for x in x0..x1 {
                let d = sdf(x as f32 + 0.5, y as f32 + 0.5);
                let a = strength * smoothstep(soft, -soft, d);
                let p = &mut self.px[y * self.w + x];
                for v in p.iter_mut() {
                    *v *= 1.0 - a;
                }
            }
        }
    }

    /// Separable Gaussian blur with clamped edges.
    pub fn blur(&mut self, sigma: f32) {
        if sigma < 0.2 {
            return;
        }
        let r = (sigma * 3.0).ceil() as i32;
        let mut k: Vec<f32> = (-r..=r)
            .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
            .collect();
        let sum: f32 = k.iter().sum();
        k.iter_mut().for_each(|v| *v /= sum);
        let (w, h) = (self.w as i32, self.h as i32);
        let mut tmp = vec![[0.0f32; 3]; self.px.len()];
        for y in 0..h {
            for x in 0..w {
                let mut acc = [0.0; 3];
                for (i, kv) in k.iter().enumerate() {
                    let sx = (x + i as i32 - r).clamp(0, w - 1);
                    let p = self.px[(y * w + sx) as usize];
                    for c in 0..3 {
                        acc[c] += p[c] * kv;
                    }
                }
                tmp[(y * w + x) as usize] = acc;
            }
        }
        for y in 0..h {
            for x in 0..w {
                let mut acc = [0.0; 3];
                for (i, kv) in k.iter().enumerate() {
                    let sy = (y + i as i32 - r).clamp(0, h - 1);
                    let p = tmp[(sy * w + x) as usize];
                    for c in 0..3 {
                        acc[c] += p[c] * kv;
                    }
                }
                self.px[(y * w + x) as usize] = acc;
            }
        }
    }
}

pub(crate) fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

pub(crate) fn lerp(a: f32, b: f32, t: f32) -> f32 {
    a + (b - a) * t
}

pub(crate) fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
    [
        lerp(a[0], b[0], t),
        lerp(a[1], b[1], t),
        lerp(a[2], b[2], t),
    ]
}

pub(crate) fn scale(c: Rgb, k: f32) -> Rgb {
    [c[0] * k, c[1] * k, c[2] * k]
}

/// sRGB byte colour to the canvas's 0..1 range.
pub(crate) fn rgb(c: [u8; 3]) -> Rgb {
    [
        f32::from(c[0]) / 255.0,
        f32::from(c[1]) / 255.0,
        f32::from(c[2]) / 255.0,
    ]
}

/// Integer hash (a murmur3-style finaliser); the basis of all noise, so that
/// textures are pure functions of position and seed.
pub(crate) fn hash(seed: u32, x: i32, y: i32) -> u32 {
    let mut h = seed ^ (x as u32).wrapping_mul(0x27d4_eb2d) ^ (y as u32).wrapping_mul(0x1656_67b1);
    h ^= h >> 15;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

pub(crate) fn hash01(seed: u32, x: i32, y: i32) -> f32 {
    (hash(seed, x, y) >> 8) as f32 / (1u32 << 24) as f32
}

/// `x.floor()` without a call into libm (the default x86-64 target has no
/// rounding instruction, and noise floors every sample): the same value for
/// every finite `x` (up to the sign of a zero result, which no caller sees).
#[inline]
pub(crate) fn floor(x: f32) -> f32 {
    if x.abs() < 8_388_608.0 {
        let t = x as i32 as f32;
        if t > x { t - 1.0 } else { t }
    } else {
        x.floor()
    }
}

/// Smooth value noise in `0..1`.
pub(crate) fn value_noise(seed: u32, x: f32, y: f32) -> f32 {
    let (fx, fy) = (floor(x), floor(y));
    let (ix, iy) = (fx as i32, fy as i32);
    let (tx, ty) = (x - fx, y - fy);
    let (sx, sy) = (tx * tx * (3.0 - 2.0 * tx), ty * ty * (3.0 - 2.0 * ty));
    let a = hash01(seed, ix, iy);
    let b = hash01(seed, ix + 1, iy);
    let c = hash01(seed, ix, iy + 1);
    let d = hash01(seed, ix + 1, iy + 1);
    lerp(lerp(a, b, sx), lerp(c, d, sx), sy)
}

/// Fractal value noise in roughly `0..1`.
pub(crate) fn fbm(seed: u32, x: f32, y: f32, octaves: u32) -> f32 {
    let (mut sum, mut amp, mut freq, mut norm) = (0.0, 0.5, 1.0, 0.0);
    for o in 0..octaves {
        sum += amp * value_noise(seed.wrapping_add(o * 7919), x * freq, y * freq);
        norm += amp;
        amp *= 0.5;
        freq *= 2.03;
    }
    sum / norm
}

/// Cellular (Worley) noise: id of the nearest feature point and the gap
/// between nearest and second-nearest distances (small on cell borders).
pub(crate) fn cells(seed: u32, x: f32, y: f32) -> (u32, f32) {
    let (ix, iy) = (floor(x) as i32, floor(y) as i32);
    let (mut d1, mut d2, mut id) = (f32::MAX, f32::MAX, 0);
    for dy in -1..=1 {
        for dx in -1..=1 {
            let (cx, cy) = (ix + dx, iy + dy);
            let h = hash(seed, cx, cy);
            let px = cx as f32 + (h & 0xffff) as f32 / 65536.0;
            let py = cy as f32 + (h >> 16) as f32 / 65536.0;
            let d = (px - x).hypot(py - y);
            if d < d1 {
                d2 = d1;
                d1 = d;
                id = h;
            } else if d < d2 {
                d2 = d;
            }
        }
    }
    (id, d2 - d1)
}
