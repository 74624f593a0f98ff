//! On a server, what a listener typed is also kept on this machine, so that a server restart, a
//! cut cable or a Wi-Fi drop loses nothing (issue 18, point 5): the call being taken, as last
//! autosaved (written here before each autosave to the server), and the calls ended while the
//! server could not be reached, oldest first, until the server has them.
//!
//! One file per account and server, `<server_state>.draft-<account id>` beside this machine's
//! stand-in for the server (`paths::server_state`, a 0700 folder), 0600, replaced atomically.
//! It holds JSON sealed like the server's own fields: XChaCha20-Poly1305 under a key derived
//! from the data key, associated data naming it (`local_draft`, `body`) and the account's id,
//! so it opens only with the data key, and only as that account's. Nothing else is in it.
//! Deleted once it holds nothing (the call saved on the server, every ended call too).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Store;
use super::db::Value;
use super::error::{StoreError, StoreResult};
use super::seal::{Field, Sealer};
use crate::domain::call::{CallDraft, NewCall, SaveToken};
use crate::domain::callback::{Address, Assignee, CallbackRequest, Priority};
use crate::domain::{ListenerId, Timestamp};

/// The associated data of the local copy: its own "table", so that nothing sealed for the
/// server opens as it, nor it as anything else.
const LOCAL_DRAFT: Field = Field { table: "local_draft", column: "body" };

/// Where one account's local copy is kept for one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalDraft {
    path: PathBuf,
    account: ListenerId,
}

/// What the local copy holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    /// The call being taken, as last autosaved.
    pub draft: Option<CallDraft>,
    /// Calls ended while the server could not be reached, oldest first: saved there, in this
    /// order, once it answers.
    #[serde(default)]
    pub ended: Vec<EndedCall>,
}

impl Kept {
    pub fn is_empty(&self) -> bool {
        self.draft.is_none() && self.ended.is_empty()
    }
}

/// A call ended and not yet saved on the server, with the callback scheduled at its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndedCall {
    pub call: NewCall,
    pub callback: Option<KeptCallback>,
}

impl EndedCall {
    pub fn new(call: NewCall, callback: Option<&CallbackRequest>) -> EndedCall {
        EndedCall { call, callback: callback.map(KeptCallback::from) }
    }

    pub fn token(&self) -> Option<SaveToken> {
        self.call.record.save_token
    }

    /// The callback request again, with the consent the caller gave when it was made.
    pub fn callback_request(&self) -> StoreResult<Option<CallbackRequest>> {
        let Some(kept) = &self.callback else { return Ok(None) };
        let priority: Priority =
            kept.priority.parse().map_err(|e| StoreError::Invalid(format!("a kept callback: {e}")))?;
        let assignee = kept.assignee.map_or(Assignee::Anyone, |id| Assignee::Listener(ListenerId(id)));
        let number = Address::stored(kept.address.clone());
        let mut request =
            CallbackRequest::with_consent(true, kept.due_at, priority, number, assignee, kept.note.clone())
                .expect("consent given");
        request.channel = kept.channel.clone();
        Ok(Some(request))
    }
}

/// A callback request as the local copy keeps it (made only from one that had the caller's
/// consent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptCallback {
    due_at: Timestamp,
    priority: String,
    channel: String,
    address: String,
    assignee: Option<i64>,
    note: String,
}

impl From<&CallbackRequest> for KeptCallback {
    fn from(request: &CallbackRequest) -> KeptCallback {
        KeptCallback {
            due_at: request.due_at,
            priority: request.priority.as_str().to_owned(),
            channel: request.channel.clone(),
            address: request.callback_number.as_str().to_owned(),
            assignee: match request.assignee {
                Assignee::Anyone => None,
                Assignee::Listener(id) => Some(id.0),
            },
            note: request.note.clone(),
        }
    }
}

