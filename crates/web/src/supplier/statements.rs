//! The supplier's statement: what the platform owes it (pending inside the return window,
//! payable once settled) and what it was paid, over a recent period, with a chart of what it
//! earned each day and the ledger's lines; the same as CSV.

use super::{today_from_ms, DAY_MS};
use crate::chart;
use crate::page::{now_ms, when, yuan, Lang, Page, PageError};
use crate::WebState;
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use daihuo_domain::account::Role;
use daihuo_service::settlement::{Statement, StatementAccount};
use maud::html;
use serde::Deserialize;

/// The periods offered, in days back from now (today counts as one).
const PERIODS_DAYS: [i64; 4] = [1, 7, 30, 90];
/// The period shown unless another is asked for.
const DEFAULT_PERIOD_DAYS: i64 = 7;
/// Lines listed on the page, the newest first; the CSV has all of them.
const LINES_SHOWN_MAX: usize = 200;
/// An hour, in milliseconds: a one-day chart has a point per hour.
const HOUR_MS: i64 = 3_600_000;
/// The ledger's name of a payout: money that left for the supplier's bank.
const PAYOUT_KIND: &str = "payout";

#[derive(Deserialize)]
pub(super) struct PeriodParams {
    /// Days back from now, one of [`PERIODS_DAYS`].
    days: Option<i64>,
}

impl PeriodParams {
    fn days(&self) -> i64 {
        self.days
            .filter(|d| PERIODS_DAYS.contains(d))
            .unwrap_or(DEFAULT_PERIOD_DAYS)
    }
}

/// The period's start: midnight in China, `days − 1` days before today's.
fn period_from_ms(days: i64, now: i64) -> i64 {
    today_from_ms(now) - (days - 1) * DAY_MS
}

pub(super) async fn statements_page(
    State(state): State<WebState>,
    page: Page,
    Query(params): Query<PeriodParams>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::SupplierStaff)?;
    let days = params.days();
    let now = now_ms();
    let from = period_from_ms(days, now);
    let statement = state
        .services
        .statement(actor, None, Some(from), None)
        .await;
    let body = html! {
        div.spread {
            h1 { (page.t("结算对账", "Statement")) }
            form.row.statement-period method="get" action="/supplier/statements" {
                select name="days" aria-label=(page.t("期间", "Period")) {
                    @for d in PERIODS_DAYS {
                        option value=(d) selected[d == days] { (period_label(page.lang, d)) }
                    }
                }
                button type="submit" { (page.t("查看", "Show")) }
                a.button href={ "/supplier/statements.csv?days=" (days) } download { (page.t("下载 CSV", "Download CSV")) }
            }
        }
        @match &statement {
            Err(error) => {
                p.flash.error role="alert" { (error.to_string()) " " code { (error.code()) } }
                p.muted { (page.t("换一个更短的期间再试。", "Try a shorter period.")) }
            }
            Ok(statement) => {
                @let paid = paid_fen(statement);
                div.kpis.statement-totals {
                    div.kpi { b.pending { (yuan(statement.closing.pending_fen)) }
                        span { (page.t("待结算（退货期内）", "Pending (return window)")) } }
                    div.kpi { b.payable { (yuan(statement.closing.payable_fen)) }
                        span { (page.t("可结算待打款", "Payable, not yet paid")) } }
                    div.kpi { b.paid { (yuan(paid)) }
                        span { (page.t("本期已打款", "Paid in the period")) } }
                    div.kpi { b { (yuan(statement.opening.pending_fen + statement.opening.payable_fen)) }
                        span { (page.t("期初合计", "Opening total")) } }
                }
                (chart::line(page.t("每日净收入（元，不含打款）", "Net earned per day (yuan, payouts aside)"),
                    &earned_per_bucket(statement, days, now)))
                section.card #lines {
                    h2 { (page.t("明细", "Lines")) }
                    p.muted { (page.t("金额从您的角度：正数表示平台欠您的增加。结算把金额从待结算转到可结算。",
                        "Amounts from your side: positive means the platform owes you more. Settlement moves amounts from pending to payable.")) }
                    @if statement.lines.is_empty() {
                        p.muted.empty { (page.t("本期没有记录。", "Nothing in this period.")) }
                    } @else {
                        div.table-wrap {
                            table.statement {
                                thead { tr {
                                    th { (page.t("时间", "When")) }
                                    th { (page.t("订单", "Order")) }
                                    th { (page.t("类型", "Kind")) }
                                    th { (page.t("账户", "Account")) }
                                    th.num { (page.t("金额", "Amount")) }
                                    th.num { (page.t("待结算余额", "Pending balance")) }
                                    th.num { (page.t("可结算余额", "Payable balance")) }
                                } }
                                tbody {
                                    @for line in statement.lines.iter().rev().take(LINES_SHOWN_MAX) {
                                        tr data-posting=(line.posting_id) {
                                            td { (when(line.at_ms)) }
                                            td { (line.order_id.map_or_else(String::new, |o| o.0.to_string())) }
                                            td { (kind_label(page.lang, &line.kind)) }
                                            td { (account_label(page.lang, line.account)) }
                                            td.num { (yuan(line.amount_fen)) }
                                            td.num { (yuan(line.pending_balance_fen)) }
                                            td.num { (yuan(line.payable_balance_fen)) }
                                        }
                                    }
                                }
                            }
                        }
                        @if statement.lines.len() > LINES_SHOWN_MAX {
                            p.muted { (page.t("只显示最近 200 行；CSV 有全部。", "Only the latest 200 lines are shown; the CSV has them all.")) }
                        }
                    }
                }
            }
        }
    };
    Ok(page.render(page.t("结算", "Statement"), body))
}

