//! Key slots: the sidecar file `<database>.keys` that lets each listener unlock the one data
//! key with their own passphrase. Its every byte is specified in docs/keyslots.md, so that a
//! program nobody here wrote can open it; keep the two in step.
//!
//! Version 2, per slot: each account has two key pairs, an X25519 one (the data key is sealed
//! to its public half as a libsodium sealed box) and an Ed25519 one (it signs: endorsements of
//! other slots by a supervisor, and the audit entries of its owner). Both secrets are sealed
//! with XChaCha20-Poly1305 under a key derived by Argon2id from the NFC-normalised passphrase,
//! with the slot's public part as associated data. Whoever holds the data key can thus wrap a
//! new one for every slot without anyone's passphrase (a re-key), and a supervisor's signature
//! over a slot's public part says which keys belong to which login and role. A checksum over a
//! canonical encoding of each slot tells damage on disk from a wrong passphrase.
//!
//! Version 1 (read, never written): the passphrase's key opened the data key directly.

mod canonical;
mod file;
mod legacy;

use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;
use zeroize::{Zeroize, Zeroizing};

use super::error::{StoreError, StoreResult};
use crate::atomic_file::write_atomically;
use crate::domain::ListenerId;
use crate::domain::listener::Role;
use canonical::Canonical;
pub use legacy::LegacySlot;

const FORMAT: &str = "permanence-keyslots";
/// The version this program writes; version 1 is still read.
const VERSION: u32 = 2;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;
/// The X25519 secret key then the Ed25519 seed.
const SECRETS_LEN: usize = 64;
/// Poly1305's tag, appended by XChaCha20-Poly1305 and by the sealed box.
const TAG_LEN: usize = 16;
/// A sealed box: the sender's ephemeral X25519 public key, then the boxed message and its tag.
const WRAPPED_LEN: usize = 32 + TAG_LEN + KEY_LEN;
const SIGNATURE_LEN: usize = 64;
/// SQLCipher's first 16 bytes: the database file's random salt, which names the file.
pub const DATABASE_SALT_LEN: usize = 16;

/// Tags that start each canonical message (docs/keyslots.md).
const TAG_PUBLIC: &str = "permanence-keyslot v2";
const TAG_ENDORSEMENT: &str = "permanence-endorsement v2";
const TAG_CHECKSUM: &str = "permanence-keyslot-checksum v2";
const TAG_HEADER: &str = "permanence-keyslots v2";

fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness from the system: {e}"))?;
    Ok(bytes)
}

/// A version-2 passphrase's bytes: UTF-8 after Unicode NFC normalisation, so that "é" typed as
/// one code point (most keyboards) or as "e" and a combining accent (some systems, some input
/// methods) gives the same key.
fn normalised(passphrase: &str) -> Zeroizing<String> {
    Zeroizing::new(passphrase.nfc().collect())
}

/// The random 256-bit key that encrypts the database, handed to SQLCipher as a raw key.
/// Wiped from memory when dropped. It lives on the heap, written there in place: moving a
/// `DataKey` (into a `Store`, out of a function) copies a pointer, where an array moved by
/// value would leave a copy of the key in each stack frame it passed through, which nothing
/// wipes.
pub struct DataKey(Box<Zeroizing<[u8; KEY_LEN]>>);

impl DataKey {
    /// An all-zero key on the heap, to be filled in place.
    fn zeroed() -> DataKey {
        DataKey(Box::new(Zeroizing::new([0u8; KEY_LEN])))
    }

    pub fn generate() -> StoreResult<DataKey> {
        let mut key = DataKey::zeroed();
        getrandom::fill(key.0.as_mut_slice())
            .map_err(|e| StoreError::Invalid(format!("no randomness from the system: {e}")))?;
        Ok(key)
    }

    fn from_slice(bytes: &[u8]) -> DataKey {
        let mut key = DataKey::zeroed();
        key.0.copy_from_slice(bytes);
        key
    }

