//! The buy sheet: quantity and a saved address, then the order is made and the browser goes
//! to the payment gateway's pay page, which sends the buyer back to the order.
//!
//! Every rendered sheet carries an idempotency key made here, so a double submit (two taps,
//! a resent form) gets the order the first one made, never a second order.

use super::optional_id;
use crate::page::{encode_component, redirect_with, yuan, CsrfForm, Flash, Page, PageError};
use crate::WebState;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use daihuo_domain::account::Role;
use daihuo_domain::{AddressId, FlashSaleId, LiveSessionId, OrderId, SkuId};
use daihuo_service::checkout::{AddressView, BuyInput, FlashBuyInput};
use daihuo_service::{Actor, ServiceError};
use maud::{html, Markup};
use serde::Deserialize;

/// What a standalone sheet is for: one SKU at its live price, or a flash sale.
pub(super) struct Chosen {
    /// The SKU's id, when bought at its live price.
    sku_id: Option<SkuId>,
    /// The flash sale's id, when bought in the sale.
    sale_id: Option<FlashSaleId>,
    /// The product's title.
    title: String,
    /// What the buyer pays per unit, fen.
    unit_price_fen: i64,
    /// Most units that can be asked for.
    max_quantity: i64,
}

/// A fresh idempotency key for one rendered sheet: 128 random bits, far from any collision.
fn fresh_key() -> String {
    format!("web-{:032x}", rand::random::<u128>())
}

/// The sheet: inside the room as a hidden drawer `room.js` fills and opens, or on a page of
/// its own (`chosen` set) when there is no script.
pub(super) fn sheet(
    page: &Page,
    session: LiveSessionId,
    addresses: &[AddressView],
    chosen: Option<&Chosen>,
    in_room: bool,
) -> Markup {
    let back = format!("/live/{session}");
    let add_address = format!(
        "/addresses?back={}",
        encode_component(&if in_room {
            back.clone()
        } else {
            page.path.clone()
        })
    );
    html! {
        form.buy-sheet.drawer[in_room] #buy-sheet method="post" action={ (back) "/buy" } hidden[in_room] {
            (page.csrf_field())
            input type="hidden" name="key" value=(fresh_key());
            input #buy-sku type="hidden" name="sku_id" value=(chosen.and_then(|c| c.sku_id).map(|s| s.0.to_string()).unwrap_or_default());
            input #buy-sale type="hidden" name="sale_id" value=(chosen.and_then(|c| c.sale_id).map(|s| s.0.to_string()).unwrap_or_default());
            div.spread {
                h2 { (page.t("确认订单", "Your order")) }
                @if in_room { button.link #buy-close type="button" { (page.t("关闭", "Close")) } }
            }
            p #buy-item {
                @if let Some(chosen) = chosen {
                    @if chosen.sale_id.is_some() { span.badge.live { (page.t("秒杀", "Flash sale")) } " " }
                    (chosen.title) " " span.price { (yuan(chosen.unit_price_fen)) }
                }
            }
            label { (page.t("数量", "Quantity"))
                input #buy-quantity type="number" name="quantity" value="1" min="1"
                    max=[chosen.map(|c| c.max_quantity.max(1))] required inputmode="numeric";
            }
            @if addresses.is_empty() {
                p.notice #buy-no-address { (page.t("还没有收货地址。", "You have no delivery address yet."))
                    " " a href=(add_address) { (page.t("添加收货地址", "Add an address")) } }
            } @else {
                label { (page.t("收货地址", "Deliver to"))
                    select name="address_id" required {
                        @for address in addresses {
                            option value=(address.id) {
                                (address.recipient) " " (address.phone) " · " (address.region) " " (address.detail)
                            }
                        }
                    }
                }
                p.muted { a href=(add_address) { (page.t("+ 新地址", "+ New address")) } }
            }
            button.primary.wide #buy-submit type="submit" disabled[addresses.is_empty()] {
                (page.t("提交订单并支付", "Place order and pay"))
            }
            p.muted { (page.t("提交后前往支付页面，付款后返回订单详情。", "You pay on the payment page next and come back to the order.")) }
        }
    }
}

#[derive(Deserialize)]
pub(super) struct SheetQuery {
    sku_id: Option<String>,
    sale_id: Option<String>,
}

