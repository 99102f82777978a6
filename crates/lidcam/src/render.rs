//! From a [`Scene`] to pixels: ray-cast the container and the waste heap,
//! paint the items on top in depth order, then hand over to the sensor.

use std::time::{Duration, Instant};

use image::RgbImage;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::LidcamError;
use crate::items::Item;
use crate::raster::{Canvas, Rgb, cells, fbm, mix, rgb, scale, smoothstep};
use crate::scene::{ContainerShape, Scene};
use crate::sensor;

/// Width and height of every rendered image, in pixels. Square, so that the
/// vision pipeline's 87.5 % centre crop is exactly its 224 × 224 input.
pub const IMAGE_SIZE: u32 = 256;

/// Independent random streams of one scene, so that changing one aspect
/// (say the fill) leaves the others (camera, lighting, noise) untouched.
#[derive(Clone, Copy)]
pub(crate) enum Stage {
    Camera = 1,
    Container = 2,
    Lighting = 3,
    Waste = 4,
    Sensor = 5,
    Fault = 6,
}

pub(crate) fn stage_rng(seed: u64, stage: Stage) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stage as u64);
    rng
}

/// Renders `scene` as the camera delivers it: a JPEG at a scene-dependent quality.
pub fn render_jpeg(scene: &Scene) -> Result<Vec<u8>, LidcamError> {
    render_jpeg_timed(scene).map(|(bytes, _)| bytes)
}

/// Where the time of one [`render_jpeg`] went: the renderer's cost is
/// measured per stage (see `examples/render_bench.rs`), not guessed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RenderTimings {
    /// Ray-casting the container walls, floor and heap.
    pub surfaces: Duration,
    /// Painting the items (bags, boxes, specks, ...) with their shadows.
    pub items: Duration,
    /// Sensor effects: exposure, faults, defocus, vignetting, noise, tone.
    pub sensor: Duration,
    /// JPEG encoding.
    pub encode: Duration,
}

/// [`render_jpeg`] with the time spent in each stage; the same bytes.
pub fn render_jpeg_timed(scene: &Scene) -> Result<(Vec<u8>, RenderTimings), LidcamError> {
    let mut timings = RenderTimings::default();
    let (img, quality) = render_uncompressed(scene, &mut timings);
    let started = Instant::now();
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality).encode_image(&img)?;
    timings.encode = started.elapsed();
    Ok((bytes, timings))
}

/// Renders `scene` to an [`IMAGE_SIZE`]² RGB image, including the JPEG
/// artefacts of [`render_jpeg`]. Deterministic: same scene, same pixels.
pub fn render(scene: &Scene) -> RgbImage {
    let (img, quality) = render_uncompressed(scene, &mut RenderTimings::default());
    let mut bytes = Vec::new();
    let encoded =
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality).encode_image(&img);
    // Encoding and decoding an in-memory image of valid size cannot fail;
    // should it ever, the artefact-free image is still a faithful render.
    match encoded
        .and_then(|()| image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg))
    {
        Ok(decoded) => decoded.to_rgb8(),
        Err(_) => img,
    }
}

fn render_uncompressed(scene: &Scene, timings: &mut RenderTimings) -> (RgbImage, u8) {
    let started = Instant::now();
    let size = IMAGE_SIZE as usize;
    let container = Container::new(scene, &mut stage_rng(scene.seed, Stage::Container));
    let camera = Camera::new(&container, size, &mut stage_rng(scene.seed, Stage::Camera));
    let lighting = Lighting::new(&container, &mut stage_rng(scene.seed, Stage::Lighting));
    let mut waste_rng = stage_rng(scene.seed, Stage::Waste);
    let heap = Heap::new(scene.fill.get(), &container, &mut waste_rng);

    let mut canvas = Canvas::new(size, size);
    draw_surfaces(&mut canvas, &camera, &container, &heap, &lighting);
    timings.surfaces = started.elapsed();
    let started = Instant::now();
    let mut items = place_items(
        &mut waste_rng,
        scene.fill.get(),
        &camera,
        &container,
        &heap,
        &lighting,
    );
    items.sort_by(|a, b| b.z.total_cmp(&a.z));
    for item in &items {
        item.draw(&mut canvas, (camera.cx, camera.cy));
    }
    timings.items = started.elapsed();
    let started = Instant::now();
    let developed = sensor::develop(
        canvas,
        scene.fault,
        &mut stage_rng(scene.seed, Stage::Sensor),
        &mut stage_rng(scene.seed, Stage::Fault),
    );
    timings.sensor = started.elapsed();
    developed
}

