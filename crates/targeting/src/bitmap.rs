//! A fixed-length set of row numbers, 64 rows per word.

use rayon::prelude::*;

/// Words per parallel chunk (64 × 4,096 = 262,144 rows).
pub const CHUNK_WORDS: usize = 4_096;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    words: Vec<u64>,
    len: usize,
}

impl Bitmap {
    pub fn empty(len: usize) -> Bitmap {
        Bitmap {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    pub fn full(len: usize) -> Bitmap {
        let mut b = Bitmap {
            words: vec![u64::MAX; len.div_ceil(64)],
            len,
        };
        b.trim();
        b
    }

    /// Bits past `len` are kept zero.
    fn trim(&mut self) {
        let r = self.len % 64;
        if r != 0 {
            if let Some(w) = self.words.last_mut() {
                *w &= (1u64 << r) - 1;
            }
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn set(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
    }

    pub fn get(&self, i: usize) -> bool {
        self.words[i / 64] >> (i % 64) & 1 == 1
    }

    pub fn count(&self) -> u64 {
        self.words
            .par_chunks(CHUNK_WORDS)
            .map(|c| c.iter().map(|w| u64::from(w.count_ones())).sum::<u64>())
            .sum()
    }

    /// Builds a bitmap from a test on each row, in parallel.
    pub fn from_fn(len: usize, f: impl Fn(usize) -> bool + Sync) -> Bitmap {
        let mut b = Bitmap::empty(len);
        b.words
            .par_chunks_mut(CHUNK_WORDS)
            .enumerate()
            .for_each(|(c, words)| {
                let base = c * CHUNK_WORDS * 64;
                for (k, w) in words.iter_mut().enumerate() {
                    let start = base + k * 64;
                    let end = (start + 64).min(len);
                    let mut v = 0u64;
                    for i in start..end {
                        v |= u64::from(f(i)) << (i - start);
                    }
                    *w = v;
                }
            });
        b
    }

    /// Builds a bitmap from a test on each value of a column (64 values per word, no index
    /// checks in the loop: the test compiles to branch-free compares).
    pub fn from_slice<T: Sync>(col: &[T], f: impl Fn(&T) -> bool + Sync) -> Bitmap {
        let len = col.len();
        let mut b = Bitmap::empty(len);
        b.words
            .par_chunks_mut(CHUNK_WORDS)
            .zip(col.par_chunks(CHUNK_WORDS * 64))
            .for_each(|(words, vals)| {
                for (w, vals) in words.iter_mut().zip(vals.chunks(64)) {
                    let mut v = 0u64;
                    for (k, x) in vals.iter().enumerate() {
                        v |= u64::from(f(x)) << k;
                    }
                    *w = v;
                }
            });
        b
    }

    pub fn and_with(&mut self, o: &Bitmap) {
        self.words
            .par_chunks_mut(CHUNK_WORDS)
            .zip(o.words.par_chunks(CHUNK_WORDS))
            .for_each(|(a, b)| a.iter_mut().zip(b).for_each(|(a, b)| *a &= b));
    }

    pub fn or_with(&mut self, o: &Bitmap) {
        self.words
            .par_chunks_mut(CHUNK_WORDS)
            .zip(o.words.par_chunks(CHUNK_WORDS))
            .for_each(|(a, b)| a.iter_mut().zip(b).for_each(|(a, b)| *a |= b));
    }

    pub fn negate(&mut self) {
        self.words.par_iter_mut().for_each(|w| *w = !*w);
        self.trim();
    }

    /// Row numbers in the set, ascending.
    pub fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(k, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let t = w.trailing_zeros() as usize;
                w &= w - 1;
                Some(k * 64 + t)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations_agree_with_plain_sets() {
        let n = 300_000;
        let a = Bitmap::from_fn(n, |i| i % 3 == 0);
        let b = Bitmap::from_fn(n, |i| i % 5 == 0);
        let mut and = a.clone();
        and.and_with(&b);
        assert_eq!(and.count(), (0..n).filter(|i| i % 15 == 0).count() as u64);
        let mut or = a.clone();
        or.or_with(&b);
        assert_eq!(
            or.count(),
            (0..n).filter(|i| i % 3 == 0 || i % 5 == 0).count() as u64
        );
        let mut not = a.clone();
        not.negate();
        assert_eq!(not.count() + a.count(), n as u64);
        assert_eq!(Bitmap::full(n).count(), n as u64);
        let ones: Vec<usize> = and.ones().take(3).collect();
        assert_eq!(ones, vec![0, 15, 30]);
        assert!(and.get(15) && !and.get(16));
        let vals: Vec<u32> = (0..n as u32).collect();
        assert_eq!(Bitmap::from_slice(&vals, |v| v % 3 == 0), a);
    }
}
