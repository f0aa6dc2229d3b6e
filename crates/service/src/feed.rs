//! The CSV catalogue feed: one SKU per row, turned into [`SkuInput`]s with a per-row error for
//! rows that cannot be read. Reading is separate from writing so that the CLI (with its
//! progress bar) and the HTTP upload share it.
//!
//! Columns (header row required, order free, names exact):
//! `spu_code, sku_code, title, brand, category_id, gtin, images, attributes,
//! supply_price_fen, pool_price_fen, floor_price_fen, retail_price_fen, commission_bps`
//! and optionally `warehouse_code, stock_quantity, stock_version`.
//! `images` holds URLs separated by `|`; `attributes` holds `name=value` pairs separated by
//! `;`. Empty `gtin` means none.

use crate::catalog::{Attribute, RowError, SkuInput, WarehouseStockInput};
use std::io::Read;

/// Columns every feed must have.
pub const REQUIRED_COLUMNS: [&str; 13] = [
    "spu_code",
    "sku_code",
    "title",
    "brand",
    "category_id",
    "gtin",
    "images",
    "attributes",
    "supply_price_fen",
    "pool_price_fen",
    "floor_price_fen",
    "retail_price_fen",
    "commission_bps",
];
/// Columns a feed may add to set one warehouse's stock per row.
pub const STOCK_COLUMNS: [&str; 3] = ["warehouse_code", "stock_quantity", "stock_version"];

/// A feed that cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The header lacks a required column.
    #[error("missing column {0}")]
    MissingColumn(&'static str),
    /// The header could not be read.
    #[error("unreadable header: {0}")]
    Header(String),
}

/// Reads SKU rows from CSV.
pub struct FeedReader<R: Read> {
    reader: csv::Reader<R>,
    columns: Vec<Option<usize>>,
    record: csv::StringRecord,
}

impl<R: Read> FeedReader<R> {
    /// Reads and checks the header.
    pub fn new(input: R) -> Result<FeedReader<R>, FeedError> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
        let headers = reader
            .headers()
            .map_err(|e| FeedError::Header(e.to_string()))?
            .clone();
        let find = |name: &str| {
            headers
                .iter()
                .position(|h| h.trim().trim_start_matches('\u{feff}') == name)
        };
        let mut columns = Vec::new();
        for name in REQUIRED_COLUMNS {
            columns.push(Some(find(name).ok_or(FeedError::MissingColumn(name))?));
        }
        for name in STOCK_COLUMNS {
            columns.push(find(name));
        }
        Ok(FeedReader {
            reader,
            columns,
            record: csv::StringRecord::new(),
        })
    }

    /// The next row with its line number (the header is line 1), or `None` at the end.
    pub fn next_row(&mut self) -> Option<(u64, Result<SkuInput, RowError>)> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let line = self.record.position().map(|p| p.line()).unwrap_or(0);
                Some((line, self.parse_record()))
            }
            Err(error) => {
                let line = error.position().map(|p| p.line()).unwrap_or(0);
                let failure = RowError {
                    code: "unreadable_row".to_owned(),
                    message: error.to_string(),
                };
                // A broken quote can swallow the rest of the file; stop at the first I/O-level
                // error rather than report thousands of follow-on errors.
                if matches!(error.kind(), csv::ErrorKind::Io(_)) {
                    return None;
                }
                Some((line, Err(failure)))
            }
        }
    }

    fn field(&self, index: usize) -> &str {
        self.columns[index]
            .and_then(|i| self.record.get(i))
            .map(str::trim)
            .unwrap_or("")
    }

    fn parse_record(&self) -> Result<SkuInput, RowError> {
        let int = |index: usize| -> Result<i64, RowError> {
            let raw = self.field(index);
            raw.parse::<i64>().map_err(|_| RowError {
                code: "invalid_number".to_owned(),
                message: format!("{} must be an integer, not {raw:?}", column_name(index)),
            })
        };
        let category_id = u32::try_from(int(4)?).map_err(|_| RowError {
            code: "unknown_category".to_owned(),
            message: "category_id out of range".to_owned(),
        })?;
        let images = self
            .field(6)
            .split('|')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let attributes = self
            .field(7)
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|pair| match pair.split_once('=') {
                Some((name, value)) => Ok(Attribute {
                    name: name.trim().to_owned(),
                    value: value.trim().to_owned(),
                }),
                None => Err(RowError {
                    code: "invalid_attributes".to_owned(),
                    message: format!("attribute {pair:?} must be name=value"),
                }),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let gtin = Some(self.field(5).to_owned()).filter(|g| !g.is_empty());
        let mut stock = Vec::new();
        if !self.field(13).is_empty() {
            stock.push(WarehouseStockInput {
                warehouse_code: self.field(13).to_owned(),
                quantity: int(14)?,
                version: int(15)?,
            });
        }
        Ok(SkuInput {
            spu_code: self.field(0).to_owned(),
            sku_code: self.field(1).to_owned(),
            title: self.field(2).to_owned(),
            brand: self.field(3).to_owned(),
            category_id,
            gtin,
            images,
            attributes,
            supply_price_fen: int(8)?,
            pool_price_fen: int(9)?,
            floor_price_fen: int(10)?,
            retail_price_fen: int(11)?,
            commission_bps: int(12)?,
            stock,
        })
    }
}

fn column_name(index: usize) -> &'static str {
    REQUIRED_COLUMNS
        .iter()
        .chain(STOCK_COLUMNS.iter())
        .nth(index)
        .copied()
        .unwrap_or("column")
}

/// Writes SKUs as a feed (used by benchmarks and the demo to make feeds).
pub fn write_header<W: std::io::Write>(writer: &mut csv::Writer<W>) -> csv::Result<()> {
    writer.write_record(REQUIRED_COLUMNS.iter().chain(STOCK_COLUMNS.iter()))
}