/// Wide-angle camera in the lid looking straight down (+z), with barrel
/// distortion and small roll, offset and zoom jitter. World units: the
/// opening's half-width is 0.5.
struct Camera {
    cx: f32,
    cy: f32,
    /// Pixels per unit of undistorted ray slope.
    f: f32,
    /// Half the image size: distortion is measured in these units.
    half: f32,
    /// Barrel distortion: undistorted radius = r (1 + k r²).
    k: f32,
    cos: f32,
    sin: f32,
    ox: f32,
    oy: f32,
}

impl Camera {
    fn new(c: &Container, size: usize, rng: &mut ChaCha8Rng) -> Self {
        let half = size as f32 / 2.0;
        let roll: f32 = rng.random_range(-0.2..0.2);
        let k = rng.random_range(0.0..0.12);
        // Put the opening's edge near the frame edge, after distortion.
        let edge = 0.95 * rng.random_range(0.9..1.08);
        let edge_undistorted = edge * (1.0 + k * edge * edge);
        Self {
            cx: half + rng.random_range(-5.0..5.0),
            cy: half + rng.random_range(-5.0..5.0),
            f: edge_undistorted * half * c.z0 / c.hx.max(c.hy),
            half,
            k,
            cos: roll.cos(),
            sin: roll.sin(),
            ox: rng.random_range(-0.04..0.04),
            oy: rng.random_range(-0.04..0.04),
        }
    }

    /// Lateral direction of the ray through pixel `(px, py)`, per unit depth.
    fn ray(&self, px: f32, py: f32) -> (f32, f32) {
        let (qx, qy) = ((px - self.cx) / self.half, (py - self.cy) / self.half);
        let undistort = (1.0 + self.k * (qx * qx + qy * qy)) * self.half / self.f;
        let (dx, dy) = (qx * undistort, qy * undistort);
        (self.cos * dx - self.sin * dy, self.sin * dx + self.cos * dy)
    }

    /// Pixel position of a world point and the local scale in pixels per
    /// world unit there.
    fn project(&self, x: f32, y: f32, z: f32) -> (f32, f32, f32) {
        let (u, v) = ((x - self.ox) / z, (y - self.oy) / z);
        let (dx, dy) = (self.cos * u + self.sin * v, -self.sin * u + self.cos * v);
        let (ux, uy) = (dx * self.f / self.half, dy * self.f / self.half);
        let ru = ux.hypot(uy);
        let mut rd = ru;
        for _ in 0..8 {
            rd = ru / (1.0 + self.k * rd * rd);
        }
        let shrink = if ru > 1e-6 { rd / ru } else { 1.0 };
        (
            self.cx + ux * shrink * self.half,
            self.cy + uy * shrink * self.half,
            self.f / z * shrink,
        )
    }
}

/// Container geometry (opening at depth `z0` below the camera, walls
/// tapering towards the floor) and its surface colours.
struct Container {
    shape: ContainerShape,
    hx: f32,
    hy: f32,
    taper: f32,
    depth: f32,
    z0: f32,
    rim: f32,
    wall: Rgb,
    floor: Rgb,
    seed: u32,
}

