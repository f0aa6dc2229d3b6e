//! The demo's world, seeded through the services as trusted code in the same process: an
//! operator, suppliers with warehouses in several provinces and a pool of SKUs on real
//! taxonomy categories, anchors large and small with shelves and followers, a Super Brand
//! Day campaign with a subsidy budget, sessions live now and upcoming, and thousands of
//! signed-in viewers with saved addresses.
//!
//! Seeding takes the write paths the API takes (`upsert_skus`, `schedule_session`, `go_live`,
//! `pin_sku`, `seed_viewers`, …). Three bulk steps go to the store in one transaction each,
//! as the benchmarks do, because doing them one request at a time would only make the demo
//! slow to start: approving the synthetic pool (`approve_all_pending`), putting SKUs on
//! shelves and following anchors. Each writes exactly the rows its service would.

use super::{service_error, DEMO_PASSWORD};
use daihuo_domain::account::Role;
use daihuo_domain::{CampaignId, LiveSessionId, SkuId, UserId};
use daihuo_refdata::{synthetic, taxonomy};
use daihuo_service::accounts::NewSupplier;
use daihuo_service::catalog::{Attribute, SkuInput, WarehouseInput, WarehouseStockInput};
use daihuo_service::checkout::AddressInput;
use daihuo_service::live::{NewCampaign, NewLiveSession, SessionItemInput};
use daihuo_service::{Actor, Credential, Services};
use daihuo_store::now_ms;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;

/// The most SKUs one upsert takes (the service's bulk limit).
const UPSERT_CHUNK: usize = 1_000;
/// SKUs on each anchor's shelf: enough for a few sessions of 10–30 without repeats.
const SHELF_SIZE: usize = 40;
/// SKUs a session sells, at least and at most: a real stream presents a few dozen.
pub const SESSION_ITEMS: (usize, usize) = (10, 30);
/// SKUs left waiting for review, so the operator's review queue has work in it.
const PENDING_REVIEW: usize = 12;
/// Share of SKUs that have stock at all, in percent; the rest are sold out, so the
/// selection centre's in-stock filter has something to remove.
const IN_STOCK_PERCENT: u32 = 85;
/// Units of a stocked SKU in one warehouse, at least and at most.
const UNITS_PER_WAREHOUSE: (i64, i64) = (30, 3_000);
/// The fewest units a session SKU has: enough for a few flash sales and a day of orders.
const SESSION_SKU_UNITS_MIN: i64 = 300;
/// The Super Brand Day's subsidy budget: ¥200,000, spent by flash-sale subsidies.
const CAMPAIGN_BUDGET_FEN: i64 = 20_000_000;
/// The campaign runs from an hour ago for this long.
const CAMPAIGN_LENGTH_MS: i64 = 7 * 24 * 3_600 * 1_000;
/// One hour.
const HOUR_MS: i64 = 3_600 * 1_000;

/// A supplier of the demo.
struct SupplierPlan {
    /// Organisation name.
    name: &'static str,
    /// Its staff's login.
    username: &'static str,
    /// The carrier it ships with (see `daihuo_domain::waybill`).
    carrier: &'static str,
    /// Warehouses: code, name, GB/T 2260 county.
    warehouses: &'static [(&'static str, &'static str, &'static str)],
    /// Categories (taxonomy path prefixes) it specialises in; empty for a general retailer,
    /// which takes everything the specialists do not.
    specialises_in: &'static [&'static str],
}

/// The first supplier is the JD-like self-operated retailer whose login is printed.
const SUPPLIERS: [SupplierPlan; 3] = [
    SupplierPlan {
        name: "京选自营 Jingxuan Self-operated",
        username: "supplier",
        carrier: "jd",
        warehouses: &[
            ("BJ", "北京大兴亚洲一号仓", "110115"),
            ("SH", "上海嘉定仓", "310114"),
            ("GZ", "广州黄埔仓", "440112"),
            ("CD", "成都新都仓", "510114"),
            ("WH", "武汉江夏仓", "420115"),
            ("XA", "西安长安仓", "610116"),
        ],
        specialises_in: &[],
    },
    SupplierPlan {
        name: "花间美妆旗舰店 Huajian Beauty",
        username: "demo-supplier-huajian",
        carrier: "sf",
        warehouses: &[
            ("HZ", "杭州余杭仓", "330110"),
            ("GZ", "广州天河仓", "440106"),
        ],
        specialises_in: &["Health & Beauty"],
    },
    SupplierPlan {
        name: "川味坊食品 Chuanweifang Foods",
        username: "demo-supplier-chuanwei",
        carrier: "zto",
        warehouses: &[
            ("CD", "成都武侯仓", "510107"),
            ("CQ", "重庆渝北仓", "500112"),
        ],
        specialises_in: &["Food, Beverages & Tobacco"],
    },
];

