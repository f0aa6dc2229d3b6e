//! The live sell-out nowcast: how fast a SKU is selling during a live session, when its stock
//! will run out at that pace, whether that is before the session ends (and so worth telling
//! the supplier and the anchor), and, once the session is over, whether the stock left looks
//! like a backlog. docs/NOWCAST.md explains every rule with its reasons.
//!
//! Everything here is arithmetic on numbers the services read; times come in as arguments,
//! because this crate has no clock.
//!
//! # The pace estimator
//! Paid units over the last [`NowcastRules::window_ms`], each weighted by
//! `exp(−age / τ)` with `τ = half_life / ln 2`, divided by the same weight integrated over the
//! time the SKU was on sale inside the window (its *exposure*). That is the exponentially
//! weighted Poisson rate: a burst ten minutes ago counts half as much as one now, so the
//! pace follows the anchor's presentation (讲解) up and down. Early in a session the
//! exposure is tiny and one order would look like a stampede, so the exposure counts at
//! least [`NowcastRules::warm_up_ms`]: for the first minutes the pace is "units so far per
//! five minutes", which only understates, never overstates, how fast a SKU sells.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A minute, in milliseconds.
pub const MINUTE_MS: i64 = 60_000;
/// An hour, in milliseconds.
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
/// The shortest planned session, in minutes: shorter than this is a test, not a stream.
pub const PLANNED_LENGTH_MIN_MINUTES: i64 = 5;
/// The longest planned session, in minutes: a day. Marathon streams exist; longer ones do not.
pub const PLANNED_LENGTH_MAX_MINUTES: i64 = 24 * 60;

/// Why nowcast input was refused. Each variant has a stable `code`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NowcastError {
    /// A planned session length outside 5 minutes to 24 hours.
    #[error("a planned session length is 5 to 1440 minutes")]
    InvalidPlannedLength,
}

impl NowcastError {
    /// The stable snake_case code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            NowcastError::InvalidPlannedLength => "invalid_planned_length",
        }
    }
}

/// How long an anchor plans a session to run, counted from going live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PlannedLength(i64);

impl PlannedLength {
    /// Reads a length in whole minutes: 5 to 1,440.
    pub fn parse_minutes(minutes: i64) -> Result<PlannedLength, NowcastError> {
        if (PLANNED_LENGTH_MIN_MINUTES..=PLANNED_LENGTH_MAX_MINUTES).contains(&minutes) {
            Ok(PlannedLength(minutes * MINUTE_MS))
        } else {
            Err(NowcastError::InvalidPlannedLength)
        }
    }

    /// The length in milliseconds.
    pub fn ms(self) -> i64 {
        self.0
    }

    /// The length in whole minutes.
    pub fn minutes(self) -> i64 {
        self.0 / MINUTE_MS
    }
}

/// The numbers behind every rule of the nowcast, in one place; [`NowcastRules::default`] is
/// what the platform runs with and docs/NOWCAST.md gives each one's reason.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NowcastRules {
    /// The age at which a sale counts half.
    pub half_life_ms: i64,
    /// How far back sales are read for the pace.
    pub window_ms: i64,
    /// The least exposure the pace is divided by (the first minutes of a session).
    pub warm_up_ms: i64,
    /// Paid orders in the window before a projection may alert.
    pub alert_min_orders: i64,
    /// A projected sell-out within this long of the session's end does not alert.
    pub alert_margin_ms: i64,
    /// A new alert needs the sell-out at least this much earlier than the last alert said…
    pub realert_earlier_min_ms: i64,
    /// …and at least this share (basis points) of the time the last alert gave earlier.
    pub realert_earlier_share_bps: i64,
    /// The most alerts about one SKU in one session.
    pub alerts_per_sku_max: i64,
    /// Stock left of at least this many sessions' sales flags overstock…
    pub overstock_cover_sessions: i64,
    /// …when at least this many units are left.
    pub overstock_min_units: i64,
    /// A session's length when neither the plan nor the anchor's history says.
    pub default_length_ms: i64,
    /// The anchor's past sessions whose median length is the typical one.
    pub typical_sessions_max: usize,
}