/// The statement of the same period as CSV, with a file name that says whose and when.
pub(super) async fn statement_csv(
    State(state): State<WebState>,
    page: Page,
    Query(params): Query<PeriodParams>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::SupplierStaff)?;
    let from = period_from_ms(params.days(), now_ms());
    let statement = state
        .services
        .statement(actor, None, Some(from), None)
        .await?;
    let disposition = format!(
        "attachment; filename=\"statement-supplier-{}-{}-{}.csv\"",
        statement.party.id, statement.from_ms, statement.to_ms
    );
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, disposition),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        statement.to_csv(),
    )
        .into_response())
}

/// What was paid out to the supplier in the period, fen (payout lines take it off payable).
fn paid_fen(statement: &Statement) -> i64 {
    statement
        .lines
        .iter()
        .filter(|line| line.kind == PAYOUT_KIND)
        .map(|line| -line.amount_fen)
        .sum()
}

/// Net earned per day (per hour for a one-day period), payouts aside, in yuan: sales less
/// refunds and compensation. Settlement lines cancel out (pending −x, payable +x).
fn earned_per_bucket(statement: &Statement, days: i64, now: i64) -> Vec<(String, f64)> {
    let from = statement.from_ms;
    let (bucket_ms, buckets) = if days == 1 {
        (HOUR_MS, ((now - from) / HOUR_MS + 1).max(1))
    } else {
        (DAY_MS, days)
    };
    let mut fen = vec![0i64; usize::try_from(buckets).unwrap_or(0)];
    for line in statement.lines.iter().filter(|l| l.kind != PAYOUT_KIND) {
        let index = usize::try_from((line.at_ms - from).div_euclid(bucket_ms)).ok();
        if let Some(slot) = index.and_then(|i| fen.get_mut(i)) {
            *slot += line.amount_fen;
        }
    }
    fen.iter()
        .enumerate()
        .map(|(i, amount)| {
            let start = from + bucket_ms * i as i64;
            // `when` is "2026-11-23 20:00": a day shows its date, an hour its time.
            let label = when(start);
            let label = if days == 1 {
                label.get(11..).unwrap_or(&label).to_owned()
            } else {
                label.get(5..10).unwrap_or(&label).to_owned()
            };
            (label, *amount as f64 / 100.0)
        })
        .collect()
}

fn period_label(lang: Lang, days: i64) -> String {
    match (lang, days) {
        (Lang::Zh, 1) => "今天".to_owned(),
        (Lang::En, 1) => "Today".to_owned(),
        (Lang::Zh, d) => format!("最近 {d} 天"),
        (Lang::En, d) => format!("Last {d} days"),
    }
}

fn account_label(lang: Lang, account: StatementAccount) -> &'static str {
    match account {
        StatementAccount::Pending => lang.t("待结算", "Pending"),
        StatementAccount::Payable => lang.t("可结算", "Payable"),
    }
}

/// A posting's kind as people read it; a kind this page does not know shows its name.
fn kind_label(lang: Lang, kind: &str) -> String {
    let known = match kind {
        "payment" => lang.t("货款", "Sale"),
        "refund" => lang.t("退款冲回", "Refund"),
        "refund_sent" => lang.t("退款已付买家", "Refund sent"),
        "settlement" => lang.t("结算", "Settlement"),
        "compensation" => lang.t("迟发赔付", "Late compensation"),
        "compensation_sent" => lang.t("赔付已付买家", "Compensation sent"),
        PAYOUT_KIND => lang.t("打款", "Payout"),
        other => return other.to_owned(),
    };
    known.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use daihuo_service::settlement::{PartyBalances, PartyKind, PartyRef, StatementLine};

    fn line(at_ms: i64, kind: &str, account: StatementAccount, amount_fen: i64) -> StatementLine {
        StatementLine {
            posting_id: at_ms,
            at_ms,
            order_id: None,
            kind: kind.to_owned(),
            account,
            amount_fen,
            pending_balance_fen: 0,
            payable_balance_fen: 0,
        }
    }

    #[test]
    fn each_day_shows_what_was_earned_and_settlement_nets_to_nothing() {
        let now = 1_795_435_200_000;
        let from = period_from_ms(7, now);
        let statement = Statement {
            party: PartyRef {
                kind: PartyKind::Supplier,
                id: 1,
            },
            from_ms: from,
            to_ms: now,
            opening: PartyBalances::default(),
            lines: vec![
                line(from + 10, "payment", StatementAccount::Pending, 50_000),
                line(
                    from + DAY_MS + 5,
                    "payment",
                    StatementAccount::Pending,
                    20_000,
                ),
                line(
                    from + DAY_MS + 6,
                    "settlement",
                    StatementAccount::Pending,
                    -50_000,
                ),
                line(
                    from + DAY_MS + 6,
                    "settlement",
                    StatementAccount::Payable,
                    50_000,
                ),
                line(
                    from + DAY_MS + 7,
                    "refund",
                    StatementAccount::Pending,
                    -5_000,
                ),
                line(
                    from + 2 * DAY_MS,
                    PAYOUT_KIND,
                    StatementAccount::Payable,
                    -30_000,
                ),
            ],
            closing: PartyBalances::default(),
        };
        let points = earned_per_bucket(&statement, 7, now);
        assert_eq!(points.len(), 7);
        assert_eq!(points[0].1, 500.0);
        assert_eq!(points[1].1, 150.0);
        assert_eq!(points[2].1, 0.0, "a payout is not earnings");
        assert_eq!(paid_fen(&statement), 30_000);
    }
}
