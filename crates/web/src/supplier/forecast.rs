//! `/supplier/forecast`: the supplier's upcoming sessions that sell its SKUs, each SKU's
//! forecast with its interval and basis, and what to move or top up where before each
//! session starts (`[data-move]`, `[data-top-up]`).

use crate::demand::{audience_line, forecast_table, geography_label, units_text};
use crate::page::{when, Page, PageError};
use crate::WebState;
use axum::extract::State;
use axum::response::Response;
use daihuo_domain::account::Role;
use daihuo_service::forecast::{SessionAdvice, SkuAdvice};
use maud::{html, Markup};

pub(super) async fn forecast_page(
    State(state): State<WebState>,
    page: Page,
) -> Result<Response, PageError> {
    let actor = page.require(Role::SupplierStaff)?;
    let advice = state.services.supplier_replenishment(actor).await?;
    let body = html! {
        h1 { (page.t("销量预测与补货建议", "Forecasts and replenishment")) }
        p.muted {
            (page.t("未来 14 天内卖您商品的直播。按预测区间上限（约九成把握够卖）备货，按主播买家地域分到最近的仓库；先调拨，缺口再补货。",
                "Sessions in the next 14 days that sell your SKUs. Stock is planned for the forecast's upper end (enough about nine times in ten), spread to the warehouses nearest the anchor's buyers; moves first, then top-ups for what is lacking."))
        }
        @if advice.sessions.is_empty() {
            p.muted.empty { (page.t("近期没有直播卖您的商品。", "No upcoming session sells your SKUs.")) }
        }
        @for session in &advice.sessions {
            (session_card(&page, session))
        }
    };
    Ok(page.render(page.t("预测与补货", "Forecast and replenishment"), body))
}

fn session_card(page: &Page, session: &SessionAdvice) -> Markup {
    let forecasts: Vec<_> = session.items.iter().map(|i| i.forecast.clone()).collect();
    html! {
        section.card.session-advice data-session=(session.session_id) {
            h2 { (session.title) " " span.muted { (session.anchor_name) " · " (when(session.starts_at_ms)) } }
            (audience_line(page, session.expected_viewers, session.audience_basis))
            p.muted.geography {
                (geography_label(page.lang, session.geography_basis))
                @for region in &session.buyer_regions {
                    " · " (region.name) " " (format!("{:.0}%", region.share * 100.0))
                }
            }
            (forecast_table(page, &forecasts))
            ul.advice {
                @for item in &session.items {
                    (item_advice(page, session, item))
                }
            }
        }
    }
}

fn item_advice(page: &Page, session: &SessionAdvice, item: &SkuAdvice) -> Markup {
    let by = when(session.act_by_ms);
    let title = &item.forecast.title;
    html! {
        @for m in &item.moves {
            li data-move=(item.forecast.sku_id) {
                (page.t("调拨 ", "Move "))
                b { (m.units) } (page.t(" 件 ", " units of ")) (title)
                (page.t("：从 ", " from ")) (m.from_name)
                (page.t(" 到 ", " to ")) b { (m.to_name) }
                " " span.muted { "(" (m.distance_km) " km)" }
                (page.t("，", ", ")) (page.t("截止 ", "before ")) (by)
            }
        }
        @for t in &item.top_ups {
            li data-top-up=(item.forecast.sku_id) {
                (page.t("补货 ", "Top up "))
                b { (t.units) } (page.t(" 件 ", " units of ")) (title)
                (page.t("：到 ", " at ")) b { (t.name) }
                (page.t("，", ", ")) (page.t("截止 ", "before ")) (by)
            }
        }
        @if item.unplaced_units > 0 {
            li data-unplaced=(item.forecast.sku_id) {
                (title) (page.t("：您还没有仓库，请先添加仓库（需备 ", ": you have no warehouse; add one first (plan for "))
                (item.unplaced_units) (page.t(" 件）", " units)"))
            }
        }
        @if item.moves.is_empty() && item.top_ups.is_empty() && item.unplaced_units == 0 && item.planned_units > 0 {
            li.muted data-in-place=(item.forecast.sku_id) {
                (title) (page.t("：库存已就位（计划 ", ": stock is in place (planning for "))
                (units_text(f64::from(item.planned_units))) (page.t(" 件）", " units)"))
            }
        }
    }
}
