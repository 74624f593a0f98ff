//! The centre's PostgreSQL server, the store's second backend (issue 18; its state in
//! docs/postgres-status.md).

mod client;
pub mod connect;
mod open;
pub mod privileges;
pub mod schema;
#[cfg(test)]
mod store_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod timeout_tests;
#[cfg(test)]
mod write_cost_tests;

pub use client::{Client, requests_sent};
pub use connect::{ServerConnection, ServerUrl, SslMode, is_server_url};