impl Container {
    fn new(scene: &Scene, rng: &mut ChaCha8Rng) -> Self {
        let shape = scene.container.shape;
        let aspect = match shape {
            ContainerShape::Rectangular => rng.random_range(0.72..1.0),
            ContainerShape::Round => 1.0,
        };
        let (hx, hy) = if rng.random_bool(0.5) {
            (0.5, 0.5 * aspect)
        } else {
            (0.5 * aspect, 0.5)
        };
        let wall = rgb(scene.container.wall_colour);
        let grime = [0.22, 0.18, 0.13];
        Self {
            shape,
            hx,
            hy,
            taper: match shape {
                ContainerShape::Rectangular => rng.random_range(0.08..0.25),
                ContainerShape::Round => rng.random_range(0.0..0.12),
            },
            depth: rng.random_range(0.85..1.25),
            z0: rng.random_range(0.4..0.6),
            rim: rng.random_range(0.025..0.06),
            wall,
            floor: mix(scale(wall, 0.8), grime, rng.random_range(0.3..0.8)),
            seed: rng.random(),
        }
    }

    fn z_floor(&self) -> f32 {
        self.z0 + self.depth
    }

    fn half(&self, z: f32) -> (f32, f32) {
        let k = 1.0 - self.taper * ((z - self.z0).max(0.0) / self.depth);
        (self.hx * k, self.hy * k)
    }

    /// Distance inside the cross-section at depth `z` (negative outside).
    fn margin(&self, x: f32, y: f32, z: f32) -> f32 {
        let (a, b) = self.half(z);
        match self.shape {
            ContainerShape::Rectangular => (a - x.abs()).min(b - y.abs()),
            ContainerShape::Round => a - x.hypot(y),
        }
    }

    /// Inward wall normal at a wall point, tilted up by the taper, plus a
    /// coordinate running along the wall.
    fn wall_normal(&self, x: f32, y: f32, z: f32) -> ([f32; 3], f32) {
        let (a, b) = self.half(z);
        let tilt = -self.taper * self.hx / self.depth;
        let (nx, ny, along) = match self.shape {
            ContainerShape::Rectangular if a - x.abs() < b - y.abs() => (-x.signum(), 0.0, y),
            ContainerShape::Rectangular => (0.0, -y.signum(), x + 3.0),
            ContainerShape::Round => {
                let r = x.hypot(y).max(1e-6);
                (-x / r, -y / r, y.atan2(x) * a)
            }
        };
        (normalize([nx, ny, tilt]), along)
    }
}

/// The waste as a height field above the floor: a mound whose mean height
/// follows the fill, with bumps; above the rim it spills over the lip.
struct Heap {
    base: f32,
    mound: f32,
    mx: f32,
    my: f32,
    rx: f32,
    ry: f32,
    amp: f32,
    cell: f32,
    seed: u32,
    palette: Vec<Rgb>,
}

impl Heap {
    fn new(fill: f32, c: &Container, rng: &mut ChaCha8Rng) -> Self {
        let mound = c.depth * rng.random_range(0.1..0.2);
        let settle = 1.2 - 0.7 * (fill / 0.25).min(1.0);
        let palette_all: [Rgb; 9] = [
            [0.06, 0.06, 0.07],
            [0.12, 0.11, 0.10],
            [0.30, 0.28, 0.25],
            [0.45, 0.35, 0.22],
            [0.60, 0.58, 0.54],
            [0.80, 0.80, 0.78],
            [0.25, 0.35, 0.22],
            [0.30, 0.32, 0.45],
            [0.50, 0.20, 0.15],
        ];
        let palette = (0..5)
            .map(|_| palette_all[rng.random_range(0..palette_all.len())])
            .collect();
        Self {
            base: c.depth * fill.min(1.0) + 0.5 * (fill - 1.0).max(0.0) - mound * settle,
            mound,
            mx: rng.random_range(-0.15..0.15),
            my: rng.random_range(-0.15..0.15),
            rx: rng.random_range(0.45..0.7),
            ry: rng.random_range(0.45..0.7),
            amp: c.depth * 0.05 * (fill * 8.0).min(1.0),
            cell: rng.random_range(0.06..0.11),
            seed: rng.random(),
            palette,
        }
    }

    fn max_height(&self) -> f32 {
        self.base + self.mound + self.amp
    }

