//! What to photograph: a validated description of one container at one moment.

use rand::Rng;

use crate::error::LidcamError;

/// How full a container is, as a fraction of its height: 0 = bare floor,
/// 1 = level with the rim, up to 1.3 = heaped over the rim.
///
/// Parsed once at the edge so that the renderer never sees NaN or a
/// negative fill.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct FillFraction(f32);

impl FillFraction {
    /// The fullest an overflowing container is drawn.
    pub const MAX: f32 = fillroute_forecast::FillClass::MAX_FILL as f32;

    /// Accepts finite values in `0.0..=1.3`.
    pub fn new(value: f32) -> Result<Self, LidcamError> {
        if value.is_finite() && (0.0..=Self::MAX).contains(&value) {
            Ok(Self(value))
        } else {
            Err(LidcamError::InvalidFill { value })
        }
    }

    /// Clamps any number into range (NaN becomes 0), for simulators whose
    /// fill model may overshoot what a camera can show.
    pub fn saturating(value: f32) -> Self {
        if value.is_nan() {
            Self(0.0)
        } else {
            Self(value.clamp(0.0, Self::MAX))
        }
    }

    /// The fraction as a number.
    pub fn get(self) -> f32 {
        self.0
    }
}

/// Plan shape of the container opening; it changes how walls converge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContainerShape {
    /// Wheelie bins and skips: four walls meeting in corners.
    Rectangular,
    /// Drums and underground containers: one round wall.
    Round,
}

/// The parts of a container's look that stay the same from day to day, so
/// scenario replay can photograph "the same bin" at different fills.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ContainerStyle {
    /// Plan shape.
    pub shape: ContainerShape,
    /// Plastic or paint colour of the walls and rim, sRGB.
    pub wall_colour: [u8; 3],
}

/// Lens problems the vision pipeline must flag instead of reading a fill.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CameraFault {
    /// A healthy camera.
    #[default]
    None,
    /// Something (a bag, a leaf, grime) sits on the lens and hides most of the frame.
    Blocked,
    /// The exposure is far too low: a failed LED or a dead sensor gain.
    Dark,
}

/// Everything the renderer needs; the same scene always renders to the same bytes.
///
/// `seed` drives the details that are not worth naming (item placement,
/// camera jitter, lighting, sensor noise, JPEG quality). Those details are
/// drawn from separate streams, so changing only `fill` keeps the camera,
/// the container and the noise of a given seed as they were.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scene {
    /// How full the container is.
    pub fill: FillFraction,
    /// Which container.
    pub container: ContainerStyle,
    /// Lens condition.
    pub fault: CameraFault,
    /// Seed of all remaining variation.
    pub seed: u64,
}

/// Common bin colours: dark green, grey, black, blue, brown, yellow, orange,
/// burgundy, galvanised steel.
const WALL_PALETTE: [[u8; 3]; 9] = [
    [38, 74, 44],
    [92, 96, 100],
    [34, 34, 36],
    [30, 62, 120],
    [96, 66, 40],
    [196, 160, 40],
    [200, 96, 30],
    [110, 30, 40],
    [150, 152, 150],
];

impl Scene {
    /// A healthy camera looking into `container` filled to `fill`.
    pub fn new(fill: FillFraction, container: ContainerStyle, seed: u64) -> Self {
        Self {
            fill,
            container,
            fault: CameraFault::None,
            seed,
        }
    }

    /// A random container (shape and a jittered common bin colour) with a
    /// random seed, at the given fill and with a healthy camera.
    pub fn random<R: Rng + ?Sized>(fill: FillFraction, rng: &mut R) -> Self {
        let shape = if rng.random_bool(0.65) {
            ContainerShape::Rectangular
        } else {
            ContainerShape::Round
        };
        let base = WALL_PALETTE[rng.random_range(0..WALL_PALETTE.len())];
        let mut wall_colour = [0u8; 3];
        for (out, &c) in wall_colour.iter_mut().zip(&base) {
            *out = (f32::from(c) * rng.random_range(0.8..1.2) + rng.random_range(-10.0..10.0))
                .clamp(0.0, 255.0) as u8;
        }
        Self::new(fill, ContainerStyle { shape, wall_colour }, rng.random())
    }

    /// The same scene seen through a faulty lens.
    pub fn with_fault(self, fault: CameraFault) -> Self {
        Self { fault, ..self }
    }
}
