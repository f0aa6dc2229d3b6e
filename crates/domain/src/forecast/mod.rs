//! Demand forecasting: units per period from a series' own history, its seasonality, and
//! what is known about price and promotion in each period.
//!
//! One model serves two uses. Before a live session the services forecast each shelved
//! SKU's units from its series of past sessions (price = the live price's depth against the
//! pool price, promotion = a flash sale or a campaign); `daihuo forecast eval` runs the same
//! model on real retail panels ([`eval`], docs/FORECASTING.md), so the figure shown to a
//! supplier is backed by a measurement, not an assertion.
//!
//! The model works on the log of units (plus one, so a period without sales is 0):
//!
//! ```text
//! log(units + 1) = level + seasonal + elasticity × log(price ÷ mean price) + lift × promo + error
//! ```
//!
//! - The level is exponentially smoothed. Its smoothing constant is chosen per series from
//!   a small grid by the error of the series' own in-sample forecasts over the horizon
//!   asked for.
//! - The price elasticity, the promotion lift and the seasonal profile are regression
//!   weights. For a fixed smoothing constant the smoothed level is a linear filter of its
//!   input, so the weights are found by least squares on what the filter does not predict
//!   (the one-step innovations of the log units and of each regressor): the level and the
//!   effects are fitted together, not one after the other.
//! - The weights are shrunk toward a prior: no effect for a series alone; in a panel
//!   ([`forecast_panel`]), toward the panel's pooled elasticity and lift, as far as the
//!   series' own evidence is weak and the series differ (a random-effects meta-analysis,
//!   DerSimonian–Laird). A series that never had a promotion still gets the panel's lift
//!   when one is planned.
//! - The prediction interval comes from the empirical quantiles of the series' in-sample
//!   forecast errors at each horizon, on the log scale.
//!
//! Everything is deterministic: no randomness, and every loop runs in input order.

pub mod eval;
mod solve;

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
    /// price works); `None` when unknown, which the model reads as the series' usual price.
    pub price: Option<f64>,
    /// Promotion intensity from 0 (none) to 1 (full: on display, in a feature, a flash
    /// sale); `None` when unknown, which the model reads as none.
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The expected units (the median of the forecast distribution, which is what an
    /// absolute-error measure such as WAPE rewards).
    pub mean: f64,
    /// The lower end of the prediction interval (never below 0).
    pub lower: f64,
    /// The upper end of the prediction interval.
    pub upper: f64,
}

/// One series of a panel: its history and the planned conditions of the periods to
/// forecast (empty when the series is only there to inform the others).
#[derive(Debug, Clone, Copy)]
pub struct PanelSeries<'a> {
    /// The past periods, oldest first.
    pub history: &'a [Observation],
    /// One entry per period to forecast, in order.
    pub future: &'a [Conditions],
}

/// Forecasts one period per entry of `future` (its planned conditions), after `history`.
/// An empty history forecasts zero with a zero-width interval: the caller decides what a
/// cold start falls back to.
pub fn forecast(
    history: &[Observation],
    future: &[Conditions],
    settings: &Settings,
) -> Vec<Interval> {
    forecast_panel(&[PanelSeries { history, future }], settings)
        .pop()
        .unwrap_or_default()
}

