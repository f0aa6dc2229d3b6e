//! Measuring the forecast on real data: a rolling-origin holdout, WAPE and MASE, and the
//! baselines the model has to beat (naive and seasonal naive).
//!
//! # The splits
//!
//! Each series is taken as its rows in period order, gaps or not. With `n` rows, horizon
//! `h`, `origins` K and `step` s, the origins of a series are the row positions
//!
//! ```text
//! o_j = n − h − j·s   for j = 0, 1, …, K − 1
//! ```
//!
//! keeping those with `o_j ≥ max(min_train, season + 1)`: the model is fitted on rows
//! `[0, o_j)` and scored on rows `[o_j, o_j + h)`. The last window ends with the series, so
//! series of different lengths are each tested on their own last periods. The panel model
//! pools across series; for a window whose first test row has period `p`, it sees only the
//! rows of any series with a period before `p`, so nothing at or after a forecast's origin
//! reaches it, not even another series' data. scripts/autoets_eval.py builds the same
//! windows.
//!
//! # The measures
//!
//! - WAPE: the sum of absolute errors over every test point of every window, divided by
//!   the sum of the actual units; large series weigh more, as they do in a warehouse.
//! - MASE: per window, the mean absolute error divided by the mean absolute error of the
//!   seasonal-naive forecast one season ahead within that window's training rows (the
//!   usual scaling, with the season of the settings); the mean over windows.
//! - Coverage: the share of test points inside the prediction interval.

use super::{forecast_panel, Conditions, Interval, Observation, PanelSeries, Settings};
use serde::Serialize;
use std::collections::BTreeMap;

/// One row of a series: its period (an index or a day number, increasing) and what
/// happened in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    /// The period, strictly increasing within a series and comparable across series.
    pub period: i64,
    /// The units and conditions of the period.
    pub observation: Observation,
}

/// A named series of rows in period order.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The series' name in the input.
    pub id: String,
    /// Rows with strictly increasing periods.
    pub rows: Vec<Row>,
}

/// How the holdout windows are laid out (module documentation, "The splits").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Holdout {
    /// Periods forecast from each origin.
    pub horizon: usize,
    /// Origins per series, counted back from its end.
    pub origins: usize,
    /// Periods between consecutive origins.
    pub step: usize,
    /// The fewest training rows a window may have (at least `season + 1` is enforced too,
    /// so the seasonal naive and MASE's scale are defined).
    pub min_train: usize,
}

/// One holdout window: a series and the position of its first test row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Window {
    /// The series' position in the input.
    pub series: usize,
    /// Rows before this position train; `horizon` rows from it are tested.
    pub origin: usize,
}

/// The windows of series with these row counts, by series and then origin.
pub fn windows(lengths: &[usize], holdout: &Holdout, season: usize) -> Vec<Window> {
    let fewest = holdout.min_train.max(season.max(1) + 1);
    let mut out = Vec::new();
    for (series, &n) in lengths.iter().enumerate() {
        let mut origins: Vec<usize> = (0..holdout.origins)
            .map_while(|j| {
                n.checked_sub(holdout.horizon)?
                    .checked_sub(j.checked_mul(holdout.step)?)
            })
            .filter(|origin| *origin >= fewest)
            .collect();
        origins.sort_unstable();
        origins.dedup();
        out.extend(origins.into_iter().map(|origin| Window { series, origin }));
    }
    out
}

/// Weighted absolute percentage error: Σ|actual − forecast| ÷ Σ|actual|; `None` when the
/// actuals sum to zero.
pub fn wape(actual: &[f64], forecast: &[f64]) -> Option<f64> {
    let mut tally = Tally::default();
    tally.add_errors(actual, forecast);
    tally.wape()
}

/// MASE's scale for one window: the mean absolute change over `season` periods within the
/// training values; `None` when there are no such pairs or they never change.
pub fn mase_scale(training: &[f64], season: usize) -> Option<f64> {
    let lag = season.max(1);
    if training.len() <= lag {
        return None;
    }
    let total: f64 = training
        .iter()
        .zip(&training[lag..])
        .map(|(a, b)| (b - a).abs())
        .sum();
    let scale = total / (training.len() - lag) as f64;
    (scale > 0.0).then_some(scale)
}

