//! Conversions between stored columns and domain values.

use std::str::FromStr;

use chrono::{DateTime, Utc};

use super::error::{StoreError, StoreResult};
use crate::domain::caller_file::FileCode;
use crate::domain::{Timestamp, UnknownWord};

pub fn to_secs(at: Timestamp) -> i64 {
    at.timestamp()
}

pub fn from_secs(secs: i64) -> Timestamp {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

pub fn from_secs_opt(secs: Option<i64>) -> Option<Timestamp> {
    secs.map(from_secs)
}

/// The current instant, truncated to what the store keeps (seconds).
pub fn now() -> Timestamp {
    from_secs(Utc::now().timestamp())
}

// The same for rows read through `store::db` (both backends); the functions above go with
// the last statements written for the file alone.

/// Reads a stored word into its enum; an unknown word names its column.
pub fn parse_word<T: FromStr<Err = UnknownWord>>(column: usize, text: String) -> StoreResult<T> {
    text.parse().map_err(|e: UnknownWord| StoreError::DatabaseDamaged(format!("column {column}: {e}")))
}

pub fn parse_word_opt<T: FromStr<Err = UnknownWord>>(
    column: usize,
    text: Option<String>,
) -> StoreResult<Option<T>> {
    text.map(|t| parse_word(column, t)).transpose()
}

/// Reads a stored file code; a malformed one names its column.
pub fn code_at(row: &super::db::Row, column: usize) -> StoreResult<FileCode> {
    let text: String = row.get(column)?;
    FileCode::parse(&text).map_err(|e| StoreError::DatabaseDamaged(format!("column {column}: {e}")))
}
