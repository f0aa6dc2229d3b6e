//! The pure domain of daihuo: money, identifiers, the product pool's rules, live sessions'
//! rules and the text rules of search, and what follows a sale: warehouse routing and the
//! shipping promise, waybills, tracking timelines, after-sales and the settlement ledger;
//! and the data that ties them together: demand forecasts.
//!
//! Architecture invariant: this crate does no I/O. It has no async, no SQL and no HTTP; it
//! only turns input into types that cannot hold an invalid value and decides what the rules
//! say. Storage, services and the web sit around it.

pub mod account;
pub mod address;
pub mod after_sales;
pub mod c2m;
pub mod catalog;
pub mod demand;
pub mod flash;
pub mod forecast;
pub mod fulfilment;
pub mod ids;
pub mod ledger;
pub mod live;
pub mod metrics;
pub mod moderation;
pub mod money;
pub mod nowcast;
pub mod order;
pub mod place;
pub mod quality;
pub mod replenish;
pub mod stock;
pub mod text;
pub mod tracking;
pub mod waybill;

pub use ids::*;
pub use money::{BasisPoints, Fen};
