//! `/operator/campaigns`: campaigns (a Super Brand Day, say) with their windows, subsidy
//! budgets and what is spent; a new campaign; a budget; a shipping window.

use super::dashboard::budget_bar;
use super::{duration, next_page, parse_yuan, refuse, yuan_input};
use crate::page::{
    after_form, now_ms, parse_local_datetime, redirect_with, when, yuan, CsrfForm, Flash, Page,
    PageError,
};
use crate::WebState;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use daihuo_domain::account::Role;
use daihuo_domain::CampaignId;
use daihuo_service::live::NewCampaign;
use daihuo_service::operator_pages::CampaignBudget;
use daihuo_service::promises::ShipWindowInput;
use maud::{html, Markup};
use serde::Deserialize;

/// Campaigns one page lists.
const PAGE_SIZE: i64 = 50;
/// The campaigns page, where every form comes back to.
const BACK: &str = "/operator/campaigns";
/// Milliseconds in an hour: windows are typed in hours.
const HOUR_MS: i64 = 3_600_000;

#[derive(Deserialize)]
pub struct Paging {
    before: Option<i64>,
}

pub async fn page(
    page: Page,
    State(state): State<WebState>,
    Query(paging): Query<Paging>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Operator)?;
    let campaigns = state
        .services
        .campaign_budgets(actor, paging.before, PAGE_SIZE)
        .await?;
    let next = (i64::try_from(campaigns.len()).ok() == Some(PAGE_SIZE))
        .then(|| campaigns.last().map(|c| format!("{BACK}?before={}", c.id)))
        .flatten();
    let now = now_ms();
    Ok(page.render(
        page.t("活动与补贴", "Campaigns and subsidies"),
        html! {
            h1 { (page.t("活动与补贴", "Campaigns and subsidies")) }
            div.operator-split {
                (new_campaign_form(&page))
                section {
                    @if campaigns.is_empty() {
                        p.muted { (page.t("还没有活动。", "No campaigns yet.")) }
                    }
                    @for campaign in &campaigns {
                        (campaign_card(&page, campaign, now))
                    }
                    (next_page(page.lang, next))
                }
            }
        },
    ))
}

fn new_campaign_form(page: &Page) -> Markup {
    html! {
        section.card {
            h2 { (page.t("新建活动", "New campaign")) }
            p.muted { (page.t("例如「超级品牌日」。时间为北京时间；活动最长 90 天。补贴预算可以调整，但不能低于已占用与已花费之和。",
                "A Super Brand Day, say. Times are China time; a campaign lasts at most 90 days. A budget may change, but never below what is held and spent.")) }
            form method="post" action=(BACK) {
                (page.csrf_field())
                label { (page.t("名称（1–60 字）", "Name (1–60 characters)"))
                    input name="name" required maxlength="60" placeholder="超级品牌日"; }
                label { (page.t("开始", "Starts"))
                    input name="starts_at" type="datetime-local" required; }
                label { (page.t("结束", "Ends"))
                    input name="ends_at" type="datetime-local" required; }
                label { (page.t("补贴预算（元，可选）", "Subsidy budget (yuan, optional)"))
                    input name="budget" inputmode="decimal" placeholder="100000.00"; }
                label { (page.t("发货时效（小时，可选；活动内订单按此承诺）", "Ship within (hours, optional; promised to every order in the campaign)"))
                    input name="ship_within_hours" type="number" min="1" max="360" step="1"; }
                button.primary type="submit" data-create-campaign { (page.t("创建活动", "Create campaign")) }
            }
        }
    }
}

