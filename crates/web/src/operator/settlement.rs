//! `/operator/settlement`: settlement runs (start one, see what it moved), what the platform
//! owes each party and payouts out of it, statements per supplier or anchor, and the
//! reconciliation against the payment gateway's own records.

use super::{next_page, parse_party_kind, parse_yuan, party_kind, refuse, yuan_input};
use crate::page::{
    after_form, parse_local_datetime, redirect_with, when, yuan, CsrfForm, Flash, Page, PageError,
};
use crate::WebState;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use daihuo_domain::account::Role;
use daihuo_service::operator_pages::{name_of, PartyBalance};
use daihuo_service::settlement::{
    PartyKind, PartyRef, PayoutInput, ReconSection, RunView, Statement, StatementAccount,
};
use daihuo_service::ServiceError;
use maud::{html, Markup};
use serde::Deserialize;

/// Runs one page lists.
const RUNS_PAGE_SIZE: i64 = 20;
/// Payouts the statement page lists for its party.
const PAYOUTS_SHOWN: i64 = 20;
/// Where the settlement forms come back to.
const BACK: &str = "/operator/settlement";

/// A service's refusal shown inside the page, for reads that take the operator's input.
fn inline_error(error: &ServiceError) -> Markup {
    if let ServiceError::Internal(cause) = error {
        tracing::error!(error = %cause, "internal error behind an operator page");
    }
    html! {
        p.flash.error role="alert" { (error.to_string()) " " code { (error.code()) } }
    }
}

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
    let services = &state.services;
    let runs = services
        .settlement_runs(actor, paging.before, RUNS_PAGE_SIZE)
        .await?;
    let balances = services.party_balances(actor).await?;
    let next = (i64::try_from(runs.len()).ok() == Some(RUNS_PAGE_SIZE))
        .then(|| runs.last().map(|r| format!("{BACK}?before={}", r.id)))
        .flatten();
    Ok(page.render(
        page.t("结算", "Settlement"),
        html! {
            div.spread {
                h1 { (page.t("结算", "Settlement")) }
                p {
                    a href="/operator/settlement/statement" { (page.t("对账单", "Statements")) }
                    " · "
                    a href="/operator/settlement/reconciliation" { (page.t("支付对账", "Reconciliation")) }
                }
            }
            p.muted { (page.t("T + N：订单确认收货（T）满结算期（N）后，供应商货款与主播佣金由待结算转为可打款。",
                "T + N: an order's supplier share and commission move from pending to payable once the settlement period (N) has passed since its completion (T).")) }
            section.card {
                div.spread {
                    h2 { (page.t("结算批次", "Settlement runs")) }
                    form.inline method="post" action="/operator/settlement/runs" {
                        (page.csrf_field())
                        button.primary type="submit" data-start-run { (page.t("立即结算", "Run settlement now")) }
                    }
                }
                (runs_table(&page, &runs))
                (next_page(page.lang, next))
            }
            section.card {
                h2 { (page.t("应付余额与打款", "Balances and payouts")) }
                p.muted { (page.t("打款只能来自可打款余额，并需填写银行转账流水号（同一流水号重复提交只记一次）。可打款余额为负的结算方欠平台，打款会被拒绝（party_owes_platform），直到之后的收入抵清欠款。",
                    "A payout comes out of the payable balance and carries the bank transfer's reference (the same reference again is recorded once). A party with a negative payable balance owes the platform: payouts are refused (party_owes_platform) until later earnings cover the debt.")) }
                (balances_table(&page, &balances))
                h3 { (page.t("向其他结算方打款", "Pay another party")) }
                form.operator-payout method="post" action="/operator/settlement/payouts" {
                    (page.csrf_field())
                    label.inline { (page.t("类型", "Kind"))
                        select name="kind" {
                            option value="supplier" { (party_kind(page.lang, PartyKind::Supplier)) }
                            option value="anchor" { (party_kind(page.lang, PartyKind::Anchor)) }
                        }
                    }
                    label.inline { "ID" input name="id" type="number" min="1" required; }
                    label.inline { (page.t("金额（元）", "Amount (yuan)")) input name="amount" inputmode="decimal" required; }
                    label.inline { (page.t("转账流水号", "Transfer reference")) input name="reference" maxlength="64" required; }
                    button type="submit" { (page.t("打款", "Pay out")) }
                }
            }
        },
    ))
}

