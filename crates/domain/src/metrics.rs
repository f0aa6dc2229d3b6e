//! Live-session metrics: the minute a moment belongs to, paid conversion, average order value,
//! and the minute series a session's audience and sales rows become (docs/METRICS.md).
//!
//! Minutes are UTC: minute `m` covers `[m, m + 60,000)` Unix milliseconds, so a row never
//! depends on a time zone; pages show them in China time. Rows are sparse: a minute with no
//! audience row had nobody online and nothing counted (a room writes a row every minute while
//! anyone watches), and a minute with no sales row sold nothing.

use serde::Serialize;
use utoipa::ToSchema;

/// One minute in milliseconds.
pub const MINUTE_MS: i64 = 60_000;

/// The most points a series has: twelve hours at one point a minute. A longer session is
/// drawn with wider points (whole minutes each), so an answer stays small however long a
/// session ran.
pub const SERIES_POINTS_MAX: i64 = 720;

/// The start of the minute `ms` falls in (UTC, Unix ms); times before 1970 round down too.
pub fn minute_start(ms: i64) -> i64 {
    ms.div_euclid(MINUTE_MS) * MINUTE_MS
}

/// The GB/T 2260 province a county-level code lies in: its first two digits, then `0000`
/// (330106 西湖区 → 330000 浙江省).
pub fn province_code(county_code: u32) -> u32 {
    county_code / 10_000 * 10_000
}

/// Paid conversion: buyers ÷ viewers in basis points, rounded half up; `None` without
/// viewers. A buyer who paid without joining the room is still a buyer, so it may exceed
/// 10,000 (100%) when few viewers were counted.
pub fn conversion_bps(buyers: i64, viewers: i64) -> Option<i64> {
    ratio_half_up(i128::from(buyers.max(0)) * 10_000, i128::from(viewers))
}

/// Average order value: GMV ÷ orders in fen, rounded half up; `None` without orders.
pub fn average_order_fen(gmv_fen: i64, orders: i64) -> Option<i64> {
    ratio_half_up(i128::from(gmv_fen.max(0)), i128::from(orders))
}

/// `numerator ÷ denominator` rounded half up, for a non-negative numerator; `None` when the
/// denominator is not positive or the result does not fit.
fn ratio_half_up(numerator: i128, denominator: i128) -> Option<i64> {
    if denominator <= 0 {
        return None;
    }
    i64::try_from((2 * numerator + denominator) / (2 * denominator)).ok()
}

/// What the room hub wrote for one minute of a session (all nodes' flushes added up).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AudienceMinute {
    /// The minute's start, Unix ms.
    pub minute_ms: i64,
    /// Viewers online at the minute's last write.
    pub online_last: i64,
    /// The most viewers online at once in the minute.
    pub online_peak: i64,
    /// Viewers who joined the session for the first time in the minute.
    pub new_viewers: i64,
    /// Likes.
    pub likes: i64,
    /// Comments.
    pub comments: i64,
}

/// What was paid in one minute of a session: over all its SKUs or one SKU.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct SalesMinute {
    /// The minute's start, Unix ms.
    pub minute_ms: i64,
    /// Orders paid.
    pub orders: i64,
    /// Units in them.
    pub units: i64,
    /// Their value at the room's prices before subsidy, fen.
    pub gmv_fen: i64,
    /// Buyers whose first paid order in the session was paid in the minute.
    pub new_buyers: i64,
}

/// One point of a session's series: one minute, or several whole minutes for a long session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct MinutePoint {
    /// The point's first minute, Unix ms.
    pub minute_ms: i64,
    /// Viewers online at the end of the point (at its last minute's last write; 0 when
    /// nobody was online then).
    pub online: i64,
    /// The most viewers online at once during the point.
    pub online_peak: i64,
    /// Viewers who joined for the first time during the point.
    pub new_viewers: i64,
    /// Unique viewers from the start up to the end of the point.
    pub viewers: i64,
    /// Likes during the point.
    pub likes: i64,
    /// Comments during the point.
    pub comments: i64,
    /// Orders paid during the point.
    pub orders: i64,
    /// Units in them.
    pub units: i64,
    /// Their GMV, fen.
    pub gmv_fen: i64,
    /// Buyers whose first paid order in the session fell in the point; `None` in a
    /// supplier's view, which sees its own SKUs' orders only.
    pub new_buyers: Option<i64>,
    /// Buyers from the start up to the end of the point; `None` as `new_buyers`.
    pub buyers: Option<i64>,
    /// Paid conversion up to the end of the point (`buyers ÷ viewers`), basis points.
    pub conversion_bps: Option<i64>,
    /// The point's own average order value (its GMV ÷ its orders), fen.
    pub average_order_fen: Option<i64>,
}

