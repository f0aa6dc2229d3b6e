//! Real reference data for daihuo, compiled into the binary, and a synthetic catalogue built on it.
//!
//! Why: the demo, the benchmarks and the tests need categories, addresses and products that look
//! like the real thing, and daihuo must run offline with nothing to download. So every file here
//! is embedded with `include_str!` and parsed once, on first use, into a `'static` value; nothing
//! does I/O at run time and nothing is async.
//!
//! - [`taxonomy`]: Google's product taxonomy (2019-07-10, 5,582 categories), the category tree
//!   that pool SKUs are filed under and that selection filters by subtree.
//! - [`divisions`]: China's administrative divisions (GB/T 2260, 2025) with coordinates, for
//!   addresses and for routing an order to the nearest warehouse.
//! - [`synthetic`]: a pure function from `(seed, index)` to a realistic SKU filed under a real
//!   taxonomy leaf, so a million-row catalogue can be streamed or generated in parallel.
//!
//! Architecture invariant: this crate depends on no other daihuo crate, so any layer may use it.
//! Where the data came from, its licences and how to regenerate it: `data/README.md` and
//! `LICENSES/` at the repository root.

pub mod divisions;
pub mod synthetic;
pub mod taxonomy;