/// The seasonal-naive forecast: each future period repeats the same position of the last
/// whole season in the training values (the last value when `season` is 1). Empty when
/// the training holds less than one season.
pub fn seasonal_naive(training: &[f64], season: usize, horizon: usize) -> Vec<f64> {
    let lag = season.max(1);
    if training.len() < lag {
        return Vec::new();
    }
    let start = training.len() - lag;
    (0..horizon).map(|h| training[start + h % lag]).collect()
}

/// Scores of one method over all windows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores {
    /// Weighted absolute percentage error over every test point.
    pub wape: Option<f64>,
    /// Mean absolute scaled error, the mean over windows.
    pub mase: Option<f64>,
    /// Share of test points inside the prediction interval (methods with intervals only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<f64>,
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Series in the input.
    pub series: usize,
    /// Series with at least one window.
    pub series_evaluated: usize,
    /// Holdout windows scored.
    pub windows: usize,
    /// Test points scored (windows × horizon).
    pub points: usize,
    /// The model with price and promotion.
    pub model: Scores,
    /// The same model with price and promotion hidden from it.
    pub without_covariates: Scores,
    /// The seasonal-naive forecast with the settings' season.
    pub seasonal_naive: Scores,
    /// The naive forecast (the last value).
    pub naive: Scores,
}

/// Runs the rolling-origin holdout (module documentation) for the model with and without
/// covariates and for the baselines. Series' rows must be in strictly increasing period
/// order, which the caller checks at its edge.
pub fn evaluate(series: &[Series], holdout: &Holdout, settings: &Settings) -> Evaluation {
    debug_assert!(series
        .iter()
        .all(|s| s.rows.windows(2).all(|w| w[0].period < w[1].period)));
    let lengths: Vec<usize> = series.iter().map(|s| s.rows.len()).collect();
    let all = windows(&lengths, holdout, settings.season);
    let stripped: Vec<Series> = series.iter().map(without_covariates).collect();
    // Without any price or promotion in the input, the two runs are the same: run one.
    let covariates = series != stripped.as_slice();
    // Windows that start at the same period share one panel fit.
    let mut by_cutoff: BTreeMap<i64, Vec<Window>> = BTreeMap::new();
    for window in &all {
        let period = series[window.series].rows[window.origin].period;
        by_cutoff.entry(period).or_default().push(*window);
    }
    let mut tallies = [Tally::default(); 4];
    for (cutoff, windows) in &by_cutoff {
        let with = panel_forecasts(series, *cutoff, windows, holdout.horizon, settings);
        let without = if covariates {
            panel_forecasts(&stripped, *cutoff, windows, holdout.horizon, settings)
        } else {
            with.clone()
        };
        for ((window, with), without) in windows.iter().zip(with).zip(without) {
            let rows = &series[window.series].rows;
            let training: Vec<f64> = rows[..window.origin]
                .iter()
                .map(|r| r.observation.units)
                .collect();
            let actual: Vec<f64> = rows[window.origin..window.origin + holdout.horizon]
                .iter()
                .map(|r| r.observation.units)
                .collect();
            let scale = mase_scale(&training, settings.season);
            tallies[0].add_window(&actual, &means(&with), scale, Some(&with));
            tallies[1].add_window(&actual, &means(&without), scale, Some(&without));
            let seasonal = seasonal_naive(&training, settings.season, holdout.horizon);
            tallies[2].add_window(&actual, &seasonal, scale, None);
            let naive = seasonal_naive(&training, 1, holdout.horizon);
            tallies[3].add_window(&actual, &naive, scale, None);
        }
    }
    let mut evaluated: Vec<usize> = all.iter().map(|w| w.series).collect();
    evaluated.dedup();
    Evaluation {
        series: series.len(),
        series_evaluated: evaluated.len(),
        windows: all.len(),
        points: all.len() * holdout.horizon,
        model: tallies[0].scores(),
        without_covariates: tallies[1].scores(),
        seasonal_naive: tallies[2].scores(),
        naive: tallies[3].scores(),
    }
}

