//! Free text sealed in the terminal before it leaves for the server, so that the server keeps
//! a caller's words without being able to read them (issue 18).
//!
//! Each field is XChaCha20-Poly1305 under a key derived from the data key (HKDF-SHA256, its own
//! `info`), a random 24-byte nonce each time, and associated data naming its table, column and
//! row id: a ciphertext copied into another row or column does not open. Stored as
//! `version (1) ‖ nonce (24) ‖ ciphertext ‖ tag (16)`; empty text is stored as empty bytes,
//! unsealed (it says only that the field is empty, which the purge's SQL asks anyway).
//! The SQLite file is encrypted whole by SQLCipher: there the text goes in clear (`Sealer::Clear`).

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::db::Value;
use super::error::{StoreError, StoreResult};
use super::keyslots::DataKey;

/// The first byte of a sealed field: directly under the field key of the current data key.
const SEALED_V1: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// A column sealed on the server (table, column): free text, and the phone's secret (which
/// would let whoever holds it hash every phone number); the list is `postgres::schema::SEALED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub table: &'static str,
    pub column: &'static str,
}

macro_rules! fields {
    ($($name:ident = $table:literal . $column:literal;)*) => {
        impl Field {
            $(pub const $name: Field = Field { table: $table, column: $column };)*
            /// Every sealed field.
            pub const ALL: &[Field] = &[$(Field::$name),*];
        }
    };
}

fields! {
    CALL_NOTES = "call"."notes";
    DRAFT_BODY = "call_draft"."body";
    CALLBACK_NUMBER = "callback"."callback_number";
    CALLBACK_CLOSED_REASON = "callback"."closed_reason";
    CALLBACK_NOTE = "callback"."note";
    FILE_CLOSED_REASON = "caller_file"."closed_reason";
    FILE_INSTRUCTIONS = "caller_file"."instructions";
    FILE_SUMMARY = "caller_file"."situation_summary";
    PROMPT_NOTE = "emergency_prompt"."outcome_note";
    EVENT_REASON = "file_event"."reason";
    HANDOVER_NOTE = "shift"."handover_note";
    PHONE_SECRET = "phone_secret"."secret";
}

/// Derives a 32-byte key from the data key for one purpose (`info`).
pub(super) fn derive(key: &DataKey, info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(None, key.bytes())
        .expand(info, out.as_mut_slice())
        .expect("32 bytes is a valid HKDF-SHA256 length");
    out
}

/// How a backend keeps free text: as it is, inside the encrypted file, or sealed.
pub enum Sealer {
    Clear,
    Sealed(Zeroizing<[u8; 32]>),
}

impl Sealer {
    /// The server's sealer for `key`.
    pub fn for_server(key: &DataKey) -> Sealer {
        Sealer::Sealed(derive(key, b"permanence field sealing v1"))
    }

    /// The value to store for `text` in `field` of row `id`.
    pub fn seal(&self, field: Field, id: i64, text: &str) -> StoreResult<Value> {
        match self {
            Sealer::Clear => Ok(Value::Text(text.to_owned())),
            Sealer::Sealed(_) if text.is_empty() => Ok(Value::Blob(Vec::new())),
            Sealer::Sealed(key) => seal_bytes(key, field, id, text.as_bytes()).map(Value::Blob),
        }
    }

    /// The same for a field that may be absent.
    pub fn seal_opt(&self, field: Field, id: i64, text: Option<&str>) -> StoreResult<Value> {
        text.map_or(Ok(Value::Null), |text| self.seal(field, id, text))
    }

    /// The value to store for the secret `bytes` (not text: the phone's secret) in `field` of
    /// row `id`: the bytes themselves in the file, sealed on the server.
    pub fn seal_secret(&self, field: Field, id: i64, bytes: &[u8]) -> StoreResult<Value> {
        match self {
            Sealer::Clear => Ok(Value::Blob(bytes.to_vec())),
            Sealer::Sealed(key) => seal_bytes(key, field, id, bytes).map(Value::Blob),
        }
    }

