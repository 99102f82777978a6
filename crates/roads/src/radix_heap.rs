//! A monotone radix heap: Dijkstra only ever pushes keys >= the last popped key,
//! which lets each key sit in one of 65 buckets by its highest bit differing
//! from that last key, instead of sifting through a binary heap.

pub(crate) struct RadixHeap {
    last: u64,
    len: usize,
    buckets: Vec<Vec<(u64, u32)>>,
}

impl RadixHeap {
    pub(crate) fn new() -> Self {
        Self {
            last: 0,
            len: 0,
            buckets: (0..65).map(|_| Vec::new()).collect(),
        }
    }

    pub(crate) fn clear(&mut self) {
        for b in &mut self.buckets {
            b.clear();
        }
        self.last = 0;
        self.len = 0;
    }

    #[inline]
    fn bucket(last: u64, key: u64) -> usize {
        (64 - (key ^ last).leading_zeros()) as usize
    }

    /// `key` must be >= the last popped key (true for non-negative edge costs).
    #[inline]
    pub(crate) fn push(&mut self, key: u64, value: u32) {
        debug_assert!(key >= self.last);
        self.buckets[Self::bucket(self.last, key)].push((key, value));
        self.len += 1;
    }

    pub(crate) fn pop(&mut self) -> Option<(u64, u32)> {
        if self.len == 0 {
            return None;
        }
        if self.buckets[0].is_empty() {
            let i = self.buckets.iter().position(|b| !b.is_empty())?;
            let items = std::mem::take(&mut self.buckets[i]);
            self.last = items.iter().map(|&(k, _)| k).min()?;
            for &(k, v) in &items {
                self.buckets[Self::bucket(self.last, k)].push((k, v));
            }
            // Give the drained bucket its allocation back for reuse.
            let mut items = items;
            items.clear();
            self.buckets[i] = items;
        }
        self.len -= 1;
        self.buckets[0].pop()
    }
}

#[cfg(test)]
mod tests {
    use super::RadixHeap;

    #[test]
    fn pops_in_key_order_with_monotone_pushes() {
        let mut h = RadixHeap::new();
        let mut state = 12345u64;
        let mut popped = Vec::new();
        for k in [5u64, 3, 9, 3, 1 << 40, 7] {
            h.push(k, k as u32);
        }
        let mut last = 0;
        while let Some((k, _)) = h.pop() {
            assert!(k >= last);
            last = k;
            popped.push(k);
            if popped.len() < 50 {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                h.push(k + (state >> 50), 0);
            }
        }
        assert_eq!(popped.len(), 6 + 49);
        assert!(popped.windows(2).all(|w| w[0] <= w[1]));
    }
}
