//! "Find me images like this one": exact nearest neighbours by cosine
//! similarity of L2-normalised deep features. Brute force is exact and, at
//! 1280 floats per image, scans ~100k images in tens of milliseconds.

/// Scales a vector to unit length (zero vectors stay zero).
pub fn l2_normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// An in-memory index of normalised feature vectors.
#[derive(Debug, Default, Clone)]
pub struct SimilarityIndex {
    ids: Vec<String>,
    vectors: Vec<Vec<f32>>,
}

impl SimilarityIndex {
    /// Adds an item; the vector is normalised on the way in.
    pub fn add(&mut self, id: impl Into<String>, mut features: Vec<f32>) {
        l2_normalise(&mut features);
        self.ids.push(id.into());
        self.vectors.push(features);
    }

    /// Number of indexed items.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The `k` most similar items, best first, as `(id, cosine similarity)`.
    pub fn query(&self, features: &[f32], k: usize) -> Vec<(String, f32)> {
        let mut q = features.to_vec();
        l2_normalise(&mut q);
        let mut scored: Vec<(usize, f32)> = self
            .vectors
            .iter()
            .enumerate()
            .map(|(i, v)| (i, v.iter().zip(&q).map(|(a, b)| a * b).sum()))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
            .into_iter()
            .take(k)
            .map(|(i, s)| (self.ids[i].clone(), s))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_neighbour_is_the_most_aligned_vector() {
        let mut index = SimilarityIndex::default();
        index.add("x", vec![1.0, 0.0]);
        index.add("y", vec![0.0, 3.0]);
        index.add("xy", vec![1.0, 1.0]);
        let hits = index.query(&[0.0, 1.0], 2);
        assert_eq!(hits[0].0, "y");
        assert!((hits[0].1 - 1.0).abs() < 1e-6);
        assert_eq!(hits[1].0, "xy");
    }
}