    /// The secret stored by `seal_secret`.
    pub fn open_secret(&self, field: Field, id: i64, value: &Value) -> StoreResult<Zeroizing<Vec<u8>>> {
        match (self, value) {
            (Sealer::Clear, Value::Blob(bytes)) => Ok(Zeroizing::new(bytes.clone())),
            (Sealer::Sealed(key), Value::Blob(bytes)) => {
                open_bytes(key, field, id, bytes).map(Zeroizing::new)
            }
            (_, other) => Err(misshaped(field, id, other)),
        }
    }

    /// The text stored in `field` of row `id`. Since the key opened its slot, a field that
    /// does not open is damage (or a ciphertext moved from elsewhere), never a wrong key.
    pub fn open(&self, field: Field, id: i64, value: &Value) -> StoreResult<String> {
        match (self, value) {
            (Sealer::Clear, Value::Text(text)) => Ok(text.clone()),
            (Sealer::Sealed(_), Value::Blob(bytes)) if bytes.is_empty() => Ok(String::new()),
            (Sealer::Sealed(key), Value::Blob(bytes)) => {
                String::from_utf8(open_bytes(key, field, id, bytes)?).map_err(|_| does_not_open(field, id))
            }
            (_, other) => Err(misshaped(field, id, other)),
        }
    }

    /// The same for a field that may be absent.
    pub fn open_opt(&self, field: Field, id: i64, value: &Value) -> StoreResult<Option<String>> {
        match value {
            Value::Null => Ok(None),
            value => self.open(field, id, value).map(Some),
        }
    }
}

fn seal_bytes(key: &[u8; 32], field: Field, id: i64, plain: &[u8]) -> StoreResult<Vec<u8>> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce)
        .map_err(|e| StoreError::Invalid(format!("no randomness from the system: {e}")))?;
    let aad = associated_data(field, id);
    let sealed = permanence_fieldcrypto::seal(key, &nonce, &aad, plain)
        .ok_or_else(|| StoreError::Invalid("a field could not be sealed".into()))?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
    out.push(SEALED_V1);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

fn open_bytes(key: &[u8; 32], field: Field, id: i64, bytes: &[u8]) -> StoreResult<Vec<u8>> {
    if bytes.len() < 1 + NONCE_LEN + TAG_LEN || bytes[0] != SEALED_V1 {
        return Err(does_not_open(field, id));
    }
    let (nonce, sealed) = bytes[1..].split_at(NONCE_LEN);
    let nonce: &[u8; NONCE_LEN] = nonce.try_into().expect("split at its length");
    let aad = associated_data(field, id);
    permanence_fieldcrypto::open(key, nonce, &aad, sealed).ok_or_else(|| does_not_open(field, id))
}

fn does_not_open(field: Field, id: i64) -> StoreError {
    StoreError::DatabaseDamaged(format!(
        "the sealed field {}.{} of row {id} does not open",
        field.table, field.column
    ))
}

fn misshaped(field: Field, id: i64, value: &Value) -> StoreError {
    StoreError::DatabaseDamaged(format!(
        // Its kind only: the value itself may be a caller's words.
        "{}.{} of row {id} holds {}, not what it should",
        field.table,
        field.column,
        value.kind()
    ))
}

