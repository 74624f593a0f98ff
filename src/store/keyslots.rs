//! Key slots: the sidecar file `<database>.keys` that lets each listener unlock the one data
//! key with their own passphrase.
//!
//! Per slot: Argon2id(passphrase, salt, recorded parameters) gives a key-encryption key, which
//! opens the data key sealed with XChaCha20-Poly1305. The slot's listener id, login and
//! parameters are the AEAD's associated data, so a slot cannot be moved to another account or
//! weakened without failing. Each slot also carries a plain checksum: a slot damaged on disk
//! is reported as damage, while an intact slot that does not open means a wrong passphrase.

use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::error::{StoreError, StoreResult};
use crate::atomic_file::write_atomically;
use crate::domain::ListenerId;

const FORMAT: &str = "permanence-keyslots";
const VERSION: u32 = 1;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;

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

    #[cfg(test)]
    pub(crate) fn bytes(&self) -> &[u8] {
        self.0.as_slice()
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
            Err(format!("key derivation parameters {self:?} are outside the accepted range"))
        }
    }

    fn derive(&self, passphrase: &str, salt: &[u8]) -> StoreResult<Zeroizing<[u8; KEY_LEN]>> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(KEY_LEN))
            .map_err(|e| StoreError::Invalid(format!("key derivation parameters: {e}")))?;
        let mut kek = Zeroizing::new([0u8; KEY_LEN]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(passphrase.as_bytes(), salt, kek.as_mut_slice())
            .map_err(|e| StoreError::Invalid(format!("key derivation: {e}")))?;
        Ok(kek)
    }
}

/// One listener's slot as stored (binary fields hex-encoded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySlot {
    pub listener_id: ListenerId,
    pub login: String,
    pub kdf: KdfParams,
    salt: String,
    nonce: String,
    wrapped_key: String,
    checksum: String,
}

impl KeySlot {
    fn associated_data(listener_id: ListenerId, login: &str, kdf: &KdfParams) -> Vec<u8> {
        format!(
            "{FORMAT} v{VERSION}\x1f{listener_id}\x1f{login}\x1f{}\x1f{}\x1f{}",
            kdf.memory_kib, kdf.iterations, kdf.parallelism
        )
        .into_bytes()
    }

    fn compute_checksum(&self) -> String {
        let text = format!(
            "{}\x1f{}\x1f{:?}\x1f{}\x1f{}\x1f{}",
            self.listener_id, self.login, self.kdf, self.salt, self.nonce, self.wrapped_key
        );
        hex::encode(&Sha256::digest(text.as_bytes())[..16])
    }

