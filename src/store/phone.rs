//! The phone's traces: the secret that keys callers' number hashes (generated at first use,
//! kept only in this encrypted file), what a number heard before tells the listener, and calls
//! that rang unanswered. A caller's number never reaches SQL; only its keyed hash does.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::Store;
use super::db::Db;
use super::error::{StoreError, StoreResult};
use super::rows::{from_secs, to_secs};
use super::seal::Field;
use crate::db_params;
use crate::domain::phone::{CallerHistory, MissedCall, NumberHash};
use crate::domain::{CallId, FileId};

impl Store {
    /// The keyed hash of `number` (normalised by `phone::CallerNumber`), and what the calls
    /// saved with that hash say: how many, when last, which files. The secret is made on the
    /// first number ever hashed.
    pub fn caller_history(&mut self, number: &str) -> StoreResult<(NumberHash, CallerHistory)> {
        let secret = match read_secret(&self.conn)? {
            Some(secret) => secret,
            None => self.write(|tx, _| {
                // Another terminal may have made it meanwhile: theirs is kept.
                if let Some(secret) = read_secret(tx.db())? {
                    return Ok(secret);
                }
                let mut secret = Zeroizing::new([0u8; 32]);
                getrandom::fill(secret.as_mut())
                    .map_err(|e| StoreError::Invalid(format!("no randomness for the phone secret: {e}")))?;
                let db = tx.db();
                db.execute(
                    "INSERT INTO phone_secret (id, secret) VALUES (1, ?1)",
                    db_params![db.seal_secret(Field::PHONE_SECRET, 1, &secret[..])?],
                )?;
                Ok(secret)
            })?,
        };
        let hash = keyed_hash(&secret, number);
        let history = history(&self.conn, &hash)?;
        Ok((hash, history))
    }

    /// Records a call that rang and was not answered.
    pub fn record_missed_call(&mut self, missed: &MissedCall) -> StoreResult<()> {
        self.write(|tx, _| {
            let id = insert_missed(tx.db(), missed)?;
            super::rollup::count(tx.db(), super::rollup::Rows::Missed(id), 1)
        })
    }
}

/// The missed call's row alone (a bulk load counts it at its commit); returns its id.
pub(super) fn insert_missed(db: &Db, missed: &MissedCall) -> StoreResult<i64> {
    db.query_row(
        "INSERT INTO missed_call (shift_id, rang_at, ring_seconds) VALUES (?1, ?2, ?3) RETURNING id",
        db_params![missed.shift_id.map(|s| s.0), to_secs(missed.rang_at), missed.ring_seconds],
        |row| row.get(0),
    )
}

/// Keeps `hash` with the call just saved (same transaction).
pub(super) fn insert_caller(db: &Db, call: CallId, hash: &NumberHash) -> StoreResult<()> {
    db.execute(
        "INSERT INTO call_caller (call_id, number_hash) VALUES (?1, ?2)",
        db_params![call.0, &hash.0[..]],
    )?;
    Ok(())
}

/// The secret, if one was made (sealed on the server: whoever held it could hash every phone
/// number and read which calls came from which).
fn read_secret(db: &Db) -> StoreResult<Option<Zeroizing<[u8; 32]>>> {
    let Some(stored) =
        db.query_opt("SELECT secret FROM phone_secret WHERE id = 1", db_params![], |row| row.get(0))?
    else {
        return Ok(None);
    };
    let bytes = db.unseal_secret(Field::PHONE_SECRET, 1, &stored)?;
    let mut secret = Zeroizing::new([0u8; 32]);
    if bytes.len() != secret.len() {
        return Err(StoreError::DatabaseDamaged("the phone's secret is not 32 bytes".into()));
    }
    secret.copy_from_slice(&bytes);
    Ok(Some(secret))
}

fn keyed_hash(secret: &[u8; 32], number: &str) -> NumberHash {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(number.as_bytes());
    NumberHash(mac.finalize().into_bytes().into())
}

fn history(db: &Db, hash: &NumberHash) -> StoreResult<CallerHistory> {
    let (calls, last): (u32, Option<i64>) = db.query_row(
        "SELECT count(*), max(c.started_at) FROM call_caller cc JOIN call c ON c.id = cc.call_id
         WHERE cc.number_hash = ?1",
        db_params![&hash.0[..]],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let files = db.query_map(
        "SELECT f.id, f.code FROM call_caller cc JOIN call c ON c.id = cc.call_id
         JOIN caller_file f ON f.id = c.caller_file_id
         WHERE cc.number_hash = ?1 GROUP BY f.id, f.code ORDER BY max(c.started_at) DESC LIMIT 5",
        db_params![&hash.0[..]],
        |row| Ok((FileId(row.get(0)?), row.get(1)?)),
    )?;
    Ok(CallerHistory { calls, last_at: last.map(from_secs), files })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_keyed() {
        let number = "+33612345678";
        assert_eq!(keyed_hash(&[1; 32], number), keyed_hash(&[1; 32], number));
        assert_ne!(keyed_hash(&[1; 32], number), keyed_hash(&[2; 32], number));
        // Not a bare SHA-256 of the number, which anyone could compute for every number.
        use sha2::Digest;
        assert_ne!(keyed_hash(&[1; 32], number).0[..], Sha256::digest(number.as_bytes())[..]);
    }
}