    /// The SQLCipher raw-key literal, `x'…'`, written digit by digit into a buffer of its
    /// exact size: no intermediate string (as `hex::encode` or `format!` would leave in freed
    /// memory), no reallocation.
    pub fn sqlcipher_literal(&self) -> Zeroizing<String> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut literal = Zeroizing::new(String::with_capacity(2 * KEY_LEN + 3));
        literal.push_str("x'");
        for byte in self.0.iter() {
            literal.push(char::from(DIGITS[usize::from(byte >> 4)]));
            literal.push(char::from(DIGITS[usize::from(byte & 15)]));
        }
        literal.push('\'');
        literal
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        self.0.as_slice()
    }

    /// A second copy on the heap, wiped when dropped like the first: for the statistics
    /// thread's server connection, which seals and opens with keys derived from it.
    pub(crate) fn duplicate(&self) -> DataKey {
        DataKey::from_slice(self.bytes())
    }
}

/// Argon2id cost, recorded in each slot so that it can be raised later slot by slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl KdfParams {
    /// OWASP's minimum for Argon2id: 19 MiB, 2 iterations, 1 lane. Nothing weaker is accepted.
    pub const MINIMUM: KdfParams = KdfParams { memory_kib: 19 * 1024, iterations: 2, parallelism: 1 };
    /// What new slots get: about a quarter of a second on a modest office PC.
    pub const DEFAULT: KdfParams = KdfParams { memory_kib: 64 * 1024, iterations: 3, parallelism: 1 };
    /// Beyond this a slot is taken for damage: it would make unlocking hang or exhaust memory.
    const MAXIMUM: KdfParams = KdfParams { memory_kib: 4 * 1024 * 1024, iterations: 64, parallelism: 16 };

    fn check(&self) -> Result<(), String> {
        let within = |v: u32, min: u32, max: u32| (min..=max).contains(&v);
        if within(self.memory_kib, Self::MINIMUM.memory_kib, Self::MAXIMUM.memory_kib)
            && within(self.iterations, Self::MINIMUM.iterations, Self::MAXIMUM.iterations)
            && within(self.parallelism, Self::MINIMUM.parallelism, Self::MAXIMUM.parallelism)
        {
            Ok(())
        } else {
            Err(format!(
                "key derivation parameters (memory {} KiB, {} iterations, {} lanes) are outside the accepted range",
                self.memory_kib, self.iterations, self.parallelism
            ))
        }
    }

    /// Argon2id, version 0x13, 32 bytes of output, no secret and no associated data.
    fn derive(&self, passphrase: &[u8], salt: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, String> {
        #[cfg(test)]
        crate::store::db::write_transactions::key_derived();
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(KEY_LEN))
            .map_err(|e| format!("key derivation parameters: {e}"))?;
        let mut kek = Zeroizing::new([0u8; KEY_LEN]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(passphrase, salt, kek.as_mut_slice())
            .map_err(|e| format!("key derivation: {e}"))?;
        Ok(kek)
    }
}

/// An account's public keys, as its slot carries them and the database pins them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKeys {
    /// X25519: the data key is sealed to it.
    pub box_key: [u8; 32],
    /// Ed25519: verifies what the account signs.
    pub signing_key: [u8; 32],
}

/// An account's two secret keys, once its slot is opened. Wiped from memory when dropped.
pub struct AccountKeys {
    box_secret: Zeroizing<[u8; 32]>,
    signing: SigningKey,
}

impl AccountKeys {
    pub fn generate() -> StoreResult<AccountKeys> {
        let mut secrets = Zeroizing::new(random::<SECRETS_LEN>().map_err(StoreError::Invalid)?);
        let keys = Self::from_secrets(&secrets);
        secrets.zeroize();
        Ok(keys)
    }

    fn from_secrets(secrets: &[u8; SECRETS_LEN]) -> AccountKeys {
        let mut box_secret = Zeroizing::new([0u8; 32]);
        box_secret.copy_from_slice(&secrets[..32]);
        let mut seed = Zeroizing::new([0u8; 32]);
        seed.copy_from_slice(&secrets[32..]);
        AccountKeys { box_secret, signing: SigningKey::from_bytes(&seed) }
    }

    fn secrets(&self) -> Zeroizing<[u8; SECRETS_LEN]> {
        let mut secrets = Zeroizing::new([0u8; SECRETS_LEN]);
        secrets[..32].copy_from_slice(self.box_secret.as_slice());
        secrets[32..].copy_from_slice(self.signing.as_bytes());
        secrets
    }