impl LocalDraft {
    /// `account`'s local copy beside `local`, this machine's stand-in for the server.
    pub fn beside(local: &Path, account: ListenerId) -> LocalDraft {
        let mut name = local.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".draft-{}", account.0));
        LocalDraft { path: local.with_file_name(name), account }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Store {
    /// What `local` holds; nothing when there is no such file. A copy that does not open
    /// (damaged, or another key's) is damage, said as such.
    pub fn read_local(&self, local: &LocalDraft) -> StoreResult<Kept> {
        let bytes = match std::fs::read(&local.path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Kept::default()),
            Err(err) => return Err(StoreError::io(local.path.display().to_string(), err)),
        };
        let json = Sealer::for_server(&self.key).open(LOCAL_DRAFT, local.account.0, &Value::Blob(bytes))?;
        serde_json::from_str(&json)
            .map_err(|e| StoreError::DatabaseDamaged(format!("{} cannot be read: {e}", local.path.display())))
    }

    /// Writes `kept` to `local` (sealed, 0600, replacing the file at once); removes the file
    /// when it holds nothing.
    pub fn write_local(&self, local: &LocalDraft, kept: &Kept) -> StoreResult<()> {
        if kept.is_empty() {
            return match std::fs::remove_file(&local.path) {
                Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                    Err(StoreError::io(local.path.display().to_string(), err))
                }
                _ => Ok(()),
            };
        }
        let json = serde_json::to_string(kept)
            .map_err(|e| StoreError::Invalid(format!("serialising the local draft: {e}")))?;
        let Value::Blob(sealed) = Sealer::for_server(&self.key).seal(LOCAL_DRAFT, local.account.0, &json)?
        else {
            unreachable!("sealed text is bytes")
        };
        crate::atomic_file::write_atomically(&local.path, &sealed)
            .map_err(|e| StoreError::io(local.path.display().to_string(), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::call::{CallRecord, CallType};
    use crate::domain::callback::PhoneNumber;
    use crate::domain::listener::Role;
    use crate::store::{KdfParams, NewAccount};

    #[test]
    fn the_local_copy_is_sealed_private_and_opens_only_as_its_account() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("p.db");
        let pass = "trois pommes vertes sous la pluie";
        let account = NewAccount {
            login: "coord",
            display_name: "Dominique",
            role: Role::Supervisor,
            passphrase: pass,
        };
        let store = Store::create(&db, account, KdfParams::MINIMUM).unwrap();
        let local = LocalDraft::beside(&dir.path().join("server"), store.actor().id);
        assert_eq!(store.read_local(&local).unwrap(), Kept::default(), "nothing yet");
        let now = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        let record = CallRecord {
            notes: "CANARY-LOCAL-DRAFT elle appelle du travail".into(),
            save_token: Some(SaveToken::new([3; 16])),
            ..CallRecord::default()
        };
        let request = CallbackRequest::with_consent(
            true,
            now,
            Priority::High,
            PhoneNumber::parse("0639980000").unwrap(),
            Assignee::Listener(ListenerId(4)),
            "après 18 h".into(),
        )
        .unwrap();
        let call = NewCall {
            shift_id: crate::domain::ShiftId(1),
            started_at: now,
            ended_at: now,
            call_type: CallType::Listening,
            time_spent: None,
            record: record.clone(),
        };
        let kept = Kept {
            draft: Some(CallDraft {
                shift_id: crate::domain::ShiftId(1),
                started_at: now,
                call_type: None,
                record,
            }),
            ended: vec![EndedCall::new(call, Some(&request))],
        };
        store.write_local(&local, &kept).unwrap();
        assert_eq!(store.read_local(&local).unwrap(), kept);
        assert_eq!(kept.ended[0].callback_request().unwrap(), Some(request));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(local.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let bytes = std::fs::read(local.path()).unwrap();
        assert!(!bytes.windows(6).any(|w| w == b"CANARY"), "sealed");
        assert!(!bytes.windows(10).any(|w| w == b"0639980000"), "the number too");
        // Another account's name on it: it does not open.
        let moved = LocalDraft { path: local.path().to_owned(), account: ListenerId(store.actor().id.0 + 1) };
        assert!(matches!(store.read_local(&moved), Err(StoreError::DatabaseDamaged(_))));
        // Emptied: the file goes.
        store.write_local(&local, &Kept::default()).unwrap();
        assert!(!local.path().exists());
    }
}
