//! The quality record (质量记录) per supplier and per SKU: how often orders ship late, come
//! back or draw a quality complaint, shown to anchors in the selection centre beside each SKU
//! and per supplier.
//!
//! The counts are bumped in the transaction of the change they count ([`count`]): routing,
//! delivery, a late shipment (crate::promises), an approved return and a filed complaint
//! (crate::after_sales). Reading a page of the pool therefore costs one indexed lookup per SKU,
//! however many orders it has had. The rates and the "too few orders to tell" flag are the
//! domain's (`daihuo_domain::quality`).

use crate::{Actor, ServiceError, ServiceResult, Services};
use daihuo_domain::account::Role;
use daihuo_domain::quality::QualityRecord;
use daihuo_domain::{SkuId, SupplierId};
use daihuo_store::checkout::OrderRow;
use daihuo_store::quality::{self as store, Counted};
use daihuo_store::AnyConnection;
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// Counts `what` for the order's SKU and supplier, in the caller's transaction.
pub(crate) async fn count(
    conn: &mut AnyConnection,
    order: &OrderRow,
    what: Counted,
) -> ServiceResult<()> {
    store::count(conn, order.sku_id, order.supplier_id, what).await?;
    Ok(())
}

/// A supplier's quality record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupplierQualityView {
    /// The supplier.
    #[schema(value_type = i64)]
    pub supplier_id: SupplierId,
    /// Its record over all its SKUs.
    pub record: QualityRecord,
}

impl Services {
    /// The records of these SKUs (a SKU never ordered has an empty one).
    pub(crate) async fn quality_of_skus(
        &self,
        skus: &[SkuId],
    ) -> ServiceResult<HashMap<SkuId, QualityRecord>> {
        let counts = store::of_skus(self.store.pool(), skus).await?;
        Ok(skus
            .iter()
            .map(|sku| (*sku, counts.get(sku).copied().unwrap_or_default().record()))
            .collect())
    }

    /// A supplier's record, for anchors choosing what to sell, operators and the supplier's
    /// own staff; another supplier's staff get `forbidden`.
    pub async fn supplier_quality(
        &self,
        actor: &Actor,
        supplier: SupplierId,
    ) -> ServiceResult<SupplierQualityView> {
        let allowed = match actor.role {
            Role::Anchor | Role::Operator => true,
            Role::SupplierStaff => actor.supplier_id == Some(supplier),
            Role::Viewer => false,
        };
        if !allowed {
            return Err(ServiceError::Forbidden);
        }
        if daihuo_store::supplier_by_id(self.store.pool(), supplier)
            .await?
            .is_none()
        {
            return Err(ServiceError::NotFound("supplier"));
        }
        let counts = store::of_supplier(self.store.pool(), supplier).await?;
        Ok(SupplierQualityView {
            supplier_id: supplier,
            record: counts.record(),
        })
    }
}