    fn seal(
        listener_id: ListenerId,
        login: &str,
        passphrase: &str,
        key: &DataKey,
        kdf: KdfParams,
    ) -> StoreResult<KeySlot> {
        kdf.check().map_err(StoreError::Invalid)?;
        let mut salt = [0u8; SALT_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        for buf in [&mut salt[..], &mut nonce[..]] {
            getrandom::fill(buf)
                .map_err(|e| StoreError::Invalid(format!("no randomness from the system: {e}")))?;
        }
        let kek = kdf.derive(passphrase, &salt)?;
        let aad = Self::associated_data(listener_id, login, &kdf);
        let wrapped = XChaCha20Poly1305::new(kek.as_slice().into())
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: key.0.as_slice(), aad: &aad })
            .map_err(|_| StoreError::Invalid("sealing the key slot failed".into()))?;
        let mut slot = KeySlot {
            listener_id,
            login: login.to_owned(),
            kdf,
            salt: hex::encode(salt),
            nonce: hex::encode(nonce),
            wrapped_key: hex::encode(wrapped),
            checksum: String::new(),
        };
        slot.checksum = slot.compute_checksum();
        Ok(slot)
    }

    /// `None` means the passphrase is wrong (the slot itself was checked intact on load).
    fn open(&self, passphrase: &str) -> StoreResult<Option<DataKey>> {
        let decode = |field: &str, len: usize| {
            hex::decode(field)
                .ok()
                .filter(|bytes| bytes.len() == len)
                .ok_or_else(|| StoreError::Invalid(format!("key slot of {:?} is malformed", self.login)))
        };
        let salt = decode(&self.salt, SALT_LEN)?;
        let nonce = decode(&self.nonce, NONCE_LEN)?;
        let wrapped = decode(&self.wrapped_key, KEY_LEN + 16)?;
        let kek = self.kdf.derive(passphrase, &salt)?;
        let aad = Self::associated_data(self.listener_id, &self.login, &self.kdf);
        let opened = XChaCha20Poly1305::new(kek.as_slice().into())
            .decrypt(XNonce::from_slice(&nonce), Payload { msg: &wrapped, aad: &aad });
        Ok(opened.ok().map(|plain| {
            let plain = Zeroizing::new(plain);
            let mut key = DataKey::zeroed();
            key.0.copy_from_slice(&plain);
            key
        }))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileDocument {
    format: String,
    version: u32,
    slots: Vec<KeySlot>,
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

/// The sidecar file and its slots, as loaded in memory.
#[derive(Debug, Clone)]
pub struct KeyFile {
    path: PathBuf,
    slots: Vec<KeySlot>,
}

impl KeyFile {
    /// Where the key file of the database at `db_path` lives: beside it.
    pub fn path_for(db_path: &Path) -> PathBuf {
        let mut name = db_path.file_name().unwrap_or_default().to_os_string();
        name.push(".keys");
        db_path.with_file_name(name)
    }

    /// The lock beside the key file, held by whoever changes slots (see [`KeyFileLock`]).
    pub fn lock_path_for(key_path: &Path) -> PathBuf {
        let mut name = key_path.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Waits for the key file's lock (at most [`LOCK_WAIT`]), for a change to slots that
    /// belongs with a change to the database: the caller holds it across both.
    pub fn lock(key_path: &Path) -> StoreResult<KeyFileLock> {
        use std::os::unix::fs::OpenOptionsExt;
        use std::os::unix::io::AsRawFd;
        let path = Self::lock_path_for(key_path);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|e| StoreError::io(path.display().to_string(), e))?;
        let deadline = std::time::Instant::now() + LOCK_WAIT;
        loop {
            // Released by the kernel when the file is closed, including by a killed process.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                return Ok(KeyFileLock { _file: file });
            }
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
                return Err(StoreError::io(path.display().to_string(), err));
            }
            if std::time::Instant::now() > deadline {
                return Err(StoreError::Locked);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    pub fn empty(path: PathBuf) -> KeyFile {
        KeyFile { path, slots: Vec::new() }
    }

    pub fn load(path: &Path) -> StoreResult<KeyFile> {
        // A key file is a few hundred bytes per account.
        let bytes = crate::bounded_read::read_regular_file(path, 1 << 20).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::KeyFileMissing(path.to_owned()),
            _ => StoreError::io(path.display().to_string(), e),
        })?;
        Self::parse(path, &bytes)
    }

    /// Parses and checks every slot; any defect is damage, named with what is wrong.
    pub fn parse(path: &Path, bytes: &[u8]) -> StoreResult<KeyFile> {
        let damaged = |detail: String| StoreError::KeyFileDamaged { path: path.to_owned(), detail };
        let document: KeyFileDocument = serde_json::from_slice(bytes).map_err(|e| damaged(e.to_string()))?;
        if document.format != FORMAT {
            return Err(damaged(format!("not a {FORMAT} file")));
        }
        if document.version != VERSION {
            return Err(damaged(format!("unknown version {}", document.version)));
        }
        for slot in &document.slots {
            if slot.checksum != slot.compute_checksum() {
                return Err(damaged(format!("the slot of {:?} fails its checksum", slot.login)));
            }
            slot.kdf.check().map_err(damaged)?;
        }
        Ok(KeyFile { path: path.to_owned(), slots: document.slots })
    }

    pub fn save(&self) -> StoreResult<()> {
        injected_delay();
        let document =
            KeyFileDocument { format: FORMAT.to_owned(), version: VERSION, slots: self.slots.clone() };
        let json = serde_json::to_vec_pretty(&document)
            .map_err(|e| StoreError::Invalid(format!("serialising key slots: {e}")))?;
        write_atomically(&self.path, &json).map_err(|e| StoreError::io(self.path.display().to_string(), e))
    }

    pub fn slots(&self) -> &[KeySlot] {
        &self.slots
    }

    /// Tries `passphrase` on the slot of `login`.
    pub fn unlock(&self, login: &str, passphrase: &str) -> StoreResult<(ListenerId, DataKey)> {
        let slot = self
            .slots
            .iter()
            .find(|s| s.login == login)
            .ok_or_else(|| StoreError::UnknownListener(login.to_owned()))?;
        match slot.open(passphrase)? {
            Some(key) => Ok((slot.listener_id, key)),
            None => Err(StoreError::WrongPassphrase),
        }
    }

    /// Adds the slot of a listener, or replaces it (a new passphrase rewraps the same key).
    pub fn set_slot(
        &mut self,
        listener_id: ListenerId,
        login: &str,
        passphrase: &str,
        key: &DataKey,
        kdf: KdfParams,
    ) -> StoreResult<()> {
        let slot = KeySlot::seal(listener_id, login, passphrase, key, kdf)?;
        self.slots.retain(|s| s.listener_id != listener_id);
        self.slots.push(slot);
        Ok(())
    }

    pub fn remove_slot(&mut self, listener_id: ListenerId) -> bool {
        let before = self.slots.len();
        self.slots.retain(|s| s.listener_id != listener_id);
        self.slots.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_file_with(login: &str, passphrase: &str) -> (KeyFile, DataKey) {
        let key = DataKey::generate().unwrap();
        let mut file = KeyFile::empty(PathBuf::from("test.db.keys"));
        file.set_slot(ListenerId(1), login, passphrase, &key, KdfParams::MINIMUM).unwrap();
        (file, key)
    }

    #[test]
    fn right_passphrase_opens_the_same_key() {
        let (file, key) = key_file_with("ana", "trois pommes vertes");
        let (id, opened) = file.unlock("ana", "trois pommes vertes").unwrap();
        assert_eq!(id, ListenerId(1));
        assert_eq!(opened.bytes(), key.bytes());
    }

    #[test]
    fn wrong_passphrase_and_unknown_login_are_told_apart() {
        let (file, _) = key_file_with("ana", "trois pommes vertes");
        assert!(matches!(file.unlock("ana", "trois pommes bleues"), Err(StoreError::WrongPassphrase)));
        assert!(
            matches!(file.unlock("bob", "trois pommes vertes"), Err(StoreError::UnknownListener(l)) if l == "bob")
        );
    }

    #[test]
    fn a_slot_moved_to_another_account_does_not_open() {
        let (mut file, _) = key_file_with("ana", "trois pommes vertes");
        file.slots[0].listener_id = ListenerId(2);
        file.slots[0].checksum = file.slots[0].compute_checksum();
        assert!(matches!(file.unlock("ana", "trois pommes vertes"), Err(StoreError::WrongPassphrase)));
    }

    #[test]
    fn saved_file_parses_back_and_any_flipped_byte_is_damage() {
        let (file, _) = key_file_with("ana", "trois pommes vertes");
        let bytes = serde_json::to_vec(&KeyFileDocument {
            format: FORMAT.into(),
            version: VERSION,
            slots: file.slots.clone(),
        })
        .unwrap();
        let path = Path::new("x.keys");
        let parsed = KeyFile::parse(path, &bytes).unwrap();
        assert_eq!(parsed.slots, file.slots);
        for i in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x01;
            match KeyFile::parse(path, &damaged) {
                Err(StoreError::KeyFileDamaged { .. }) => {}
                // A flip that leaves the JSON meaning intact (e.g. in white space) is harmless.
                Ok(reparsed) if reparsed.slots == file.slots => {}
                other => panic!("byte {i}: {other:?}"),
            }
        }
    }

    #[test]
    fn weak_or_absurd_parameters_are_refused() {
        let key = DataKey::generate().unwrap();
        let mut file = KeyFile::empty(PathBuf::from("t.keys"));
        let weak = KdfParams { memory_kib: 4096, ..KdfParams::MINIMUM };
        assert!(file.set_slot(ListenerId(1), "ana", "trois pommes vertes", &key, weak).is_err());
        assert!(KdfParams::DEFAULT.check().is_ok());
        assert!(KdfParams::MINIMUM.check().is_ok());
        let huge = KdfParams { iterations: 1_000_000, ..KdfParams::DEFAULT };
        assert!(huge.check().is_err());
    }
}
