//! The C2M export (customer to manufacturer): demand over a period, net of refunds, by SKU
//! attribute, price band and the buyers' province, as JSON or CSV. A supplier exports its own
//! SKUs; an operator every supplier's, or one supplier's. The folding is
//! `daihuo_domain::c2m`; the definitions are in docs/NOWCAST.md, "C2M".

use crate::metrics::csv_text;
use crate::{Actor, ServiceError, ServiceResult, Services};
use daihuo_domain::account::Role;
use daihuo_domain::c2m::{aggregate, check_period, DemandLine, Figures, PriceBand};
use daihuo_domain::{Fen, SupplierId};
use daihuo_refdata::divisions;
use daihuo_store::c2m as store;
use daihuo_store::now_ms;
use serde::Serialize;
use utoipa::ToSchema;

/// The most (SKU, county, price) lines one export folds: a quarter of a big supplier's
/// orders fits; past it the period must be shorter.
pub const DEMAND_LINES_MAX: i64 = 200_000;
/// The CSV's header row.
pub const C2M_CSV_HEADER: &str = "attribute_name,attribute_value,price_band,province_code,\
province_name,orders,paid_units,refunded_units,units,gmv_fen";

/// Demand in one price band.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PriceBandRow {
    /// The band: `0-50`, `50-100`, `100-200`, `200-500`, `500-1000`, `1000-2000`,
    /// `2000-5000` or `5000+` (yuan per unit).
    pub price_band: PriceBand,
    /// Its lower bound, fen (included).
    pub from_fen: Fen,
    /// Its upper bound, fen (excluded); absent for the top band.
    pub to_fen: Option<Fen>,
    /// The demand.
    #[serde(flatten)]
    pub figures: Figures,
}

/// Demand from one province.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProvinceRow {
    /// GB/T 2260 code, e.g. 330000; 0 when the buyers' county is not in the division list.
    pub province_code: u32,
    /// Its name, e.g. 浙江省; empty when unknown.
    pub province_name: String,
    /// The demand.
    #[serde(flatten)]
    pub figures: Figures,
}

/// Demand for SKUs carrying one attribute pair.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttributeRow {
    /// The attribute's name, e.g. 颜色; absent for SKUs with no attribute.
    pub attribute_name: Option<String>,
    /// Its value, e.g. 红色.
    pub attribute_value: Option<String>,
    /// The demand.
    #[serde(flatten)]
    pub figures: Figures,
}

/// Demand for one attribute pair, price band and province.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct C2mCell {
    /// The attribute's name; absent for SKUs with no attribute.
    pub attribute_name: Option<String>,
    /// Its value.
    pub attribute_value: Option<String>,
    /// The price band.
    pub price_band: PriceBand,
    /// The province's code (0: unknown).
    pub province_code: u32,
    /// The province's name.
    pub province_name: String,
    /// The demand.
    #[serde(flatten)]
    pub figures: Figures,
}

/// A C2M export.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct C2mExport {
    /// Whose SKUs: one supplier's, or absent for the whole platform.
    pub supplier_id: Option<SupplierId>,
    /// Orders paid from here, Unix ms (included).
    pub from_ms: i64,
    /// Orders paid before here, Unix ms.
    pub to_ms: i64,
    /// When it was made: refunds up to then are taken off.
    pub generated_at_ms: i64,
    /// Everything.
    pub totals: Figures,
    /// By price band, cheapest first; adds up to the totals.
    pub by_price_band: Vec<PriceBandRow>,
    /// By province, by code; adds up to the totals.
    pub by_province: Vec<ProvinceRow>,
    /// By attribute pair: for each attribute name, its values add up to the demand for the
    /// SKUs that carry it.
    pub by_attribute: Vec<AttributeRow>,
    /// By attribute pair, price band and province.
    pub cells: Vec<C2mCell>,
}

fn province_name(code: u32) -> String {
    divisions::divisions()
        .get(code)
        .map(|d| d.name.to_owned())
        .unwrap_or_default()
}

