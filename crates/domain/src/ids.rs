//! One identifier type per entity, so an order id can never be passed where a SKU id is
//! expected. Identifiers are the database's 64-bit keys.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! entity_id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
            ToSchema,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

entity_id!(
    /// A user account of any role.
    UserId,
    /// A supplier organisation (a retailer or brand).
    SupplierId,
    /// One of a supplier's warehouses.
    WarehouseId,
    /// A standard product unit: the product a SKU is a variant of.
    SpuId,
    /// A stock keeping unit in the pool.
    SkuId,
    /// A supplier's API token, for its own systems.
    ApiTokenId,
    /// A live session: one broadcast of one anchor, scheduled, live or ended.
    LiveSessionId,
    /// A platform campaign (e.g. a "Super Brand Day") that sessions may take part in.
    CampaignId,
    /// An in-app notification to one user.
    NotificationId,
    /// A buyer's saved delivery address.
    AddressId,
    /// A flash sale (秒杀) inside a live session.
    FlashSaleId,
    /// An order: one SKU bought by one buyer, from reservation to completion.
    OrderId,
    /// One attempt to collect an order's payment through the gateway.
    PaymentId,
);