/// The width of a series' points, in whole minutes, so that `[from_ms, to_ms]` fits in
/// [`SERIES_POINTS_MAX`] points.
pub fn point_minutes(from_ms: i64, to_ms: i64) -> i64 {
    let minutes = (minute_start(to_ms) - minute_start(from_ms)).max(0) / MINUTE_MS + 1;
    (minutes + SERIES_POINTS_MAX - 1) / SERIES_POINTS_MAX
}

/// The series of a session from its minute rows, every point from `from_ms`'s minute to
/// `to_ms`'s present (a point without rows is zeros, with the running totals carried).
/// Rows outside the span are left out, so callers pass a span that holds every row when the
/// series must add up to the session's totals. `with_buyers` says whether the sales rows'
/// `new_buyers` are the session's (a supplier's view passes false).
pub fn minute_series(
    audience: &[AudienceMinute],
    sales: &[SalesMinute],
    from_ms: i64,
    to_ms: i64,
    with_buyers: bool,
) -> Vec<MinutePoint> {
    let first = minute_start(from_ms);
    let last = minute_start(to_ms).max(first);
    let width_minutes = point_minutes(first, last);
    let width_ms = width_minutes * MINUTE_MS;
    let count = (last - first) / width_ms + 1;
    let mut points: Vec<MinutePoint> = (0..count)
        .map(|n| MinutePoint {
            minute_ms: first + n * width_ms,
            ..MinutePoint::default()
        })
        .collect();
    let slot = |minute_ms: i64| -> Option<usize> {
        if minute_ms < first || minute_ms > last {
            return None;
        }
        usize::try_from((minute_ms - first) / width_ms).ok()
    };
    for row in audience {
        let Some(index) = slot(row.minute_ms) else {
            continue;
        };
        let point = &mut points[index];
        // The point's online figure is its last minute's (the span's last, for a point the
        // span ends inside): a row for an earlier minute says nothing about the end of it.
        let point_last_minute = (point.minute_ms + width_ms - MINUTE_MS).min(last);
        if minute_start(row.minute_ms) == point_last_minute {
            point.online = row.online_last;
        }
        point.online_peak = point.online_peak.max(row.online_peak);
        point.new_viewers += row.new_viewers;
        point.likes += row.likes;
        point.comments += row.comments;
    }
    for row in sales {
        let Some(index) = slot(row.minute_ms) else {
            continue;
        };
        let point = &mut points[index];
        point.orders += row.orders;
        point.units += row.units;
        point.gmv_fen += row.gmv_fen;
        if with_buyers {
            *point.new_buyers.get_or_insert(0) += row.new_buyers;
        }
    }
    let mut viewers = 0;
    let mut buyers = 0;
    for point in &mut points {
        viewers += point.new_viewers;
        point.viewers = viewers;
        if with_buyers {
            let new_buyers = *point.new_buyers.get_or_insert(0);
            buyers += new_buyers;
            point.buyers = Some(buyers);
            point.conversion_bps = conversion_bps(buyers, viewers);
        }
        point.average_order_fen = average_order_fen(point.gmv_fen, point.orders);
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_795_435_200_000; // 2026-11-23 12:00:00 UTC, a whole minute.

    #[test]
    fn minutes_are_utc_and_round_down() {
        assert_eq!(minute_start(T0), T0);
        assert_eq!(minute_start(T0 + 59_999), T0);
        assert_eq!(minute_start(T0 + 60_000), T0 + MINUTE_MS);
        assert_eq!(minute_start(-1), -MINUTE_MS);
    }

    #[test]
    fn provinces_come_from_the_first_two_digits() {
        assert_eq!(province_code(330_106), 330_000);
        assert_eq!(province_code(110_105), 110_000);
        assert_eq!(province_code(441_900), 440_000);
    }

    #[test]
    fn ratios_round_half_up_and_need_a_denominator() {
        assert_eq!(conversion_bps(1, 3), Some(3_333));
        assert_eq!(conversion_bps(2, 3), Some(6_667));
        assert_eq!(conversion_bps(1, 0), None);
        assert_eq!(conversion_bps(3, 2), Some(15_000));
        assert_eq!(average_order_fen(100, 3), Some(33));
        assert_eq!(average_order_fen(5, 2), Some(3));
        assert_eq!(average_order_fen(899_900 * 3, 3), Some(899_900));
        assert_eq!(average_order_fen(10, 0), None);
        assert_eq!(average_order_fen(i64::MAX, 1), Some(i64::MAX));
    }

    fn audience(minute: i64, online: i64, peak: i64, new_viewers: i64) -> AudienceMinute {
        AudienceMinute {
            minute_ms: T0 + minute * MINUTE_MS,
            online_last: online,
            online_peak: peak,
            new_viewers,
            likes: minute + 1,
            comments: 1,
        }
    }

    fn sale(minute: i64, orders: i64, gmv_fen: i64, new_buyers: i64) -> SalesMinute {
        SalesMinute {
            minute_ms: T0 + minute * MINUTE_MS,
            orders,
            units: orders * 2,
            gmv_fen,
            new_buyers,
        }
    }

    #[test]
    fn a_series_has_every_minute_and_running_totals() {
        let rows = [audience(0, 3, 4, 4), audience(2, 2, 3, 1)];
        // Two SKUs sold in minute 2: two rows of the same minute add up.
        let sales = [sale(0, 1, 100, 1), sale(2, 1, 300, 1), sale(2, 2, 200, 0)];
        let series = minute_series(&rows, &sales, T0 + 5_000, T0 + 2 * MINUTE_MS + 1, true);
        assert_eq!(series.len(), 3);
        assert_eq!(series[1].minute_ms, T0 + MINUTE_MS);
        assert_eq!(
            (series[1].online, series[1].viewers, series[1].buyers),
            (0, 4, Some(1)),
            "a minute without a row had nobody online; running totals carry over"
        );
        assert_eq!(series[0].conversion_bps, Some(2_500));
        assert_eq!(series[2].orders, 3);
        assert_eq!(series[2].gmv_fen, 500);
        assert_eq!(series[2].average_order_fen, Some(167));
        assert_eq!(series[2].viewers, 5);
        assert_eq!(series[2].buyers, Some(2));
        assert_eq!(series[2].conversion_bps, Some(4_000));
        assert_eq!(series[1].average_order_fen, None);
        let likes: i64 = series.iter().map(|p| p.likes).sum();
        assert_eq!(likes, 1 + 3);
    }

    #[test]
    fn a_supplier_series_has_no_buyers() {
        let series = minute_series(&[], &[sale(0, 1, 100, 1)], T0, T0, false);
        assert_eq!(series.len(), 1);
        assert_eq!(series[0].orders, 1);
        assert_eq!(series[0].new_buyers, None);
        assert_eq!(series[0].conversion_bps, None);
    }

    #[test]
    fn a_long_session_gets_wider_points_that_still_add_up() {
        let minutes = 3 * SERIES_POINTS_MAX + 7;
        let rows: Vec<AudienceMinute> = (0..minutes).map(|m| audience(m, 10, 10 + m, 1)).collect();
        let sales: Vec<SalesMinute> = (0..minutes).map(|m| sale(m, 1, 10, 1)).collect();
        let to = T0 + (minutes - 1) * MINUTE_MS;
        assert_eq!(point_minutes(T0, to), 4);
        let series = minute_series(&rows, &sales, T0, to, true);
        assert!(series.len() as i64 <= SERIES_POINTS_MAX);
        assert_eq!(series[1].minute_ms - series[0].minute_ms, 4 * MINUTE_MS);
        let orders: i64 = series.iter().map(|p| p.orders).sum();
        assert_eq!(orders, minutes);
        assert_eq!(series.last().map(|p| p.viewers), Some(minutes));
        assert_eq!(series[0].online_peak, 13, "the peak of four minutes");
        assert_eq!(series[0].online, 10);
        let last = series.last().copied().unwrap_or_default();
        assert_eq!(
            last.online, 10,
            "the span ends inside the last point: its online figure is the span's last minute"
        );
    }

    #[test]
    fn rows_outside_the_span_are_left_out() {
        let series = minute_series(&[audience(-1, 1, 1, 1)], &[sale(5, 1, 1, 1)], T0, T0, true);
        assert_eq!(series.len(), 1);
        assert_eq!((series[0].viewers, series[0].orders), (0, 0));
    }
}
