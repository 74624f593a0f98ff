//! What each process of the bench writes for the parent (one JSON file per process in the run's
//! folder): its samples, what it saw acknowledged, the conflicts and failures it was told.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use permanence::domain::CallbackId;
use permanence::domain::call::NewCall;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Record {
    /// The account the process unlocked.
    pub login: String,
    pub samples: Vec<Sample>,
    /// Calls whose save the store acknowledged (`Reply::CallSaved`), as they were sent.
    pub saved: Vec<SavedCall>,
    /// Callback attempts that did not reach the caller, acknowledged (`Reply::AttemptRecorded`).
    pub attempts: Vec<CallbackId>,
    /// Callbacks reassigned by the supervisor, acknowledged (`Reply::CallbackChanged`).
    pub reassigned: u64,
    /// Refusals the store told on purpose (a version check, a file changed meanwhile), by kind.
    pub conflicts: Vec<String>,
    /// Anything else the store refused or failed: none is expected.
    pub failures: Vec<String>,
    /// Seconds from the start signal to the last key.
    pub seconds: f64,
}

/// One operation: what was done, how long it took from the key to the frame drawn, and the
/// requests it sent to the server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sample {
    pub op: String,
    pub micros: u64,
    pub requests: u64,
}

/// A call the store said was saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedCall {
    pub call: NewCall,
    /// The note of the callback scheduled with it, if one was.
    pub callback_note: Option<String>,
}

impl Record {
    pub fn path(run: &Path, login: &str) -> PathBuf {
        run.join(format!("{login}.json"))
    }

    pub fn write(&self, run: &Path) {
        let json = serde_json::to_vec(self).expect("a record serialises");
        std::fs::write(Record::path(run, &self.login), json).expect("the run's folder is writable");
    }

    pub fn read(run: &Path, login: &str) -> Record {
        let path = Record::path(run, login);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }
}