impl Default for NowcastRules {
    fn default() -> Self {
        NowcastRules {
            half_life_ms: 10 * MINUTE_MS,
            window_ms: 30 * MINUTE_MS,
            warm_up_ms: 5 * MINUTE_MS,
            alert_min_orders: 3,
            alert_margin_ms: 5 * MINUTE_MS,
            realert_earlier_min_ms: 10 * MINUTE_MS,
            realert_earlier_share_bps: 2_500,
            alerts_per_sku_max: 5,
            overstock_cover_sessions: 5,
            overstock_min_units: 20,
            default_length_ms: 3 * HOUR_MS,
            typical_sessions_max: 10,
        }
    }
}

/// Where a session's length came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LengthSource {
    /// The anchor planned it when scheduling.
    Planned,
    /// The median length of the anchor's recent sessions.
    AnchorTypical,
    /// Neither: the platform's default ([`NowcastRules::default_length_ms`]).
    Default,
}

impl LengthSource {
    /// The stable name, as the API shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            LengthSource::Planned => "planned",
            LengthSource::AnchorTypical => "anchor_typical",
            LengthSource::Default => "default",
        }
    }
}

/// How long a session is expected to run, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLength {
    /// Milliseconds from going live.
    pub ms: i64,
    /// Where the figure came from.
    pub source: LengthSource,
}

/// The session's expected length: the plan if there is one, else the median of the anchor's
/// recent sessions (`past_lengths_ms`, most recent first; lengths outside what a plan may say
/// are left out, so an aborted test stream does not count), else the default.
pub fn session_length(
    planned: Option<PlannedLength>,
    past_lengths_ms: &[i64],
    rules: &NowcastRules,
) -> SessionLength {
    if let Some(planned) = planned {
        return SessionLength {
            ms: planned.ms(),
            source: LengthSource::Planned,
        };
    }
    let bounds = PLANNED_LENGTH_MIN_MINUTES * MINUTE_MS..=PLANNED_LENGTH_MAX_MINUTES * MINUTE_MS;
    let mut recent: Vec<i64> = past_lengths_ms
        .iter()
        .copied()
        .filter(|length| bounds.contains(length))
        .take(rules.typical_sessions_max)
        .collect();
    if recent.is_empty() {
        return SessionLength {
            ms: rules.default_length_ms,
            source: LengthSource::Default,
        };
    }
    recent.sort_unstable();
    let middle = recent.len() / 2;
    let median = if recent.len() % 2 == 1 {
        recent[middle]
    } else {
        // Both are within a day, so the sum cannot overflow.
        (recent[middle - 1] + recent[middle]) / 2
    };
    SessionLength {
        ms: median,
        source: LengthSource::AnchorTypical,
    }
}

/// Paid sales in one stretch of time, as the store sums them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SalesBucket {
    /// The unit-weighted mean payment time of the stretch's orders, Unix ms.
    pub at_ms: i64,
    /// Units paid for.
    pub units: i64,
    /// Orders paid.
    pub orders: i64,
}

/// How fast something sells now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Pace {
    /// The exponentially weighted rate, units per hour.
    pub units_per_hour: f64,
    /// Orders paid in the window: the evidence behind the rate.
    pub window_orders: i64,
    /// Units paid in the window.
    pub window_units: i64,
}

impl Pace {
    /// The sum of two paces (two sessions drawing on the same stock).
    pub fn plus(self, other: Pace) -> Pace {
        Pace {
            units_per_hour: self.units_per_hour + other.units_per_hour,
            window_orders: self.window_orders + other.window_orders,
            window_units: self.window_units + other.window_units,
        }
    }
}

/// The pace at `now_ms` of sales in `buckets` of something on sale since `selling_since_ms`
/// (see the module's description). Buckets before the window, or after `now_ms`, are left
/// out; a bucket's time is clamped into the window.
pub fn pace(
    buckets: &[SalesBucket],
    selling_since_ms: i64,
    now_ms: i64,
    rules: &NowcastRules,
) -> Pace {
    let window_start = selling_since_ms.max(now_ms - rules.window_ms);
    if now_ms <= window_start {
        return Pace::default();
    }
    let tau_ms = rules.half_life_ms as f64 / std::f64::consts::LN_2;
    let mut weighted = 0.0;
    let mut window_orders = 0;
    let mut window_units = 0;
    for bucket in buckets
        .iter()
        .filter(|b| b.units > 0 && (window_start..=now_ms).contains(&b.at_ms))
    {
        let age_ms = (now_ms - bucket.at_ms) as f64;
        weighted += bucket.units as f64 * (-age_ms / tau_ms).exp();
        window_orders += bucket.orders;
        window_units += bucket.units;
    }
    let open_ms = (now_ms - window_start) as f64;
    let exposure_ms = (tau_ms * (1.0 - (-open_ms / tau_ms).exp())).max(rules.warm_up_ms as f64);
    Pace {
        units_per_hour: weighted / exposure_ms * HOUR_MS as f64,
        window_orders,
        window_units,
    }
}