/// The sheet on a page of its own: where the room's buy buttons lead without a script.
pub(super) async fn sheet_page(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
    Query(query): Query<SheetQuery>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Viewer)?;
    let session = LiveSessionId(id);
    let snapshot = state.services.session_snapshot(session).await?;
    let sale_id = optional_id(query.sale_id.as_deref()).map_err(PageError::BadForm)?;
    let sku_id = optional_id(query.sku_id.as_deref()).map_err(PageError::BadForm)?;
    let chosen = match (sale_id, sku_id) {
        (Some(sale), _) => {
            let sale = state.services.flash_sale(FlashSaleId(sale)).await?;
            if sale.session_id != session {
                return Err(ServiceError::NotFound("flash sale").into());
            }
            let title = snapshot
                .items
                .iter()
                .find(|i| i.sku_id == sale.sku_id)
                .map(|i| i.title.clone())
                .unwrap_or_default();
            Chosen {
                sku_id: None,
                sale_id: Some(sale.id),
                title,
                unit_price_fen: sale.buyer_price_fen.0,
                max_quantity: sale.per_user_limit,
            }
        }
        (None, Some(sku)) => {
            let item = snapshot
                .items
                .iter()
                .find(|i| i.sku_id.0 == sku)
                .ok_or(ServiceError::NotFound("sku"))?;
            Chosen {
                sku_id: Some(item.sku_id),
                sale_id: None,
                title: item.title.clone(),
                unit_price_fen: item.live_price_fen.0,
                max_quantity: item.stock_left,
            }
        }
        (None, None) => return Err(PageError::BadForm("choose a SKU or a flash sale".into())),
    };
    let addresses = state.services.addresses(actor).await?;
    let body = html! {
        section.card.narrow {
            p { a href={ "/live/" (session) } { "← " (snapshot.session.title) } }
            (sheet(&page, session, &addresses, Some(&chosen), false))
        }
    };
    Ok(page.render(page.t("确认订单", "Your order"), body))
}

#[derive(Deserialize)]
pub(super) struct BuyForm {
    key: String,
    quantity: String,
    address_id: Option<String>,
    sku_id: Option<String>,
    sale_id: Option<String>,
}

fn bad_form(back: &str, message: String) -> Response {
    redirect_with(
        back,
        Flash::Error {
            code: "bad_form".into(),
            message,
        },
    )
}

/// Makes the order (in the flash sale, or at the session's live price) and sends the browser
/// to pay it.
pub(super) async fn buy(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<BuyForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Viewer)?;
    let session = LiveSessionId(id);
    let back = format!("/live/{session}");
    let Ok(quantity) = form.quantity.trim().parse::<i64>() else {
        return Ok(bad_form(&back, "the quantity is not a number".into()));
    };
    let ids = (
        optional_id(form.address_id.as_deref()),
        optional_id(form.sale_id.as_deref()),
        optional_id(form.sku_id.as_deref()),
    );
    let (address, sale, sku) = match ids {
        (Ok(Some(address)), Ok(sale), Ok(sku)) => (AddressId(address), sale, sku),
        (Ok(None), _, _) => {
            return Ok(bad_form(&back, "choose a delivery address".into()));
        }
        (Err(why), _, _) | (_, Err(why), _) | (_, _, Err(why)) => return Ok(bad_form(&back, why)),
    };
    let placed = match (sale, sku) {
        (Some(sale), _) => {
            let input = FlashBuyInput {
                quantity,
                address_id: address,
            };
            state
                .services
                .buy_flash(actor, FlashSaleId(sale), &form.key, input)
                .await
        }
        (None, Some(sku)) => {
            let input = BuyInput {
                sku_id: SkuId(sku),
                quantity,
                address_id: address,
                session_id: Some(session),
                anchor_id: None,
            };
            state.services.buy(actor, &form.key, input).await
        }
        (None, None) => return Ok(bad_form(&back, "choose a SKU or a flash sale".into())),
    };
    match placed {
        Ok(placed) => Ok(to_payment(&state, actor, placed.order.id).await),
        Err(error) => Ok(redirect_with(&back, Flash::from_error(&error))),
    }
}

/// The pay page of an order, with the way back to the order; or the order with the reason
/// it cannot be paid (already paid by a first submit, expired, no gateway).
async fn to_payment(state: &WebState, actor: &Actor, order: OrderId) -> Response {
    let back = format!("/orders/{order}");
    match state.services.start_payment(actor, order).await {
        Ok(payment) => super::redirect_to_gateway(&with_return(&payment.pay_url, &back)),
        Err(error) => redirect_with(&back, Flash::from_error(&error)),
    }
}

/// The gateway's pay URL asking it to link back to `back` (a path of this site) once paid.
fn with_return(pay_url: &str, back: &str) -> String {
    let separator = if pay_url.contains('?') { '&' } else { '?' };
    format!("{pay_url}{separator}return={}", encode_component(back))
}

#[derive(Deserialize)]
pub(super) struct NoFields {}

/// Pays a reserved order again from its page (the first pay page was closed, or failed).
pub(super) async fn pay_again(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Viewer)?;
    Ok(to_payment(&state, actor, OrderId(id)).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_way_back_rides_on_the_pay_url() {
        assert_eq!(
            with_return("http://h/sandbox-pay/pay/sbp_1", "/orders/7"),
            "http://h/sandbox-pay/pay/sbp_1?return=%2Forders%2F7"
        );
        assert_eq!(
            with_return("http://h/pay?id=1", "/orders/7"),
            "http://h/pay?id=1&return=%2Forders%2F7"
        );
    }

    #[test]
    fn every_sheet_gets_its_own_key() {
        let (a, b) = (fresh_key(), fresh_key());
        assert_ne!(a, b);
        assert!(a.len() <= 64 && a.bytes().all(|c| c.is_ascii_graphic()));
    }
}