fn runs_table(page: &Page, runs: &[RunView]) -> Markup {
    html! {
        @if runs.is_empty() {
            p.muted { (page.t("还没有结算批次。", "No settlement runs yet.")) }
        } @else {
            div.table-wrap {
                table {
                    tr {
                        th { "ID" }
                        th { (page.t("发起", "Started by")) }
                        th { (page.t("开始", "Started")) }
                        th { (page.t("结算截至（完成时间）", "Cutoff (completed by)")) }
                        th { (page.t("状态", "State")) }
                        th.num { (page.t("订单", "Orders")) }
                        th.num { (page.t("供应商可打款", "To suppliers' payable")) }
                        th.num { (page.t("主播可打款", "To anchors' payable")) }
                    }
                    @for run in runs {
                        tr data-run=(run.id) {
                            td { a href={ "/operator/settlement/runs/" (run.id) } { "#" (run.id) } }
                            td {
                                @if run.trigger == "operator" { (page.t("运营", "operator")) }
                                @else { (page.t("定时", "sweeper")) }
                            }
                            td.muted { (when(run.started_at_ms)) }
                            td.muted { (when(run.cutoff_ms)) }
                            td {
                                @match run.finished_at_ms {
                                    Some(_) => span.badge.ok { (page.t("已完成", "finished")) },
                                    None => span.badge.warn { (page.t("未完成", "unfinished")) },
                                }
                            }
                            td.num { (run.orders) }
                            td.num { (yuan(run.supplier_fen)) }
                            td.num { (yuan(run.commission_fen)) }
                        }
                    }
                }
            }
        }
    }
}

