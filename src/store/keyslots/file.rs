//! The key file as a whole: where it lives, its lock, reading it (both versions) and writing
//! it, and the slots in it. Apart from the slot's own cryptography, in `keyslots`.

use super::*;

fn parse_legacy(value: serde_json::Value) -> Result<LegacySlot, String> {
    let slot: LegacySlot = serde_json::from_value(value).map_err(|e| format!("a version-1 slot: {e}"))?;
    if slot.checksum != slot.compute_checksum() {
        return Err(format!("the slot of {:?} fails its checksum", slot.login));
    }
    slot.kdf.check()?;
    Ok(slot)
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
        Self::lock_within(key_path, LOCK_WAIT)
    }

    /// The key file's lock if nobody holds it now, without waiting.
    pub fn try_lock(key_path: &Path) -> StoreResult<Option<KeyFileLock>> {
        match Self::lock_within(key_path, std::time::Duration::ZERO) {
            Ok(lock) => Ok(Some(lock)),
            Err(StoreError::Locked) => Ok(None),
            Err(err) => Err(err),
        }
    }

    fn lock_within(key_path: &Path, wait: std::time::Duration) -> StoreResult<KeyFileLock> {
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
        let deadline = std::time::Instant::now() + wait;
        loop {
            // Released by the kernel when the file is closed, including by a killed process.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                return Ok(KeyFileLock { _file: file });
            }
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
                return Err(StoreError::io(path.display().to_string(), err));
            }
            if std::time::Instant::now() >= deadline {
                return Err(StoreError::Locked);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// A key file with no slot, for the database whose salt is `database_salt`.
    pub fn empty(path: PathBuf, database_salt: [u8; DATABASE_SALT_LEN]) -> KeyFile {
        KeyFile { path, database_salt: Some(database_salt), slots: Vec::new() }
    }

    pub fn load(path: &Path) -> StoreResult<KeyFile> {
        // A key file is a few hundred bytes per account.
        let bytes = crate::bounded_read::read_regular_file(path, 1 << 20).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::KeyFileMissing(path.to_owned()),
            _ => StoreError::io(path.display().to_string(), e),
        })?;
        Self::parse(path, &bytes)
    }

    /// The database id (`database_salt`) that a key file's bytes name, read without checking
    /// its slots: what a session on a server compares before each write.
    pub fn database_salt_in(bytes: &[u8]) -> Option<[u8; DATABASE_SALT_LEN]> {
        #[derive(Deserialize)]
        struct Header {
            #[serde(default)]
            database_salt: Option<String>,
        }
        let header: Header = serde_json::from_slice(bytes).ok()?;
        decode(&header.database_salt?, "database_salt").ok()
    }

    /// Parses and checks every slot; any defect is damage, named with what is wrong.
    pub fn parse(path: &Path, bytes: &[u8]) -> StoreResult<KeyFile> {
        let damaged = |detail: String| StoreError::KeyFileDamaged { path: path.to_owned(), detail };
        let document: DocumentIn = serde_json::from_slice(bytes).map_err(|e| damaged(e.to_string()))?;
        if document.format != FORMAT {
            return Err(damaged(format!("not a {FORMAT} file")));
        }
        let mut slots = Vec::with_capacity(document.slots.len());
        let database_salt = match document.version {
            1 => {
                if document.database_salt.is_some() || document.checksum.is_some() {
                    return Err(damaged("a version-1 file with version-2 fields".into()));
                }
                for value in document.slots {
                    slots.push(KeySlot::Legacy(parse_legacy(value).map_err(damaged)?));
                }
                None
            }
            2 => {
                let salt = document.database_salt.ok_or_else(|| damaged("no database_salt".into()))?;
                let salt: [u8; DATABASE_SALT_LEN] = decode(&salt, "database_salt").map_err(damaged)?;
                let checksum = document.checksum.ok_or_else(|| damaged("no checksum".into()))?;
                if decode::<32>(&checksum, "checksum").map_err(damaged)? != header_checksum(&salt) {
                    return Err(damaged("the file's header fails its checksum".into()));
                }
                for value in document.slots {
                    slots.push(Self::parse_slot(value).map_err(damaged)?);
                }
                Some(salt)
            }
            other => return Err(damaged(format!("unknown version {other}"))),
        };
        let mut ids = std::collections::HashSet::new();
        let mut logins = std::collections::HashSet::new();
        for slot in &slots {
            if !ids.insert(slot.listener_id()) || !logins.insert(slot.login().to_owned()) {
                return Err(damaged(format!("two slots for {:?}", slot.login())));
            }
        }
        Ok(KeyFile { path: path.to_owned(), database_salt, slots })
    }

    /// A slot in a version-2 file says its own version: 1 for a slot not converted yet.
    fn parse_slot(mut value: serde_json::Value) -> Result<KeySlot, String> {
        let version = value.get("version").and_then(serde_json::Value::as_u64);
        match version {
            Some(1) => {
                if let Some(object) = value.as_object_mut() {
                    object.remove("version");
                }
                Ok(KeySlot::Legacy(parse_legacy(value)?))
            }
            Some(2) => {
                let json: SlotJson = serde_json::from_value(value).map_err(|e| format!("a slot: {e}"))?;
                Ok(KeySlot::Current(Slot::from_json(json)?))
            }
            _ => Err("a slot without a known version".into()),
        }
    }

    /// Writes the file as version 2, whatever version it was read as.
    pub fn save(&self) -> StoreResult<()> {
        injected_delay();
        let json = self.to_bytes()?;
        write_atomically(&self.path, &json).map_err(|e| StoreError::io(self.path.display().to_string(), e))
    }

    /// The file's bytes, version 2 (docs/keyslots.md): what `save` writes, and what a server
    /// keeps in its `key_file` row.
    pub fn to_bytes(&self) -> StoreResult<Vec<u8>> {
        let salt = self.database_salt.ok_or_else(|| {
            StoreError::Invalid("the key file does not name its database (bind it before saving)".into())
        })?;
        let slots = self
            .slots
            .iter()
            .map(|slot| match slot {
                KeySlot::Current(slot) => SlotOut::Current(slot.to_json()),
                KeySlot::Legacy(slot) => SlotOut::Legacy { version: 1, slot },
            })
            .collect();
        let document = DocumentOut {
            format: FORMAT,
            version: VERSION,
            database_salt: hex::encode(salt),
            checksum: hex::encode(header_checksum(&salt)),
            slots,
        };
        serde_json::to_vec_pretty(&document)
            .map_err(|e| StoreError::Invalid(format!("serialising key slots: {e}")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The salt of the database these slots open (none in a version-1 file).
    pub fn database_salt(&self) -> Option<[u8; DATABASE_SALT_LEN]> {
        self.database_salt
    }

    /// Names the database file these slots open (its salt), written at the next save.
    pub fn bind_to(&mut self, database_salt: [u8; DATABASE_SALT_LEN]) {
        self.database_salt = Some(database_salt);
    }

    /// The same slots under another name, for another database file (a backup, a re-key).
    pub fn copy_to(&self, path: PathBuf, database_salt: [u8; DATABASE_SALT_LEN]) -> KeyFile {
        KeyFile { path, database_salt: Some(database_salt), slots: self.slots.clone() }
    }

    pub fn slots(&self) -> &[KeySlot] {
        &self.slots
    }

    pub fn slot(&self, listener_id: ListenerId) -> Option<&KeySlot> {
        self.slots.iter().find(|s| s.listener_id() == listener_id)
    }

    pub fn slots_mut(&mut self) -> impl Iterator<Item = &mut KeySlot> {
        self.slots.iter_mut()
    }

    /// Tries `passphrase` on the slot of `login`.
    pub fn unlock(&self, login: &str, passphrase: &str) -> StoreResult<Unwrapped> {
        let slot = self
            .slots
            .iter()
            .find(|s| s.login() == login)
            .ok_or_else(|| StoreError::UnknownListener(login.to_owned()))?;
        let damaged = |detail: String| StoreError::KeyFileDamaged { path: self.path.clone(), detail };
        match slot {
            KeySlot::Legacy(legacy) => match legacy.open(passphrase).map_err(damaged)? {
                Some(key) => Ok(Unwrapped::Legacy { id: legacy.listener_id, key }),
                None => Err(StoreError::WrongPassphrase),
            },
            KeySlot::Current(current) => match current.open(passphrase).map_err(damaged)? {
                Some((keys, key)) => {
                    Ok(Unwrapped::Current { id: current.listener_id, key, keys: Box::new(keys) })
                }
                None => Err(StoreError::WrongPassphrase),
            },
        }
    }

    /// Adds a slot, or replaces the one of the same account where it stands.
    pub fn set_slot(&mut self, slot: Slot) {
        match self.slots.iter_mut().find(|s| s.listener_id() == slot.listener_id) {
            Some(existing) => *existing = KeySlot::Current(slot),
            None => self.slots.push(KeySlot::Current(slot)),
        }
    }

    pub fn remove_slot(&mut self, listener_id: ListenerId) -> bool {
        let before = self.slots.len();
        self.slots.retain(|s| s.listener_id() != listener_id);
        self.slots.len() != before
    }

    /// Adds a version-1 slot: only tests make one, to stand for a store made before version 2.
    #[cfg(test)]
    pub(in crate::store) fn push_legacy(&mut self, slot: LegacySlot) {
        self.slots.retain(|s| s.listener_id() != slot.listener_id);
        self.slots.push(KeySlot::Legacy(slot));
    }
}
