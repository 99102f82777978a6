//! Fill classes: the labels the vision team trains on, as fill-fraction ranges.

use crate::error::LidcamError;
use crate::scene::FillFraction;
use fillroute_forecast::FillClass as DefaultClass;

/// Default class names, ordered from emptiest to fullest ([`DefaultClass::NAMES`]).
pub const CLASS_NAMES: [&str; 6] = DefaultClass::NAMES;

/// Midpoint fill fraction of each default class ([`DefaultClass::MIDPOINTS`]),
/// e.g. to turn a predicted class back into a fill estimate for routing.
pub const CLASS_MIDPOINTS: [f32; 6] = DefaultClass::MIDPOINTS_F32;

/// Default class index of a fill fraction ([`DefaultClass::of_fill`]).
pub fn class_for_fill(fill: f32) -> usize {
    DefaultClass::of_fill(f64::from(fill)).index()
}

/// One labelled fill range, half-open `[min, max)` except for the last class,
/// which includes its `max`.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassRange {
    /// Folder and label name.
    pub name: String,
    /// Inclusive lower fill fraction.
    pub min: f32,
    /// Upper fill fraction.
    pub max: f32,
}

/// An ordered table of fill classes that tiles `0.0..=1.3` without gaps, so
/// every rendered image has exactly one label.
#[derive(Clone, Debug, PartialEq)]
pub struct FillClasses {
    classes: Vec<ClassRange>,
}

impl FillClasses {
    /// Validates that the classes are non-empty, contiguous, increasing and
    /// cover `0.0..=1.3`, and that names are usable as folder names.
    pub fn new(classes: Vec<ClassRange>) -> Result<Self, LidcamError> {
        let invalid = |reason: String| Err(LidcamError::InvalidClasses { reason });
        let (Some(first), Some(last)) = (classes.first(), classes.last()) else {
            return invalid("no classes given: pass at least one".into());
        };
        if first.min != 0.0 || last.max != FillFraction::MAX {
            return invalid(format!(
                "classes span {}..{}; they must span 0..{}",
                first.min,
                last.max,
                FillFraction::MAX
            ));
        }
        for (i, c) in classes.iter().enumerate() {
            if c.name.is_empty() || c.name.contains(['/', '\\']) || c.name.starts_with('.') {
                return invalid(format!(
                    "class name {:?} is not a plain folder name",
                    c.name
                ));
            }
            if c.min.partial_cmp(&c.max) != Some(std::cmp::Ordering::Less) {
                return invalid(format!(
                    "class {:?} has min {} not below max {}",
                    c.name, c.min, c.max
                ));
            }
            if i > 0 && classes[i - 1].max != c.min {
                return invalid(format!(
                    "class {:?} starts at {} but the previous one ends at {}: make them meet",
                    c.name,
                    c.min,
                    classes[i - 1].max
                ));
            }
            if classes[..i].iter().any(|o| o.name == c.name) {
                return invalid(format!("class name {:?} is used twice", c.name));
            }
        }
        Ok(Self { classes })
    }

    /// The classes in order.
    pub fn classes(&self) -> &[ClassRange] {
        &self.classes
    }

    /// Number of classes.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// Always false: a validated table has at least one class.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// Index of the class containing `fill`; values outside the table clamp
    /// to the first or last class.
    pub fn class_for_fill(&self, fill: f32) -> usize {
        self.classes
            .iter()
            .rposition(|c| fill >= c.min)
            .unwrap_or(0)
    }

    /// Midpoint fill fraction of each class.
    pub fn midpoints(&self) -> Vec<f32> {
        self.classes.iter().map(|c| 0.5 * (c.min + c.max)).collect()
    }
}

impl Default for FillClasses {
    /// The six classes in [`CLASS_NAMES`].
    fn default() -> Self {
        let classes = DefaultClass::ALL
            .iter()
            .map(|c| ClassRange {
                name: c.name().to_owned(),
                min: c.range().0 as f32,
                max: c.range().1 as f32,
            })
            .collect();
        Self { classes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_boundaries_belong_to_the_upper_class() {
        assert_eq!(class_for_fill(0.0), 0);
        assert_eq!(class_for_fill(0.124), 0);
        assert_eq!(class_for_fill(0.125), 1);
        assert_eq!(class_for_fill(0.5), 2);
        assert_eq!(class_for_fill(0.99), 4);
        assert_eq!(class_for_fill(1.0), 5);
        assert_eq!(class_for_fill(1.3), 5);
    }

    #[test]
    fn default_table_agrees_with_free_helpers() {
        let classes = FillClasses::default();
        assert_eq!(classes.midpoints(), CLASS_MIDPOINTS.to_vec());
        for (i, &m) in CLASS_MIDPOINTS.iter().enumerate() {
            assert_eq!(classes.class_for_fill(m), i);
            assert_eq!(class_for_fill(m), i);
        }
    }

    #[test]
    fn rejects_classes_with_gaps() {
        let c = |name: &str, min, max| ClassRange {
            name: name.into(),
            min,
            max,
        };
        let gap = FillClasses::new(vec![c("low", 0.0, 0.5), c("high", 0.6, 1.3)]);
        assert!(matches!(gap, Err(LidcamError::InvalidClasses { .. })));
        assert!(FillClasses::new(vec![c("low", 0.0, 0.5), c("high", 0.5, 1.3)]).is_ok());
    }
}
