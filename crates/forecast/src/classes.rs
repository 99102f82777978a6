//! The fill classes a lid camera's photo is read into: one table for the
//! renderer that labels training photos, the classifier that reads them and
//! the forecast that weighs a read by its class probabilities. Before this
//! type there were three string lists and two midpoint tables, and the
//! classifier's (full = 1.0, overflowing = 1.1) had drifted from the
//! renderer's and the forecast's (0.9375, 1.15).

use serde::{Deserialize, Serialize};

/// How full a photo shows a bin, emptiest first. Each class is a fill range
/// `[lower, upper)`; the last one, overflowing, runs to the renderer's
/// highest fill, 1.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillClass {
    /// Below 1/8.
    Empty,
    /// 1/8 to 3/8.
    Quarter,
    /// 3/8 to 5/8.
    Half,
    /// 5/8 to 7/8.
    ThreeQuarter,
    /// 7/8 to the brim.
    Full,
    /// Above the brim, up to 1.3.
    Overflowing,
}

/// Class boundaries: class `i` is `[BOUNDS[i], BOUNDS[i + 1])`.
const BOUNDS: [f64; 7] = [0.0, 0.125, 0.375, 0.625, 0.875, 1.0, 1.3];

impl FillClass {
    /// Every class, emptiest first; a class's index here is its classifier
    /// output index.
    pub const ALL: [Self; 6] = [
        Self::Empty,
        Self::Quarter,
        Self::Half,
        Self::ThreeQuarter,
        Self::Full,
        Self::Overflowing,
    ];

    /// The classes' names (folder names of a training set, labels of a
    /// classifier artifact), in [`FillClass::ALL`] order.
    pub const NAMES: [&'static str; 6] = [
        "empty",
        "quarter",
        "half",
        "three_quarter",
        "full",
        "overflowing",
    ];

    /// The middle of each class's range, in [`FillClass::ALL`] order: the
    /// fill a read of that class stands for.
    pub const MIDPOINTS: [f64; 6] = {
        let mut m = [0.0; 6];
        let mut i = 0;
        while i < 6 {
            m[i] = (BOUNDS[i] + BOUNDS[i + 1]) / 2.0;
            i += 1;
        }
        m
    };

    /// [`FillClass::MIDPOINTS`] in single precision, as the renderer and the
    /// classifier artifacts hold them.
    pub const MIDPOINTS_F32: [f32; 6] = {
        let mut m = [0.0; 6];
        let mut i = 0;
        while i < 6 {
            m[i] = Self::MIDPOINTS[i] as f32;
            i += 1;
        }
        m
    };

    /// The highest fill a class covers (the renderer's highest fill).
    pub const MAX_FILL: f64 = BOUNDS[6];

    /// Its index in [`FillClass::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Its name, e.g. `three_quarter`.
    pub const fn name(self) -> &'static str {
        Self::NAMES[self.index()]
    }

    /// Its fill range `(lower, upper)`.
    pub const fn range(self) -> (f64, f64) {
        (BOUNDS[self.index()], BOUNDS[self.index() + 1])
    }

    /// The middle of its range.
    pub const fn midpoint(self) -> f64 {
        Self::MIDPOINTS[self.index()]
    }

    /// Width of its range: a class read only says "somewhere in here".
    pub const fn width(self) -> f64 {
        BOUNDS[self.index() + 1] - BOUNDS[self.index()]
    }

    /// The class a fill falls in; a boundary belongs to the upper class, and
    /// fills outside `0..=1.3` (or NaN) clamp to the first or last class.
    pub fn of_fill(fill: f64) -> Self {
        let i = BOUNDS[1..6].iter().take_while(|&&b| fill >= b).count();
        Self::ALL[i]
    }

    /// The class with this name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| Self::ALL[i])
    }
}

impl std::fmt::Display for FillClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_tile_zero_to_max_fill_with_boundaries_in_the_upper_class() {
        assert_eq!(FillClass::of_fill(0.0), FillClass::Empty);
        assert_eq!(FillClass::of_fill(0.124), FillClass::Empty);
        assert_eq!(FillClass::of_fill(0.125), FillClass::Quarter);
        assert_eq!(FillClass::of_fill(0.99), FillClass::Full);
        assert_eq!(FillClass::of_fill(1.0), FillClass::Overflowing);
        assert_eq!(FillClass::of_fill(1.3), FillClass::Overflowing);
        assert_eq!(FillClass::of_fill(-1.0), FillClass::Empty);
        assert_eq!(FillClass::of_fill(f64::NAN), FillClass::Empty);
        let mut upper = 0.0;
        for c in FillClass::ALL {
            let (lo, hi) = c.range();
            assert_eq!(lo, upper, "{c} starts where the previous class ends");
            assert_eq!(FillClass::of_fill(c.midpoint()), c);
            assert!((c.width() - (hi - lo)).abs() < 1e-12);
            upper = hi;
        }
        assert_eq!(upper, FillClass::MAX_FILL);
    }

    #[test]
    fn names_round_trip_and_match_serde() {
        for c in FillClass::ALL {
            assert_eq!(FillClass::from_name(c.name()), Some(c));
            assert_eq!(
                serde_json::to_string(&c).expect("a class serialises"),
                format!("\"{}\"", c.name())
            );
        }
        assert_eq!(FillClass::from_name("brimming"), None);
        assert_eq!(
            FillClass::MIDPOINTS,
            [0.0625, 0.25, 0.5, 0.75, 0.9375, 1.15]
        );
    }
}
