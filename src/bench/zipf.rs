//! An exact Zipf sampler over ranks `1..=n`: the popularity law of the
//! benchmark's documents and prompts.
//!
//! Rank `k` is drawn with probability `k^-s / H(n, s)`. Sampling is by
//! inverse CDF over the precomputed cumulative weights (a binary search), so
//! it is exact for any `n` and `s` — no rejection, no approximation of the
//! harmonic number — and costs `O(log n)` per draw and `8n` bytes once.

use super::BenchError;

/// A Zipf distribution over ranks `1..=n` with exponent `s`.
#[derive(Clone, Debug, PartialEq)]
pub struct Zipf {
    /// `cdf[k - 1]` = P(rank ≤ k); the last is exactly 1.
    cdf: Vec<f64>,
    s: f64,
}

impl Zipf {
    /// The distribution over `1..=n` with exponent `s` (`s = 0` is uniform,
    /// larger is more skewed). `n` must be at least 1 and `s` finite and ≥ 0.
    pub fn new(n: u32, s: f64) -> Result<Zipf, BenchError> {
        if n == 0 {
            return Err(BenchError::Option(
                "a Zipf distribution needs at least one rank".into(),
            ));
        }
        if !s.is_finite() || s < 0.0 {
            return Err(BenchError::Option(format!(
                "the Zipf exponent must be a finite number ≥ 0, not {s}"
            )));
        }
        let mut cdf: Vec<f64> = (1..=n)
            .scan(0.0, |sum, k| {
                *sum += f64::from(k).powf(-s);
                Some(*sum)
            })
            .collect();
        let total = cdf.last().copied().unwrap_or(1.0);
        for c in &mut cdf {
            *c /= total;
        }
        // Rounding may leave the last value a hair under 1; a draw of
        // u ∈ [0, 1) must always land on a rank.
        if let Some(last) = cdf.last_mut() {
            *last = 1.0;
        }
        Ok(Zipf { cdf, s })
    }

    /// The number of ranks.
    pub fn ranks(&self) -> u32 {
        // `new` takes `n` as a u32, so the length fits.
        u32::try_from(self.cdf.len()).unwrap_or(u32::MAX)
    }

    /// The exponent.
    pub fn exponent(&self) -> f64 {
        self.s
    }

    /// The probability of `rank` (0 outside `1..=n`).
    pub fn probability(&self, rank: u32) -> f64 {
        let Some(i) = (rank as usize).checked_sub(1) else {
            return 0.0;
        };
        match (self.cdf.get(i), i.checked_sub(1)) {
            (Some(c), None) => *c,
            (Some(c), Some(j)) => c - self.cdf[j],
            (None, _) => 0.0,
        }
    }

    /// Draws a rank in `1..=n`.
    pub fn sample(&self, rng: &mut fastrand::Rng) -> u32 {
        let u = rng.f64();
        let i = self.cdf.partition_point(|&c| c <= u);
        // `u < 1 = cdf[n - 1]`, so `i < n`; the `min` only guards the proof.
        let i = i.min(self.cdf.len() - 1);
        u32::try_from(i + 1).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pearson's χ² of `counts` against the distribution.
    fn chi_square(z: &Zipf, counts: &[u64], draws: u64) -> f64 {
        counts
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let expected = z.probability(i as u32 + 1) * draws as f64;
                (c as f64 - expected).powi(2) / expected
            })
            .sum()
    }

    fn draw(z: &Zipf, draws: u64, seed: u64) -> Vec<u64> {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut counts = vec![0u64; z.ranks() as usize];
        for _ in 0..draws {
            let r = z.sample(&mut rng);
            assert!((1..=z.ranks()).contains(&r), "rank {r} out of range");
            counts[r as usize - 1] += 1;
        }
        counts
    }

    #[test]
    fn probabilities_follow_the_power_law_and_sum_to_one() {
        let z = Zipf::new(100, 1.0).expect("valid");
        let sum: f64 = (1..=100).map(|k| z.probability(k)).sum();
        assert!((sum - 1.0).abs() < 1e-12, "{sum}");
        // p(1) / p(k) = k^s.
        for k in [2u32, 10, 100] {
            let ratio = z.probability(1) / z.probability(k);
            assert!((ratio - f64::from(k)).abs() < 1e-9, "k={k}: {ratio}");
        }
        let h100: f64 = (1..=100).map(|k| 1.0 / f64::from(k)).sum();
        assert!((z.probability(1) - 1.0 / h100).abs() < 1e-12);
        assert_eq!(z.probability(0), 0.0);
        assert_eq!(z.probability(101), 0.0);
    }

    #[test]
    fn draws_match_the_distribution() {
        // 49 degrees of freedom: the 99.9th percentile of χ² is 85.4. The
        // seed is fixed, so this is deterministic; it would fail for an
        // off-by-one rank or a sampler skewed towards either end.
        for s in [0.0, 0.8, 1.0, 1.3] {
            let z = Zipf::new(50, s).expect("valid");
            let draws = 200_000;
            let counts = draw(&z, draws, 0x21FF);
            let chi2 = chi_square(&z, &counts, draws);
            assert!(chi2 < 85.4, "s={s}: χ² = {chi2}, counts {counts:?}");
        }
    }

    #[test]
    fn a_shifted_sampler_is_caught() {
        // The check above has teeth: counts of the neighbouring rank fail it.
        let z = Zipf::new(50, 1.0).expect("valid");
        let mut counts = draw(&z, 200_000, 3);
        counts.rotate_left(1);
        assert!(chi_square(&z, &counts, 200_000) > 1000.0);
    }

    #[test]
    fn one_rank_and_bad_parameters() {
        let z = Zipf::new(1, 1.0).expect("valid");
        let mut rng = fastrand::Rng::with_seed(1);
        assert!((0..100).all(|_| z.sample(&mut rng) == 1));
        assert!(Zipf::new(0, 1.0).is_err());
        assert!(Zipf::new(5, -0.1).is_err());
        assert!(Zipf::new(5, f64::NAN).is_err());
        assert!(Zipf::new(5, f64::INFINITY).is_err());
    }
}