    pub fn public(&self) -> PublicKeys {
        PublicKeys {
            box_key: with_box_secret(&self.box_secret, |secret| secret.public_key().to_bytes()),
            signing_key: self.signing.verifying_key().to_bytes(),
        }
    }

    /// A second copy, wiped when dropped like the first: for the session the terminal reads
    /// on beside the keyboard's (`Store::aside`), which signs its audit entries too.
    pub(crate) fn duplicate(&self) -> AccountKeys {
        AccountKeys::from_secrets(&self.secrets())
    }

    /// The Ed25519 key that signs in this account's name.
    pub fn signer(&self) -> &SigningKey {
        &self.signing
    }

    /// The data key that `slot` (this account's) wraps: how a session follows a re-key made
    /// by another terminal without asking for the passphrase again.
    pub(in crate::store) fn open_wrapped(&self, slot: &Slot) -> Option<DataKey> {
        let key = self.unseal(&slot.wrapped_key).filter(|key| key.len() == KEY_LEN)?;
        Some(DataKey::from_slice(&key))
    }

    /// Opens a sealed box addressed to this account.
    fn unseal(&self, sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        with_box_secret(&self.box_secret, |secret| secret.unseal(sealed).ok().map(Zeroizing::new))
    }
}

/// Runs `use_it` with a `crypto_box` secret key made from `bytes`, then wipes that value:
/// crypto_box 0.9 wipes only the scalar of its `SecretKey` when dropped, not the bytes it was
/// made from.
fn with_box_secret<T>(bytes: &[u8; 32], use_it: impl FnOnce(&crypto_box::SecretKey) -> T) -> T {
    let mut secret = std::mem::ManuallyDrop::new(crypto_box::SecretKey::from_bytes(*bytes));
    let result = use_it(&secret);
    // SAFETY: `SecretKey` is plain bytes (a 32-byte array and a scalar, itself 32 bytes) with
    // no pointer and no invariant broken by zeros; it is never used again after this, and
    // `ManuallyDrop` keeps its `Drop` from running on the wiped value.
    unsafe {
        let raw = std::slice::from_raw_parts_mut(
            (&mut *secret as *mut crypto_box::SecretKey).cast::<u8>(),
            std::mem::size_of::<crypto_box::SecretKey>(),
        );
        raw.zeroize();
    }
    result
}

/// A supervisor's signature over a slot's identity (login, role, account and public keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endorsement {
    pub signed_by: ListenerId,
    pub signature: [u8; SIGNATURE_LEN],
}

/// One version-2 slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub listener_id: ListenerId,
    pub login: String,
    pub role: Role,
    pub kdf: KdfParams,
    pub keys: PublicKeys,
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
    sealed_secrets: Vec<u8>,
    wrapped_key: Vec<u8>,
    pub endorsement: Option<Endorsement>,
}

impl Slot {
    /// The public part (docs/keyslots.md, "P"): the AEAD's associated data, so that a slot
    /// cannot be moved to another account, role or weaker parameters and still open.
    fn public_part(&self) -> Vec<u8> {
        Canonical::tagged(TAG_PUBLIC)
            .i64(self.listener_id.0)
            .text(&self.login)
            .text(self.role.as_str())
            .u32(self.kdf.memory_kib)
            .u32(self.kdf.iterations)
            .u32(self.kdf.parallelism)
            .bytes(&self.keys.box_key)
            .bytes(&self.keys.signing_key)
            .finish()
    }

    /// What a supervisor signs (docs/keyslots.md, "E"): who signs, and which keys belong to
    /// which account, login and role. Not the key derivation's cost, which the AEAD binds, so
    /// that a person changing their own passphrase keeps their endorsement.
    pub fn endorsed_message(&self, signed_by: ListenerId) -> Vec<u8> {
        Canonical::tagged(TAG_ENDORSEMENT)
            .i64(signed_by.0)
            .i64(self.listener_id.0)
            .text(&self.login)
            .text(self.role.as_str())
            .bytes(&self.keys.box_key)
            .bytes(&self.keys.signing_key)
            .finish()
    }

    fn checksum(&self) -> [u8; 32] {
        Sha256::digest(self.checksum_message()).into()
    }