fn campaign_card(page: &Page, campaign: &CampaignBudget, now: i64) -> Markup {
    let left = campaign.budget_fen - campaign.held_fen - campaign.spent_fen;
    html! {
        article.card data-campaign=(campaign.id) {
            div.spread {
                h2 { (campaign.name) " " span.muted { "#" (campaign.id) } }
                @if now < campaign.starts_at_ms {
                    span.badge.warn { (page.t("未开始", "Upcoming")) }
                } @else if now < campaign.ends_at_ms {
                    span.badge.live { (page.t("进行中", "Running")) }
                } @else {
                    span.badge { (page.t("已结束", "Ended")) }
                }
            }
            p.muted { (when(campaign.starts_at_ms)) " – " (when(campaign.ends_at_ms)) }
            div.table-wrap {
                table {
                    tr {
                        th.num { (page.t("补贴预算", "Budget")) }
                        th.num { (page.t("已花费（已支付订单）", "Spent (paid orders)")) }
                        th.num { (page.t("占用中（待支付订单）", "Held (unpaid orders)")) }
                        th.num { (page.t("剩余", "Left")) }
                        th { (page.t("发货时效", "Ship within")) }
                    }
                    tr {
                        td.num data-budget { (yuan(campaign.budget_fen)) }
                        td.num data-spent { (yuan(campaign.spent_fen)) }
                        td.num { (yuan(campaign.held_fen)) }
                        td.num { (yuan(left)) }
                        td {
                            @match campaign.ship_window_ms {
                                Some(ms) => (duration(page.lang, ms)),
                                None => span.muted { (page.t("按供应商（默认 48 小时）", "the supplier's (default 48 h)")) },
                            }
                        }
                    }
                }
            }
            (budget_bar(campaign))
            div.review-actions {
                form.inline method="post" action={ (BACK) "/" (campaign.id) "/budget" } {
                    (page.csrf_field())
                    label.inline { (page.t("补贴预算（元）", "Budget (yuan)"))
                        input name="budget" inputmode="decimal" required value=(yuan_input(campaign.budget_fen)); }
                    button type="submit" data-set-budget=(campaign.id) { (page.t("设置预算", "Set budget")) }
                }
                form.inline method="post" action={ (BACK) "/" (campaign.id) "/ship-window" } {
                    (page.csrf_field())
                    label.inline { (page.t("发货时效（小时，留空恢复默认）", "Ship within (hours; empty for the default)"))
                        input name="ship_within_hours" type="number" min="1" max="360" step="1"
                            value=[campaign.ship_window_ms.map(|ms| ms / HOUR_MS)]; }
                    button type="submit" { (page.t("设置时效", "Set window")) }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct CampaignForm {
    name: String,
    starts_at: String,
    ends_at: String,
    #[serde(default)]
    budget: Option<String>,
    #[serde(default)]
    ship_within_hours: Option<String>,
}

/// An optional whole number of hours as milliseconds: `Ok(None)` when empty.
fn hours_ms(raw: Option<&str>) -> Result<Option<i64>, ()> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .and_then(|hours| hours.checked_mul(HOUR_MS))
            .map(Some)
            .ok_or(()),
    }
}

pub async fn create(
    page: Page,
    State(state): State<WebState>,
    CsrfForm(form): CsrfForm<CampaignForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Operator)?;
    let (Some(starts_at_ms), Some(ends_at_ms)) = (
        parse_local_datetime(&form.starts_at),
        parse_local_datetime(&form.ends_at),
    ) else {
        return Ok(refuse(
            BACK,
            "invalid_time",
            "start and end are a date and a time",
        ));
    };
    let budget = match form.budget.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => match parse_yuan(raw) {
            Some(fen) => Some(fen),
            None => {
                return Ok(refuse(
                    BACK,
                    "invalid_amount",
                    "the budget is an amount in yuan, like 100000.00",
                ))
            }
        },
    };
    let Ok(window) = hours_ms(form.ship_within_hours.as_deref()) else {
        return Ok(refuse(
            BACK,
            "invalid_ship_window",
            "the shipping window is a whole number of hours",
        ));
    };
    let services = &state.services;
    let campaign = match services
        .create_campaign(
            actor,
            NewCampaign {
                name: form.name,
                starts_at_ms,
                ends_at_ms,
            },
        )
        .await
    {
        Ok(campaign) => campaign,
        Err(error) => return Ok(redirect_with(BACK, Flash::from_error(&error))),
    };
    // The campaign exists from here on; a budget or window refused is said so, and can be
    // set again on its card.
    if let Some(budget) = budget {
        if let Err(error) = services
            .set_subsidy_budget(actor, campaign.id, budget)
            .await
        {
            return Ok(redirect_with(BACK, Flash::from_error(&error)));
        }
    }
    if let Some(window) = window {
        let input = ShipWindowInput {
            ship_within_ms: Some(window),
        };
        if let Err(error) = services
            .set_campaign_ship_window(actor, campaign.id, input)
            .await
        {
            return Ok(redirect_with(BACK, Flash::from_error(&error)));
        }
    }
    Ok(redirect_with(
        BACK,
        Flash::Ok(page.t("活动已创建", "Campaign created").to_owned()),
    ))
}

#[derive(Deserialize)]
pub struct BudgetForm {
    budget: String,
}

pub async fn budget(
    page: Page,
    State(state): State<WebState>,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<BudgetForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Operator)?;
    let Some(fen) = parse_yuan(&form.budget) else {
        return Ok(refuse(
            BACK,
            "invalid_amount",
            "the budget is an amount in yuan, like 100000.00",
        ));
    };
    let result = state
        .services
        .set_subsidy_budget(actor, CampaignId(id), fen)
        .await;
    Ok(after_form(
        BACK,
        result,
        page.t("补贴预算已更新", "Subsidy budget set"),
    ))
}

#[derive(Deserialize)]
pub struct WindowForm {
    #[serde(default)]
    ship_within_hours: Option<String>,
}

pub async fn ship_window(
    page: Page,
    State(state): State<WebState>,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<WindowForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Operator)?;
    let Ok(window) = hours_ms(form.ship_within_hours.as_deref()) else {
        return Ok(refuse(
            BACK,
            "invalid_ship_window",
            "the shipping window is a whole number of hours",
        ));
    };
    let result = state
        .services
        .set_campaign_ship_window(
            actor,
            CampaignId(id),
            ShipWindowInput {
                ship_within_ms: window,
            },
        )
        .await;
    Ok(after_form(
        BACK,
        result,
        page.t("发货时效已更新", "Shipping window set"),
    ))
}