    /// Height of the waste surface above the floor at lateral `(x, y)`.
    fn height(&self, x: f32, y: f32) -> f32 {
        self.mound_height(x, y) + self.bumps(x, y)
    }

    /// The smooth mound without its bumps: `height` is this plus at most
    /// `amp`, which lets a ray skip the noise far above the surface.
    fn mound_height(&self, x: f32, y: f32) -> f32 {
        let d2 = ((x - self.mx) / self.rx).powi(2) + ((y - self.my) / self.ry).powi(2);
        self.base + self.mound * (1.0 - d2)
    }

    fn bumps(&self, x: f32, y: f32) -> f32 {
        self.amp * (2.0 * fbm(self.seed, x * 4.0, y * 4.0, 2) - 1.0)
    }

    /// Whether waste at `(x, y)` with height `h` may stand where the opening
    /// margin is `m`: inside the opening always, outside only when heaped
    /// over the rim, draping further the higher it is.
    fn allowed(&self, c: &Container, m: f32, h: f32) -> bool {
        m >= 0.0 || (h > c.depth && -m < (h - c.depth) * 2.0)
    }

    fn colour(&self, x: f32, y: f32) -> Rgb {
        let (id, gap) = cells(self.seed, x / self.cell, y / self.cell);
        let base = self.palette[(id % self.palette.len() as u32) as usize];
        let bright = 0.8 + 0.6 * ((id >> 8) & 0xff) as f32 / 255.0;
        let crevice = 0.5 + 0.5 * smoothstep(0.0, 0.12, gap);
        let grain = 0.85 + 0.3 * fbm(self.seed ^ 0x55, x * 60.0, y * 60.0, 1);
        scale(mix(base, [0.3, 0.28, 0.25], 0.35), bright * crevice * grain)
    }
}

/// Flash at the camera (falling off with distance) plus dim light leaking
/// in from one side of the opening, which casts the rim's shadow.
struct Lighting {
    exposure: f32,
    flash: f32,
    ambient: f32,
    dir: [f32; 3],
    z_ref: f32,
}

impl Lighting {
    fn new(c: &Container, rng: &mut ChaCha8Rng) -> Self {
        let ang: f32 = rng.random_range(0.0..std::f32::consts::TAU);
        let tilt = rng.random_range(0.2..0.7);
        Self {
            exposure: rng.random_range(0.75..1.2),
            flash: rng.random_range(0.55..0.95),
            ambient: rng.random_range(0.1..0.6),
            dir: normalize([tilt * ang.cos(), tilt * ang.sin(), 1.0]),
            z_ref: c.z0 + 0.5 * c.depth,
        }
    }

    /// Light reaching a surface at `(x, y, z)` with normal `n` (towards the
    /// camera), seen along unit ray `d`.
    fn at(&self, c: &Container, p: [f32; 3], n: [f32; 3], d: [f32; 3]) -> f32 {
        let flash = self.flash * (self.z_ref / p[2]).powf(0.8) * (-dot(d, n)).max(0.0).powf(0.8);
        let lit = if p[2] <= c.z0 {
            1.0
        } else {
            let t = p[2] - c.z0;
            smoothstep(
                -0.03,
                0.04,
                c.margin(p[0] - self.dir[0] * t, p[1] - self.dir[1] * t, c.z0),
            )
        };
        let sky = self.ambient * lit * (-dot(self.dir, n)).max(0.0);
        self.exposure * (flash + sky + 0.05)
    }
}

fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn normalize(a: [f32; 3]) -> [f32; 3] {
    let n = dot(a, a).sqrt().max(1e-9);
    [a[0] / n, a[1] / n, a[2] / n]
}

enum Hit {
    Heap(f32),
    Rim(f32),
    Wall(f32),
    Floor,
}

