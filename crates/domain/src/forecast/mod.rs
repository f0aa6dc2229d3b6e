//! Demand forecasting: units per period from a series' own history, its seasonality, and
//! what is known about price and promotion in each period.
//!
//! One model serves two uses. Before a live session the services forecast each shelved
//! SKU's units from its series of past sessions (price = the live price's depth against the
//! pool price, promotion = a flash sale or a campaign); `daihuo forecast eval` runs the same
//! model on real retail panels (docs/FORECASTING.md), so the figure shown to a supplier is
//! backed by a measurement, not an assertion.
//!
//! The model: the log of units is explained by the log of price and by promotion (least
//! squares, shrunk toward zero when the history is short), a seasonal index when the series
//! is long enough, and an exponentially smoothed level of what remains. Prediction intervals
//! come from the model's own one-step errors on the history, widened with the horizon.

use serde::{Deserialize, Serialize};

/// One past period of a series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Units sold in the period (never negative).
    pub units: f64,
    /// What is known of that period's conditions.
    pub conditions: Conditions,
}

/// What is known of a period's conditions, past or planned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Conditions {
    /// The price, in any unit that is the same across the series (a ratio to a reference
    /// price works); `None` when unknown.
    pub price: Option<f64>,
    /// Promotion intensity from 0 (none) to 1 (full: on display, in a feature, a flash
    /// sale); `None` when unknown.
    pub promo: Option<f64>,
}

/// How to forecast.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Periods per season (7 for days in a week, 52 for weeks in a year); 1 for none.
    pub season: usize,
    /// The share of outcomes the prediction interval should cover, in (0, 1).
    pub coverage: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            season: 1,
            coverage: 0.8,
        }
    }
}

/// A forecast for one future period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The expected units.
    pub mean: f64,
    /// The lower end of the prediction interval (never below 0).
    pub lower: f64,
    /// The upper end of the prediction interval.
    pub upper: f64,
}

/// Forecasts one period per entry of `future` (its planned conditions), after `history`.
/// An empty history forecasts zero with a zero-width interval: the caller decides what a
/// cold start falls back to.
pub fn forecast(
    history: &[Observation],
    future: &[Conditions],
    settings: &Settings,
) -> Vec<Interval> {
    if history.is_empty() {
        return future
            .iter()
            .map(|_| Interval {
                mean: 0.0,
                lower: 0.0,
                upper: 0.0,
            })
            .collect();
    }
    let effects = Effects::fit(history);
    let season = settings.season.max(1);
    let logs: Vec<f64> = history
        .iter()
        .map(|o| (o.units.max(0.0) + 1.0).ln() - effects.of(&o.conditions))
        .collect();
    let seasonal = seasonal_index(&logs, season);
    // Exponential smoothing of the level of what price, promotion and season leave, with
    // the one-step errors it makes kept for the interval.
    const ALPHA: f64 = 0.3;
    let mut level = logs[0] - seasonal[0];
    let mut errors = Vec::with_capacity(logs.len());
    for (t, log) in logs.iter().enumerate().skip(1) {
        let predicted = level + seasonal[t % season];
        errors.push(log - predicted);
        level += ALPHA * (log - seasonal[t % season] - level);
    }
    let spread = quantile_spread(&errors, settings.coverage);
    future
        .iter()
        .enumerate()
        .map(|(h, conditions)| {
            let t = history.len() + h;
            let centre = level + seasonal[t % season] + effects.of(conditions);
            let widen = ((h + 1) as f64).sqrt();
            Interval {
                mean: (centre.exp() - 1.0).max(0.0),
                lower: ((centre + spread.0 * widen).exp() - 1.0).max(0.0),
                upper: ((centre + spread.1 * widen).exp() - 1.0).max(0.0),
            }
        })
        .collect()
}

/// The effect of price (an elasticity on its log) and promotion on the log of units.
#[derive(Debug, Clone, Copy, Default)]
struct Effects {
    elasticity: f64,
    promo_lift: f64,
    mean_log_price: f64,
}

