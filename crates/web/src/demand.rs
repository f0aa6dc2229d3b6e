//! How a session's forecast reads on a page: shared by the anchor's session page and the
//! supplier's forecast and replenishment page. Every figure names the history it came from.

use crate::page::{Lang, Page};
use daihuo_domain::demand::{AudienceBasis, Basis};
use daihuo_service::forecast::{GeographyBasis, SessionForecast, SkuForecast};
use maud::{html, Markup};

/// Which history a forecast used, as people read it.
pub fn basis_label(lang: Lang, basis: Basis) -> &'static str {
    match basis {
        Basis::AnchorSku => lang.t("本主播卖过此商品", "This anchor sold this SKU before"),
        Basis::SkuAcrossAnchors => lang.t(
            "此商品在其他主播的直播间（新主播或新上架）",
            "This SKU with other anchors (new anchor or new to this shelf)",
        ),
        Basis::AnchorCategory => lang.t(
            "本主播同类目商品（新商品）",
            "This anchor's SKUs of the category (a new SKU)",
        ),
        Basis::PlatformCategory => lang.t(
            "平台同类目商品（新主播、新商品）",
            "The platform's SKUs of the category (new anchor, new SKU)",
        ),
        Basis::NoHistory => lang.t("无历史，无法预测", "No history: nothing to forecast from"),
    }
}

/// Where the expected audience came from, as people read it.
pub fn audience_label(lang: Lang, basis: AudienceBasis) -> &'static str {
    match basis {
        AudienceBasis::AnchorSessions => lang.t(
            "按本主播近期直播（同时段加权）和粉丝增长",
            "From this anchor's recent sessions (same hours weigh more) and follower growth",
        ),
        AudienceBasis::Followers => lang.t(
            "新主播：按粉丝数和平台每粉丝观看数",
            "New anchor: followers times the platform's viewers per follower",
        ),
        AudienceBasis::Platform => lang.t(
            "新主播且无粉丝：按平台一般场观",
            "New anchor without followers: the platform's usual audience",
        ),
        AudienceBasis::Unknown => lang.t(
            "平台尚无观看数据：按历史原值",
            "No viewers counted on the platform yet: history taken as it is",
        ),
    }
}

/// Whose buyers a plan is spread over, as people read it.
pub fn geography_label(lang: Lang, basis: GeographyBasis) -> &'static str {
    match basis {
        GeographyBasis::AnchorBuyers => {
            lang.t("按本主播历史买家地域", "By this anchor's past buyers")
        }
        GeographyBasis::PlatformBuyers => lang.t(
            "本主播尚无成交：按平台买家地域",
            "This anchor has sold nothing yet: by the platform's buyers",
        ),
        GeographyBasis::None => lang.t(
            "尚无任何成交：按现有库存分布，只提示缺口",
            "Nobody has bought yet: by where the stock is; only shortfalls are advised",
        ),
    }
}

/// Units as a page shows them: whole units, one decimal below ten.
pub fn units_text(units: f64) -> String {
    if units < 10.0 {
        format!("{units:.1}")
    } else {
        format!("{units:.0}")
    }
}

/// A table of SKU forecasts: expected units, the 80% interval, the discount and the basis.
pub fn forecast_table(page: &Page, items: &[SkuForecast]) -> Markup {
    html! {
        div.table-wrap {
            table.forecast {
                thead { tr {
                    th { (page.t("商品", "SKU")) }
                    th.num { (page.t("折扣", "Price ÷ pool")) }
                    th.num { (page.t("预计销量", "Expected units")) }
                    th.num { (page.t("80% 区间", "80% interval")) }
                    th { (page.t("依据", "Based on")) }
                } }
                tbody {
                    @for item in items {
                        tr data-sku=(item.sku_id) data-basis=(item.basis.as_str()) {
                            td { (item.title) " " span.muted { (item.sku_code) } }
                            td.num {
                                @match item.price_ratio {
                                    Some(ratio) => (format!("{:.0}%", ratio * 100.0)),
                                    None => "—",
                                }
                                @if item.flash_price_fen.is_some() {
                                    " " span.badge.warn { (page.t("秒杀", "Flash sale")) }
                                }
                            }
                            @if item.basis == Basis::NoHistory {
                                td.num { "—" }
                                td.num { "—" }
                            } @else {
                                td.num.mean { (units_text(item.mean_units)) }
                                td.num.interval { (units_text(item.lower_units)) " – " (units_text(item.upper_units)) }
                            }
                            td {
                                (basis_label(page.lang, item.basis))
                                @if item.basis_sessions > 0 {
                                    " " span.muted { "(" (item.basis_sessions) (page.t(" 场", " sessions")) ")" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The expected audience line above a forecast.
pub fn audience_line(page: &Page, expected_viewers: Option<f64>, basis: AudienceBasis) -> Markup {
    html! {
        p.muted.audience {
            (page.t("预计观看人数：", "Expected viewers: "))
            @match expected_viewers {
                Some(v) => b { (format!("{v:.0}")) },
                None => "—",
            }
            " · " (audience_label(page.lang, basis))
        }
    }
}

/// The forecast of a coming session, as its anchor sees it on the session's page.
pub fn forecast_card(page: &Page, forecast: &SessionForecast) -> Markup {
    html! {
        section.card #forecast {
            h2 { (page.t("销量预测", "Forecast")) }
            (audience_line(page, forecast.expected_viewers, forecast.audience_basis))
            (forecast_table(page, &forecast.items))
        }
    }
}
