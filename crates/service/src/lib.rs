//! The application services of daihuo: what each role may do, decided over the store.
//!
//! Architecture invariant: nothing here knows HTTP. A service takes an [`Actor`] (who is
//! asking) and checked input, enforces authorisation, runs one transaction and returns typed
//! results or a [`ServiceError`] with a stable code. The web layer only translates.

pub mod accounts;
pub mod after_sales;
pub mod anchor_pages;
pub mod c2m;
pub mod catalog;
pub mod checkout;
mod error;
pub mod feed;
pub mod forecast;
pub mod fulfilment;
pub mod live;
pub mod metrics;
pub mod nowcast;
pub mod operator_pages;
pub mod payments;
pub mod promises;
pub mod quality;
pub mod receipt;
pub mod room;
pub mod sale_room;
pub mod selection;
pub mod settlement;
pub mod supplier_pages;
pub mod viewer_pages;

pub use error::{ServiceError, ServiceResult};

use daihuo_domain::account::Role;
use daihuo_domain::catalog::CommissionPolicy;
use daihuo_domain::order::FeePolicy;
use daihuo_domain::{SupplierId, UserId};
use daihuo_room::{Hub, HubConfig};
use daihuo_store::Store;
use std::time::Duration;

/// Settings of the services on a node.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// How long a sign-in lasts.
    pub session_ttl: Duration,
    /// The platform's commission range.
    pub commission_policy: CommissionPolicy,
    /// The platform's fee on each order.
    pub fee_policy: FeePolicy,
    /// How long an ordinary purchase's reservation waits for payment (flash sales set their
    /// own).
    pub pay_window: Duration,
    /// When supplier webhooks are retried and given up on.
    pub outbox: fulfilment::OutboxPolicy,
    /// When receipt is confirmed automatically and completed orders settle (T + N).
    pub settlement: settlement::SettlementPolicy,
    /// After-sales windows: no-reason return, quality complaint, supplier decision.
    pub after_sales: daihuo_domain::after_sales::AfterSalesWindows,
    /// Shipping promises: the shortest window, the sweeper's grace, late compensation.
    pub promises: promises::PromisePolicy,
    /// How often the sell-out nowcast runs and when a session's end is assessed.
    pub nowcast: nowcast::NowcastPolicy,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            // A week: long enough for an anchor's working week, short enough that a lost
            // phone's session dies on its own.
            session_ttl: Duration::from_secs(7 * 24 * 3600),
            commission_policy: CommissionPolicy::default(),
            fee_policy: FeePolicy::default(),
            // Five minutes, as the big platforms give an unpaid order in a live room.
            pay_window: Duration::from_secs(5 * 60),
            outbox: fulfilment::OutboxPolicy::default(),
            settlement: settlement::SettlementPolicy::default(),
            // The domain's: 7 and 14 days after delivery, 48 hours to decide.
            after_sales: daihuo_domain::after_sales::AfterSalesWindows::default(),
            promises: promises::PromisePolicy::default(),
            nowcast: nowcast::NowcastPolicy::default(),
        }
    }
}

/// Every service of a node, sharing one store and one room hub. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Services {
    /// The database.
    pub store: Store,
    /// Settings.
    pub config: ServiceConfig,
    /// The live rooms of this node.
    pub rooms: Hub,
    /// This node's owners of flash sales.
    pub flash: std::sync::Arc<checkout::FlashSales>,
    /// Sign-in sessions this node has recently verified, by token hash: a burst of requests
    /// from one buyer costs one database read, not one each. An entry lives at most
    /// [`SIGNED_IN_CACHE_TTL`]; signing out on this node removes it at once, on other nodes
    /// within that time.
    pub signed_in: moka::sync::Cache<String, Actor>,
    /// The payment gateway and this node's notify URL; without one the node takes no
    /// payments ([`Services::with_payments`]).
    pub payments: Option<std::sync::Arc<payments::PaymentSetup>>,
    /// Sends supplier webhooks; without one the node delivers none and suppliers pull
    /// ([`Services::with_webhooks`]).
    pub webhooks: Option<std::sync::Arc<dyn fulfilment::WebhookTransport>>,
}

/// How long a node trusts a verified sign-in session without reading it again.
pub const SIGNED_IN_CACHE_TTL: Duration = Duration::from_secs(10);
/// The most sign-in sessions a node keeps verified in memory.
const SIGNED_IN_CACHE_MAX: u64 = 200_000;

impl Services {
    /// Services over a migrated store, with rooms for this node alone. Must be called inside
    /// a Tokio runtime (the room hub spawns its tick).
    pub fn new(store: Store, config: ServiceConfig) -> Services {
        let rooms = Hub::local(HubConfig::default(), room::RoomData::source(store.clone()));
        Services::with_rooms(store, config, rooms)
    }

    /// Services with a room hub built by the caller (one joined to other nodes by NATS).
    pub fn with_rooms(store: Store, config: ServiceConfig, rooms: Hub) -> Services {
        Services {
            store,
            config,
            rooms,
            flash: Default::default(),
            payments: None,
            webhooks: None,
            signed_in: moka::sync::Cache::builder()
                .max_capacity(SIGNED_IN_CACHE_MAX)
                .time_to_live(SIGNED_IN_CACHE_TTL)
                .build(),
        }
    }
}

/// How an actor proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// A signed-in person's session.
    Session,
    /// A supplier system's API token.
    ApiToken,
}

/// Who is asking. Built only by [`accounts`] from a verified credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user (for an API token: the staff member who created it).
    pub user_id: UserId,
    /// Role.
    pub role: Role,
    /// Organisation of supplier staff and supplier API tokens.
    pub supplier_id: Option<SupplierId>,
    /// How it signed in.
    pub credential: Credential,
}

impl Actor {
    /// The supplier this actor acts for, or `forbidden` if it is not supplier staff.
    pub fn require_supplier(&self) -> ServiceResult<SupplierId> {
        match (self.role, self.supplier_id) {
            (Role::SupplierStaff, Some(supplier)) => Ok(supplier),
            _ => Err(ServiceError::Forbidden),
        }
    }

    /// Passes only operators.
    pub fn require_operator(&self) -> ServiceResult<()> {
        if self.role == Role::Operator {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        }
    }

    /// Passes only anchors, returning their user id (the owner of a shelf).
    pub fn require_anchor(&self) -> ServiceResult<UserId> {
        if self.role == Role::Anchor {
            Ok(self.user_id)
        } else {
            Err(ServiceError::Forbidden)
        }
    }
}