/// What the pace says of a stock by a session's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outlook {
    /// Nothing is left to sell.
    SoldOut,
    /// At the current pace the stock runs out before the session ends.
    SellsOutBeforeEnd,
    /// At the current pace the stock lasts to the end.
    Lasts,
    /// Nothing sold in the window: there is no pace to project.
    NoPace,
}

/// The projection of one stock at the current pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Projection {
    /// Sold out, sells out before the end, lasts, or no pace.
    pub outlook: Outlook,
    /// When the stock runs out at this pace, Unix ms (now when it has; none without a
    /// pace).
    pub sellout_at_ms: Option<i64>,
    /// Units the pace sells from now to the end, at most the stock left.
    pub units_until_end: i64,
    /// Units the pace would sell by the end beyond the stock left: the sales it will miss.
    pub shortfall_units: i64,
}

/// Projects `stock_left` at `pace_per_hour` from `now_ms` to `end_ms` (a session past its
/// planned end is treated as ending now).
pub fn project(stock_left: i64, pace_per_hour: f64, now_ms: i64, end_ms: i64) -> Projection {
    let stock_left = stock_left.max(0);
    if stock_left == 0 {
        return Projection {
            outlook: Outlook::SoldOut,
            sellout_at_ms: Some(now_ms),
            units_until_end: 0,
            shortfall_units: 0,
        };
    }
    if pace_per_hour <= 0.0 || !pace_per_hour.is_finite() {
        return Projection {
            outlook: Outlook::NoPace,
            sellout_at_ms: None,
            units_until_end: 0,
            shortfall_units: 0,
        };
    }
    let remaining_ms = (end_ms - now_ms).max(0) as f64;
    let demand = pace_per_hour * remaining_ms / HOUR_MS as f64;
    let to_sellout_ms = stock_left as f64 / pace_per_hour * HOUR_MS as f64;
    // Capped at a year: a stock that lasts longer than that is not "selling out".
    let sellout_at_ms =
        now_ms.saturating_add(to_sellout_ms.min(365.0 * 24.0 * HOUR_MS as f64) as i64);
    let units_until_end = (demand.round() as i64).min(stock_left);
    Projection {
        outlook: if sellout_at_ms < end_ms {
            Outlook::SellsOutBeforeEnd
        } else {
            Outlook::Lasts
        },
        sellout_at_ms: Some(sellout_at_ms),
        units_until_end,
        shortfall_units: (demand - stock_left as f64).max(0.0).round() as i64,
    }
}

/// The last alert sent about one SKU in one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertRecord {
    /// Alerts sent so far (the last one's number).
    pub count: i64,
    /// When the last one was sent, Unix ms.
    pub alerted_at_ms: i64,
    /// The sell-out time it projected, Unix ms.
    pub sellout_at_ms: i64,
}

/// The sell-out time to alert about now, if any: a stock that sold out while it was selling
/// in the window (`pace` is the stock's pace across every live session drawing on it), or a
/// projection with enough orders behind it that runs out more than the margin before the
/// session's end. After a first alert only a materially earlier sell-out alerts again:
/// earlier than the last alert said by at least the larger of
/// [`NowcastRules::realert_earlier_min_ms`] and [`NowcastRules::realert_earlier_share_bps`]
/// of the time that alert gave; and never more than [`NowcastRules::alerts_per_sku_max`].
pub fn alert_due(
    projection: &Projection,
    pace: &Pace,
    end_ms: i64,
    previous: Option<&AlertRecord>,
    now_ms: i64,
    rules: &NowcastRules,
) -> Option<i64> {
    let candidate = match projection.outlook {
        Outlook::SoldOut if pace.window_units > 0 => Some(now_ms),
        Outlook::SellsOutBeforeEnd if pace.window_orders >= rules.alert_min_orders => projection
            .sellout_at_ms
            .filter(|at| *at <= end_ms - rules.alert_margin_ms),
        _ => None,
    }?;
    let Some(previous) = previous else {
        return Some(candidate);
    };
    if previous.count >= rules.alerts_per_sku_max {
        return None;
    }
    let given_ms = (previous.sellout_at_ms - previous.alerted_at_ms).max(0);
    let share_ms = given_ms.saturating_mul(rules.realert_earlier_share_bps) / 10_000;
    let needed_ms = rules.realert_earlier_min_ms.max(share_ms);
    (candidate <= previous.sellout_at_ms - needed_ms).then_some(candidate)
}