impl C2mExport {
    /// The cells as CSV, one row each after [`C2M_CSV_HEADER`].
    pub fn to_csv(&self) -> String {
        use std::fmt::Write;
        let mut csv = String::with_capacity(96 * (self.cells.len() + 1));
        csv.push_str(C2M_CSV_HEADER);
        csv.push('\n');
        for cell in &self.cells {
            let f = &cell.figures;
            // Writing to a String cannot fail.
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{},{},{},{},{}",
                csv_text(cell.attribute_name.as_deref().unwrap_or("")),
                csv_text(cell.attribute_value.as_deref().unwrap_or("")),
                cell.price_band.code(),
                cell.province_code,
                csv_text(&cell.province_name),
                f.orders,
                f.paid_units,
                f.refunded_units,
                f.units,
                f.gmv_fen
            );
        }
        csv
    }
}

impl Services {
    /// The C2M export of orders paid in `[from_ms, to_ms)` (default: the last 30 days; at
    /// most 92 days). A supplier's staff or token gets its own SKUs (asking for another
    /// supplier is refused); an operator gets every supplier's, or `supplier`'s.
    pub async fn c2m_export(
        &self,
        actor: &Actor,
        supplier: Option<SupplierId>,
        from_ms: Option<i64>,
        to_ms: Option<i64>,
    ) -> ServiceResult<C2mExport> {
        let whose = match actor.role {
            Role::Operator => supplier,
            Role::SupplierStaff => {
                let own = actor.require_supplier()?;
                if supplier.is_some_and(|asked| asked != own) {
                    return Err(ServiceError::Forbidden);
                }
                Some(own)
            }
            _ => return Err(ServiceError::Forbidden),
        };
        let now = now_ms();
        let (from, to) = check_period(from_ms, to_ms, now)?;
        let rows = store::demand(self.store.pool(), from, to, whose, DEMAND_LINES_MAX + 1).await?;
        if i64::try_from(rows.len()).unwrap_or(i64::MAX) > DEMAND_LINES_MAX {
            return Err(ServiceError::invalid(
                "export_too_large",
                "the period holds too much demand for one export; ask for a shorter one",
            ));
        }
        let all = divisions::divisions();
        let lines: Vec<DemandLine> = rows
            .into_iter()
            .map(|row| DemandLine {
                attributes: row.attributes,
                unit_price: Fen(row.unit_price_fen),
                province_code: u32::try_from(row.county_code)
                    .ok()
                    .and_then(|county| all.province_of(county))
                    .map_or(0, |province| province.code),
                orders: row.orders,
                paid_units: row.paid_units,
                refunded_units: row.refunded_units,
            })
            .collect();
        let cube = aggregate(&lines);
        let split = |key: Option<(String, String)>| match key {
            Some((name, value)) => (Some(name), Some(value)),
            None => (None, None),
        };
        Ok(C2mExport {
            supplier_id: whose,
            from_ms: from,
            to_ms: to,
            generated_at_ms: now,
            totals: cube.totals,
            by_price_band: cube
                .by_price_band
                .into_iter()
                .map(|(band, figures)| PriceBandRow {
                    price_band: band,
                    from_fen: band.from_fen(),
                    to_fen: band.to_fen(),
                    figures,
                })
                .collect(),
            by_province: cube
                .by_province
                .into_iter()
                .map(|(code, figures)| ProvinceRow {
                    province_code: code,
                    province_name: province_name(code),
                    figures,
                })
                .collect(),
            by_attribute: cube
                .by_attribute
                .into_iter()
                .map(|(key, figures)| {
                    let (attribute_name, attribute_value) = split(key);
                    AttributeRow {
                        attribute_name,
                        attribute_value,
                        figures,
                    }
                })
                .collect(),
            cells: cube
                .cells
                .into_iter()
                .map(|((key, band, code), figures)| {
                    let (attribute_name, attribute_value) = split(key);
                    C2mCell {
                        attribute_name,
                        attribute_value,
                        price_band: band,
                        province_code: code,
                        province_name: province_name(code),
                        figures,
                    }
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_kept_from_formulas() {
        assert_eq!(csv_text("红色"), "红色");
        assert_eq!(csv_text("a,b"), "\"a,b\"");
        assert_eq!(csv_text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_text("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_text("-1,2"), "\"'-1,2\"");
    }
}