/// Share of a specialist's categories it takes (the rest stay with the big retailer), in
/// percent.
const SPECIALIST_SHARE_PERCENT: u32 = 75;

/// When an anchor's first session of the demo starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Live when the demo is ready.
    LiveNow,
    /// Scheduled this many minutes after the start (the director takes it live then).
    InMinutes(i64),
}

/// An anchor of the demo.
pub struct AnchorPlan {
    /// Login.
    pub username: &'static str,
    /// Name shown.
    pub display_name: &'static str,
    /// Share of viewers who follow, in tenths of a percent: the head anchor and the
    /// newcomer differ by two orders of magnitude, as they do on real platforms.
    pub follow_permille: u32,
    /// Categories (taxonomy path prefixes) the shelf is filled from first.
    pub themes: &'static [&'static str],
    /// Whether its sessions take part in the Super Brand Day.
    pub in_campaign: bool,
    /// The first session.
    pub start: Start,
    /// Session titles, used in turn.
    pub titles: &'static [&'static str],
}

/// The first anchor is the one whose login is printed; it is live when the demo is ready.
pub const ANCHORS: [AnchorPlan; 6] = [
    AnchorPlan {
        username: "anchor",
        display_name: "小满好物",
        follow_permille: 350,
        themes: &[
            "Home & Garden",
            "Food, Beverages & Tobacco",
            "Apparel & Accessories",
        ],
        in_campaign: true,
        start: Start::LiveNow,
        titles: &[
            "超级品牌日 · 小满的居家好物专场",
            "小满好物 · 周末囤货节",
            "小满好物 · 新品试用直播",
        ],
    },
    AnchorPlan {
        username: "demo-anchor-laozhou",
        display_name: "老周说家电",
        follow_permille: 800,
        themes: &[
            "Home & Garden > Household Appliances",
            "Home & Garden > Kitchen & Dining > Kitchen Appliances",
            "Electronics",
        ],
        in_campaign: true,
        start: Start::LiveNow,
        titles: &[
            "超级品牌日 · 家电直降专场",
            "老周说家电 · 空调冰箱以旧换新",
            "老周说家电 · 数码好价夜",
        ],
    },
    AnchorPlan {
        username: "demo-anchor-amay",
        display_name: "阿May美妆间",
        follow_permille: 200,
        themes: &["Health & Beauty"],
        in_campaign: true,
        start: Start::LiveNow,
        titles: &[
            "超级品牌日 · 大牌美妆秒杀",
            "阿May · 换季护肤全攻略",
            "阿May · 平价彩妆试色",
        ],
    },
    AnchorPlan {
        username: "demo-anchor-chuanmei",
        display_name: "川妹子零食铺",
        follow_permille: 60,
        themes: &["Food, Beverages & Tobacco"],
        in_campaign: false,
        start: Start::InMinutes(20),
        titles: &["川妹子 · 深夜零食局", "川妹子 · 家乡味道专场"],
    },
    AnchorPlan {
        username: "demo-anchor-chengxuyuanbaba",
        display_name: "程序员爸爸带娃",
        follow_permille: 20,
        themes: &["Baby & Toddler", "Toys & Games", "Animals & Pet Supplies"],
        in_campaign: false,
        start: Start::InMinutes(150),
        titles: &["奶爸好物 · 母婴玩具测评", "奶爸好物 · 宠物用品开箱"],
    },
    AnchorPlan {
        username: "demo-anchor-xiaoliu",
        display_name: "新人小刘",
        follow_permille: 3,
        themes: &["Sporting Goods", "Apparel & Accessories", "Luggage & Bags"],
        in_campaign: false,
        start: Start::InMinutes(24 * 60 - 30),
        titles: &["新人小刘 · 第一次直播", "新人小刘 · 运动装备分享"],
    },
];

