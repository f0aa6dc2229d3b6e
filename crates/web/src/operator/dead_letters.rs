//! `/operator/dead-letters`: supplier events whose webhook attempts were all refused, with
//! the supplier, the kind, the attempts and the last error; replay one once the supplier is
//! back.

use crate::page::{after_form, when, CsrfForm, Page, PageError};
use crate::WebState;
use axum::extract::{Path, State};
use axum::response::Response;
use daihuo_domain::account::Role;
use daihuo_service::fulfilment::DEAD_LETTERS_PAGE_MAX;
use daihuo_service::operator_pages::name_of;
use daihuo_service::settlement::{PartyKind, PartyRef};
use maud::html;
use serde::Deserialize;

pub async fn page(page: Page, State(state): State<WebState>) -> Result<Response, PageError> {
    let actor = page.require(Role::Operator)?;
    let services = &state.services;
    let letters = services.dead_letters(actor, DEAD_LETTERS_PAGE_MAX).await?;
    let suppliers: Vec<PartyRef> = letters
        .iter()
        .map(|l| PartyRef {
            kind: PartyKind::Supplier,
            id: l.supplier_id,
        })
        .collect();
    let names = services.party_names(actor, &suppliers).await?;
    Ok(page.render(
        page.t("Webhook 死信", "Webhook dead letters"),
        html! {
            h1 { (page.t("Webhook 死信", "Webhook dead letters")) }
            p.muted { (page.t("这些事件多次推送给供应商都失败，已停止重试。供应商恢复后可重新投递：事件立即到期、重试次数清零；供应商按事件 ID 去重。",
                "These events were refused by the supplier's webhook on every attempt and are no longer retried. Once the supplier is back, replay one: it is due at once with a fresh count; suppliers dedupe on the event id.")) }
            @if letters.is_empty() {
                p.card.muted { (page.t("没有死信。", "No dead letters.")) }
            } @else {
                p.muted { (page.t("最近的 ", "The latest ")) (letters.len()) (page.t(" 条，最新的在前。", ", newest first.")) }
                div.table-wrap {
                    table {
                        tr {
                            th { "ID" }
                            th { (page.t("事件", "Event")) }
                            th { (page.t("类型", "Kind")) }
                            th { (page.t("供应商", "Supplier")) }
                            th { (page.t("产生时间", "Written")) }
                            th.num { (page.t("尝试次数", "Attempts")) }
                            th { (page.t("放弃时间", "Given up")) }
                            th { (page.t("最后错误", "Last error")) }
                            th {}
                        }
                        @for letter in &letters {
                            tr data-outbox=(letter.id) {
                                td { (letter.id) }
                                td { code { (letter.event.event_id) } }
                                td { (letter.event.kind) }
                                td { (name_of(&names, PartyRef { kind: PartyKind::Supplier, id: letter.supplier_id })) }
                                td.muted { (when(letter.event.created_at_ms)) }
                                td.num { (letter.attempts) }
                                td.muted { @if let Some(at) = letter.dead_at_ms { (when(at)) } }
                                td.operator-error { (letter.last_error.as_deref().unwrap_or("—")) }
                                td {
                                    form.inline method="post" action={ "/operator/dead-letters/" (letter.id) "/replay" } {
                                        (page.csrf_field())
                                        button type="submit" data-replay=(letter.id) { (page.t("重新投递", "Replay")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn replay(
    page: Page,
    State(state): State<WebState>,
    Path(id): Path<i64>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Operator)?;
    let result = state.services.replay_event(actor, id).await;
    Ok(after_form(
        "/operator/dead-letters",
        result,
        page.t("已重新投递", "Replayed: the event is due again"),
    ))
}