/// Forecasts of `windows` (all starting at period `cutoff`) from one panel fit on every
/// series' rows before `cutoff`.
fn panel_forecasts(
    series: &[Series],
    cutoff: i64,
    windows: &[Window],
    horizon: usize,
    settings: &Settings,
) -> Vec<Vec<Interval>> {
    let histories: Vec<Vec<Observation>> = series
        .iter()
        .map(|s| {
            let before = s.rows.partition_point(|r| r.period < cutoff);
            s.rows[..before].iter().map(|r| r.observation).collect()
        })
        .collect();
    let mut futures: Vec<Vec<Conditions>> = vec![Vec::new(); series.len()];
    for window in windows {
        futures[window.series] = series[window.series].rows[window.origin..window.origin + horizon]
            .iter()
            .map(|r| r.observation.conditions)
            .collect();
    }
    let panel: Vec<PanelSeries<'_>> = histories
        .iter()
        .zip(&futures)
        .map(|(history, future)| PanelSeries { history, future })
        .collect();
    let mut out = forecast_panel(&panel, settings);
    windows
        .iter()
        .map(|w| std::mem::take(&mut out[w.series]))
        .collect()
}

fn without_covariates(series: &Series) -> Series {
    Series {
        id: series.id.clone(),
        rows: series
            .rows
            .iter()
            .map(|r| Row {
                period: r.period,
                observation: Observation {
                    units: r.observation.units,
                    conditions: Conditions::default(),
                },
            })
            .collect(),
    }
}

fn means(intervals: &[Interval]) -> Vec<f64> {
    intervals.iter().map(|i| i.mean).collect()
}

/// Running sums of one method's errors.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    absolute_error: f64,
    absolute_actual: f64,
    scaled_error_sum: f64,
    scaled_windows: usize,
    inside: usize,
    with_interval: usize,
}

impl Tally {
    fn add_errors(&mut self, actual: &[f64], forecast: &[f64]) {
        debug_assert_eq!(actual.len(), forecast.len());
        for (a, f) in actual.iter().zip(forecast) {
            self.absolute_error += (a - f).abs();
            self.absolute_actual += a.abs();
        }
    }

    fn add_window(
        &mut self,
        actual: &[f64],
        forecast: &[f64],
        scale: Option<f64>,
        intervals: Option<&[Interval]>,
    ) {
        self.add_errors(actual, forecast);
        if let Some(scale) = scale {
            let mean_error = actual
                .iter()
                .zip(forecast)
                .map(|(a, f)| (a - f).abs())
                .sum::<f64>()
                / actual.len().max(1) as f64;
            self.scaled_error_sum += mean_error / scale;
            self.scaled_windows += 1;
        }
        if let Some(intervals) = intervals {
            for (a, i) in actual.iter().zip(intervals) {
                self.with_interval += 1;
                if i.lower <= *a && *a <= i.upper {
                    self.inside += 1;
                }
            }
        }
    }

    fn wape(&self) -> Option<f64> {
        (self.absolute_actual > 0.0).then(|| self.absolute_error / self.absolute_actual)
    }