/// Forecasts each series of a panel, sharing what the series have in common: each series'
/// price elasticity and promotion lift are shrunk toward the panel's pooled estimates
/// (module documentation). Returns one forecast per series, in order, each with one
/// interval per entry of its `future`.
pub fn forecast_panel(panel: &[PanelSeries<'_>], settings: &Settings) -> Vec<Vec<Interval>> {
    let horizon = panel
        .iter()
        .map(|s| s.future.len())
        .max()
        .unwrap_or(0)
        .clamp(1, SELECTION_HORIZON_MAX);
    let designs: Vec<Option<Design>> = panel
        .iter()
        .map(|s| Design::new(s.history, s.future, settings.season))
        .collect();
    // Each series on its own, with a weak prior, to measure its effects for the pool; only
    // worth it when enough series vary in price or promotion to pool.
    let poolable = [PRICE, PROMO]
        .into_iter()
        .any(|j| designs.iter().flatten().filter(|d| d.varies(j)).count() >= POOL_SERIES_MIN);
    let moments: Vec<Vec<Moments>> = designs
        .iter()
        .map(|d| match d {
            Some(d) => SMOOTHING_GRID.iter().map(|s| Moments::new(d, *s)).collect(),
            None => Vec::new(),
        })
        .collect();
    let pooled = if poolable {
        let own: Vec<Option<Fit>> = designs
            .iter()
            .zip(&moments)
            .map(|(d, m)| {
                d.as_ref()
                    .map(|d| Fit::choose(d, m, &Prior::weak(d.width()), horizon))
            })
            .collect();
        pool(&designs, &own)
    } else {
        [None; COVARIATES]
    };
    designs
        .iter()
        .zip(&moments)
        .zip(panel)
        .map(|((design, moments), series)| match design {
            None => vec![Interval::default(); series.future.len()],
            Some(design) => {
                let prior = Prior::for_design(design, &pooled);
                Fit::choose(design, moments, &prior, horizon).forecast(design, settings.coverage)
            }
        })
        .collect()
}

/// The longest horizon whose in-sample errors choose the smoothing constant: further out
/// the errors add cost but hardly change the choice.
const SELECTION_HORIZON_MAX: usize = 8;

/// Regressors by position in a design's rows.
const PRICE: usize = 0;
const PROMO: usize = 1;
const COVARIATES: usize = 2;

/// Seasons up to this many periods get one effect per position (6 for weekdays); longer
/// ones (52 weeks) a few smooth waves, since a year of weeks holds too few points per week.
const SEASON_DUMMIES_MAX: usize = 12;
/// Sine and cosine pairs that describe a long season.
const SEASON_WAVES: usize = 3;
/// A seasonal profile is fitted only from at least this many whole seasons of history.
const SEASONS_TO_FIT: usize = 2;

/// A series turned into numbers: log units and the regressors of its history and future.
#[derive(Debug, Clone)]
struct Design {
    /// log(units + 1) per past period.
    logs: Vec<f64>,
    /// The regressors over the past, one column each: price, promotion, then the seasonal
    /// ones.
    columns: Vec<Vec<f64>>,
    /// The regressors that vary in the history; the others say nothing about it, so their
    /// weights stay at the prior's.
    active: Vec<usize>,
    /// The regressors per future period.
    future: Vec<Vec<f64>>,
}

impl Design {
    /// `None` for an empty history, which nothing can be fitted on.
    fn new(history: &[Observation], future: &[Conditions], season: usize) -> Option<Self> {
        if history.is_empty() {
            return None;
        }
        let known_log_prices: Vec<f64> = history
            .iter()
            .filter_map(|o| log_price(&o.conditions))
            .collect();
        let mean_log_price = if known_log_prices.is_empty() {
            None
        } else {
            Some(known_log_prices.iter().sum::<f64>() / known_log_prices.len() as f64)
        };
        let seasonal = Seasonal::new(season, history.len());
        let row = |t: usize, conditions: &Conditions| {
            let mut row = vec![0.0; COVARIATES + seasonal.width()];
            if let (Some(mean), Some(log)) = (mean_log_price, log_price(conditions)) {
                row[PRICE] = log - mean;
            }
            row[PROMO] = promo(conditions);
            seasonal.fill(t, &mut row[COVARIATES..]);
            row
        };
        let past: Vec<Vec<f64>> = history
            .iter()
            .enumerate()
            .map(|(t, o)| row(t, &o.conditions))
            .collect();
        let columns: Vec<Vec<f64>> = (0..past[0].len())
            .map(|j| past.iter().map(|row| row[j]).collect())
            .collect();
        let active = (0..columns.len())
            .filter(|j| {
                let first = columns[*j][0];
                columns[*j].iter().any(|v| (v - first).abs() > 1e-9)
            })
            .collect();
        Some(Self {
            logs: history.iter().map(|o| log_units(o.units)).collect(),
            columns,
            active,
            future: future
                .iter()
                .enumerate()
                .map(|(h, c)| row(history.len() + h, c))
                .collect(),
        })
    }

    fn width(&self) -> usize {
        self.columns.len()
    }

    /// Whether regressor `j` varies in the history (else the history says nothing of it).
    fn varies(&self, j: usize) -> bool {
        self.active.contains(&j)
    }
}

/// The log of units plus one; anything not a finite non-negative number counts as 0.
fn log_units(units: f64) -> f64 {
    if units.is_finite() && units > 0.0 {
        units.ln_1p()
    } else {
        0.0
    }
}

fn log_price(conditions: &Conditions) -> Option<f64> {
    conditions
        .price
        .filter(|p| p.is_finite() && *p > 0.0)
        .map(f64::ln)
}

fn promo(conditions: &Conditions) -> f64 {
    conditions
        .promo
        .filter(|p| p.is_finite())
        .map_or(0.0, |p| p.clamp(0.0, 1.0))
}

/// How a season enters the regression.
#[derive(Debug, Clone, Copy)]
enum Seasonal {
    /// No seasonal profile (no season, or too little history to fit one).
    None,
    /// One effect per position but the first, which is minus their sum.
    Positions(usize),
    /// Sine and cosine waves of the season's length.
    Waves(usize),
}

impl Seasonal {
    fn new(season: usize, history: usize) -> Self {
        if season < 2 || history < SEASONS_TO_FIT * season {
            Self::None
        } else if season <= SEASON_DUMMIES_MAX {
            Self::Positions(season)
        } else {
            Self::Waves(season)
        }
    }

    fn width(&self) -> usize {
        match self {
            Self::None => 0,
            Self::Positions(season) => season - 1,
            Self::Waves(_) => 2 * SEASON_WAVES,
        }
    }

    fn fill(&self, t: usize, out: &mut [f64]) {
        match *self {
            Self::None => {}
            Self::Positions(season) => {
                let position = t % season;
                for (j, value) in out.iter_mut().enumerate() {
                    *value = if position == j + 1 {
                        1.0
                    } else if position == 0 {
                        -1.0
                    } else {
                        0.0
                    };
                }
            }
            Self::Waves(season) => {
                let phase = std::f64::consts::TAU * (t % season) as f64 / season as f64;
                for k in 0..SEASON_WAVES {
                    let angle = phase * (k + 1) as f64;
                    out[2 * k] = angle.sin();
                    out[2 * k + 1] = angle.cos();
                }
            }
        }
    }
}

/// The smoothing constant of the level: how much of each surprise moves it. For a fixed
/// constant the filter is linear in its input, which is what lets the regression weights be
/// fitted jointly with it. (A damped trend was tried on the data of docs/FORECASTING.md and
/// made every data set slightly worse, so the level has none.)
#[derive(Debug, Clone, Copy, PartialEq)]
struct Smoothing {
    alpha: f64,
}

/// The constants tried for each series.
const SMOOTHING_GRID: [Smoothing; 11] = {
    const ALPHAS: [f64; 11] = [0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.65, 0.8, 1.0];
    let mut grid = [Smoothing { alpha: 0.0 }; 11];
    let mut i = 0;
    while i < ALPHAS.len() {
        grid[i].alpha = ALPHAS[i];
        i += 1;
    }
    grid
};

/// Periods whose level rests on the first few values only; their errors choose nothing.
const BURN_IN: usize = 4;

/// The filter over a series.
struct Filtered {
    /// The one-step error at each period (the first is the initial level's own).
    innovations: Vec<f64>,
    /// The level after each period.
    levels: Vec<f64>,
}

impl Smoothing {
    /// Smooths `input` from an initial level of the mean of its first [`BURN_IN`] values.
    fn run(&self, input: &[f64]) -> Filtered {
        let start = input.len().clamp(1, BURN_IN);
        let mut level = input.iter().take(start).sum::<f64>() / start as f64;
        let mut innovations = Vec::with_capacity(input.len());
        let mut levels = Vec::with_capacity(input.len());
        for value in input {
            let error = value - level;
            innovations.push(error);
            level += self.alpha * error;
            levels.push(level);
        }
        Filtered {
            innovations,
            levels,
        }
    }
}

/// What the regression weights are shrunk toward, and how tightly.
#[derive(Debug, Clone)]
struct Prior {
    mean: Vec<f64>,
    /// The prior's standard deviation per weight.
    spread: Vec<f64>,
}

/// A panel pools a regressor only when at least this many series vary in it.
const POOL_SERIES_MIN: usize = 3;
/// The least spread a pooled prior keeps, so that a series with strong evidence of its own
/// can still differ from the panel.
const POOLED_SPREAD_MIN: f64 = 0.05;

impl Prior {
    /// Almost no prior: to measure a series' own effects.
    fn weak(width: usize) -> Self {
        Self {
            mean: vec![0.0; width],
            spread: vec![10.0; width],
        }
    }

    /// A series on its own: no effect unless its history shows one; elasticities of a few
    /// units and lifts of a few fold are plausible, seasonal swings are smaller.
    fn standard(design: &Design) -> Self {
        let mut spread = vec![0.5; design.width()];
        spread[PRICE] = 2.0;
        spread[PROMO] = 1.5;
        Self {
            mean: vec![0.0; design.width()],
            spread,
        }
    }

    /// The standard prior with the panel's pooled price and promotion effects, where
    /// there are any, in place of "no effect".
    fn for_design(design: &Design, pooled: &Pooled) -> Self {
        let mut prior = Self::standard(design);
        for (j, effect) in pooled.iter().enumerate() {
            if let Some((mean, spread)) = effect {
                prior.mean[j] = *mean;
                prior.spread[j] = *spread;
            }
        }
        prior
    }
}

/// The panel's pooled (mean, spread) of the price elasticity and the promotion lift, where
/// enough series vary in them to pool.
type Pooled = [Option<(f64, f64)>; COVARIATES];

/// Pools each series' own estimates of price and promotion by a random-effects
/// meta-analysis. Seasonal weights are not pooled, since series may start at different
/// points of their season.
fn pool(designs: &[Option<Design>], own: &[Option<Fit>]) -> Pooled {
    let mut pooled = [None; COVARIATES];
    for (j, effect) in pooled.iter_mut().enumerate() {
        let estimates: Vec<(f64, f64)> = designs
            .iter()
            .zip(own)
            .filter_map(|(design, fit)| match (design, fit) {
                (Some(design), Some(fit)) if design.varies(j) => {
                    let variance = fit.variances[j];
                    (variance.is_finite() && variance > 0.0).then_some((fit.weights[j], variance))
                }
                _ => None,
            })
            .collect();
        if estimates.len() >= POOL_SERIES_MIN {
            let (mean, spread) = random_effects(&estimates);
            if mean.is_finite() {
                *effect = Some((mean, spread.max(POOLED_SPREAD_MIN)));
            }
        }
    }
    pooled
}

/// DerSimonian–Laird: the pooled mean of estimates with their sampling variances, and the
/// spread of the true effects between series.
fn random_effects(estimates: &[(f64, f64)]) -> (f64, f64) {
    let weights: Vec<f64> = estimates.iter().map(|(_, v)| 1.0 / v).collect();
    let total: f64 = weights.iter().sum();
    let fixed = estimates
        .iter()
        .zip(&weights)
        .map(|((x, _), w)| w * x)
        .sum::<f64>()
        / total;
    let q: f64 = estimates
        .iter()
        .zip(&weights)
        .map(|((x, _), w)| w * (x - fixed).powi(2))
        .sum();
    let squares: f64 = weights.iter().map(|w| w * w).sum();
    let between = ((q - (estimates.len() - 1) as f64) / (total - squares / total)).max(0.0);
    let (sum, norm) = estimates.iter().fold((0.0, 0.0), |(sum, norm), (x, v)| {
        let w = 1.0 / (v + between);
        (sum + w * x, norm + w)
    });
    (sum / norm, between.sqrt())
}

/// What the regression needs for one smoothing constant, computed once per
/// series: sums of products of the innovations of the log units and of the regressors that
/// vary (in the order of [`Design::active`]).
#[derive(Debug, Clone)]
struct Moments {
    smoothing: Smoothing,
    /// Σ x̃ x̃ᵀ over the regressors' innovations.
    gram: Vec<Vec<f64>>,
    /// Σ x̃ ỹ.
    moment: Vec<f64>,
    /// Σ ỹ².
    target_squares: f64,
    /// Innovations summed over (the first, the initial level's own, is left out).
    count: f64,
    /// Each varying regressor's smoothed level after the last past period: what the
    /// level of the log units has already absorbed of it.
    column_levels: Vec<f64>,
}

impl Moments {
    fn new(design: &Design, smoothing: Smoothing) -> Self {
        let target = smoothing.run(&design.logs).innovations;
        let filtered: Vec<Filtered> = design
            .active
            .iter()
            .map(|j| smoothing.run(&design.columns[*j]))
            .collect();
        let width = filtered.len();
        let mut gram = vec![vec![0.0; width]; width];
        let mut moment = vec![0.0; width];
        for a in 0..width {
            let x = &filtered[a].innovations[1..];
            moment[a] = dot(x, &target[1..]);
            for b in a..width {
                gram[a][b] = dot(x, &filtered[b].innovations[1..]);
                gram[b][a] = gram[a][b];
            }
        }
        Self {
            smoothing,
            gram,
            moment,
            target_squares: dot(&target[1..], &target[1..]),
            count: (target.len() - 1).max(1) as f64,
            column_levels: filtered
                .iter()
                .map(|f| f.levels.last().copied().unwrap_or_default())
                .collect(),
        }
    }

    /// The mean squared innovation left after `weights` (over the varying regressors).
    fn noise(&self, weights: &[f64]) -> f64 {
        let explained = dot(weights, &self.moment);
        let quadratic: f64 = self
            .gram
            .iter()
            .zip(weights)
            .map(|(row, w)| w * dot(row, weights))
            .sum();
        ((self.target_squares - 2.0 * explained + quadratic) / self.count).max(0.0)
    }
}

/// A fitted series: smoothing constant, regression weights and in-sample errors.
#[derive(Debug, Clone)]
struct Fit {
    /// One weight per regressor of the design.
    weights: Vec<f64>,
    /// Sampling variance of each weight (for pooling); infinite for those the history says
    /// nothing about.
    variances: Vec<f64>,
    /// (Σ x̃ x̃ᵀ + penalty)⁻¹ over the varying regressors: with the noise variance, the
    /// weights' covariance, which widens the interval where the future's regressors lie
    /// far from what the history pinned down.
    leverage: Vec<Vec<f64>>,
    /// The varying regressors' smoothed levels after the last past period.
    column_levels: Vec<f64>,
    /// The level after the last past period.
    level: f64,
    /// In-sample errors of log units per horizon (index 0: one period ahead).
    errors: Vec<Vec<f64>>,
    /// Mean squared in-sample error over the selection horizons.
    score: f64,
}

impl Fit {
    /// The best fit over the smoothing grid (one [`Moments`] per constant) by in-sample
    /// error up to `horizon` periods ahead; ties go to the first, so the choice is
    /// deterministic.
    fn choose(design: &Design, moments: &[Moments], prior: &Prior, horizon: usize) -> Fit {
        let mut best: Option<Fit> = None;
        for moments in moments {
            let fit = Fit::new(design, moments, prior, horizon);
            if best.as_ref().is_none_or(|b| fit.score < b.score) {
                best = Some(fit);
            }
        }
        best.unwrap_or_else(|| Fit::new(design, &moments[0], prior, horizon))
    }

    fn new(design: &Design, moments: &Moments, prior: &Prior, horizon: usize) -> Fit {
        let smoothing = moments.smoothing;
        let (weights, variances, leverage) = regress(design, moments, prior);
        let mut adjusted = design.logs.clone();
        for (column, weight) in design.columns.iter().zip(&weights) {
            if *weight != 0.0 {
                for (value, x) in adjusted.iter_mut().zip(column) {
                    *value -= weight * x;
                }
            }
        }
        let filtered = smoothing.run(&adjusted);
        let n = adjusted.len();
        let mut errors = vec![Vec::new(); horizon];
        for (t, level) in filtered.levels.iter().enumerate().skip(BURN_IN - 1) {
            for (h, errors) in errors.iter_mut().enumerate() {
                let target = t + h + 1;
                if target >= n {
                    break;
                }
                errors.push(adjusted[target] - level);
            }
        }
        let (sum, count) = errors
            .iter()
            .flatten()
            .fold((0.0, 0usize), |(s, c), e| (s + e * e, c + 1));
        Fit {
            weights,
            variances,
            leverage,
            column_levels: moments.column_levels.clone(),
            level: filtered.levels[n - 1],
            errors,
            score: if count == 0 {
                f64::INFINITY
            } else {
                sum / count as f64
            },
        }
    }

    fn forecast(&self, design: &Design, coverage: f64) -> Vec<Interval> {
        design
            .future
            .iter()
            .enumerate()
            .map(|(h, row)| {
                let centre = self.level + dot(row, &self.weights);
                // How far the future's regressors sit from what the level already holds
                // of them, in units of the weights' uncertainty.
                let surprise: Vec<f64> = design
                    .active
                    .iter()
                    .zip(&self.column_levels)
                    .map(|(j, level)| row[*j] - level)
                    .collect();
                let leverage: f64 = self
                    .leverage
                    .iter()
                    .zip(&surprise)
                    .map(|(r, d)| d * dot(r, &surprise))
                    .sum();
                let widen = (1.0 + leverage.max(0.0)).sqrt();
                let (low, high) = self.spread(h, coverage);
                Interval {
                    mean: centre.exp_m1().max(0.0),
                    lower: (centre + low * widen).exp_m1().max(0.0),
                    upper: (centre + high * widen).exp_m1().max(0.0),
                }
            })
            .collect()
    }

    /// The quantiles of in-sample errors `h + 1` periods ahead for a central interval of
    /// `coverage`; past the horizons with enough errors, the furthest such horizon's,
    /// widened like a random walk's; with none, one unit of log each way.
    fn spread(&self, h: usize, coverage: f64) -> (f64, f64) {
        const FEWEST_ERRORS: usize = 8;
        let usable = self
            .errors
            .iter()
            .take(h + 1)
            .rposition(|e| e.len() >= FEWEST_ERRORS);
        let Some(at) = usable else {
            let widen = ((h + 1) as f64).sqrt();
            return (-widen, widen);
        };
        let widen = ((h + 1) as f64 / (at + 1) as f64).sqrt();
        let mut sorted = self.errors[at].clone();
        sorted.sort_by(f64::total_cmp);
        // The order statistics a split-conformal interval takes: with n errors, the
        // ⌊(n + 1)·tail⌋-th from each end, which covers at least the share asked for when
        // the future errors are like the past ones (a plain quantile of n errors covers
        // about n / (n + 1) of it, too little for short histories).
        let tail = (1.0 - coverage.clamp(0.5, 0.99)) / 2.0;
        let n = sorted.len();
        let rank = (((n + 1) as f64 * tail).floor() as usize).clamp(1, n);
        (sorted[rank - 1] * widen, sorted[n - rank] * widen)
    }
}

/// The regression weights for one smoothing constant: least squares of the log
/// units' innovations on the regressors' innovations, penalised toward the prior (ridge),
/// the noise variance estimated in two passes. Returns the weights, their sampling
/// variances and the inverse penalised Gram matrix (see [`Fit::leverage`]).
fn regress(
    design: &Design,
    moments: &Moments,
    prior: &Prior,
) -> (Vec<f64>, Vec<f64>, Vec<Vec<f64>>) {
    let mut weights = prior.mean.clone();
    let mut variances = vec![f64::INFINITY; design.width()];
    let active = &design.active;
    let width = active.len();
    if width == 0 {
        return (weights, variances, Vec::new());
    }
    let spread: Vec<f64> = active.iter().map(|j| prior.spread[*j]).collect();
    let mean: Vec<f64> = active.iter().map(|j| prior.mean[*j]).collect();
    let mut fitted = mean.clone();
    let mut noise = moments.noise(&vec![0.0; width]);
    for _pass in 0..2 {
        let noise_floor = noise.max(1e-6);
        let mut system = moments.gram.clone();
        let mut right = moments.moment.clone();
        for k in 0..width {
            let penalty = noise_floor / spread[k].powi(2);
            system[k][k] += penalty;
            right[k] += penalty * mean[k];
        }
        if let Some(solution) = solve::solve(system, right) {
            fitted = solution;
        }
        // Demand falls as price rises and rises with promotion; a fit that says otherwise
        // is noise, and forecasting with it would invert a planned discount's effect.
        for (k, j) in active.iter().enumerate() {
            match *j {
                PRICE => fitted[k] = fitted[k].min(0.0),
                PROMO => fitted[k] = fitted[k].max(0.0),
                _ => {}
            }
        }
        noise = moments.noise(&fitted);
    }
    let mut precision = moments.gram.clone();
    for (k, row) in precision.iter_mut().enumerate() {
        row[k] += noise.max(1e-6) / spread[k].powi(2);
    }
    let leverage = solve::inverse(precision).unwrap_or_else(|| vec![vec![0.0; width]; width]);
    for (k, j) in active.iter().enumerate() {
        weights[*j] = fitted[k];
        variances[*j] = leverage[k][k] * noise;
    }
    (weights, variances, leverage)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
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

    /// A deterministic stream of numbers in [0, 1) (a linear congruential generator), so
    /// noisy test series are the same on every run.
    struct Noise(u64);

    impl Noise {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }

        /// Roughly normal with mean 0 and deviation 1 (a sum of twelve uniforms).
        fn normal(&mut self) -> f64 {
            (0..12).map(|_| self.next()).sum::<f64>() - 6.0
        }
    }

    fn plain(units: f64) -> Observation {
        Observation {
            units,
            conditions: Conditions::default(),
        }
    }

    #[test]
    fn a_weekly_pattern_is_forecast_by_weekday() {
        let mut noise = Noise(7);
        // Weekends (positions 5 and 6) sell twice a weekday's 100, with 10% noise.
        let history: Vec<Observation> = (0..70)
            .map(|t| {
                let base = if t % 7 >= 5 { 200.0 } else { 100.0 };
                plain(base * (1.0 + 0.1 * noise.normal()))
            })
            .collect();
        let settings = Settings {
            season: 7,
            coverage: 0.8,
        };
        let out = forecast(&history, &[Conditions::default(); 7], &settings);
        for (h, interval) in out.iter().enumerate() {
            let expected = if (70 + h) % 7 >= 5 { 200.0 } else { 100.0 };
            assert!(
                (interval.mean / expected - 1.0).abs() < 0.15,
                "day {h}: {interval:?}"
            );
        }
    }

    #[test]
    fn the_level_follows_a_lasting_shift() {
        let history: Vec<Observation> = (0..90)
            .map(|t| plain(if t < 60 { 100.0 } else { 300.0 }))
            .collect();
        let out = forecast(&history, &[Conditions::default()], &Settings::default());
        assert!((out[0].mean / 300.0 - 1.0).abs() < 0.05, "{out:?}");
    }

    #[test]
    fn a_price_elasticity_is_recovered() {
        let mut noise = Noise(11);
        // units = 100 × price^−2 with 5% noise, prices between 0.6 and 1.2.
        let history: Vec<Observation> = (0..80)
            .map(|_| {
                let price = 0.6 + 0.6 * noise.next();
                let units = 100.0 * price.powf(-2.0) * (1.0 + 0.05 * noise.normal());
                observed(units, price, 0.0)
            })
            .collect();
        let at = |price: f64| Conditions {
            price: Some(price),
            promo: Some(0.0),
        };
        let out = forecast(&history, &[at(1.0), at(0.7)], &Settings::default());
        // (1.0 / 0.7)² ≈ 2.04; log(units + 1) bends it a little toward 1.
        let ratio = out[1].mean / out[0].mean;
        assert!((1.8..2.2).contains(&ratio), "{ratio}: {out:?}");
    }

    #[test]
    fn a_panel_lends_its_promotion_lift_to_a_series_that_never_had_one() {
        let mut noise = Noise(3);
        // Five series triple their units on promotion; a sixth has never been promoted.
        let promoted: Vec<Vec<Observation>> = (0..5)
            .map(|s| {
                (0..60)
                    .map(|t| {
                        let on = (t + s) % 5 == 0;
                        let units = 50.0 * if on { 3.0 } else { 1.0 };
                        observed(units * (1.0 + 0.1 * noise.normal()), 1.0, f64::from(on))
                    })
                    .collect()
            })
            .collect();
        let newcomer: Vec<Observation> = (0..60)
            .map(|_| observed(80.0 * (1.0 + 0.1 * noise.normal()), 1.0, 0.0))
            .collect();
        let planned = [Conditions {
            price: Some(1.0),
            promo: Some(1.0),
        }];
        let mut panel: Vec<PanelSeries<'_>> = promoted
            .iter()
            .map(|history| PanelSeries {
                history,
                future: &[],
            })
            .collect();
        panel.push(PanelSeries {
            history: &newcomer,
            future: &planned,
        });
        let pooled = forecast_panel(&panel, &Settings::default());
        let alone = forecast(&newcomer, &planned, &Settings::default());
        assert!(pooled[..5].iter().all(Vec::is_empty));
        let lift = pooled[5][0].mean / 80.0;
        assert!((2.4..3.6).contains(&lift), "pooled {:?}", pooled[5]);
        assert!(
            (alone[0].mean / 80.0 - 1.0).abs() < 0.15,
            "alone the newcomer has no evidence of a lift: {alone:?}"
        );
    }

    #[test]
    fn a_panel_may_mix_series_with_and_without_a_seasonal_profile() {
        // Seasonal weights need two whole seasons: the short series has none, the long
        // ones have six; pooling their promotion lifts must still work.
        let settings = Settings {
            season: 7,
            coverage: 0.8,
        };
        let series: Vec<Vec<Observation>> = [10, 40, 40, 40]
            .iter()
            .map(|n| {
                (0..*n)
                    .map(|t| {
                        observed(
                            if t % 3 == 0 { 90.0 } else { 30.0 },
                            1.0,
                            f64::from(t % 3 == 0),
                        )
                    })
                    .collect()
            })
            .collect();
        let planned = [Conditions {
            price: Some(1.0),
            promo: Some(1.0),
        }];
        let panel: Vec<PanelSeries<'_>> = series
            .iter()
            .map(|history| PanelSeries {
                history,
                future: &planned,
            })
            .collect();
        let out = forecast_panel(&panel, &settings);
        for forecast in &out {
            assert!((forecast[0].mean / 90.0 - 1.0).abs() < 0.2, "{out:?}");
        }
    }

    #[test]
    fn the_interval_covers_about_what_it_asks_for() {
        let mut noise = Noise(5);
        // A slowly wandering level with 20% noise; one-step forecasts from 200 origins.
        let mut level: f64 = 100.0;
        let units: Vec<f64> = (0..400)
            .map(|_| {
                level *= 1.0 + 0.02 * noise.normal();
                level * (1.0 + 0.2 * noise.normal()).max(0.05)
            })
            .collect();
        let settings = Settings {
            season: 1,
            coverage: 0.8,
        };
        let inside = (200..400)
            .filter(|&origin| {
                let history: Vec<Observation> = units[..origin].iter().map(|u| plain(*u)).collect();
                let out = forecast(&history, &[Conditions::default()], &settings);
                out[0].lower <= units[origin] && units[origin] <= out[0].upper
            })
            .count();
        let coverage = inside as f64 / 200.0;
        assert!((0.72..=0.88).contains(&coverage), "{coverage}");
    }

    #[test]
    fn short_histories_still_forecast_something_sensible() {
        for n in 1..6 {
            let history: Vec<Observation> = (0..n).map(|_| plain(10.0)).collect();
            let out = forecast(&history, &[Conditions::default(); 3], &Settings::default());
            for interval in &out {
                assert!((interval.mean - 10.0).abs() < 0.5, "{n}: {out:?}");
                assert!(interval.lower <= interval.mean && interval.mean <= interval.upper);
            }
        }
    }

    #[test]
    fn an_empty_history_forecasts_nothing() {
        let out = forecast(&[], &[Conditions::default()], &Settings::default());
        assert_eq!(out[0].mean, 0.0);
    }
}
