//! Pool search for the selection centre: approved SKUs by text and filters, sorted and paged.
//!
//! The text match differs by database (FTS5 on SQLite, a GIN-indexed term array on
//! PostgreSQL); both match the same pre-segmented terms, so both stores find the same SKUs.
//! A query with text filters and ranks its matches in `sku_rank`, the narrow copy of the
//! approved pool's keys (migration 0004), and reads `skus` only for the page it returns.

use crate::pool::{sku_from_row, SkuRow, SKU_COLUMNS};
use crate::{Dialect, Store, StoreResult};

/// A category filter, resolved by the caller from the taxonomy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CategoryFilter {
    /// The subtree under a category at depth 1, 2 or 3: matched on the stored ancestor.
    Subtree {
        /// Depth of the category (1..=3).
        depth: u8,
        /// The category.
        id: u32,
    },
    /// A deeper category: matched on the explicit list of it and its descendants.
    AnyOf(Vec<u32>),
}

/// How results are ordered. Ties break on id, newest first, so paging is stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolSort {
    /// Highest commission first.
    CommissionDesc,
    /// Cheapest pool price first.
    PriceAsc,
    /// Dearest pool price first.
    PriceDesc,
    /// Best recent sales first.
    SalesDesc,
    /// Most recently created first.
    Newest,
}

/// A checked pool query.
#[derive(Debug, Clone)]
pub struct PoolQuery {
    /// Terms that must all match (empty: no text filter).
    pub terms: Vec<String>,
    /// Category subtree.
    pub category: Option<CategoryFilter>,
    /// Lowest pool price, fen.
    pub price_min_fen: Option<i64>,
    /// Highest pool price, fen.
    pub price_max_fen: Option<i64>,
    /// Lowest commission, basis points.
    pub commission_min_bps: Option<u32>,
    /// Only SKUs with stock in some warehouse.
    pub in_stock: bool,
    /// Exact brand.
    pub brand: Option<String>,
    /// Order.
    pub sort: PoolSort,
    /// Page size.
    pub limit: i64,
    /// Rows to skip.
    pub offset: i64,
}

enum Param {
    Int(i64),
    Text(String),
}