    fn scores(&self) -> Scores {
        Scores {
            wape: self.wape(),
            mase: (self.scaled_windows > 0)
                .then(|| self.scaled_error_sum / self.scaled_windows as f64),
            coverage: (self.with_interval > 0)
                .then(|| self.inside as f64 / self.with_interval as f64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wape_is_absolute_error_over_actuals() {
        // |10 − 8| + |0 − 1| + |30 − 33| = 6 over 40 units.
        let value = wape(&[10.0, 0.0, 30.0], &[8.0, 1.0, 33.0]).expect("actuals sum above 0");
        assert!((value - 0.15).abs() < 1e-12, "{value}");
        assert_eq!(wape(&[0.0, 0.0], &[1.0, 2.0]), None);
    }

    #[test]
    fn mase_scale_is_the_mean_seasonal_change() {
        // Lag 1 changes: 2, 4, 1 → mean 7/3; lag 2 changes: 6, 3 → mean 4.5.
        let training = [1.0, 3.0, 7.0, 6.0];
        let one = mase_scale(&training, 1).expect("changes");
        assert!((one - 7.0 / 3.0).abs() < 1e-12, "{one}");
        let two = mase_scale(&training, 2).expect("changes");
        assert!((two - 4.5).abs() < 1e-12, "{two}");
        assert_eq!(mase_scale(&[5.0, 5.0, 5.0], 1), None);
        assert_eq!(mase_scale(&[5.0, 6.0], 2), None);
    }

    #[test]
    fn seasonal_naive_repeats_the_last_season() {
        let training = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(seasonal_naive(&training, 2, 5), [4.0, 5.0, 4.0, 5.0, 4.0]);
        assert_eq!(seasonal_naive(&training, 1, 2), [5.0, 5.0]);
        assert!(seasonal_naive(&training, 7, 2).is_empty());
    }

    #[test]
    fn windows_count_back_from_each_series_end() {
        let holdout = Holdout {
            horizon: 2,
            origins: 3,
            step: 2,
            min_train: 3,
        };
        // n = 10: origins 8, 6, 4; n = 6: 4, 2 (too short), 0 (too short); n = 2: none.
        assert_eq!(
            windows(&[10, 6, 2], &holdout, 1),
            [
                Window {
                    series: 0,
                    origin: 4
                },
                Window {
                    series: 0,
                    origin: 6
                },
                Window {
                    series: 0,
                    origin: 8
                },
                Window {
                    series: 1,
                    origin: 4
                },
            ]
        );
        // A season of 5 needs 6 training rows: only origins 6 and 8 of the first series.
        let seasonal = windows(&[10, 6, 2], &holdout, 5);
        assert_eq!(seasonal.len(), 2);
        assert!(seasonal.iter().all(|w| w.series == 0 && w.origin >= 6));
    }

    #[test]
    fn windows_may_overlap_when_the_step_is_shorter_than_the_horizon() {
        let holdout = Holdout {
            horizon: 3,
            origins: 3,
            step: 1,
            min_train: 1,
        };
        let origins: Vec<usize> = windows(&[8], &holdout, 1)
            .iter()
            .map(|w| w.origin)
            .collect();
        assert_eq!(origins, [3, 4, 5]);
    }

    fn series(id: &str, units: &[f64]) -> Series {
        Series {
            id: id.into(),
            rows: units
                .iter()
                .enumerate()
                .map(|(t, u)| Row {
                    period: t as i64,
                    observation: Observation {
                        units: *u,
                        conditions: Conditions::default(),
                    },
                })
                .collect(),
        }
    }

    #[test]
    fn the_baselines_score_as_computed_by_hand() {
        // Training 10, 20, 10, 20, 10, 20; test 10, 30. Season 2 repeats 10, 20: errors 0
        // and 10 → WAPE 10/40; the scale over lag 2 is 0, so no MASE. The naive repeats 20:
        // errors 10 and 10 → WAPE 20/40.
        let data = series("a", &[10.0, 20.0, 10.0, 20.0, 10.0, 20.0, 10.0, 30.0]);
        let holdout = Holdout {
            horizon: 2,
            origins: 1,
            step: 2,
            min_train: 4,
        };
        let result = evaluate(
            &[data],
            &holdout,
            &Settings {
                season: 2,
                coverage: 0.8,
            },
        );
        assert_eq!((result.windows, result.points), (1, 2));
        assert_eq!(result.seasonal_naive.wape, Some(0.25));
        assert_eq!(result.seasonal_naive.mase, None);
        assert_eq!(result.naive.wape, Some(0.5));
        assert_eq!(result.seasonal_naive.coverage, None);
        assert!(result.model.coverage.is_some());
    }

    #[test]
    fn mase_divides_each_window_by_its_own_scale() {
        // Training 0, 2, 4, 6 (lag-1 scale 2); test 8, 10. The naive repeats 6: errors 2
        // and 4, mean 3, MASE 1.5.
        let data = series("a", &[0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        let holdout = Holdout {
            horizon: 2,
            origins: 1,
            step: 1,
            min_train: 2,
        };
        let result = evaluate(&[data], &holdout, &Settings::default());
        assert_eq!(result.naive.mase, Some(1.5));
        assert_eq!(result.seasonal_naive, result.naive);
    }

    #[test]
    fn other_series_after_the_origin_are_not_seen() {
        // Series b ends later than a; forecasting a from period 6 must give the same
        // answer whether b's rows from period 6 on exist or not.
        let a = series("a", &[5.0, 6.0, 5.0, 7.0, 6.0, 5.0, 6.0, 7.0]);
        let long_b = series("b", &[50.0, 60.0, 55.0, 65.0, 60.0, 55.0, 900.0, 900.0]);
        let short_b = series("b", &[50.0, 60.0, 55.0, 65.0, 60.0, 55.0]);
        let holdout = Holdout {
            horizon: 2,
            origins: 1,
            step: 2,
            min_train: 4,
        };
        let settings = Settings::default();
        let window = [Window {
            series: 0,
            origin: 6,
        }];
        let with_long = panel_forecasts(&[a.clone(), long_b], 6, &window, 2, &settings);
        let with_short = panel_forecasts(&[a, short_b], 6, &window, 2, &settings);
        assert_eq!(with_long, with_short);
        assert_eq!(holdout.horizon, with_long[0].len());
    }
}
