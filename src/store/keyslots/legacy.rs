//! Version-1 slots, read so that a store made before key-file version 2 still opens: the
//! passphrase (raw UTF-8, not normalised) gives a key-encryption key that opens the data key
//! directly. Such a slot is converted to version 2 at its owner's next successful unlock, and is
//! never written new.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{DataKey, KEY_LEN, KdfParams, NONCE_LEN, SALT_LEN};
use crate::domain::ListenerId;

/// One version-1 slot as stored (binary fields hex-encoded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacySlot {
    pub listener_id: ListenerId,
    pub login: String,
    pub kdf: KdfParams,
    pub(super) salt: String,
    pub(super) nonce: String,
    pub(super) wrapped_key: String,
    pub(super) checksum: String,
}

impl LegacySlot {
    fn associated_data(&self) -> Vec<u8> {
        let kdf = &self.kdf;
        format!(
            "permanence-keyslots v1\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}",
            self.listener_id, self.login, kdf.memory_kib, kdf.iterations, kdf.parallelism
        )
        .into_bytes()
    }

    /// The version-1 checksum, computed as version 1 did. Version 1 hashed Rust's `Debug` text
    /// of the parameters; that text is written out literally here, so reading an old file no
    /// longer depends on what a toolchain's `Debug` prints.
    pub(super) fn compute_checksum(&self) -> String {
        let kdf = &self.kdf;
        let text = format!(
            "{}\x1f{}\x1fKdfParams {{ memory_kib: {}, iterations: {}, parallelism: {} }}\x1f{}\x1f{}\x1f{}",
            self.listener_id,
            self.login,
            kdf.memory_kib,
            kdf.iterations,
            kdf.parallelism,
            self.salt,
            self.nonce,
            self.wrapped_key
        );
        hex::encode(&Sha256::digest(text.as_bytes())[..16])
    }

    /// `Ok(None)`: the passphrase is wrong (the slot was checked intact on load).
    pub(super) fn open(&self, passphrase: &str) -> Result<Option<DataKey>, String> {
        let decode = |field: &str, len: usize| {
            hex::decode(field)
                .ok()
                .filter(|bytes| bytes.len() == len)
                .ok_or_else(|| format!("the key slot of {:?} is malformed", self.login))
        };
        let salt = decode(&self.salt, SALT_LEN)?;
        let nonce = decode(&self.nonce, NONCE_LEN)?;
        let wrapped = decode(&self.wrapped_key, KEY_LEN + 16)?;
        // Version 1 took the passphrase's bytes as typed.
        let kek = self.kdf.derive(passphrase.as_bytes(), &salt)?;
        let aad = self.associated_data();
        let opened = XChaCha20Poly1305::new(kek.as_slice().into())
            .decrypt(XNonce::from_slice(&nonce), Payload { msg: &wrapped, aad: &aad });
        Ok(opened.ok().map(|plain| {
            let plain = Zeroizing::new(plain);
            DataKey::from_slice(&plain)
        }))
    }

    /// A version-1 slot, made only by tests: what a store created before version 2 holds.
    #[cfg(test)]
    pub fn seal(
        listener_id: ListenerId,
        login: &str,
        passphrase: &str,
        key: &DataKey,
        kdf: KdfParams,
    ) -> Result<LegacySlot, String> {
        let salt: [u8; SALT_LEN] = super::random()?;
        let nonce: [u8; NONCE_LEN] = super::random()?;
        let mut slot = LegacySlot {
            listener_id,
            login: login.to_owned(),
            kdf,
            salt: hex::encode(salt),
            nonce: hex::encode(nonce),
            wrapped_key: String::new(),
            checksum: String::new(),
        };
        let kek = kdf.derive(passphrase.as_bytes(), &salt)?;
        let wrapped = XChaCha20Poly1305::new(kek.as_slice().into())
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: key.bytes(), aad: &slot.associated_data() })
            .map_err(|_| "sealing the key slot failed".to_owned())?;
        slot.wrapped_key = hex::encode(wrapped);
        slot.checksum = slot.compute_checksum();
        Ok(slot)
    }
}