/// After a session: whether the stock left looks like a backlog.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OverstockCall {
    /// The stock left is likely more than buyers will take soon.
    pub flagged: bool,
    /// Stock left ÷ units the session sold: how many more sessions like it the stock would
    /// last; none when the session sold nothing.
    pub sessions_of_cover: Option<f64>,
}

/// Flags `stock_left` after a session that sold `sold_units` of it: at least
/// [`NowcastRules::overstock_min_units`] left, and either nothing sold or at least
/// [`NowcastRules::overstock_cover_sessions`] sessions' worth of what it sold.
pub fn overstock(stock_left: i64, sold_units: i64, rules: &NowcastRules) -> OverstockCall {
    let stock_left = stock_left.max(0);
    let sold_units = sold_units.max(0);
    let sessions_of_cover = (sold_units > 0).then(|| stock_left as f64 / sold_units as f64);
    let flagged = stock_left >= rules.overstock_min_units
        && (sold_units == 0
            || stock_left >= sold_units.saturating_mul(rules.overstock_cover_sessions));
    OverstockCall {
        flagged,
        sessions_of_cover,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn rules() -> NowcastRules {
        NowcastRules::default()
    }

    fn bucket(minutes_ago: i64, units: i64, orders: i64) -> SalesBucket {
        SalesBucket {
            at_ms: NOW - minutes_ago * MINUTE_MS,
            units,
            orders,
        }
    }

    #[test]
    fn planned_lengths_are_five_minutes_to_a_day() {
        assert_eq!(
            PlannedLength::parse_minutes(120).map(PlannedLength::ms),
            Ok(2 * HOUR_MS)
        );
        assert_eq!(PlannedLength::parse_minutes(5).map(|l| l.minutes()), Ok(5));
        assert_eq!(
            PlannedLength::parse_minutes(1_440).map(|l| l.minutes()),
            Ok(1_440)
        );
        for bad in [4, 0, -60, 1_441, i64::MAX] {
            assert_eq!(
                PlannedLength::parse_minutes(bad),
                Err(NowcastError::InvalidPlannedLength),
                "{bad} minutes"
            );
        }
        assert_eq!(
            NowcastError::InvalidPlannedLength.code(),
            "invalid_planned_length"
        );
    }

    #[test]
    fn the_length_is_the_plan_else_the_anchors_median_else_the_default() {
        let planned = PlannedLength::parse_minutes(90).ok();
        assert_eq!(
            session_length(planned, &[HOUR_MS], &rules()),
            SessionLength {
                ms: 90 * MINUTE_MS,
                source: LengthSource::Planned
            }
        );
        // Odd count: the middle one; a one-minute test stream is left out.
        let past = [2 * HOUR_MS, MINUTE_MS, 3 * HOUR_MS, HOUR_MS];
        assert_eq!(
            session_length(None, &past, &rules()),
            SessionLength {
                ms: 2 * HOUR_MS,
                source: LengthSource::AnchorTypical
            }
        );
        // Even count: the mean of the middle two.
        assert_eq!(
            session_length(None, &[HOUR_MS, 2 * HOUR_MS], &rules()).ms,
            90 * MINUTE_MS
        );
        // Only the ten most recent count.
        let mut long_ago = vec![HOUR_MS; 10];
        long_ago.extend([5 * HOUR_MS; 20]);
        assert_eq!(session_length(None, &long_ago, &rules()).ms, HOUR_MS);
        assert_eq!(
            session_length(None, &[MINUTE_MS], &rules()),
            SessionLength {
                ms: 3 * HOUR_MS,
                source: LengthSource::Default
            }
        );
    }

    #[test]
    fn a_steady_pace_is_measured_as_it_is() {
        // Two units a minute for the whole 30-minute window, 40 minutes into a session.
        let buckets: Vec<SalesBucket> = (0..30).map(|m| bucket(m, 2, 1)).collect();
        let pace = pace(&buckets, NOW - 40 * MINUTE_MS, NOW, &rules());
        // Each minute's sales sit at its start, so the estimate runs a little high; within 5%.
        assert!(
            (pace.units_per_hour - 120.0).abs() < 6.0,
            "{}",
            pace.units_per_hour
        );
        assert_eq!(pace.window_orders, 30);
        assert_eq!(pace.window_units, 60);
    }

    #[test]
    fn recent_sales_weigh_more_than_old_ones() {
        let since = NOW - HOUR_MS;
        let recent = pace(&[bucket(1, 10, 10)], since, NOW, &rules());
        let older = pace(&[bucket(11, 10, 10)], since, NOW, &rules());
        let ratio = older.units_per_hour / recent.units_per_hour;
        // Ten minutes older is one half-life: half the weight.
        assert!((ratio - 0.5).abs() < 1e-9, "{ratio}");
        // Out of the window: nothing.
        let gone = pace(&[bucket(31, 10, 10)], since, NOW, &rules());
        assert_eq!(gone, Pace::default());
    }

    #[test]
    fn the_first_minutes_are_divided_by_the_warm_up() {
        // One unit 20 seconds into a session: a naive rate says 180 an hour.
        let since = NOW - 20_000;
        let early = pace(
            &[SalesBucket {
                at_ms: NOW - 1_000,
                units: 1,
                orders: 1,
            }],
            since,
            NOW,
            &rules(),
        );
        // At most one unit per five minutes.
        assert!(early.units_per_hour <= 12.0, "{}", early.units_per_hour);
        assert!(early.units_per_hour > 11.9, "{}", early.units_per_hour);
        // Nothing on sale yet, or nothing sold: no pace.
        assert_eq!(pace(&[], since, NOW, &rules()).units_per_hour, 0.0);
        assert_eq!(
            pace(&[bucket(0, 3, 1)], NOW, NOW, &rules()),
            Pace::default()
        );
    }

    #[test]
    fn projections_say_when_the_stock_runs_out() {
        let end = NOW + 2 * HOUR_MS;
        // 60 units an hour: 30 units last 30 minutes.
        let soon = project(30, 60.0, NOW, end);
        assert_eq!(soon.outlook, Outlook::SellsOutBeforeEnd);
        assert_eq!(soon.sellout_at_ms, Some(NOW + 30 * MINUTE_MS));
        assert_eq!(soon.units_until_end, 30);
        assert_eq!(soon.shortfall_units, 90);
        // 500 units last past the end; 120 of them sell by then.
        let lasts = project(500, 60.0, NOW, end);
        assert_eq!(lasts.outlook, Outlook::Lasts);
        assert_eq!(lasts.units_until_end, 120);
        assert_eq!(lasts.shortfall_units, 0);
        assert_eq!(project(0, 60.0, NOW, end).outlook, Outlook::SoldOut);
        assert_eq!(project(-3, 0.0, NOW, end).sellout_at_ms, Some(NOW));
        let idle = project(10, 0.0, NOW, end);
        assert_eq!(idle.outlook, Outlook::NoPace);
        assert_eq!(idle.sellout_at_ms, None);
        // Past the planned end: nothing more is expected to sell in this session.
        let over = project(10, 60.0, NOW, NOW - MINUTE_MS);
        assert_eq!(over.outlook, Outlook::Lasts);
        assert_eq!(over.units_until_end, 0);
    }

    fn pace_of(orders: i64, units: i64) -> Pace {
        Pace {
            units_per_hour: 60.0,
            window_orders: orders,
            window_units: units,
        }
    }

    #[test]
    fn a_projected_sellout_before_the_end_alerts_once_it_has_evidence() {
        let end = NOW + 2 * HOUR_MS;
        let projection = project(30, 60.0, NOW, end);
        let at = Some(NOW + 30 * MINUTE_MS);
        assert_eq!(
            alert_due(&projection, &pace_of(3, 3), end, None, NOW, &rules()),
            at
        );
        // Two orders are not enough to trust a pace.
        assert_eq!(
            alert_due(&projection, &pace_of(2, 30), end, None, NOW, &rules()),
            None
        );
        // Running out in the last five minutes is not worth an alert.
        let late = project(30, 60.0, NOW, NOW + 33 * MINUTE_MS);
        assert_eq!(late.outlook, Outlook::SellsOutBeforeEnd);
        assert_eq!(
            alert_due(
                &late,
                &pace_of(9, 9),
                NOW + 33 * MINUTE_MS,
                None,
                NOW,
                &rules()
            ),
            None
        );
        let lasts = project(500, 60.0, NOW, end);
        assert_eq!(
            alert_due(&lasts, &pace_of(9, 9), end, None, NOW, &rules()),
            None
        );
    }

    #[test]
    fn selling_out_alerts_when_it_sold_in_the_window() {
        let end = NOW + HOUR_MS;
        let sold_out = project(0, 0.0, NOW, end);
        // One big order that cleared the stock is evidence enough.
        assert_eq!(
            alert_due(&sold_out, &pace_of(1, 8), end, None, NOW, &rules()),
            Some(NOW)
        );
        // A SKU that had nothing to begin with and sold nothing is not news of this session.
        assert_eq!(
            alert_due(&sold_out, &Pace::default(), end, None, NOW, &rules()),
            None
        );
    }

    #[test]
    fn only_a_materially_earlier_sellout_alerts_again() {
        let end = NOW + 3 * HOUR_MS;
        // The last alert, an hour ago, said the stock would last until two hours from now:
        // it gave three hours, so a new alert needs 45 minutes earlier (25% > 10 minutes).
        let previous = AlertRecord {
            count: 1,
            alerted_at_ms: NOW - HOUR_MS,
            sellout_at_ms: NOW + 2 * HOUR_MS,
        };
        let at = |minutes: i64| {
            let projection = project(minutes, 60.0, NOW, end);
            alert_due(
                &projection,
                &pace_of(9, 9),
                end,
                Some(&previous),
                NOW,
                &rules(),
            )
        };
        assert_eq!(at(120), None, "the same projection");
        assert_eq!(at(76), None, "44 minutes earlier");
        assert_eq!(at(75), Some(NOW + 75 * MINUTE_MS), "45 minutes earlier");
        // With little time given, ten minutes is the least that counts.
        let close = AlertRecord {
            count: 1,
            alerted_at_ms: NOW - 5 * MINUTE_MS,
            sellout_at_ms: NOW + 20 * MINUTE_MS,
        };
        let projection = project(11, 60.0, NOW, end);
        assert_eq!(
            alert_due(
                &projection,
                &pace_of(9, 9),
                end,
                Some(&close),
                NOW,
                &rules()
            ),
            None
        );
        let projection = project(10, 60.0, NOW, end);
        assert_eq!(
            alert_due(
                &projection,
                &pace_of(9, 9),
                end,
                Some(&close),
                NOW,
                &rules()
            ),
            Some(NOW + 10 * MINUTE_MS)
        );
        // Never more than five.
        let fifth = AlertRecord { count: 5, ..close };
        let projection = project(0, 60.0, NOW, end);
        assert_eq!(
            alert_due(
                &projection,
                &pace_of(9, 9),
                end,
                Some(&fifth),
                NOW,
                &rules()
            ),
            None
        );
    }

    #[test]
    fn overstock_is_many_sessions_of_cover_and_enough_units() {
        let flag = |left, sold| overstock(left, sold, &rules());
        assert!(flag(500, 100).flagged, "five sessions' worth");
        assert_eq!(flag(500, 100).sessions_of_cover, Some(5.0));
        assert!(!flag(499, 100).flagged, "just under five sessions");
        assert!(flag(20, 0).flagged, "nothing sold, twenty left");
        assert_eq!(flag(20, 0).sessions_of_cover, None);
        assert!(!flag(19, 0).flagged, "too few units to matter");
        assert!(!flag(19, 1).flagged, "too few units to matter");
        assert!(!flag(0, 40).flagged, "sold out");
    }

    #[test]
    fn paces_of_several_sessions_add_up() {
        let a = pace_of(2, 3);
        let b = Pace {
            units_per_hour: 30.0,
            window_orders: 1,
            window_units: 1,
        };
        assert_eq!(
            a.plus(b),
            Pace {
                units_per_hour: 90.0,
                window_orders: 3,
                window_units: 4
            }
        );
    }
}
