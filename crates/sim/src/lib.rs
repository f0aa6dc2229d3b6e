//! Outside parties daihuo talks to, simulated over real HTTP for benchmarks, the demo and
//! tests: a supplier's order system, which takes daihuo's signed webhooks, and its shipping
//! desk with the carrier behind it, which ships and tracks what the system took in.
//!
//! The simulators are what a real counterpart would be to daihuo: separate HTTP servers on
//! loopback that check what they are sent. They know nothing of daihuo's insides; the
//! signature scheme they check is the one documented in docs/FULFILMENT.md.

pub mod courier;
pub mod supplier;
