//! The selection centre: anchors search the approved pool and keep a shelf.

use crate::catalog::SkuView;
use crate::{Actor, ServiceError, ServiceResult, Services};
use daihuo_domain::catalog::SkuStatus;
use daihuo_domain::SkuId;
use daihuo_refdata::taxonomy;
use daihuo_store::{self as store, now_ms, CategoryFilter, PoolQuery, PoolSort};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The largest page.
pub const PAGE_SIZE_MAX: i64 = 100;
/// The default page.
pub const PAGE_SIZE_DEFAULT: i64 = 20;
/// The deepest page reachable by offset; past it, narrow the filters.
pub const OFFSET_MAX: i64 = 10_000;
/// The longest query text, in characters.
pub const QUERY_MAX_CHARS: usize = 100;
/// The most SKUs on one anchor's shelf.
pub const SHELF_MAX: i64 = 500;

/// How to order search results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// Highest commission first (the default: what an anchor looks for first).
    #[default]
    Commission,
    /// Cheapest first.
    PriceAsc,
    /// Dearest first.
    PriceDesc,
    /// Best recent sales first.
    Sales,
    /// Newest first.
    Newest,
}

/// A selection-centre search.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct PoolSearch {
    /// Text in Chinese or English; every word must match.
    pub q: Option<String>,
    /// A taxonomy category; its whole subtree matches.
    pub category_id: Option<u32>,
    /// Lowest pool price, fen.
    pub price_min_fen: Option<i64>,
    /// Highest pool price, fen.
    pub price_max_fen: Option<i64>,
    /// Lowest commission, basis points.
    pub commission_min_bps: Option<u32>,
    /// Only SKUs with stock.
    pub in_stock: Option<bool>,
    /// Exact brand.
    pub brand: Option<String>,
    /// Order.
    pub sort: Option<SortKey>,
    /// Page size (1–100, default 20).
    pub limit: Option<i64>,
    /// Results to skip (at most 10,000).
    pub offset: Option<i64>,
}

/// One page of results.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PoolPage {
    /// The SKUs.
    pub items: Vec<SkuView>,
    /// Whether another page follows.
    pub has_more: bool,
    /// The offset to ask for next.
    pub next_offset: Option<i64>,
}

impl Services {
    /// Searches the approved pool. Open to anchors and operators (and suppliers, who see
    /// what anchors see).
    pub async fn search_pool(&self, actor: &Actor, search: PoolSearch) -> ServiceResult<PoolPage> {
        let _ = actor;
        let query = check_search(&search)?;
        let (rows, has_more) = self.store.search_pool(&query).await?;
        let items = rows
            .into_iter()
            .map(|row| SkuView::for_actor(row, actor))
            .collect::<Vec<_>>();
        let items = self.with_quality(items).await?;
        let next_offset =
            Some(query.offset + query.limit).filter(|next| has_more && *next <= OFFSET_MAX);
        Ok(PoolPage {
            items,
            has_more,
            next_offset,
        })
    }

    /// Puts an approved SKU on the anchor's own shelf. Adding twice is harmless.
    pub async fn shelve(&self, actor: &Actor, sku_id: SkuId) -> ServiceResult<Vec<SkuView>> {
        let anchor = actor.require_anchor()?;
        let sku = store::sku_by_id(self.store.pool(), sku_id)
            .await?
            .ok_or(ServiceError::NotFound("sku"))?;
        if sku.status != SkuStatus::Approved {
            return Err(ServiceError::conflict(
                "sku_not_in_pool",
                "only approved SKUs can be shelved",
            ));
        }
        let size = store::shelf_size(self.store.pool(), anchor).await?;
        if size >= SHELF_MAX {
            // Re-adding a SKU that is already there stays harmless at the limit.
            let already = store::shelf_of(self.store.pool(), anchor)
                .await?
                .iter()
                .any(|s| s.id == sku_id);
            if !already {
                return Err(ServiceError::conflict(
                    "shelf_full",
                    format!("a shelf holds at most {SHELF_MAX} SKUs"),
                ));
            }
        }
        store::add_to_shelf(self.store.pool(), anchor, sku_id, now_ms()).await?;
        self.shelf(actor).await
    }

