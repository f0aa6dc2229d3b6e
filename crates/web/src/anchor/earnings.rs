//! `/anchor/earnings`: the anchor's commission statement (pending, payable, paid out) for a
//! period of days, and the same statement as CSV.

use crate::page::{now_ms, parse_local_datetime, when, yuan, Page, PageError};
use crate::WebState;
use axum::extract::{Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use daihuo_domain::account::Role;
use daihuo_service::settlement::{Statement, StatementAccount};
use maud::html;
use serde::{Deserialize, Serialize};

/// A day, in milliseconds.
const DAY_MS: i64 = 86_400_000;
/// The period shown unless another is asked for: the last thirty days, today included.
const DEFAULT_PERIOD_DAYS: i64 = 30;

/// The period as the form sends it: China dates, both included.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub(super) struct PeriodForm {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

/// Midnight (China time) starting the day of `ms`.
fn day_start(ms: i64) -> i64 {
    let date = date_of(ms);
    parse_local_datetime(&format!("{date}T00:00")).unwrap_or(ms)
}

/// `YYYY-MM-DD` of `ms` in China.
fn date_of(ms: i64) -> String {
    when(ms).chars().take(10).collect()
}

impl PeriodForm {
    /// `[from_ms, to_ms)` of the chosen days, or the default period; `None` when a date is
    /// not one.
    fn period(&self) -> Option<(i64, i64)> {
        let today = day_start(now_ms());
        let date = |raw: &Option<String>| -> Option<Option<i64>> {
            match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Some(None),
                Some(day) => parse_local_datetime(&format!("{day}T00:00")).map(Some),
            }
        };
        let from = date(&self.from)?.unwrap_or(today - (DEFAULT_PERIOD_DAYS - 1) * DAY_MS);
        let to = date(&self.to)?.unwrap_or(today) + DAY_MS;
        Some((from, to))
    }
}

/// A ledger kind in the anchor's words.
fn kind_label(page: &Page, kind: &str) -> &'static str {
    match kind {
        "payment" => page.t("订单佣金", "Commission on an order"),
        "refund" => page.t("退款冲回", "Reversed by a refund"),
        "settlement" => page.t("结算", "Settlement"),
        "compensation" => page.t("赔付", "Compensation"),
        "payout" => page.t("打款", "Payout"),
        _ => page.t("其他", "Other"),
    }
}

async fn statement_of(
    state: &WebState,
    page: &Page,
    form: &PeriodForm,
) -> Result<(Statement, i64, i64), PageError> {
    let actor = page.require(Role::Anchor)?;
    let (from, to) = form.period().ok_or_else(|| {
        PageError::BadForm("a date of the period is not a date (YYYY-MM-DD)".to_owned())
    })?;
    let statement = state
        .services
        .statement(actor, None, Some(from), Some(to))
        .await?;
    Ok((statement, from, to))
}

pub(super) async fn show(
    State(state): State<WebState>,
    page: Page,
    Query(form): Query<PeriodForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Anchor)?;
    let summary = state.services.anchor_earnings(actor).await?;
    let (statement, from, to) = statement_of(&state, &page, &form).await?;
    let paid_in_period: i64 = statement
        .lines
        .iter()
        .filter(|line| line.kind == "payout")
        .map(|line| -line.amount_fen)
        .sum();
    let from_date = date_of(from);
    let to_date = date_of(to - DAY_MS);
    let csv_query = serde_urlencoded::to_string(PeriodForm {
        from: Some(from_date.clone()),
        to: Some(to_date.clone()),
    })
    .unwrap_or_default();

    Ok(page.render(
        page.t("佣金收入", "Earnings"),
        html! {
            div.anchor {
                h1 { (page.t("佣金收入", "Earnings")) }
                div.kpis #earnings-summary {
                    div.kpi { b data-balance="pending" { (yuan(summary.pending_fen)) } span { (page.t("待结算（退货期内）", "Pending (return window)")) } }
                    div.kpi { b data-balance="payable" { (yuan(summary.payable_fen)) } span { (page.t("可提现", "Payable")) } }
                    div.kpi { b data-balance="paid" { (yuan(summary.paid_out_fen)) } span { (page.t("已打款", "Paid out")) } }
                }
                form.card.period-form method="get" action="/anchor/earnings" {
                    div.row {
                        label { (page.t("从", "From")) input type="date" name="from" value=(from_date); }
                        label { (page.t("到", "To")) input type="date" name="to" value=(to_date); }
                        button type="submit" { (page.t("查看", "Show")) }
                        a.button href={ "/anchor/earnings.csv?" (csv_query) } download { (page.t("下载 CSV", "Download CSV")) }
                    }
                }
                section.card #statement {
                    h2 { (page.t("对账单", "Statement")) " " span.muted { (from_date) " – " (to_date) } }
                    div.table-wrap {
                        table {
                            thead { tr {
                                th { (page.t("时间", "Time")) }
                                th { (page.t("订单", "Order")) }
                                th { (page.t("类型", "Kind")) }
                                th { (page.t("账户", "Account")) }
                                th.num { (page.t("金额", "Amount")) }
                                th.num { (page.t("待结算余额", "Pending balance")) }
                                th.num { (page.t("可提现余额", "Payable balance")) }
                            } }
                            tbody {
                                tr.opening {
                                    td colspan="5" { (page.t("期初", "Opening")) }
                                    td.num { (yuan(statement.opening.pending_fen)) }
                                    td.num { (yuan(statement.opening.payable_fen)) }
                                }
                                @for line in &statement.lines {
                                    tr {
                                        td { (when(line.at_ms)) }
                                        td { @if let Some(order) = line.order_id { "#" (order) } }
                                        td { (kind_label(&page, &line.kind)) }
                                        td { @match line.account {
                                            StatementAccount::Pending => (page.t("待结算", "Pending")),
                                            StatementAccount::Payable => (page.t("可提现", "Payable")),
                                        } }
                                        td.num.amount.negative[line.amount_fen < 0] { (yuan(line.amount_fen)) }
                                        td.num { (yuan(line.pending_balance_fen)) }
                                        td.num { (yuan(line.payable_balance_fen)) }
                                    }
                                }
                                tr.closing {
                                    td colspan="5" { (page.t("期末", "Closing")) }
                                    td.num { (yuan(statement.closing.pending_fen)) }
                                    td.num { (yuan(statement.closing.payable_fen)) }
                                }
                            }
                        }
                    }
                    @if statement.lines.is_empty() {
                        p.muted { (page.t("这段时间没有佣金变动。", "No commission moved in this period.")) }
                    }
                    p.muted { (page.t("本期打款 ", "Paid out in this period: ")) (yuan(paid_in_period)) }
                }
            }
        },
    ))
}

/// The statement as CSV, in the settlement service's format.
pub(super) async fn csv(
    State(state): State<WebState>,
    page: Page,
    Query(form): Query<PeriodForm>,
) -> Result<Response, PageError> {
    let (statement, from, to) = statement_of(&state, &page, &form).await?;
    let file = format!(
        "attachment; filename=\"daihuo-commission-{}-{}.csv\"",
        date_of(from),
        date_of(to - DAY_MS)
    );
    let mut response = statement.to_csv().into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&file) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
