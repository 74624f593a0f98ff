//! The values the store binds and reads, the same for both backends: SQLite's five storage
//! classes, which PostgreSQL's columns of the store map onto (BIGINT, DOUBLE PRECISION, TEXT,
//! BYTEA). Instants are integer Unix seconds (microseconds in the audit log) on both.

use ::postgres::types::{FromSql, IsNull, Kind, ToSql, Type, to_sql_checked};
use bytes::BytesMut;

use crate::store::error::{StoreError, StoreResult};

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
    /// A list of byte strings: the blind index's tags (`bytea[]`, PostgreSQL only).
    BlobList(Vec<Vec<u8>>),
}

impl Value {
    /// What kind of value it is, for errors (never the value, which may be a caller's words).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Integer(_) => "an integer",
            Value::Real(_) => "a real",
            Value::Text(_) => "text",
            Value::Blob(_) => "bytes",
            Value::BlobList(_) => "a list of bytes",
        }
    }
}

macro_rules! from_integer {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::Integer(i64::from(v))
            }
        }
    )*};
}
from_integer!(i8, i16, i32, i64, u8, u16, u32, bool);

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Real(v)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Value {
        Value::Blob(v)
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Value {
        Value::Blob(v.to_vec())
    }
}

impl<const N: usize> From<&[u8; N]> for Value {
    fn from(v: &[u8; N]) -> Value {
        Value::Blob(v.to_vec())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// The parameters of a statement: `params![a, b]` as rusqlite's, over our own values.
#[macro_export]
#[doc(hidden)]
macro_rules! db_params {
    () => { &[] as &[$crate::store::db::Value] };
    ($($v:expr),+ $(,)?) => { &[$($crate::store::db::Value::from($v)),+] as &[$crate::store::db::Value] };
}

/// A column read into a Rust value; a mismatch names the column.
pub trait FromValue: Sized {
    fn from_value(value: &Value, column: usize) -> StoreResult<Self>;
}

fn mismatch(value: &Value, column: usize, wanted: &str) -> StoreError {
    StoreError::Invalid(format!("column {column} holds {}, {wanted} was expected", value.kind()))
}

impl FromValue for i64 {
    fn from_value(value: &Value, column: usize) -> StoreResult<i64> {
        match value {
            Value::Integer(v) => Ok(*v),
            other => Err(mismatch(other, column, "an integer")),
        }
    }
}

macro_rules! narrow_integer {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(value: &Value, column: usize) -> StoreResult<$t> {
                let wide = i64::from_value(value, column)?;
                <$t>::try_from(wide).map_err(|_| {
                    StoreError::Invalid(format!("column {column} holds {wide}, out of range"))
                })
            }
        }
    )*};
}
narrow_integer!(i32, u32, u16, u8, u64, usize);

impl FromValue for bool {
    fn from_value(value: &Value, column: usize) -> StoreResult<bool> {
        Ok(i64::from_value(value, column)? != 0)
    }
}

impl FromValue for f64 {
    fn from_value(value: &Value, column: usize) -> StoreResult<f64> {
        match value {
            Value::Real(v) => Ok(*v),
            Value::Integer(v) => Ok(*v as f64),
            other => Err(mismatch(other, column, "a number")),
        }
    }
}

impl FromValue for String {
    fn from_value(value: &Value, column: usize) -> StoreResult<String> {
        match value {
            Value::Text(v) => Ok(v.clone()),
            other => Err(mismatch(other, column, "text")),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: &Value, column: usize) -> StoreResult<Vec<u8>> {
        match value {
            Value::Blob(v) => Ok(v.clone()),
            other => Err(mismatch(other, column, "bytes")),
        }
    }
}

impl FromValue for Value {
    fn from_value(value: &Value, _column: usize) -> StoreResult<Value> {
        Ok(value.clone())
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value, column: usize) -> StoreResult<Option<T>> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other, column).map(Some),
        }
    }
}

// SQLite.

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(v) => ValueRef::Integer(*v),
            Value::Real(v) => ValueRef::Real(*v),
            Value::Text(v) => ValueRef::Text(v.as_bytes()),
            Value::Blob(v) => ValueRef::Blob(v),
            Value::BlobList(_) => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    "a list of bytes has no SQLite column".into(),
                ));
            }
        }))
    }
}

impl Value {
    pub(super) fn from_sqlite(value: rusqlite::types::ValueRef<'_>) -> StoreResult<Value> {
        use rusqlite::types::ValueRef;
        Ok(match value {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(v) => Value::Integer(v),
            ValueRef::Real(v) => Value::Real(v),
            ValueRef::Text(v) => Value::Text(
                String::from_utf8(v.to_vec())
                    .map_err(|_| StoreError::Invalid("text that is not UTF-8".into()))?,
            ),
            ValueRef::Blob(v) => Value::Blob(v.to_vec()),
        })
    }
}