/// Where the simulated viewers live: county, recipient, street. Spread over regions that
/// the warehouses serve from different distances, so routing picks different warehouses.
const VIEWER_HOMES: [(&str, &str, &str); 10] = [
    ("110108", "王芳", "中关村大街 27 号 3 单元 502"),
    ("310104", "李娜", "漕溪北路 88 号 12 楼"),
    ("440305", "张伟", "科技园南区 深南大道 9988 号"),
    ("510107", "刘洋", "人民南路四段 12 号 6 栋"),
    ("420111", "陈静", "珞喻路 1037 号 东区 8 栋"),
    ("610113", "杨磊", "小寨东路 126 号 2 单元"),
    ("330106", "赵敏", "文三路 478 号 华星时代广场"),
    ("320106", "黄强", "中山北路 105 号 1801 室"),
    ("430104", "周婷", "麓山南路 932 号"),
    ("370102", "吴刚", "泉城路 180 号 5 楼"),
];

/// The printed viewer's home.
const VIEWER_ADDRESS: (&str, &str, &str, &str) = (
    "陈小满",
    "13800138000",
    "310115",
    "世纪大道 100 号 2 号楼 1808 室",
);

/// One SKU of the pool as the demo knows it.
#[derive(Debug, Clone)]
pub struct PoolSku {
    /// Its id.
    pub id: SkuId,
    /// The supplier, an index into the world's suppliers.
    pub supplier: usize,
    /// Its taxonomy path, for themed shelves.
    pub category_path: &'static str,
    /// Units in all its warehouses.
    pub units: i64,
    /// Floor and pool price, fen.
    pub floor_fen: i64,
    /// See `floor_fen`.
    pub pool_fen: i64,
}

/// A supplier of the world.
pub struct Supplier {
    /// Its staff member, as the services know them.
    pub actor: Actor,
    /// Its staff's login.
    pub username: &'static str,
    /// The carrier it ships with.
    pub carrier: &'static str,
}

/// An anchor of the world.
pub struct Anchor {
    /// As the services know them.
    pub actor: Actor,
    /// Its plan.
    pub plan: &'static AnchorPlan,
    /// Its shelf.
    pub shelf: Vec<SkuId>,
    /// Its session live at the start, if any.
    pub live: Option<LiveSessionId>,
}

/// A simulated viewer: signed in, with a saved address.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The account.
    pub user_id: UserId,
    /// A session token.
    pub token: String,
    /// The saved address.
    pub address_id: i64,
}

/// What seeding made.
pub struct World {
    /// The suppliers; the first is the printed one.
    pub suppliers: Vec<Supplier>,
    /// The anchors; the first is the printed one.
    pub anchors: Vec<Anchor>,
    /// The pool.
    pub pool: Vec<PoolSku>,
    /// The printed viewer.
    pub viewer: Actor,
    /// The printed viewer's address.
    pub viewer_address: i64,
    /// The simulated viewers, shared with the simulators.
    pub viewers: std::sync::Arc<Vec<Viewer>>,
    /// Follows written.
    pub follows: usize,
    /// Sessions scheduled for later.
    pub upcoming: usize,
    /// How long each step of seeding took, milliseconds.
    pub phases_ms: Vec<(&'static str, u64)>,
}

impl World {
    /// The supplier (index) of a SKU.
    pub fn supplier_of(&self, sku: SkuId) -> Option<usize> {
        self.pool.iter().find(|s| s.id == sku).map(|s| s.supplier)
    }
}

fn actor(user_id: UserId, role: Role, supplier_id: Option<daihuo_domain::SupplierId>) -> Actor {
    Actor {
        user_id,
        role,
        supplier_id,
        credential: Credential::Session,
    }
}

/// Whether `path` is within one of `prefixes`.
fn within(path: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(" >"))
    })
}