impl Effects {
    /// Least squares of log units on log price and promotion, each fitted on its own when it
    /// varies, shrunk toward no effect by the history's length.
    fn fit(history: &[Observation]) -> Self {
        let logs: Vec<f64> = history
            .iter()
            .map(|o| (o.units.max(0.0) + 1.0).ln())
            .collect();
        let prices: Vec<Option<f64>> = history
            .iter()
            .map(|o| o.conditions.price.filter(|p| *p > 0.0).map(f64::ln))
            .collect();
        let promos: Vec<Option<f64>> = history.iter().map(|o| o.conditions.promo).collect();
        let (elasticity, mean_log_price) = slope(&prices, &logs);
        let (promo_lift, _) = slope(&promos, &logs);
        let shrink = history.len() as f64 / (history.len() as f64 + 8.0);
        Self {
            elasticity: (elasticity * shrink).clamp(-6.0, 0.0),
            promo_lift: (promo_lift * shrink).clamp(0.0, 3.0),
            mean_log_price,
        }
    }

    fn of(&self, conditions: &Conditions) -> f64 {
        let price = conditions
            .price
            .filter(|p| *p > 0.0)
            .map_or(0.0, |p| self.elasticity * (p.ln() - self.mean_log_price));
        let promo = conditions
            .promo
            .map_or(0.0, |p| self.promo_lift * p.clamp(0.0, 1.0));
        price + promo
    }
}

/// The least-squares slope of `y` on the known values of `x`, and the mean of those `x`;
/// zero when `x` does not vary.
fn slope(x: &[Option<f64>], y: &[f64]) -> (f64, f64) {
    let pairs: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter_map(|(x, y)| x.map(|x| (x, *y)))
        .collect();
    if pairs.len() < 3 {
        return (0.0, pairs.first().map_or(0.0, |p| p.0));
    }
    let n = pairs.len() as f64;
    let mean_x = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pairs.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if sxx < 1e-12 {
        return (0.0, mean_x);
    }
    let sxy: f64 = pairs.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    (sxy / sxx, mean_x)
}

/// Additive seasonal indices on the log scale, one per position in the season; zeros when
/// the series holds fewer than two full seasons.
fn seasonal_index(logs: &[f64], season: usize) -> Vec<f64> {
    let mut index = vec![0.0; season];
    if season < 2 || logs.len() < 2 * season {
        return index;
    }
    let mean = logs.iter().sum::<f64>() / logs.len() as f64;
    let mut counts = vec![0usize; season];
    for (t, log) in logs.iter().enumerate() {
        index[t % season] += log - mean;
        counts[t % season] += 1;
    }
    for (value, count) in index.iter_mut().zip(counts) {
        *value /= count.max(1) as f64;
    }
    index
}

/// The lower and upper quantiles of one-step errors for a central interval of `coverage`;
/// with too few errors to tell, a spread of one unit on the log scale each way.
fn quantile_spread(errors: &[f64], coverage: f64) -> (f64, f64) {
    const FEWEST_ERRORS: usize = 5;
    if errors.len() < FEWEST_ERRORS {
        return (-1.0, 1.0);
    }
    let mut sorted = errors.to_vec();
    sorted.sort_by(f64::total_cmp);
    let tail = (1.0 - coverage.clamp(0.5, 0.99)) / 2.0;
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    (at(tail), at(1.0 - tail))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(units: f64, price: f64, promo: f64) -> Observation {
        Observation {
            units,
            conditions: Conditions {
                price: Some(price),
                promo: Some(promo),
            },
        }
    }

    #[test]
    fn a_flat_series_forecasts_its_level() {
        let history: Vec<Observation> = (0..30).map(|_| observed(50.0, 1.0, 0.0)).collect();
        let out = forecast(&history, &[Conditions::default()], &Settings::default());
        assert!((out[0].mean - 50.0).abs() < 1.0, "{out:?}");
        assert!(out[0].lower <= out[0].mean && out[0].mean <= out[0].upper);
    }

    #[test]
    fn a_deeper_discount_and_a_promotion_forecast_more() {
        let history: Vec<Observation> = (0..40)
            .map(|t| {
                let (price, promo) = if t % 4 == 0 { (0.8, 1.0) } else { (1.0, 0.0) };
                observed(if t % 4 == 0 { 120.0 } else { 40.0 }, price, promo)
            })
            .collect();
        let plain = Conditions {
            price: Some(1.0),
            promo: Some(0.0),
        };
        let promoted = Conditions {
            price: Some(0.8),
            promo: Some(1.0),
        };
        let out = forecast(&history, &[plain, promoted], &Settings::default());
        assert!(out[1].mean > out[0].mean * 2.0, "{out:?}");
    }

    #[test]
    fn an_empty_history_forecasts_nothing() {
        let out = forecast(&[], &[Conditions::default()], &Settings::default());
        assert_eq!(out[0].mean, 0.0);
    }
}