/// Bisection for the depth in `[lo, hi]` where a ray crosses to the far side
/// of a surface (`far_side` false at `lo`, true at `hi`).
fn refine(mut lo: f32, mut hi: f32, far_side: impl Fn(f32) -> bool) -> f32 {
    for _ in 0..10 {
        let mid = 0.5 * (lo + hi);
        if far_side(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

fn trace(c: &Container, heap: &Heap, ox: f32, oy: f32, u: f32, v: f32) -> Hit {
    let at = |z: f32| (ox + u * z, oy + v * z);
    let zf = c.z_floor();
    let z_top = (zf - heap.max_height()).max(0.12);
    let solid = |z: f32| {
        let (x, y) = at(z);
        let mound = heap.mound_height(x, y);
        // Bumps add at most `amp`: well above that the ray is in the air,
        // whatever the noise (the margin dwarfs any rounding).
        if z + 1e-4 < zf - (mound + heap.amp) {
            return false;
        }
        let h = mound + heap.bumps(x, y);
        z >= zf - h && heap.allowed(c, c.margin(x, y, c.z0), h)
    };
    let step = 0.012;
    if z_top < c.z0 {
        let mut z = z_top;
        while z < c.z0 {
            if solid(z) {
                return Hit::Heap(refine(z - step, z, solid));
            }
            z += step;
        }
    }
    let (x0, y0) = at(c.z0);
    let m0 = c.margin(x0, y0, c.z0);
    if m0 < 0.0 {
        return Hit::Rim(-m0);
    }
    let outside = |z: f32| {
        let (x, y) = at(z);
        c.margin(x, y, z) < 0.0
    };
    let z_exit = if outside(zf) {
        refine(c.z0, zf, outside)
    } else {
        zf
    };
    let mut z = z_top.max(c.z0);
    while z < z_exit {
        if solid(z) {
            return Hit::Heap(refine(z - step, z, solid));
        }
        z += step;
    }
    if solid(z_exit) {
        Hit::Heap(z_exit)
    } else if z_exit < zf - 1e-4 {
        Hit::Wall(z_exit)
    } else {
        Hit::Floor
    }
}

fn draw_surfaces(cv: &mut Canvas, cam: &Camera, c: &Container, heap: &Heap, light: &Lighting) {
    let seed = c.seed;
    for py in 0..cv.h {
        for px in 0..cv.w {
            let (u, v) = cam.ray(px as f32 + 0.5, py as f32 + 0.5);
            let d = normalize([u, v, 1.0]);
            let at = |z: f32| [cam.ox + u * z, cam.oy + v * z, z];
            let colour = match trace(c, heap, cam.ox, cam.oy, u, v) {
                Hit::Heap(z) => {
                    let p = at(z);
                    let e = 0.01;
                    let gx =
                        (heap.height(p[0] + e, p[1]) - heap.height(p[0] - e, p[1])) / (2.0 * e);
                    let gy =
                        (heap.height(p[0], p[1] + e) - heap.height(p[0], p[1] - e)) / (2.0 * e);
                    let n = normalize([-gx, -gy, -1.0]);
                    scale(heap.colour(p[0], p[1]), light.at(c, p, n, d))
                }
                Hit::Rim(out) => {
                    let p = at(c.z0);
                    if out < c.rim {
                        let lip = 1.0 + 0.3 * (-((out / c.rim - 0.35).powi(2)) / 0.02).exp();
                        scale(c.wall, lip * light.at(c, p, [0.0, 0.0, -1.0], d) * 0.9)
                    } else {
                        // Underside of the lid around the opening: close, dim and grainy.
                        let g = 0.7 + 0.3 * fbm(seed ^ 7, p[0] * 30.0, p[1] * 30.0, 2);
                        scale(
                            c.wall,
                            0.35 * g
                                * light.exposure
                                * (1.0 - smoothstep(0.0, 0.3, out - c.rim) * 0.6),
                        )
                    }
                }
                Hit::Wall(z) => {
                    let p = at(z);
                    let (n, along) = c.wall_normal(p[0], p[1], z);
                    let s = (z - c.z0) / c.depth;
                    let streak = 0.75 + 0.35 * fbm(seed, along * 16.0, s * 1.5, 3);
                    let ribs = match c.shape {
                        ContainerShape::Rectangular => {
                            0.93 + 0.07 * smoothstep(0.35, 0.5, ((s * 6.0).fract() - 0.5).abs())
                        }
                        ContainerShape::Round => 1.0,
                    };
                    let dirt = smoothstep(0.55, 1.0, s) * fbm(seed ^ 3, along * 8.0, s * 4.0, 2);
                    let corner = 0.55 + 0.45 * smoothstep(0.0, 0.06, corner_distance(c, p));
                    let albedo = mix(scale(c.wall, streak * ribs), [0.18, 0.14, 0.1], dirt * 0.8);
                    scale(albedo, corner * light.at(c, p, n, d))
                }
                Hit::Floor => {
                    let p = at(c.z_floor());
                    let m = c.margin(p[0], p[1], p[2]);
                    let stain = smoothstep(0.55, 0.7, fbm(seed ^ 11, p[0] * 5.0, p[1] * 5.0, 3));
                    let grain = 0.8 + 0.35 * fbm(seed ^ 13, p[0] * 40.0, p[1] * 40.0, 2);
                    let albedo = mix(scale(c.floor, grain), [0.1, 0.08, 0.05], stain * 0.7);
                    let ao = 0.5 + 0.5 * smoothstep(0.0, 0.12, m);
                    scale(albedo, ao * light.at(c, p, [0.0, 0.0, -1.0], d))
                }
            };
            cv.px[py * cv.w + px] = colour;
        }
    }
}

/// How far a wall point is from the nearest vertical corner (rectangular
/// bins only; round ones have none).
fn corner_distance(c: &Container, p: [f32; 3]) -> f32 {
    match c.shape {
        ContainerShape::Rectangular => {
            let (a, b) = c.half(p[2]);
            (a - p[0].abs()).max(b - p[1].abs())
        }
        ContainerShape::Round => 1.0,
    }
}

/// Samples items on the heap surface (plus a few lying on the floor of an
/// almost empty bin and loose specks), projected and lit.
fn place_items(
    rng: &mut ChaCha8Rng,
    fill: f32,
    cam: &Camera,
    c: &Container,
    heap: &Heap,
    light: &Lighting,
) -> Vec<Item> {
    let zf = c.z_floor();
    let mut items = Vec::new();
    let spread = 1.0 + (fill - 1.0).max(0.0) * 1.2;
    let attempts = (5.0 + 400.0 * fill.min(0.55)) as usize;
    let floor_items = if fill < 0.125 {
        rng.random_range(0..4)
    } else {
        0
    };
    let specks = (20.0 + 120.0 * fill.min(1.0)) as usize;
    for i in 0..attempts + floor_items + specks {
        let mut item = Item::random(rng, i >= attempts + floor_items);
        let x = rng.random_range(-c.hx * spread..c.hx * spread);
        let y = rng.random_range(-c.hy * spread..c.hy * spread);
        let r = item.radius();
        let h = heap.height(x, y);
        let on_floor = i >= attempts && h < 0.01;
        let z = if on_floor {
            if c.margin(x, y, zf) < r {
                continue;
            }
            zf - 0.01
        } else {
            if h < 0.02 {
                continue;
            }
            let z = zf - h;
            let m0 = c.margin(x, y, c.z0);
            let fits = if z >= c.z0 {
                c.margin(x, y, z) > 0.3 * r
            } else {
                heap.allowed(c, m0, h)
            };
            if !fits {
                continue;
            }
            // Items sink partly into the heap; bigger ones poke out more.
            (z - r * rng.random_range(0.0..0.5)).max(0.1)
        };
        let (px, py, s) = cam.project(x, y, z);
        let d = normalize([x - cam.ox, y - cam.oy, z]);
        item.cx = px;
        item.cy = py;
        item.z = z;
        item.s = s;
        item.light = light.at(c, [x, y, z], [0.0, 0.0, -1.0], d);
        items.push(item);
    }
    items
}