/// Seeds the world: `skus` SKUs in the pool and `viewers` simulated viewers, all choices
/// drawn from `seed`.
pub async fn seed(
    services: &Services,
    seed: u64,
    skus: usize,
    viewers: usize,
) -> anyhow::Result<World> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut phases = Phases::start();
    let operator = services
        .create_user(
            "admin",
            DEMO_PASSWORD,
            "平台运营 Operator",
            Role::Operator,
            None,
        )
        .await
        .map_err(service_error)?;
    let operator = actor(operator.id, Role::Operator, None);
    let suppliers = create_suppliers(services, &operator).await?;
    phases.done("accounts");
    let pool = fill_pool(services, &suppliers, seed, skus, &mut rng).await?;
    phases.done("pool");
    let campaign = create_campaign(services, &operator).await?;
    let mut anchors = Vec::with_capacity(ANCHORS.len());
    for plan in &ANCHORS {
        let user = services
            .create_user(
                plan.username,
                DEMO_PASSWORD,
                plan.display_name,
                Role::Anchor,
                None,
            )
            .await
            .map_err(service_error)?;
        let shelf = choose_shelf(&pool, plan, &mut rng);
        anchors.push(Anchor {
            actor: actor(user.id, Role::Anchor, None),
            plan,
            shelf,
            live: None,
        });
    }
    put_on_shelves(services, &anchors).await?;
    phases.done("anchors");
    let (viewer, viewer_address) = create_viewer(services).await?;
    let simulated = create_viewers(services, viewers).await?;
    let follows = follow_anchors(services, &anchors, &viewer, &simulated, &mut rng).await?;
    phases.done("viewers");
    let upcoming = start_sessions(services, &mut anchors, &pool, campaign, &mut rng).await?;
    phases.done("sessions");
    Ok(World {
        suppliers,
        anchors,
        pool,
        viewer,
        viewer_address,
        viewers: std::sync::Arc::new(simulated),
        follows,
        upcoming,
        phases_ms: phases.done,
    })
}

/// How long each step of seeding took, for the log.
struct Phases {
    /// Each step's name and milliseconds.
    done: Vec<(&'static str, u64)>,
    /// When the current step began.
    since: std::time::Instant,
}

impl Phases {
    fn start() -> Phases {
        Phases {
            done: Vec::new(),
            since: std::time::Instant::now(),
        }
    }