    /// What the slot's checksum hashes (docs/keyslots.md, "C"): every other field.
    fn checksum_message(&self) -> Vec<u8> {
        let message = Canonical::tagged(TAG_CHECKSUM)
            .raw(&self.public_part())
            .bytes(&self.salt)
            .bytes(&self.nonce)
            .bytes(&self.sealed_secrets)
            .bytes(&self.wrapped_key);
        match &self.endorsement {
            None => message.u32(0),
            Some(e) => message.u32(1).i64(e.signed_by.0).bytes(&e.signature),
        }
        .finish()
    }

    /// Seals `keys` under `passphrase` and wraps `data_key` to them.
    pub fn seal(
        listener_id: ListenerId,
        login: &str,
        role: Role,
        passphrase: &str,
        kdf: KdfParams,
        keys: &AccountKeys,
        data_key: &DataKey,
    ) -> StoreResult<Slot> {
        kdf.check().map_err(StoreError::Invalid)?;
        let mut slot = Slot {
            listener_id,
            login: login.to_owned(),
            role,
            kdf,
            keys: keys.public(),
            salt: random().map_err(StoreError::Invalid)?,
            nonce: random().map_err(StoreError::Invalid)?,
            sealed_secrets: Vec::new(),
            wrapped_key: Vec::new(),
            endorsement: None,
        };
        slot.seal_secrets(passphrase, keys)?;
        slot.rewrap(data_key)?;
        Ok(slot)
    }

    /// Wraps `data_key` to this slot's public box key: no passphrase needed (a re-key).
    pub fn rewrap(&mut self, data_key: &DataKey) -> StoreResult<()> {
        let recipient = crypto_box::PublicKey::from_bytes(self.keys.box_key);
        self.wrapped_key = recipient
            .seal(&mut crypto_box::aead::OsRng, data_key.bytes())
            .map_err(|_| StoreError::Invalid("wrapping the data key failed".into()))?;
        Ok(())
    }

    /// The supervisor `signed_by` vouches, with `signer`, for this slot's keys.
    pub fn endorse(&mut self, signed_by: ListenerId, signer: &SigningKey) {
        let signature = signer.sign(&self.endorsed_message(signed_by)).to_bytes();
        self.endorsement = Some(Endorsement { signed_by, signature });
    }

    /// Whether the endorsement is a valid signature by `signing_key` (whose it must be, and
    /// whether that signer counts, is decided by the caller against the pinned keys).
    pub fn endorsement_verifies(&self, signing_key: &[u8; 32]) -> bool {
        let Some(endorsement) = &self.endorsement else { return false };
        let Ok(key) = VerifyingKey::from_bytes(signing_key) else { return false };
        let signature = ed25519_dalek::Signature::from_bytes(&endorsement.signature);
        key.verify_strict(&self.endorsed_message(endorsement.signed_by), &signature).is_ok()
    }

    /// `Ok(None)`: the passphrase is wrong. An error: the slot is intact on disk (its checksum
    /// held) yet inconsistent, which only a forger or a bug produces.
    fn open(&self, passphrase: &str) -> Result<Option<(AccountKeys, DataKey)>, String> {
        let kek = self.kdf.derive(normalised(passphrase).as_bytes(), &self.salt)?;
        let Ok(secrets) = XChaCha20Poly1305::new(kek.as_slice().into()).decrypt(
            XNonce::from_slice(&self.nonce),
            Payload { msg: &self.sealed_secrets, aad: &self.public_part() },
        ) else {
            return Ok(None);
        };
        let secrets = Zeroizing::new(secrets);
        let mut array = Zeroizing::new([0u8; SECRETS_LEN]);
        array.copy_from_slice(&secrets);
        let keys = AccountKeys::from_secrets(&array);
        if keys.public() != self.keys {
            return Err(format!("the key slot of {:?} holds secrets of other public keys", self.login));
        }
        let data_key =
            keys.unseal(&self.wrapped_key).filter(|key| key.len() == KEY_LEN).ok_or_else(|| {
                format!("the key slot of {:?} does not hold a data key for its keys", self.login)
            })?;
        let data_key = DataKey::from_slice(&data_key);
        Ok(Some((keys, data_key)))
    }

