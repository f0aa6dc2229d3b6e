//! The live control page's sell-out nowcast panel: per SKU the stock left, this session's
//! pace and the stock's pace across every live session, when it runs out at that pace and
//! whether that is before the session's expected end, with the alert the supplier was sent;
//! after the session, the overstock assessment; and each flash sale's units. The page renders
//! it, and its stats route renders it again for the page script to swap in.

use super::clock;
use crate::page::{when, Page};
use daihuo_domain::live::SessionStatus;
use daihuo_domain::nowcast::{LengthSource, Outlook, Projection, MINUTE_MS};
use daihuo_service::nowcast::{SessionNowcast, SkuNowcast};
use maud::{html, Markup};

/// A pace as people read it: units per hour, whole above ten, one decimal below.
fn per_hour(units_per_hour: f64) -> String {
    if units_per_hour >= 10.0 {
        format!("{units_per_hour:.0}")
    } else {
        format!("{units_per_hour:.1}")
    }
}

fn length_source(page: &Page, source: LengthSource) -> &'static str {
    match source {
        LengthSource::Planned => page.t("按计划时长", "as planned"),
        LengthSource::AnchorTypical => page.t("按您以往直播的时长", "from your past sessions"),
        LengthSource::Default => page.t("按默认时长", "by default"),
    }
}

fn outlook_badge(page: &Page, projection: Option<&Projection>) -> Markup {
    match projection.map(|p| p.outlook) {
        Some(Outlook::SoldOut) => html! { span.badge.bad { (page.t("已售罄", "Sold out")) } },
        Some(Outlook::SellsOutBeforeEnd) => {
            html! { span.badge.bad { (page.t("将在下播前售罄", "Sells out before the end")) } }
        }
        Some(Outlook::Lasts) => html! { span.badge.ok { (page.t("库存充足", "Lasts")) } },
        Some(Outlook::NoPace) | None => {
            html! { span.badge { (page.t("暂无销量", "No sales yet")) } }
        }
    }
}

fn sellout_time(page: &Page, projection: Option<&Projection>) -> Markup {
    match projection {
        Some(Projection {
            outlook: Outlook::SellsOutBeforeEnd | Outlook::SoldOut,
            sellout_at_ms: Some(at),
            ..
        }) => html! { (clock(*at)) },
        Some(Projection {
            outlook: Outlook::Lasts,
            ..
        }) => html! { span.muted { (page.t("下播后", "after the end")) } },
        _ => html! { span.muted { "—" } },
    }
}

fn live_row(page: &Page, item: &SkuNowcast) -> Markup {
    let projection = item.projection.as_ref();
    let outlook = projection.map_or("none", |p| match p.outlook {
        Outlook::SoldOut => "sold_out",
        Outlook::SellsOutBeforeEnd => "sells_out_before_end",
        Outlook::Lasts => "lasts",
        Outlook::NoPace => "no_pace",
    });
    html! {
        tr data-nowcast-sku=(item.sku_id) data-outlook=(outlook)
            data-alerts=(item.alert.map_or(0, |a| a.count)) {
            td { (item.title) div.muted { (item.code) } }
            td.num { (item.stock_left) }
            td.num { (item.sold_units) }
            td.num { (per_hour(item.session_pace.units_per_hour)) }
            td.num { (per_hour(item.stock_pace.units_per_hour)) }
            td { (sellout_time(page, projection)) }
            td {
                (outlook_badge(page, projection))
                @if let Some(shortfall) = projection.map(|p| p.shortfall_units).filter(|s| *s > 0) {
                    div.muted { (page.t("预计缺货 ", "short by ")) (shortfall) (page.t(" 件", " units")) }
                }
                @if let Some(alert) = item.alert {
                    div.alert-sent {
                        span.badge.warn { (page.t("已提醒供应商", "Supplier alerted")) }
                        " " span.muted { (clock(alert.alerted_at_ms)) }
                    }
                }
            }
        }
    }
}