    /// The step `name` ends now and the next begins.
    fn done(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        let ms = u64::try_from(now.duration_since(self.since).as_millis()).unwrap_or(u64::MAX);
        self.done.push((name, ms));
        self.since = now;
    }
}

async fn create_suppliers(services: &Services, operator: &Actor) -> anyhow::Result<Vec<Supplier>> {
    let mut suppliers = Vec::with_capacity(SUPPLIERS.len());
    for plan in &SUPPLIERS {
        let created = services
            .create_supplier(
                operator,
                NewSupplier {
                    name: plan.name.to_owned(),
                    admin_username: plan.username.to_owned(),
                    admin_password: DEMO_PASSWORD.to_owned(),
                },
            )
            .await
            .map_err(service_error)?;
        let staff = actor(
            created.admin.id,
            Role::SupplierStaff,
            Some(created.supplier_id),
        );
        for (code, name, county) in plan.warehouses {
            services
                .upsert_warehouse(
                    &staff,
                    WarehouseInput {
                        code: (*code).to_owned(),
                        name: (*name).to_owned(),
                        county_code: (*county).to_owned(),
                    },
                )
                .await
                .map_err(service_error)?;
        }
        suppliers.push(Supplier {
            actor: staff,
            username: plan.username,
            carrier: plan.carrier,
        });
    }
    Ok(suppliers)
}

/// The supplier of a synthetic SKU: a specialist takes most of its categories, the big
/// retailer the rest. Decided per SPU, so a product's variants stay with one supplier.
fn supplier_for(path: &str, seed: u64, spu: u64) -> usize {
    let dice = super::mix(seed ^ super::mix(spu)) % 100;
    SUPPLIERS
        .iter()
        .position(|plan| {
            within(path, plan.specialises_in) && dice < u64::from(SPECIALIST_SHARE_PERCENT)
        })
        .unwrap_or(0)
}

/// The synthetic SKU at `index` as its supplier sends it, with stock in some of the
/// supplier's warehouses (or none). No images: the synthetic ones point at a host that does
/// not exist, and the pages show a placeholder instead of a broken picture.
fn sku_input(seed: u64, index: u64, plan: &SupplierPlan, rng: &mut StdRng) -> SkuInput {
    let sku = synthetic::generate(seed, index);
    let stock = if rng.gen_range(0..100) < IN_STOCK_PERCENT {
        let count = rng.gen_range(1..=plan.warehouses.len());
        plan.warehouses
            .choose_multiple(rng, count)
            .map(|(code, _, _)| WarehouseStockInput {
                warehouse_code: (*code).to_owned(),
                quantity: rng.gen_range(UNITS_PER_WAREHOUSE.0..=UNITS_PER_WAREHOUSE.1),
                version: 1,
            })
            .collect()
    } else {
        Vec::new()
    };
    SkuInput {
        spu_code: sku.spu_code,
        sku_code: sku.sku_code,
        title: sku.title,
        brand: sku.brand,
        category_id: sku.category_id,
        gtin: Some(sku.gtin),
        images: Vec::new(),
        attributes: sku
            .attributes
            .into_iter()
            .map(|(name, value)| Attribute { name, value })
            .collect(),
        supply_price_fen: sku.supply_price_fen,
        pool_price_fen: sku.pool_price_fen,
        floor_price_fen: sku.floor_price_fen,
        retail_price_fen: sku.retail_price_fen,
        commission_bps: i64::from(sku.commission_bps),
        stock,
    }
}

/// Writes `count` SKUs from `first` on; returns the pool entries of those written.
async fn upsert(
    services: &Services,
    suppliers: &[Supplier],
    seed: u64,
    indices: std::ops::Range<u64>,
    rng: &mut StdRng,
) -> anyhow::Result<Vec<PoolSku>> {
    let mut by_supplier: Vec<Vec<(u64, SkuInput, &'static str)>> =
        (0..suppliers.len()).map(|_| Vec::new()).collect();
    for index in indices {
        let category = synthetic::generate(seed, index).category_id;
        let path = taxonomy::taxonomy()
            .get(category)
            .map_or("", |category| category.path);
        let supplier = supplier_for(path, seed, index / synthetic::SKUS_PER_SPU);
        let input = sku_input(seed, index, &SUPPLIERS[supplier], rng);
        by_supplier[supplier].push((index, input, path));
    }
    let mut written = Vec::new();
    for (supplier, items) in by_supplier.into_iter().enumerate() {
        for chunk in items.chunks(UPSERT_CHUNK) {
            let report = services
                .upsert_skus(
                    &suppliers[supplier].actor,
                    chunk
                        .iter()
                        .map(|(index, input, _)| (*index, input.clone()))
                        .collect(),
                )
                .await
                .map_err(service_error)?;
            anyhow::ensure!(
                report.rejected == 0,
                "the demo catalogue has rejected rows: {:?}",
                report.results.iter().find(|r| r.error.is_some())
            );
            for (result, (_, input, path)) in report.results.iter().zip(chunk) {
                if let Some(id) = result.sku_id {
                    written.push(PoolSku {
                        id,
                        supplier,
                        category_path: path,
                        units: input.stock.iter().map(|s| s.quantity).sum(),
                        floor_fen: input.floor_price_fen,
                        pool_fen: input.pool_price_fen,
                    });
                }
            }
        }
    }
    Ok(written)
}

/// The pool: `skus` approved SKUs, then a few more left waiting for review.
async fn fill_pool(
    services: &Services,
    suppliers: &[Supplier],
    seed: u64,
    skus: usize,
    rng: &mut StdRng,
) -> anyhow::Result<Vec<PoolSku>> {
    let count = u64::try_from(skus).unwrap_or(u64::MAX);
    let pool = upsert(services, suppliers, seed, 0..count, rng).await?;
    let mut tx = services.store.begin_write().await?;
    daihuo_store::approve_all_pending(tx.conn(), now_ms()).await?;
    tx.commit().await?;
    let pending = u64::try_from(PENDING_REVIEW).unwrap_or(0);
    upsert(services, suppliers, seed, count..count + pending, rng).await?;
    Ok(pool)
}

async fn create_campaign(services: &Services, operator: &Actor) -> anyhow::Result<CampaignId> {
    let now = now_ms();
    let campaign = services
        .create_campaign(
            operator,
            NewCampaign {
                name: "超级品牌日 Super Brand Day".to_owned(),
                starts_at_ms: now - HOUR_MS,
                ends_at_ms: now - HOUR_MS + CAMPAIGN_LENGTH_MS,
            },
        )
        .await
        .map_err(service_error)?;
    services
        .set_subsidy_budget(operator, campaign.id, CAMPAIGN_BUDGET_FEN)
        .await
        .map_err(service_error)?;
    Ok(campaign.id)
}

/// An anchor's shelf: in-stock SKUs of its themes first, then any in stock; at least a
/// third from the big retailer, so the printed supplier has SKUs in every session.
fn choose_shelf(pool: &[PoolSku], plan: &AnchorPlan, rng: &mut StdRng) -> Vec<SkuId> {
    let stocked = |s: &&PoolSku| s.units >= SESSION_SKU_UNITS_MIN;
    let mut themed: Vec<&PoolSku> = pool
        .iter()
        .filter(stocked)
        .filter(|s| within(s.category_path, plan.themes))
        .collect();
    themed.shuffle(rng);
    let mut retailer: Vec<&PoolSku> = pool
        .iter()
        .filter(stocked)
        .filter(|s| s.supplier == 0)
        .collect();
    retailer.shuffle(rng);
    let mut others: Vec<&PoolSku> = pool.iter().filter(stocked).collect();
    others.shuffle(rng);
    let mut shelf = Vec::with_capacity(SHELF_SIZE);
    let mut seen = HashSet::new();
    let mut take = |sku: &PoolSku, shelf: &mut Vec<SkuId>| {
        if shelf.len() < SHELF_SIZE && seen.insert(sku.id) {
            shelf.push(sku.id);
        }
    };
    let retailer_min = SHELF_SIZE / 3;
    for sku in themed.iter().filter(|s| s.supplier == 0).take(retailer_min) {
        take(sku, &mut shelf);
    }
    for sku in retailer.iter().take(retailer_min) {
        if shelf
            .iter()
            .filter(|id| pool_supplier(pool, **id) == 0)
            .count()
            >= retailer_min
        {
            break;
        }
        take(sku, &mut shelf);
    }
    for sku in themed.iter().chain(others.iter()) {
        take(sku, &mut shelf);
    }
    // Themed goods first on the shelf, as an anchor arranges it.
    shelf.sort_by_key(|id| {
        let sku = pool.iter().find(|s| s.id == *id);
        !sku.is_some_and(|s| within(s.category_path, plan.themes))
    });
    shelf
}

fn pool_supplier(pool: &[PoolSku], id: SkuId) -> usize {
    pool.iter()
        .find(|s| s.id == id)
        .map_or(usize::MAX, |s| s.supplier)
}

/// Every anchor's shelf, in one transaction (what `Services::shelve` writes, without
/// reading the whole shelf back after each SKU).
async fn put_on_shelves(services: &Services, anchors: &[Anchor]) -> anyhow::Result<()> {
    let now = now_ms();
    let mut tx = services.store.begin_write().await?;
    for anchor in anchors {
        for sku in &anchor.shelf {
            daihuo_store::add_to_shelf(tx.conn(), anchor.actor.user_id, *sku, now).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn create_viewer(services: &Services) -> anyhow::Result<(Actor, i64)> {
    let user = services
        .create_user("viewer", DEMO_PASSWORD, "小满的粉丝", Role::Viewer, None)
        .await
        .map_err(service_error)?;
    let viewer = actor(user.id, Role::Viewer, None);
    let (recipient, phone, county, detail) = VIEWER_ADDRESS;
    let address = services
        .add_address(
            &viewer,
            AddressInput {
                recipient: recipient.to_owned(),
                phone: phone.to_owned(),
                county_code: county.to_owned(),
                detail: detail.to_owned(),
            },
        )
        .await
        .map_err(service_error)?;
    Ok((viewer, address.id.0))
}

/// `count` viewers spread over [`VIEWER_HOMES`], named `fan-<region>-<n>`.
async fn create_viewers(services: &Services, count: usize) -> anyhow::Result<Vec<Viewer>> {
    let mut viewers = Vec::with_capacity(count);
    for (region, (county, recipient, detail)) in VIEWER_HOMES.iter().enumerate() {
        let here = count / VIEWER_HOMES.len() + usize::from(region < count % VIEWER_HOMES.len());
        if here == 0 {
            continue;
        }
        let seeded = services
            .seed_viewers(
                &format!("fan-{county}-"),
                here,
                DEMO_PASSWORD,
                &AddressInput {
                    recipient: (*recipient).to_owned(),
                    phone: format!("139{:08}", 10_000_000 + region * 1_234_567),
                    county_code: (*county).to_owned(),
                    detail: (*detail).to_owned(),
                },
            )
            .await
            .map_err(service_error)?;
        viewers.extend(seeded.into_iter().map(|v| Viewer {
            user_id: v.user_id,
            token: v.token,
            address_id: v.address_id.0,
        }));
    }
    Ok(viewers)
}

/// Viewers follow each anchor with the anchor's share; the printed viewer follows the first
/// three. One transaction (what `Services::follow_anchor` writes per follow).
async fn follow_anchors(
    services: &Services,
    anchors: &[Anchor],
    viewer: &Actor,
    viewers: &[Viewer],
    rng: &mut StdRng,
) -> anyhow::Result<usize> {
    let now = now_ms();
    let mut follows = 0;
    let mut tx = services.store.begin_write().await?;
    for anchor in anchors.iter().take(3) {
        daihuo_store::live::follow(tx.conn(), viewer.user_id, anchor.actor.user_id, now).await?;
        follows += 1;
    }
    for fan in viewers {
        for anchor in anchors {
            if rng.gen_range(0..1_000) < anchor.plan.follow_permille {
                daihuo_store::live::follow(tx.conn(), fan.user_id, anchor.actor.user_id, now)
                    .await?;
                follows += 1;
            }
        }
    }
    tx.commit().await?;
    Ok(follows)
}

/// A session's items: [`SESSION_ITEMS`] SKUs drawn from the shelf, at least one of them
/// the big retailer's (the printed supplier has goods in every session), at live prices a
/// little under the pool price and never under the floor.
pub fn session_items(shelf: &[SkuId], pool: &[PoolSku], rng: &mut StdRng) -> Vec<SessionItemInput> {
    let count = rng
        .gen_range(SESSION_ITEMS.0..=SESSION_ITEMS.1)
        .min(shelf.len());
    let mut chosen: Vec<&PoolSku> = shelf
        .choose_multiple(rng, count)
        .filter_map(|id| pool.iter().find(|s| s.id == *id))
        .collect();
    if !chosen.iter().any(|s| s.supplier == 0) {
        let retailer = shelf
            .iter()
            .filter_map(|id| pool.iter().find(|s| s.id == *id))
            .find(|s| s.supplier == 0);
        if let (Some(sku), Some(last)) = (retailer, chosen.last_mut()) {
            *last = sku;
        }
    }
    chosen
        .into_iter()
        .map(|sku| SessionItemInput {
            sku_id: sku.id,
            live_price_fen: live_price(sku.pool_fen, sku.floor_fen, rng),
        })
        .collect()
}

/// A live price: the pool price less 0–10%, rounded down to a yuan, never under the floor.
pub fn live_price(pool_fen: i64, floor_fen: i64, rng: &mut StdRng) -> i64 {
    let off_percent = *[0_i64, 3, 5, 8, 10].choose(rng).unwrap_or(&0);
    let price = pool_fen - pool_fen * off_percent / 100;
    let rounded = price - price % 100;
    rounded.clamp(floor_fen, pool_fen)
}

/// Schedules every anchor's first session and takes the `LiveNow` ones live with a pinned
/// product; the live anchors also get tomorrow's session, so "upcoming" is never empty.
/// Returns how many sessions wait for later.
async fn start_sessions(
    services: &Services,
    anchors: &mut [Anchor],
    pool: &[PoolSku],
    campaign: CampaignId,
    rng: &mut StdRng,
) -> anyhow::Result<usize> {
    let mut upcoming = 0;
    for anchor in anchors.iter_mut() {
        let plan = anchor.plan;
        let now = now_ms();
        let campaign_id = plan.in_campaign.then_some(campaign);
        let first = NewLiveSession {
            title: plan.titles[0].to_owned(),
            starts_at_ms: match plan.start {
                // A start in the future is required; the session goes live at once.
                Start::LiveNow => now + 60_000,
                Start::InMinutes(minutes) => now + minutes * 60_000,
            },
            campaign_id,
            playback_url: None,
            planned_length_min: None,
            items: session_items(&anchor.shelf, pool, rng),
        };
        let snapshot = services
            .schedule_session(&anchor.actor, first)
            .await
            .map_err(service_error)?;
        let id = snapshot.session.id;
        if plan.start == Start::LiveNow {
            services
                .go_live(&anchor.actor, id)
                .await
                .map_err(service_error)?;
            let pinned = snapshot.items.first().map(|item| item.sku_id);
            services
                .pin_sku(&anchor.actor, id, pinned)
                .await
                .map_err(service_error)?;
            anchor.live = Some(id);
            // Tomorrow at about the same time.
            let tomorrow = NewLiveSession {
                title: plan.titles[1 % plan.titles.len()].to_owned(),
                starts_at_ms: now + 23 * HOUR_MS + rng.gen_range(0..2 * HOUR_MS),
                campaign_id,
                playback_url: None,
                planned_length_min: None,
                items: session_items(&anchor.shelf, pool, rng),
            };
            services
                .schedule_session(&anchor.actor, tomorrow)
                .await
                .map_err(service_error)?;
        }
        upcoming += 1;
    }
    Ok(upcoming)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_place_is_a_real_county() {
        let divisions = daihuo_refdata::divisions::divisions();
        let counties = SUPPLIERS
            .iter()
            .flat_map(|s| s.warehouses.iter().map(|(_, _, county)| *county))
            .chain(VIEWER_HOMES.iter().map(|(county, _, _)| *county))
            .chain([VIEWER_ADDRESS.2]);
        for county in counties {
            let code: u32 = county.parse().expect("six digits");
            assert!(divisions.county(code).is_some(), "{county} is not a county");
        }
    }

    #[test]
    fn every_theme_is_a_real_category() {
        let tree = taxonomy::taxonomy();
        let themes = ANCHORS
            .iter()
            .flat_map(|a| a.themes.iter())
            .chain(SUPPLIERS.iter().flat_map(|s| s.specialises_in.iter()));
        for theme in themes {
            assert!(tree.find_by_path(theme).is_some(), "{theme}");
        }
    }

    #[test]
    fn within_matches_whole_path_segments() {
        assert!(within(
            "Health & Beauty > Personal Care",
            &["Health & Beauty"]
        ));
        assert!(within("Health & Beauty", &["Health & Beauty"]));
        assert!(!within("Health & Beauty Extra", &["Health & Beauty"]));
        assert!(!within("Electronics", &[]));
    }

    #[test]
    fn live_prices_stay_between_floor_and_pool() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..1_000 {
            let pool = rng.gen_range(1_000..1_000_000);
            let floor = pool - rng.gen_range(0..pool / 5);
            let price = live_price(pool, floor, &mut rng);
            assert!((floor..=pool).contains(&price), "{floor} {price} {pool}");
        }
    }

    #[test]
    fn specialists_take_most_of_their_categories_and_the_retailer_the_rest() {
        let food = (0..1_000)
            .filter(|spu| supplier_for("Food, Beverages & Tobacco > Food Items", 7, *spu) == 2)
            .count();
        assert!((650..=850).contains(&food), "{food}");
        assert!((0..1_000).all(|spu| supplier_for("Electronics", 7, spu) == 0));
    }
}