    /// Reseals the same keys under a new passphrase (one's own passphrase change): the public
    /// part, the wrapped data key and the endorsement stay.
    pub fn reseal(&self, passphrase: &str, kdf: KdfParams, keys: &AccountKeys) -> StoreResult<Slot> {
        if keys.public() != self.keys {
            return Err(StoreError::Invalid("these are not this slot's keys".into()));
        }
        kdf.check().map_err(StoreError::Invalid)?;
        let mut slot = Slot {
            kdf,
            salt: random().map_err(StoreError::Invalid)?,
            nonce: random().map_err(StoreError::Invalid)?,
            sealed_secrets: Vec::new(),
            ..self.clone()
        };
        slot.seal_secrets(passphrase, keys)?;
        Ok(slot)
    }

    /// Seals `keys`' secrets under `passphrase` with this slot's KDF, salt and nonce, its public
    /// part as associated data.
    fn seal_secrets(&mut self, passphrase: &str, keys: &AccountKeys) -> StoreResult<()> {
        let kek =
            self.kdf.derive(normalised(passphrase).as_bytes(), &self.salt).map_err(StoreError::Invalid)?;
        self.sealed_secrets = XChaCha20Poly1305::new(kek.as_slice().into())
            .encrypt(
                XNonce::from_slice(&self.nonce),
                Payload { msg: keys.secrets().as_slice(), aad: &self.public_part() },
            )
            .map_err(|_| StoreError::Invalid("sealing the key slot failed".into()))?;
        Ok(())
    }
}

/// A slot of either version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySlot {
    /// Version 1: converted at its owner's next unlock.
    Legacy(LegacySlot),
    Current(Slot),
}

impl KeySlot {
    pub fn listener_id(&self) -> ListenerId {
        match self {
            KeySlot::Legacy(slot) => slot.listener_id,
            KeySlot::Current(slot) => slot.listener_id,
        }
    }

    pub fn login(&self) -> &str {
        match self {
            KeySlot::Legacy(slot) => &slot.login,
            KeySlot::Current(slot) => &slot.login,
        }
    }
}

/// What a right passphrase opens.
pub enum Unwrapped {
    /// A version-1 slot: the data key only (the account has no key pairs yet).
    Legacy {
        id: ListenerId,
        key: DataKey,
    },
    Current {
        id: ListenerId,
        key: DataKey,
        keys: Box<AccountKeys>,
    },
}

impl Unwrapped {
    /// The data key the slot opened.
    pub fn data_key(&self) -> &DataKey {
        match self {
            Unwrapped::Legacy { key, .. } | Unwrapped::Current { key, .. } => key,
        }
    }
}

/// How long a change to slots waits for another one (another process) to finish.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Proof that this process holds the key file's lock: slots are read, changed and written
/// back by one process at a time, together with the database change they belong to, so two
/// concurrent changes (an account added while another is deactivated) never lose one another.
#[must_use = "the lock is released when this is dropped"]
pub struct KeyFileLock {
    _file: std::fs::File,
}

/// Debug builds only: `PERMANENCE_TEST_KEY_FILE_DELAY_MS` waits before each key-file write,
/// so that the tests can make two processes' changes overlap as a slow disk would.
fn injected_delay() {
    if cfg!(debug_assertions)
        && let Some(ms) =
            std::env::var("PERMANENCE_TEST_KEY_FILE_DELAY_MS").ok().and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms.min(60_000)));
    }
}

/// The first bytes of the database file: SQLCipher's random salt, which names that file (a copy
/// made by `sqlcipher_export`, a backup or a re-key, gets its own).
pub fn database_salt(db_path: &Path) -> StoreResult<[u8; DATABASE_SALT_LEN]> {
    use std::io::Read;
    let mut salt = [0u8; DATABASE_SALT_LEN];
    std::fs::File::open(db_path)
        .and_then(|mut file| file.read_exact(&mut salt))
        .map_err(|e| StoreError::io(db_path.display().to_string(), e))?;
    Ok(salt)
}

/// The sidecar file and its slots, as loaded in memory.
#[derive(Debug, Clone)]
pub struct KeyFile {
    path: PathBuf,
    /// The salt of the database file these slots open; `None` when read from version 1.
    database_salt: Option<[u8; DATABASE_SALT_LEN]>,
    slots: Vec<KeySlot>,
}