impl Store {
    /// Runs a pool query; returns one page of approved SKUs and whether more follow.
    pub async fn search_pool(&self, query: &PoolQuery) -> StoreResult<(Vec<SkuRow>, bool)> {
        // The filters name their columns on `s`, which is `skus` or, with text, `sku_rank`:
        // both hold the filter and sort keys under the same names.
        let mut clauses = Vec::new();
        let mut params: Vec<Param> = Vec::new();
        let next = |params: &mut Vec<Param>, p: Param| {
            params.push(p);
            format!("${}", params.len())
        };
        if !query.terms.is_empty() {
            let clause = match self.dialect() {
                Dialect::Sqlite => {
                    let fts = query
                        .terms
                        .iter()
                        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
                        .collect::<Vec<_>>()
                        .join(" ");
                    let p = next(&mut params, Param::Text(fts));
                    format!("f.sku_search MATCH {p}")
                }
                Dialect::Postgres => {
                    let p = next(&mut params, Param::Text(query.terms.join(" ")));
                    format!("s.search_array @> string_to_array({p}, ' ')")
                }
            };
            clauses.push(clause);
        }
        match &query.category {
            Some(CategoryFilter::Subtree { depth, id }) => {
                let column = match depth {
                    1 => "s.category_l1",
                    2 => "s.category_l2",
                    _ => "s.category_l3",
                };
                let p = next(&mut params, Param::Int(i64::from(*id)));
                clauses.push(format!("{column} = {p}"));
            }
            Some(CategoryFilter::AnyOf(ids)) => {
                let list = ids
                    .iter()
                    .map(|id| next(&mut params, Param::Int(i64::from(*id))))
                    .collect::<Vec<_>>()
                    .join(", ");
                clauses.push(format!("s.category_id IN ({list})"));
            }
            None => {}
        }
        if let Some(min) = query.price_min_fen {
            let p = next(&mut params, Param::Int(min));
            clauses.push(format!("s.pool_fen >= {p}"));
        }
        if let Some(max) = query.price_max_fen {
            let p = next(&mut params, Param::Int(max));
            clauses.push(format!("s.pool_fen <= {p}"));
        }
        if let Some(min) = query.commission_min_bps {
            let p = next(&mut params, Param::Int(i64::from(min)));
            clauses.push(format!("s.commission_bps >= {p}"));
        }
        if query.in_stock {
            clauses.push("s.stock_total > 0".to_owned());
        }
        if let Some(brand) = &query.brand {
            let p = next(&mut params, Param::Text(brand.clone()));
            clauses.push(format!("s.brand = {p}"));
        }
        // Ties break on id in the direction of the sort, so an index on (status, key) — which
        // ends in the row id — serves the whole ORDER BY without a sort step.
        let order = match query.sort {
            PoolSort::CommissionDesc => "s.commission_bps DESC, s.id DESC",
            PoolSort::PriceAsc => "s.pool_fen ASC, s.id ASC",
            PoolSort::PriceDesc => "s.pool_fen DESC, s.id DESC",
            PoolSort::SalesDesc => "s.recent_sales DESC, s.id DESC",
            PoolSort::Newest => "s.id DESC",
        };
        let limit = next(&mut params, Param::Int(query.limit + 1));
        let offset = next(&mut params, Param::Int(query.offset));
        // The page is chosen over narrow rows first and only its ~20 rows are read whole
        // ("late materialisation"), so filtering and sorting never drag titles and images.
        let page = if query.terms.is_empty() {
            // Without text the pool's partial indexes on `skus` (migration 0002) find and
            // order the rows; they name the pool by the literal status they are partial on.
            clauses.insert(0, "s.status = 'approved'".to_owned());
            let filters = clauses.join(" AND ");
            format!(
                "SELECT s.id FROM skus s WHERE {filters} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
            )
        } else {
            // With text, the full-text index finds the matches and only then are they
            // filtered and sorted: a planner that misjudges a rare term must not be free to
            // walk a sort index over the whole pool looking for matches. A common word matches
            // ten thousand SKUs; each is looked up in `sku_rank` (~32-byte rows, only approved
            // SKUs), not in the ~300-byte `skus` row.
            let filters = clauses.join(" AND ");
            match self.dialect() {
                // `CROSS JOIN` makes SQLite loop over the full-text matches outside, and
                // `sku_rank` has no index to walk instead. A join, not `IN (subquery)` in a
                // materialised CTE: that built two temporary tables of every match and took
                // 1.4 to 3.5 times as long (docs/BENCHMARKS.md, runs 5–7).
                Dialect::Sqlite => format!(
                    "SELECT s.id FROM sku_search f CROSS JOIN sku_rank s ON s.id = f.rowid \
                     WHERE {filters} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
                ),
                // PostgreSQL has no join-order hint; a `MATERIALIZED` CTE is its fence.
                Dialect::Postgres => format!(
                    "WITH matched AS MATERIALIZED (SELECT s.id, s.commission_bps, s.pool_fen, \
                     s.recent_sales FROM sku_rank s WHERE {filters}) \
                     SELECT s.id FROM matched s ORDER BY {order} LIMIT {limit} OFFSET {offset}"
                ),
            }
        };
        let sql = format!(
            "SELECT {SKU_COLUMNS} FROM ({page}) page JOIN skus s ON s.id = page.id \
             JOIN spus p ON p.id = s.spu_id JOIN suppliers sup ON sup.id = s.supplier_id \
             ORDER BY {order}"
        );
        let mut q = sqlx::query(&sql);
        for param in params {
            q = match param {
                Param::Int(v) => q.bind(v),
                Param::Text(v) => q.bind(v),
            };
        }
        let rows = q.fetch_all(self.pool()).await?;
        let mut skus = rows
            .iter()
            .map(sku_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let more = skus.len() as i64 > query.limit;
        skus.truncate(usize::try_from(query.limit).unwrap_or(0));
        Ok((skus, more))
    }
}