/// Writes one SKU as a feed row.
pub fn write_row<W: std::io::Write>(
    writer: &mut csv::Writer<W>,
    sku: &SkuInput,
) -> csv::Result<()> {
    let attributes = sku
        .attributes
        .iter()
        .map(|a| format!("{}={}", a.name, a.value))
        .collect::<Vec<_>>()
        .join(";");
    let stock = sku.stock.first();
    writer.write_record([
        sku.spu_code.clone(),
        sku.sku_code.clone(),
        sku.title.clone(),
        sku.brand.clone(),
        sku.category_id.to_string(),
        sku.gtin.clone().unwrap_or_default(),
        sku.images.join("|"),
        attributes,
        sku.supply_price_fen.to_string(),
        sku.pool_price_fen.to_string(),
        sku.floor_price_fen.to_string(),
        sku.retail_price_fen.to_string(),
        sku.commission_bps.to_string(),
        stock.map(|s| s.warehouse_code.clone()).unwrap_or_default(),
        stock.map(|s| s.quantity.to_string()).unwrap_or_default(),
        stock.map(|s| s.version.to_string()).unwrap_or_default(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_and_reports_bad_ones() {
        let csv = "spu_code,sku_code,title,brand,category_id,gtin,images,attributes,supply_price_fen,pool_price_fen,floor_price_fen,retail_price_fen,commission_bps,warehouse_code,stock_quantity,stock_version\n\
                   GREE-1,GREE-1-W,格力 变频空调,格力,605,6901234567892,https://i/1.jpg|https://i/2.jpg,颜色=白;匹数=1.5,500000,899900,850000,1589900,1000,HZ,100,1\n\
                   X,Y,t,b,605,,,,abc,1,1,1,1,,,\n";
        let mut reader = FeedReader::new(csv.as_bytes()).expect("header");
        let (line, first) = reader.next_row().expect("row");
        assert_eq!(line, 2);
        let first = first.expect("valid");
        assert_eq!(first.images.len(), 2);
        assert_eq!(first.attributes[1].value, "1.5");
        assert_eq!(first.stock[0].quantity, 100);
        let (line, second) = reader.next_row().expect("row");
        assert_eq!(line, 3);
        assert_eq!(
            second.err().map(|e| e.code),
            Some("invalid_number".to_owned())
        );
        assert!(reader.next_row().is_none());
    }

    #[test]
    fn missing_column_is_a_file_error() {
        assert!(matches!(
            FeedReader::new("spu_code,sku_code\n".as_bytes()),
            Err(FeedError::MissingColumn("title"))
        ));
    }
}

/// Rows written per transaction when importing a feed.
pub const FEED_CHUNK_ROWS: usize = crate::catalog::BULK_SKUS_MAX;
/// The most row errors a report lists; the counts stay exact past it.
pub const FEED_ERRORS_LISTED_MAX: usize = 1_000;

/// What a feed import did.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FeedReport {
    /// Rows read.
    pub rows: u64,
    /// SKUs created.
    pub created: u64,
    /// SKUs changed.
    pub updated: u64,
    /// SKUs unchanged.
    pub unchanged: u64,
    /// Rows refused; nothing of them was written.
    pub rejected: u64,
    /// The first refused rows, by CSV line.
    pub errors: Vec<crate::catalog::UpsertResult>,
}

impl FeedReport {
    fn absorb(&mut self, report: crate::catalog::UpsertReport) {
        self.created += report.created;
        self.updated += report.updated;
        self.unchanged += report.unchanged;
        self.rejected += report.rejected;
        for result in report.results {
            if result.error.is_some() && self.errors.len() < FEED_ERRORS_LISTED_MAX {
                self.errors.push(result);
            }
        }
    }

    fn reject_unreadable(&mut self, line: u64, error: RowError) {
        self.rejected += 1;
        if self.errors.len() < FEED_ERRORS_LISTED_MAX {
            self.errors.push(crate::catalog::UpsertResult {
                row: line,
                sku_code: String::new(),
                outcome: crate::catalog::UpsertOutcome::Rejected,
                sku_id: None,
                status: None,
                error: Some(error),
            });
        }
    }
}

impl crate::Services {
    /// Imports a CSV feed for the actor's organisation in chunks of [`FEED_CHUNK_ROWS`] rows,
    /// one transaction each, calling `progress` with the rows done after each chunk. Good rows
    /// are written; each bad row is reported by line and nothing of it is written.
    pub async fn import_feed<R: Read>(
        &self,
        actor: &crate::Actor,
        input: R,
        mut progress: impl FnMut(u64),
    ) -> crate::ServiceResult<FeedReport> {
        actor.require_supplier()?;
        let mut reader = FeedReader::new(input)
            .map_err(|e| crate::ServiceError::invalid("invalid_feed", e.to_string()))?;
        let mut report = FeedReport::default();
        let mut chunk = Vec::with_capacity(FEED_CHUNK_ROWS);
        loop {
            let next = reader.next_row();
            let done = next.is_none();
            if let Some((line, row)) = next {
                report.rows += 1;
                match row {
                    Ok(input) => chunk.push((line, input)),
                    Err(error) => report.reject_unreadable(line, error),
                }
            }
            if chunk.len() >= FEED_CHUNK_ROWS || (done && !chunk.is_empty()) {
                let batch = std::mem::take(&mut chunk);
                report.absorb(self.upsert_skus(actor, batch).await?);
                progress(report.rows);
            }
            if done {
                break;
            }
        }
        report.errors.sort_by_key(|e| e.row);
        Ok(report)
    }
}