// On-disk shapes (binary fields hex-encoded); `parse` checks every field.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentIn {
    format: String,
    version: u32,
    #[serde(default)]
    database_salt: Option<String>,
    #[serde(default)]
    checksum: Option<String>,
    slots: Vec<serde_json::Value>,
}

#[derive(Serialize)]
struct DocumentOut<'a> {
    format: &'a str,
    version: u32,
    database_salt: String,
    checksum: String,
    slots: Vec<SlotOut<'a>>,
}

/// A slot as written in a version-2 file: a version-1 slot keeps its fields and says its
/// version. Short-lived, one per slot being written.
#[derive(Serialize)]
#[allow(clippy::large_enum_variant)]
#[serde(untagged)]
enum SlotOut<'a> {
    Current(SlotJson),
    Legacy {
        version: u32,
        #[serde(flatten)]
        slot: &'a LegacySlot,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlotJson {
    version: u32,
    listener_id: ListenerId,
    login: String,
    role: Role,
    kdf: KdfParams,
    box_public: String,
    signing_public: String,
    salt: String,
    nonce: String,
    sealed_secrets: String,
    wrapped_key: String,
    endorsement: Option<EndorsementJson>,
    checksum: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndorsementJson {
    signed_by: ListenerId,
    signature: String,
}

fn header_checksum(database_salt: &[u8]) -> [u8; 32] {
    Sha256::digest(Canonical::tagged(TAG_HEADER).bytes(database_salt).finish()).into()
}

fn decode<const N: usize>(field: &str, name: &str) -> Result<[u8; N], String> {
    hex::decode(field)
        .ok()
        .and_then(|bytes| <[u8; N]>::try_from(bytes).ok())
        .ok_or_else(|| format!("{name} is not {N} bytes of hexadecimal"))
}

fn decode_vec(field: &str, name: &str, len: usize) -> Result<Vec<u8>, String> {
    hex::decode(field)
        .ok()
        .filter(|bytes| bytes.len() == len)
        .ok_or_else(|| format!("{name} is not {len} bytes of hexadecimal"))
}

impl Slot {
    fn from_json(json: SlotJson) -> Result<Slot, String> {
        let login = json.login.clone();
        let within = |detail: String| format!("the slot of {login:?}: {detail}");
        let endorsement = match json.endorsement {
            None => None,
            Some(e) => Some(Endorsement {
                signed_by: e.signed_by,
                signature: decode(&e.signature, "the endorsement's signature").map_err(within)?,
            }),
        };
        let slot = Slot {
            listener_id: json.listener_id,
            login: json.login.clone(),
            role: json.role,
            kdf: json.kdf,
            keys: PublicKeys {
                box_key: decode(&json.box_public, "box_public").map_err(within)?,
                signing_key: decode(&json.signing_public, "signing_public").map_err(within)?,
            },
            salt: decode(&json.salt, "salt").map_err(within)?,
            nonce: decode(&json.nonce, "nonce").map_err(within)?,
            sealed_secrets: decode_vec(&json.sealed_secrets, "sealed_secrets", SECRETS_LEN + TAG_LEN)
                .map_err(within)?,
            wrapped_key: decode_vec(&json.wrapped_key, "wrapped_key", WRAPPED_LEN).map_err(within)?,
            endorsement,
        };
        let checksum: [u8; 32] = decode(&json.checksum, "checksum").map_err(within)?;
        if checksum != slot.checksum() {
            return Err(format!("the slot of {login:?} fails its checksum"));
        }
        slot.kdf.check().map_err(within)?;
        Ok(slot)
    }

    fn to_json(&self) -> SlotJson {
        SlotJson {
            version: VERSION,
            listener_id: self.listener_id,
            login: self.login.clone(),
            role: self.role,
            kdf: self.kdf,
            box_public: hex::encode(self.keys.box_key),
            signing_public: hex::encode(self.keys.signing_key),
            salt: hex::encode(self.salt),
            nonce: hex::encode(self.nonce),
            sealed_secrets: hex::encode(&self.sealed_secrets),
            wrapped_key: hex::encode(&self.wrapped_key),
            endorsement: self
                .endorsement
                .as_ref()
                .map(|e| EndorsementJson { signed_by: e.signed_by, signature: hex::encode(e.signature) }),
            checksum: hex::encode(self.checksum()),
        }
    }
}

#[cfg(test)]
mod tests;