fn balances_table(page: &Page, balances: &[PartyBalance]) -> Markup {
    html! {
        @if balances.is_empty() {
            p.muted { (page.t("还没有任何结算方的余额。", "No party has a balance yet.")) }
        } @else {
            div.table-wrap {
                table {
                    tr {
                        th { (page.t("结算方", "Party")) }
                        th.num { (page.t("待结算", "Pending")) }
                        th.num { (page.t("可打款", "Payable")) }
                        th { (page.t("打款", "Payout")) }
                        th {}
                    }
                    @for balance in balances {
                        @let kind = balance.party.kind.as_str();
                        tr data-party={ (kind) "-" (balance.party.id) } {
                            td {
                                span.badge { (party_kind(page.lang, balance.party.kind)) }
                                " " (balance.name) " " span.muted { "#" (balance.party.id) }
                            }
                            td.num { (yuan(balance.pending_fen)) }
                            td.num data-payable {
                                (yuan(balance.payable_fen))
                                @if balance.payable_fen < 0 {
                                    " " span.badge.bad title="party_owes_platform" { (page.t("欠平台", "owes the platform")) }
                                }
                            }
                            td {
                                form.inline method="post" action="/operator/settlement/payouts" {
                                    (page.csrf_field())
                                    input type="hidden" name="kind" value=(kind);
                                    input type="hidden" name="id" value=(balance.party.id);
                                    input name="amount" inputmode="decimal" size="10" required
                                        value=(yuan_input(balance.payable_fen.max(0)))
                                        aria-label=(page.t("金额（元）", "Amount (yuan)"));
                                    input name="reference" maxlength="64" size="14" required
                                        placeholder=(page.t("转账流水号", "Transfer reference"))
                                        aria-label=(page.t("转账流水号", "Transfer reference"));
                                    button type="submit" data-payout={ (kind) "-" (balance.party.id) } { (page.t("打款", "Pay out")) }
                                }
                            }
                            td {
                                a href={ "/operator/settlement/statement?kind=" (kind) "&id=" (balance.party.id) } {
                                    (page.t("对账单", "Statement"))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn start_run(
    page: Page,
    State(state): State<WebState>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Operator)?;
    match state.services.start_settlement_run(actor).await {
        Ok(run) => Ok(redirect_with(
            &format!("/operator/settlement/runs/{}", run.id),
            Flash::Ok(format!(
                "{} {}",
                page.t(
                    "结算完成，结算订单数：",
                    "Settlement run finished; orders settled:"
                ),
                run.orders
            )),
        )),
        Err(error) => Ok(redirect_with(BACK, Flash::from_error(&error))),
    }
}

pub async fn run(
    page: Page,
    State(state): State<WebState>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Operator)?;
    let services = &state.services;
    let run = services.settlement_run(actor, id).await?;
    let parties: Vec<PartyRef> = run.totals.iter().map(|t| t.party).collect();
    let names = services.party_names(actor, &parties).await?;
    Ok(page.render(
        page.t("结算批次", "Settlement run"),
        html! {
            p { a href=(BACK) { (page.t("← 结算", "← Settlement")) } }
            h1 { (page.t("结算批次 ", "Settlement run ")) "#" (run.id) }
            div.kpis {
                div.kpi { b data-run-orders { (run.orders) } span { (page.t("结算订单", "Orders settled")) } }
                div.kpi { b { (yuan(run.supplier_fen)) } span { (page.t("转入供应商可打款", "To suppliers' payable")) } }
                div.kpi { b { (yuan(run.commission_fen)) } span { (page.t("转入主播可打款", "To anchors' payable")) } }
            }
            p.muted {
                (page.t("开始 ", "Started ")) (when(run.started_at_ms)) " · "
                (page.t("结算截至 ", "cutoff ")) (when(run.cutoff_ms)) " · "
                @match run.finished_at_ms {
                    Some(at) => { (page.t("完成 ", "finished ")) (when(at)) },
                    None => (page.t("未完成：节点中途停止，已结算的保持结算，其余留给下一批", "unfinished: its node stopped; what it settled stays settled, the rest is left to the next run")),
                }
            }
            @if run.totals.is_empty() {
                p.card.muted { (page.t("这一批没有到期的订单。", "No order was due in this run.")) }
            } @else {
                div.table-wrap {
                    table {
                        tr {
                            th { (page.t("结算方", "Party")) }
                            th.num { (page.t("订单", "Orders")) }
                            th.num { (page.t("转入可打款", "Moved to payable")) }
                            th {}
                        }
                        @for total in &run.totals {
                            tr data-party={ (total.party.kind.as_str()) "-" (total.party.id) } {
                                td { span.badge { (party_kind(page.lang, total.party.kind)) } " " (name_of(&names, total.party)) }
                                td.num { (total.orders) }
                                td.num { (yuan(total.fen)) }
                                td { a href={ "/operator/settlement/statement?kind=" (total.party.kind.as_str()) "&id=" (total.party.id) } { (page.t("对账单", "Statement")) } }
                            }
                        }
                    }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
pub struct PayoutForm {
    kind: String,
    id: String,
    amount: String,
    reference: String,
}

pub async fn payout(
    page: Page,
    State(state): State<WebState>,
    CsrfForm(form): CsrfForm<PayoutForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Operator)?;
    let (Some(kind), Ok(id)) = (parse_party_kind(&form.kind), form.id.trim().parse::<i64>()) else {
        return Ok(refuse(
            BACK,
            "invalid_party",
            "a party is a supplier or an anchor, by id",
        ));
    };
    let Some(amount_fen) = parse_yuan(&form.amount) else {
        return Ok(refuse(
            BACK,
            "invalid_amount",
            "the amount is in yuan, like 1000.00",
        ));
    };
    let result = state
        .services
        .payout(
            actor,
            PayoutInput {
                party: PartyRef { kind, id },
                amount_fen,
                reference: form.reference,
            },
        )
        .await;
    Ok(after_form(
        BACK,
        result,
        page.t("打款已记录", "Payout recorded"),
    ))
}

#[derive(Deserialize, Default)]
pub struct StatementQuery {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

/// A period's end from a `datetime-local` field: `Ok(None)` when empty.
fn period_end(raw: Option<&str>) -> Result<Option<i64>, ()> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(raw) => parse_local_datetime(raw).map(Some).ok_or(()),
    }
}

/// The period of a query, or the refusal to show.
fn period_of(query: &StatementQuery) -> Result<(Option<i64>, Option<i64>), ServiceError> {
    let bad = || {
        ServiceError::invalid(
            "invalid_period",
            "the period's ends are a date and a time, or empty",
        )
    };
    let from = period_end(query.from.as_deref()).map_err(|()| bad())?;
    let to = period_end(query.to.as_deref()).map_err(|()| bad())?;
    Ok((from, to))
}

/// The party a query names, if it names one properly.
fn party_of(query: &StatementQuery) -> Option<PartyRef> {
    let kind = parse_party_kind(query.kind.as_deref()?)?;
    let id = query.id.as_deref()?.trim().parse().ok()?;
    Some(PartyRef { kind, id })
}

fn period_fields(page: &Page, query: &StatementQuery) -> Markup {
    html! {
        label.inline { (page.t("从（含）", "From (inclusive)"))
            input type="datetime-local" name="from" value=(query.from.as_deref().unwrap_or("")); }
        label.inline { (page.t("到（不含，留空为现在）", "To (exclusive; empty for now)"))
            input type="datetime-local" name="to" value=(query.to.as_deref().unwrap_or("")); }
    }
}

pub async fn statement(
    page: Page,
    State(state): State<WebState>,
    Query(query): Query<StatementQuery>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Operator)?;
    let services = &state.services;
    let party = party_of(&query);
    let shown: Option<Result<(Statement, String, Vec<_>), ServiceError>> = match party {
        None => None,
        Some(party) => Some(
            async {
                let (from, to) = period_of(&query)?;
                let statement = services.statement(actor, Some(party), from, to).await?;
                let names = services.party_names(actor, &[party]).await?;
                let payouts = services.payouts(actor, party, PAYOUTS_SHOWN).await?;
                Ok((statement, name_of(&names, party), payouts))
            }
            .await,
        ),
    };
    let chosen_kind = query.kind.as_deref().unwrap_or("supplier");
    Ok(page.render(
        page.t("对账单", "Statement"),
        html! {
            p { a href=(BACK) { (page.t("← 结算", "← Settlement")) } }
            h1 { (page.t("对账单", "Statement")) }
            form.card method="get" action="/operator/settlement/statement" {
                label.inline { (page.t("类型", "Kind"))
                    select name="kind" {
                        option value="supplier" selected[chosen_kind == "supplier"] { (party_kind(page.lang, PartyKind::Supplier)) }
                        option value="anchor" selected[chosen_kind == "anchor"] { (party_kind(page.lang, PartyKind::Anchor)) }
                    }
                }
                label.inline { "ID" input name="id" type="number" min="1" required value=(query.id.as_deref().unwrap_or("")); }
                (period_fields(&page, &query))
                button.primary type="submit" { (page.t("查看", "Show")) }
            }
            @match &shown {
                None => p.muted { (page.t("选择供应商（组织 ID）或主播（用户 ID）查看其待结算与可打款账户的每一笔变动。",
                    "Choose a supplier (organisation id) or an anchor (user id) to see every entry of its pending and payable accounts.")) },
                Some(Err(error)) => (inline_error(error)),
                Some(Ok((statement, name, payouts))) => {
                    (statement_view(&page, statement, name, &query))
                    h2 { (page.t("打款记录", "Payouts")) }
                    @if payouts.is_empty() {
                        p.muted { (page.t("还没有打款。", "No payouts yet.")) }
                    } @else {
                        div.table-wrap {
                            table {
                                tr {
                                    th { (page.t("时间", "When")) }
                                    th.num { (page.t("金额", "Amount")) }
                                    th { (page.t("转账流水号", "Reference")) }
                                }
                                @for payout in payouts {
                                    tr {
                                        td.muted { (when(payout.created_at_ms)) }
                                        td.num { (yuan(payout.amount_fen)) }
                                        td { code { (payout.reference) } }
                                    }
                                }
                            }
                        }
                    }
                },
            }
        },
    ))
}

fn statement_view(
    page: &Page,
    statement: &Statement,
    name: &str,
    query: &StatementQuery,
) -> Markup {
    let csv = format!(
        "/operator/settlement/statement.csv?kind={}&id={}&from={}&to={}",
        statement.party.kind.as_str(),
        statement.party.id,
        crate::page::encode_component(query.from.as_deref().unwrap_or("")),
        crate::page::encode_component(query.to.as_deref().unwrap_or("")),
    );
    html! {
        div.spread {
            h2 { span.badge { (party_kind(page.lang, statement.party.kind)) } " " (name) }
            a.button href=(csv) download { (page.t("下载 CSV", "Download CSV")) }
        }
        p.muted { (when(statement.from_ms)) " – " (when(statement.to_ms)) }
        div.table-wrap {
            table data-statement {
                tr {
                    th { (page.t("时间", "When")) }
                    th { (page.t("订单", "Order")) }
                    th { (page.t("事由", "Kind")) }
                    th { (page.t("账户", "Account")) }
                    th.num { (page.t("金额", "Amount")) }
                    th.num { (page.t("待结算余额", "Pending balance")) }
                    th.num { (page.t("可打款余额", "Payable balance")) }
                }
                tr.operator-balance {
                    td { (page.t("期初", "Opening")) }
                    td {} td {} td {} td.num {}
                    td.num { (yuan(statement.opening.pending_fen)) }
                    td.num { (yuan(statement.opening.payable_fen)) }
                }
                @for line in &statement.lines {
                    tr {
                        td.muted { (when(line.at_ms)) }
                        td { @if let Some(order) = line.order_id { (order) } }
                        td { (line.kind) }
                        td {
                            @match line.account {
                                StatementAccount::Pending => (page.t("待结算", "pending")),
                                StatementAccount::Payable => (page.t("可打款", "payable")),
                            }
                        }
                        td.num { (yuan(line.amount_fen)) }
                        td.num { (yuan(line.pending_balance_fen)) }
                        td.num { (yuan(line.payable_balance_fen)) }
                    }
                }
                tr.operator-balance {
                    td { (page.t("期末", "Closing")) }
                    td {} td {} td {} td.num {}
                    td.num data-closing-pending { (yuan(statement.closing.pending_fen)) }
                    td.num data-closing-payable { (yuan(statement.closing.payable_fen)) }
                }
            }
        }
    }
}

pub async fn statement_csv(
    page: Page,
    State(state): State<WebState>,
    Query(query): Query<StatementQuery>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Operator)?;
    let party = party_of(&query).ok_or_else(|| {
        PageError::BadForm("a statement names a supplier or an anchor by id".into())
    })?;
    let (from, to) = period_of(&query)?;
    let statement = state
        .services
        .statement(actor, Some(party), from, to)
        .await?;
    let file = format!(
        "attachment; filename=\"statement-{}-{}.csv\"",
        party.kind.as_str(),
        party.id
    );
    let disposition =
        HeaderValue::from_str(&file).unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    Ok((
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (CONTENT_DISPOSITION, disposition),
        ],
        statement.to_csv(),
    )
        .into_response())
}

pub async fn reconciliation(
    page: Page,
    State(state): State<WebState>,
    Query(query): Query<StatementQuery>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Operator)?;
    let asked = query.from.is_some() || query.to.is_some();
    let report = if asked {
        Some(match period_of(&query) {
            Ok((from, to)) => state.services.reconciliation(actor, from, to).await,
            Err(error) => Err(error),
        })
    } else {
        None
    };
    Ok(page.render(
        page.t("支付对账", "Reconciliation"),
        html! {
            p { a href=(BACK) { (page.t("← 结算", "← Settlement")) } }
            h1 { (page.t("支付对账", "Reconciliation")) }
            p.muted { (page.t("将支付网关自己的交易记录与 daihuo 的支付、退款记录逐笔核对，再与账本中每个订单的买家实付核对。",
                "Compares the payment gateway's own records of payments and refunds with daihuo's, one by one, and those with the ledger's buyer payments per order.")) }
            form.card method="get" action="/operator/settlement/reconciliation" {
                (period_fields(&page, &query))
                button.primary type="submit" data-reconcile { (page.t("对账", "Reconcile")) }
            }
            @match &report {
                None => p.muted { (page.t("选择时间段（留空「从」为从头开始）后对账。", "Choose a period (an empty start means from the beginning) and reconcile.")) },
                Some(Err(error)) => (inline_error(error)),
                Some(Ok(report)) => {
                    p {
                        @if report.clean {
                            span.badge.ok data-clean="true" { (page.t("一致：没有缺失或差异", "Clean: nothing missing or different")) }
                        } @else {
                            span.badge.bad data-clean="false" { (page.t("有差异", "Differences found")) }
                        }
                        " " span.muted { (when(report.from_ms)) " – " (when(report.to_ms)) }
                    }
                    (section(&page, page.t("支付", "Payments"), &report.payments))
                    (section(&page, page.t("退款", "Refunds"), &report.refunds))
                    h2 { (page.t("账本", "Ledger")) }
                    p {
                        (page.t("核对订单 ", "Orders checked ")) (report.ledger.orders_checked) " · "
                        (page.t("一致 ", "matched ")) (report.ledger.matched_orders) " · "
                        (yuan(report.ledger.matched_fen))
                    }
                    @if !report.ledger.mismatches.is_empty() {
                        div.table-wrap {
                            table {
                                tr {
                                    th { (page.t("订单", "Order")) }
                                    th.num { (page.t("支付减退款（记录）", "Payments less refunds (recorded)")) }
                                    th.num { (page.t("账本买家实付", "Ledger buyer payments")) }
                                }
                                @for mismatch in &report.ledger.mismatches {
                                    tr.operator-difference {
                                        td { (mismatch.order_id) }
                                        td.num { (yuan(mismatch.recorded_fen)) }
                                        td.num { (yuan(mismatch.ledger_fen)) }
                                    }
                                }
                            }
                        }
                    }
                },
            }
        },
    ))
}

fn section(page: &Page, title: &str, section: &ReconSection) -> Markup {
    // (what, item, whether the amount is the gateway's): one side holds each of these.
    let missing = section
        .missing_in_daihuo
        .iter()
        .map(|item| {
            (
                page.t("网关有，daihuo 无", "At the gateway, not in daihuo"),
                item,
                true,
            )
        })
        .chain(section.missing_at_gateway.iter().map(|item| {
            (
                page.t("daihuo 有，网关无", "In daihuo, not at the gateway"),
                item,
                false,
            )
        }))
        .collect::<Vec<_>>();
    html! {
        h2 { (title) }
        p {
            (page.t("一致 ", "Matched ")) (section.matched_count) " · " (yuan(section.matched_fen))
        }
        @if !missing.is_empty() || !section.amount_mismatches.is_empty() {
            div.table-wrap {
                table {
                    tr {
                        th { (page.t("差异", "Difference")) }
                        th { (page.t("键", "Key")) }
                        th { (page.t("订单", "Order")) }
                        th.num { (page.t("网关金额", "Gateway")) }
                        th.num { (page.t("daihuo 金额", "daihuo")) }
                    }
                    @for (what, item, at_gateway) in &missing {
                        tr.operator-difference {
                            td { (what) }
                            td { code { (item.key) } }
                            td { @if let Some(order) = item.order_id { (order) } }
                            td.num { @if *at_gateway { (yuan(item.amount_fen)) } }
                            td.num { @if !*at_gateway { (yuan(item.amount_fen)) } }
                        }
                    }
                    @for mismatch in &section.amount_mismatches {
                        tr.operator-difference {
                            td { (page.t("金额不符", "Amounts differ")) }
                            td { code { (mismatch.key) } }
                            td { (mismatch.order_id) }
                            td.num { (yuan(mismatch.gateway_fen)) }
                            td.num { (yuan(mismatch.daihuo_fen)) }
                        }
                    }
                }
            }
        }
    }
}
