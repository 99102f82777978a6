//! WGS84 points and great-circle distances.

use serde::{Deserialize, Serialize};

use crate::error::{Result, RoadsError};

/// Mean Earth radius in metres (IUGG), the one used by OSRM and most routers.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A validated WGS84 position; NaN or out-of-range degrees cannot be represented,
/// so distance maths downstream never has to re-check.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "[f64; 2]", into = "[f64; 2]")]
pub struct LonLat {
    lon: f64,
    lat: f64,
}

impl LonLat {
    /// Validates longitude and latitude in degrees.
    pub fn new(lon: f64, lat: f64) -> Result<Self> {
        Self::checked(lon, lat, "point")
    }

    /// Like [`LonLat::new`], naming `field` in the error.
    pub fn checked(lon: f64, lat: f64, field: &str) -> Result<Self> {
        if lon.is_finite()
            && lat.is_finite()
            && (-180.0..=180.0).contains(&lon)
            && (-90.0..=90.0).contains(&lat)
        {
            Ok(Self { lon, lat })
        } else {
            Err(RoadsError::InvalidCoordinate {
                field: field.to_string(),
                lon,
                lat,
            })
        }
    }

    /// Longitude in degrees.
    pub fn lon(self) -> f64 {
        self.lon
    }

    /// Latitude in degrees.
    pub fn lat(self) -> f64 {
        self.lat
    }

    /// Great-circle distance in metres.
    pub fn haversine_m(self, other: LonLat) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
    }
}

impl TryFrom<[f64; 2]> for LonLat {
    type Error = RoadsError;
    fn try_from(v: [f64; 2]) -> Result<Self> {
        LonLat::new(v[0], v[1])
    }
}

impl From<LonLat> for [f64; 2] {
    fn from(p: LonLat) -> Self {
        [p.lon, p.lat]
    }
}

/// Equirectangular projection around a reference latitude: metres, accurate to
/// well under 1% over a city, which is all nearest-node search needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LocalProjection {
    cos_lat0: f64,
}

impl LocalProjection {
    pub(crate) fn new(lat0: f64) -> Self {
        Self {
            cos_lat0: lat0.to_radians().cos().max(1e-6),
        }
    }

    pub(crate) fn project(self, p: LonLat) -> [f64; 2] {
        let k = EARTH_RADIUS_M.to_radians();
        [p.lon * k * self.cos_lat0, p.lat * k]
    }
}