    /// Takes a SKU off the anchor's own shelf.
    pub async fn unshelve(&self, actor: &Actor, sku_id: SkuId) -> ServiceResult<Vec<SkuView>> {
        let anchor = actor.require_anchor()?;
        if !store::remove_from_shelf(self.store.pool(), anchor, sku_id).await? {
            return Err(ServiceError::NotFound("shelf item"));
        }
        self.shelf(actor).await
    }

    /// The anchor's own shelf.
    pub async fn shelf(&self, actor: &Actor) -> ServiceResult<Vec<SkuView>> {
        let anchor = actor.require_anchor()?;
        let rows = store::shelf_of(self.store.pool(), anchor).await?;
        let items = rows
            .into_iter()
            .map(|r| SkuView::for_actor(r, actor))
            .collect();
        self.with_quality(items).await
    }

    /// Fills in each SKU's quality record, with one lookup for the page.
    async fn with_quality(&self, mut items: Vec<SkuView>) -> ServiceResult<Vec<SkuView>> {
        let ids: Vec<SkuId> = items.iter().map(|item| item.id).collect();
        let mut records = self.quality_of_skus(&ids).await?;
        for item in &mut items {
            item.quality = records.remove(&item.id);
        }
        Ok(items)
    }
}

/// Checks a search at the edge and resolves its category into a filter the store can use.
pub fn check_search(search: &PoolSearch) -> ServiceResult<PoolQuery> {
    let text = search.q.as_deref().unwrap_or("").trim();
    if text.chars().count() > QUERY_MAX_CHARS {
        return Err(ServiceError::invalid(
            "query_too_long",
            "query is at most 100 characters",
        ));
    }
    let terms = daihuo_domain::text::query_terms(text);
    let category = match search.category_id {
        None => None,
        Some(id) => {
            let found = taxonomy::taxonomy().get(id).ok_or_else(|| {
                ServiceError::invalid(
                    "unknown_category",
                    format!("category {id} is not in the taxonomy"),
                )
            })?;
            Some(if found.depth <= 3 {
                CategoryFilter::Subtree {
                    depth: found.depth,
                    id,
                }
            } else {
                CategoryFilter::AnyOf(taxonomy::taxonomy().descendants_and_self(id))
            })
        }
    };
    let limit = search.limit.unwrap_or(PAGE_SIZE_DEFAULT);
    if !(1..=PAGE_SIZE_MAX).contains(&limit) {
        return Err(ServiceError::invalid(
            "invalid_limit",
            "limit must be 1 to 100",
        ));
    }
    let offset = search.offset.unwrap_or(0);
    if !(0..=OFFSET_MAX).contains(&offset) {
        return Err(ServiceError::invalid(
            "invalid_offset",
            "offset must be 0 to 10000",
        ));
    }
    if let (Some(min), Some(max)) = (search.price_min_fen, search.price_max_fen) {
        if min > max {
            return Err(ServiceError::invalid(
                "invalid_price_range",
                "price_min_fen is above price_max_fen",
            ));
        }
    }
    let brand = search
        .brand
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(str::to_owned);
    Ok(PoolQuery {
        terms,
        category,
        price_min_fen: search.price_min_fen,
        price_max_fen: search.price_max_fen,
        commission_min_bps: search.commission_min_bps,
        in_stock: search.in_stock.unwrap_or(false),
        brand,
        sort: match search.sort.unwrap_or_default() {
            SortKey::Commission => PoolSort::CommissionDesc,
            SortKey::PriceAsc => PoolSort::PriceAsc,
            SortKey::PriceDesc => PoolSort::PriceDesc,
            SortKey::Sales => PoolSort::SalesDesc,
            SortKey::Newest => PoolSort::Newest,
        },
        limit,
        offset,
    })
}