// PostgreSQL: a value is bound to whatever type the server inferred for its parameter.

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match (self, ty) {
            (Value::Null, _) => Ok(IsNull::Yes),
            (Value::Integer(v), &Type::INT8) => v.to_sql(ty, out),
            (Value::Integer(v), &Type::INT4) => i32::try_from(*v)?.to_sql(ty, out),
            (Value::Integer(v), &Type::INT2) => i16::try_from(*v)?.to_sql(ty, out),
            (Value::Integer(v), &Type::BOOL) => (*v != 0).to_sql(ty, out),
            (Value::Integer(v), &Type::FLOAT8) => (*v as f64).to_sql(ty, out),
            (Value::Integer(v), &Type::NUMERIC) => Ok(write_numeric(*v, out)),
            (Value::Real(v), &Type::FLOAT8) => v.to_sql(ty, out),
            (Value::Real(v), &Type::FLOAT4) => (*v as f32).to_sql(ty, out),
            (Value::Text(v), _) if <&str as ToSql>::accepts(ty) => v.as_str().to_sql(ty, out),
            (Value::Blob(v), &Type::BYTEA) => v.as_slice().to_sql(ty, out),
            (Value::BlobList(v), &Type::BYTEA_ARRAY) => {
                v.iter().map(Vec::as_slice).collect::<Vec<&[u8]>>().to_sql(ty, out)
            }
            (value, ty) => Err(format!("{} cannot be bound to a {ty} parameter", value.kind()).into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Value, BoxError> {
        Ok(match *ty {
            Type::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Integer(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Integer(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Integer(bool::from_sql(ty, raw)?.into()),
            Type::OID => Value::Integer(u32::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::NUMERIC => read_numeric(raw)?,
            Type::BYTEA => Value::Blob(<Vec<u8>>::from_sql(ty, raw)?),
            Type::BYTEA_ARRAY => Value::BlobList(<Vec<Vec<u8>>>::from_sql(ty, raw)?),
            _ if <String as FromSql>::accepts(ty) => Value::Text(String::from_sql(ty, raw)?),
            _ => return Err(format!("the store reads no column of type {ty}").into()),
        })
    }

    fn from_sql_null(_: &Type) -> Result<Value, BoxError> {
        Ok(Value::Null)
    }

    fn accepts(ty: &Type) -> bool {
        !matches!(ty.kind(), Kind::Pseudo)
    }
}

/// PostgreSQL's `sum()` of BIGINT is NUMERIC (and SQLite's an integer): read in binary, an
/// integral one as an integer, any other as a real. Layout: ndigits, weight, sign, dscale
/// (each i16), then base-10000 digits.
fn read_numeric(raw: &[u8]) -> Result<Value, BoxError> {
    let word = |i: usize| -> Result<i16, BoxError> {
        raw.get(2 * i..2 * i + 2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "a truncated NUMERIC".into())
    };
    let (ndigits, weight, sign, dscale) = (word(0)?, word(1)?, word(2)? as u16, word(3)?);
    if sign == 0xC000 {
        return Ok(Value::Real(f64::NAN));
    }
    let mut value = 0f64;
    let mut integral = true;
    for i in 0..ndigits.max(0) as usize {
        let digit = f64::from(word(4 + i)?);
        let power = i32::from(weight) - i as i32;
        if power < 0 && digit != 0.0 {
            integral = false;
        }
        value += digit * 10000f64.powi(power);
    }
    if sign == 0x4000 {
        value = -value;
    }
    let _ = dscale;
    if integral && value.abs() < 9.0e15 { Ok(Value::Integer(value as i64)) } else { Ok(Value::Real(value)) }
}

/// An integer as a NUMERIC parameter.
fn write_numeric(v: i64, out: &mut BytesMut) -> IsNull {
    let mut digits = Vec::new();
    let mut rest = v.unsigned_abs();
    while rest > 0 {
        digits.push((rest % 10000) as i16);
        rest /= 10000;
    }
    digits.reverse();
    let weight = digits.len() as i16 - 1;
    for part in [digits.len() as i16, weight.max(0), if v < 0 { 0x4000 } else { 0 }, 0] {
        out.extend_from_slice(&part.to_be_bytes());
    }
    for d in digits {
        out.extend_from_slice(&d.to_be_bytes());
    }
    IsNull::No
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerics_read_back_as_integers_when_integral() {
        for v in [0i64, 1, 9999, 10000, 123_456_789, -42, 1_000_000_000_000] {
            let mut out = BytesMut::new();
            write_numeric(v, &mut out);
            assert_eq!(read_numeric(&out).unwrap(), Value::Integer(v), "{v}");
        }
    }

    #[test]
    fn a_column_of_another_kind_is_an_error_naming_it() {
        let err = String::from_value(&Value::Integer(3), 2).unwrap_err().to_string();
        assert!(err.contains("column 2"), "{err}");
        assert_eq!(Option::<i64>::from_value(&Value::Null, 0).unwrap(), None);
        assert!(u8::from_value(&Value::Integer(300), 0).is_err());
    }
}
