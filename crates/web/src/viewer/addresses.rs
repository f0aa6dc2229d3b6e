//! Saved delivery addresses: the list, a form to add one by its GB/T 2260 county code, and a
//! finder that turns a place name into that code from the shipped division list. The
//! service checks every field again; the finder only helps to type the code.

use super::back_path;
use crate::page::{encode_component, redirect_with, CsrfForm, Flash, Page, PageError};
use crate::WebState;
use axum::extract::{Query, State};
use axum::response::Response;
use daihuo_domain::account::Role;
use daihuo_service::checkout::AddressInput;
use maud::html;
use serde::Deserialize;

/// Places the finder lists for one query: enough to pick from, small enough for a phone.
const FOUND_MAX: usize = 30;
/// The longest place name the finder looks for, in characters.
const QUERY_MAX_CHARS: usize = 20;

#[derive(Deserialize)]
pub(super) struct AddressQuery {
    /// Where to go once an address is saved (the room the buyer came from).
    back: Option<String>,
    /// A place name to find the county code of.
    q: Option<String>,
    /// A county code picked from the finder, to prefill the form.
    county: Option<String>,
}

/// The counties whose full name (浙江省 杭州市 西湖区) contains `query`, or whose code
/// starts with it: (code, full name).
fn find_counties(query: &str) -> Vec<(u32, String)> {
    let query = query.trim();
    if query.is_empty() {
        return Vec::new();
    }
    let divisions = daihuo_refdata::divisions::divisions();
    divisions
        .counties()
        .filter_map(|county| {
            let name = divisions.full_name(county.code)?;
            let hit = name.contains(query) || county.code.to_string().starts_with(query);
            hit.then_some((county.code, name))
        })
        .take(FOUND_MAX)
        .collect()
}

pub(super) async fn addresses(
    State(state): State<WebState>,
    page: Page,
    Query(query): Query<AddressQuery>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Viewer)?;
    let saved = state.services.addresses(actor).await?;
    let back = query.back.as_deref().map(|b| back_path(Some(b)));
    let search: String = query
        .q
        .as_deref()
        .unwrap_or("")
        .chars()
        .take(QUERY_MAX_CHARS)
        .collect();
    let found = find_counties(&search);
    let county = query.county.unwrap_or_default();
    let county_name = county
        .parse::<u32>()
        .ok()
        .and_then(|code| daihuo_refdata::divisions::divisions().full_name(code));
    let back_query = back
        .as_deref()
        .map(|b| format!("&back={}", encode_component(b)))
        .unwrap_or_default();
    let body = html! {
        h1 { (page.t("收货地址", "Delivery addresses")) }
        @if let Some(back) = &back {
            p { a href=(back) { (page.t("← 返回", "← Back")) } }
        }
        @if saved.is_empty() {
            p.muted { (page.t("还没有保存的地址。", "No saved address yet.")) }
        } @else {
            ul.plain.addresses #addresses {
                @for address in &saved {
                    li.card data-address-id=(address.id) {
                        b { (address.recipient) } " " (address.phone) br;
                        (address.region) " " (address.detail)
                        span.muted { " · " (address.county_code) }
                    }
                }
            }
        }
        section.card #add-address {
            h2 { (page.t("添加地址", "Add an address")) }
            form.county-finder method="get" action="/addresses" {
                @if let Some(back) = &back { input type="hidden" name="back" value=(back); }
                label { (page.t("查找区县代码（输入区县或城市名）", "Find the county code (type a county or city name)"))
                    div.row {
                        input name="q" value=(search) placeholder=(page.t("例如：西湖区", "e.g. 西湖区")) maxlength="20";
                        button type="submit" { (page.t("查找", "Find")) }
                    }
                }
            }
            @if !search.is_empty() {
                @if found.is_empty() {
                    p.muted { (page.t("没有找到匹配的区县。", "No county matches.")) }
                } @else {
                    ul.plain.found #counties {
                        @for (code, name) in &found {
                            li { a href={ "/addresses?county=" (code) (back_query) "#add-address" } { (name) " " code { (code) } } }
                        }
                    }
                }
            }
            form method="post" action="/addresses" {
                (page.csrf_field())
                @if let Some(back) = &back { input type="hidden" name="back" value=(back); }
                label { (page.t("收货人", "Recipient")) input name="recipient" required maxlength="40" autocomplete="name"; }
                label { (page.t("手机号", "Mobile number")) input name="phone" required inputmode="tel" autocomplete="tel" placeholder="138 1234 5678"; }
                label { (page.t("区县代码（6 位，如 330106）", "County code (6 digits, e.g. 330106)"))
                    input name="county_code" required inputmode="numeric" pattern="[0-9]{6}" value=(county);
                    @if let Some(name) = &county_name { span.muted { (name) } }
                }
                label { (page.t("详细地址", "Street and number")) input name="detail" required maxlength="120" autocomplete="street-address"; }
                button.primary type="submit" { (page.t("保存地址", "Save the address")) }
            }
        }
    };
    Ok(page.render(page.t("收货地址", "Delivery addresses"), body))
}

#[derive(Deserialize)]
pub(super) struct AddressForm {
    recipient: String,
    phone: String,
    county_code: String,
    detail: String,
    back: Option<String>,
}

pub(super) async fn add(
    State(state): State<WebState>,
    page: Page,
    CsrfForm(form): CsrfForm<AddressForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Viewer)?;
    let back = form.back.as_deref().map(|b| back_path(Some(b)));
    let saved = state
        .services
        .add_address(
            actor,
            AddressInput {
                recipient: form.recipient,
                phone: form.phone,
                county_code: form.county_code.clone(),
                detail: form.detail,
            },
        )
        .await;
    Ok(match saved {
        Ok(_) => redirect_with(
            back.as_deref().unwrap_or("/addresses"),
            Flash::Ok(page.t("地址已保存", "Address saved").to_owned()),
        ),
        Err(error) => {
            let mut again = format!("/addresses?county={}", encode_component(&form.county_code));
            if let Some(back) = &back {
                again.push_str(&format!("&back={}", encode_component(back)));
            }
            redirect_with(&again, Flash::from_error(&error))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::find_counties;

    #[test]
    fn a_place_name_finds_its_county_code() {
        let found = find_counties("西湖区");
        assert!(
            found
                .iter()
                .any(|(code, name)| *code == 330_106 && name.contains("杭州")),
            "{found:?}"
        );
        assert!(find_counties("  ").is_empty());
        assert!(find_counties("3301")
            .iter()
            .all(|(code, _)| code / 100 == 3301));
    }
}