/// What a sealed field is bound to: its place, in a canonical encoding (lengths first).
fn associated_data(field: Field, id: i64) -> Vec<u8> {
    let mut aad = Vec::with_capacity(64);
    aad.extend_from_slice(b"permanence field v1");
    for part in [field.table, field.column] {
        aad.push(u8::try_from(part.len()).expect("a short name"));
        aad.extend_from_slice(part.as_bytes());
    }
    aad.extend_from_slice(&id.to_be_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> (DataKey, Sealer) {
        let key = DataKey::generate().unwrap();
        let sealer = Sealer::for_server(&key);
        (key, sealer)
    }

    #[test]
    fn a_sealed_field_opens_in_its_place_and_holds_no_plain_byte() {
        let (_key, sealer) = sealer();
        let text = "Elle dit que sa voisine l'aide le soir — canari 7f3a";
        let sealed = sealer.seal(Field::CALL_NOTES, 42, text).unwrap();
        let Value::Blob(bytes) = &sealed else { panic!("bytes") };
        assert!(!bytes.windows(6).any(|w| w == b"canari"), "no plain text in the ciphertext");
        assert_eq!(sealer.open(Field::CALL_NOTES, 42, &sealed).unwrap(), text);
        // A fresh nonce each time: the same text twice does not look the same.
        assert_ne!(sealer.seal(Field::CALL_NOTES, 42, text).unwrap(), sealed);
    }

    #[test]
    fn a_ciphertext_moved_to_another_row_or_column_or_under_another_key_does_not_open() {
        let (_key, sealer) = sealer();
        let sealed = sealer.seal(Field::FILE_SUMMARY, 7, "Suivi après hospitalisation").unwrap();
        for (field, id) in [(Field::FILE_SUMMARY, 8), (Field::FILE_INSTRUCTIONS, 7), (Field::CALL_NOTES, 7)] {
            let err = sealer.open(field, id, &sealed).unwrap_err();
            assert!(matches!(err, StoreError::DatabaseDamaged(_)), "{field:?} {id}: {err}");
        }
        let (_other_key, other) = self::sealer();
        assert!(other.open(Field::FILE_SUMMARY, 7, &sealed).is_err());
        let Value::Blob(mut bytes) = sealed else { panic!("bytes") };
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(sealer.open(Field::FILE_SUMMARY, 7, &Value::Blob(bytes)).is_err(), "a flipped bit");
    }

    #[test]
    fn empty_and_absent_text_round_trip_and_the_file_keeps_text_as_it_is() {
        let (_key, sealer) = sealer();
        assert_eq!(sealer.seal(Field::CALLBACK_NOTE, 1, "").unwrap(), Value::Blob(Vec::new()));
        assert_eq!(sealer.open(Field::CALLBACK_NOTE, 1, &Value::Blob(Vec::new())).unwrap(), "");
        assert_eq!(sealer.seal_opt(Field::HANDOVER_NOTE, 1, None).unwrap(), Value::Null);
        assert_eq!(sealer.open_opt(Field::HANDOVER_NOTE, 1, &Value::Null).unwrap(), None);
        let clear = Sealer::Clear;
        assert_eq!(clear.seal(Field::CALL_NOTES, 3, "mot").unwrap(), Value::Text("mot".into()));
        assert_eq!(clear.open(Field::CALL_NOTES, 3, &Value::Text("mot".into())).unwrap(), "mot");
    }

    #[test]
    fn a_secret_is_kept_as_bytes_in_the_file_and_sealed_in_its_place_on_the_server() {
        let (_key, sealer) = sealer();
        let secret = [7u8; 32];
        let sealed = sealer.seal_secret(Field::PHONE_SECRET, 1, &secret).unwrap();
        let Value::Blob(bytes) = &sealed else { panic!("bytes") };
        assert!(!bytes.windows(8).any(|w| w == [7u8; 8]), "no plain byte run in the ciphertext");
        assert_eq!(sealer.open_secret(Field::PHONE_SECRET, 1, &sealed).unwrap().as_slice(), secret);
        assert!(sealer.open_secret(Field::PHONE_SECRET, 2, &sealed).is_err(), "another row");
        assert!(sealer.open(Field::PHONE_SECRET, 1, &Value::Text("x".into())).is_err());
        let clear = Sealer::Clear;
        assert_eq!(clear.seal_secret(Field::PHONE_SECRET, 1, &secret).unwrap(), Value::Blob(secret.to_vec()));
        let err = clear.open(Field::CALL_NOTES, 1, &Value::Blob(b"canari".to_vec())).unwrap_err().to_string();
        assert!(!err.contains("canari") && !err.contains("99, 97"), "the value is not quoted: {err}");
    }

    /// The fields sealed here are exactly the server's BYTEA columns of free text.
    #[test]
    fn every_free_text_column_of_the_server_has_its_field() {
        let mut ours: Vec<(&str, &str)> = Field::ALL.iter().map(|f| (f.table, f.column)).collect();
        ours.sort();
        assert_eq!(ours, crate::store::postgres::schema::SEALED);
    }
}