fn ended_row(page: &Page, item: &SkuNowcast) -> Markup {
    let assessed = item.overstock;
    html! {
        tr data-nowcast-sku=(item.sku_id)
            data-overstock=(assessed.map_or("pending", |o| if o.flagged { "true" } else { "false" })) {
            td { (item.title) div.muted { (item.code) } }
            td.num { (assessed.map_or(item.stock_left, |o| o.stock_left)) }
            td.num { (assessed.map_or(item.sold_units, |o| o.sold_units)) }
            td.num { (assessed.and_then(|o| o.sessions_of_cover).map_or_else(|| "—".to_owned(), |c| format!("{c:.1}"))) }
            td {
                @match assessed {
                    Some(o) if o.flagged => span.badge.bad { (page.t("可能积压", "Likely overstock")) },
                    Some(_) => span.badge.ok { (page.t("库存合理", "Stock in line")) },
                    None => span.badge { (page.t("下播后几分钟评估", "Assessed minutes after the end")) },
                }
                @if let Some(alert) = item.alert {
                    div.muted { (page.t("直播中提醒过 ", "Alerted during the session: ")) (alert.count) }
                }
            }
        }
    }
}

/// The panel, `section#nowcast`.
pub(super) fn nowcast_panel(page: &Page, nowcast: &SessionNowcast) -> Markup {
    let ended = nowcast.status == SessionStatus::Ended;
    html! {
        section.card #nowcast data-status=(nowcast.status.as_str()) {
            h2 { (page.t("售罄预测", "Sell-out nowcast")) }
            p.muted {
                @if ended {
                    (page.t("下播后：剩余库存与本场销量对比。剩余够卖五场以上（且至少 20 件）视为可能积压。",
                        "After the session: stock left against what it sold. Five sessions' worth or more (and at least 20 units) is likely overstock."))
                } @else {
                    (page.t("预计 ", "Expected to end at ")) (when(nowcast.planned_end_at_ms))
                    (page.t(" 下播（", " ("))
                    (nowcast.length_ms / MINUTE_MS) (page.t(" 分钟，", " minutes, "))
                    (length_source(page, nowcast.length_source)) (page.t("）。", ")."))
                    " "
                    (page.t("速度为近 30 分钟加权的每小时件数；将在下播前售罄时提醒供应商。",
                        "Paces are units per hour, weighted over the last 30 minutes; the supplier is alerted when stock will run out before the end."))
                }
            }
            @if nowcast.items.is_empty() {
                p.muted { (page.t("本场没有商品。", "Nothing on sale in this session.")) }
            } @else if ended {
                div.table-wrap {
                    table #nowcast-items {
                        thead { tr {
                            th { (page.t("商品", "SKU")) }
                            th.num { (page.t("剩余库存", "Stock left")) }
                            th.num { (page.t("本场销量", "Sold here")) }
                            th.num { (page.t("够卖场次", "Sessions of cover")) }
                            th { (page.t("评估", "Assessment")) }
                        } }
                        tbody { @for item in &nowcast.items { (ended_row(page, item)) } }
                    }
                }
            } @else {
                div.table-wrap {
                    table #nowcast-items {
                        thead { tr {
                            th { (page.t("商品", "SKU")) }
                            th.num { (page.t("可售库存", "Stock left")) }
                            th.num { (page.t("本场销量", "Sold here")) }
                            th.num { (page.t("本场速度/时", "Here per hour")) }
                            th.num { (page.t("全平台速度/时", "All sessions per hour")) }
                            th { (page.t("预计售罄", "Sells out at")) }
                            th { (page.t("状态", "Outlook")) }
                        } }
                        tbody { @for item in &nowcast.items { (live_row(page, item)) } }
                    }
                }
            }
            @if !nowcast.flash_sales.is_empty() && !ended {
                h3 { (page.t("秒杀剩余", "Flash sales left")) }
                div.table-wrap {
                    table #nowcast-flash-sales {
                        thead { tr {
                            th { (page.t("秒杀", "Sale")) }
                            th.num { (page.t("剩余/总数", "Left / total")) }
                            th.num { (page.t("速度/时", "Per hour")) }
                            th { (page.t("预计抢光", "Gone at")) }
                        } }
                        tbody {
                            @for sale in &nowcast.flash_sales {
                                tr data-nowcast-sale=(sale.sale_id) {
                                    td { "#" (sale.sale_id) " · " (clock(sale.starts_at_ms)) "–" (clock(sale.ends_at_ms)) }
                                    td.num { (sale.remaining) " / " (sale.quantity) }
                                    td.num { (per_hour(sale.pace.units_per_hour)) }
                                    td { (sellout_time(page, sale.projection.as_ref())) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paces_read_as_whole_units_above_ten() {
        assert_eq!(per_hour(123.4), "123");
        assert_eq!(per_hour(9.96), "10.0");
        assert_eq!(per_hour(0.0), "0.0");
    }
}
