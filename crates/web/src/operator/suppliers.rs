//! `/operator/suppliers`: supplier organisations, and a new one with its first staff account.

use super::{duration, next_page};
use crate::page::{after_form, when, CsrfForm, Page, PageError};
use crate::WebState;
use axum::extract::{Query, State};
use axum::response::Response;
use daihuo_domain::account::Role;
use daihuo_service::accounts::NewSupplier;
use maud::html;
use serde::Deserialize;

/// Suppliers one page lists.
const PAGE_SIZE: i64 = 50;

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
    let suppliers = state
        .services
        .supplier_list(actor, paging.before, PAGE_SIZE)
        .await?;
    let next = (i64::try_from(suppliers.len()).ok() == Some(PAGE_SIZE))
        .then(|| {
            suppliers
                .last()
                .map(|s| format!("/operator/suppliers?before={}", s.id))
        })
        .flatten();
    Ok(page.render(
        page.t("供应商", "Suppliers"),
        html! {
            h1 { (page.t("供应商", "Suppliers")) }
            div.operator-split {
                section.card {
                    h2 { (page.t("新建供应商", "New supplier")) }
                    p.muted { (page.t("创建供应商组织和它的第一个员工账号；员工登录后可再创建 API 令牌。",
                        "Creates the organisation and its first staff account; staff can then make API tokens.")) }
                    form method="post" action="/operator/suppliers" {
                        (page.csrf_field())
                        label { (page.t("组织名称（1–64 字）", "Organisation name (1–64 characters)"))
                            input name="name" required maxlength="64"; }
                        label { (page.t("员工用户名（3–32 位小写字母、数字、_ 或 -）", "Staff username (3–32 of a–z, 0–9, _ and -)"))
                            input name="admin_username" required autocomplete="off"; }
                        label { (page.t("初始密码（至少 8 位）", "First password (8 or more characters)"))
                            input name="admin_password" type="password" required minlength="8" autocomplete="new-password"; }
                        button.primary type="submit" data-create-supplier { (page.t("创建", "Create")) }
                    }
                }
                section {
                    @if suppliers.is_empty() {
                        p.muted { (page.t("还没有供应商。", "No suppliers yet.")) }
                    } @else {
                        div.table-wrap {
                            table {
                                tr {
                                    th { "ID" }
                                    th { (page.t("名称", "Name")) }
                                    th { (page.t("首个员工", "First staff")) }
                                    th.num { (page.t("员工", "Staff")) }
                                    th.num { (page.t("仓库", "Warehouses")) }
                                    th.num { "SKU" }
                                    th { (page.t("发货时效", "Ship within")) }
                                    th { "Webhook" }
                                    th { (page.t("创建时间", "Created")) }
                                    th {}
                                }
                                @for supplier in &suppliers {
                                    tr data-supplier=(supplier.id) {
                                        td { (supplier.id) }
                                        td { (supplier.name) }
                                        td { code { (supplier.first_staff.as_deref().unwrap_or("—")) } }
                                        td.num { (supplier.staff) }
                                        td.num { (supplier.warehouses) }
                                        td.num { (supplier.skus) }
                                        td {
                                            @match supplier.ship_window_ms {
                                                Some(ms) => (duration(page.lang, ms)),
                                                None => span.muted { (page.t("默认 48 小时", "default 48 h")) },
                                            }
                                        }
                                        td {
                                            @if supplier.webhook_url.is_some() {
                                                span.badge.ok { (page.t("已设置", "set")) }
                                            } @else {
                                                span.badge { (page.t("拉取", "pull only")) }
                                            }
                                        }
                                        td.muted { (when(supplier.created_at_ms)) }
                                        td {
                                            a href={ "/operator/settlement/statement?kind=supplier&id=" (supplier.id) } {
                                                (page.t("对账单", "Statement"))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        (next_page(page.lang, next))
                    }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
pub struct SupplierForm {
    name: String,
    admin_username: String,
    admin_password: String,
}

pub async fn create(
    page: Page,
    State(state): State<WebState>,
    CsrfForm(form): CsrfForm<SupplierForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Operator)?;
    let result = state
        .services
        .create_supplier(
            actor,
            NewSupplier {
                name: form.name,
                admin_username: form.admin_username,
                admin_password: form.admin_password,
            },
        )
        .await;
    Ok(after_form(
        "/operator/suppliers",
        result,
        page.t("供应商已创建", "Supplier created"),
    ))
}
