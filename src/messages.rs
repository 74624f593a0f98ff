//! What a person reads about a failure, in the configured language: the store's typed errors,
//! the configuration's, a refused `--out`, the system's (a file missing, no permission), each
//! said from `i18n`'s `[cli]` sentences. The command line prints these whole; the terminal says
//! store errors its own shorter way (`store_error_brief`) and falls back on these.

use std::io;

use crate::config::ConfigError;
use crate::domain::callback::CallbackNow;
use crate::i18n::{Phrase, Strings};
use crate::output_path::Refused;
use crate::store::{CertificateProblem, StoreError, Unreachable};

/// A store error, whole: what happened, and what to do where a person can do something.
pub fn store_error(s: &Strings, err: &StoreError) -> String {
    let c = &s.cli;
    let path = |p: &std::path::Path| p.display().to_string();
    match err {
        StoreError::NotFound(p) => s.fill(&c.store_not_found, &[("path", &path(p))]),
        StoreError::AlreadyExists(p) => s.fill(&c.store_already_exists, &[("path", &path(p))]),
        StoreError::KeyFileMissing(p) => s.fill(&c.store_key_file_missing, &[("path", &path(p))]),
        StoreError::DatabaseMissing(p) => s.fill(&c.store_database_missing, &[("path", &path(p))]),
        // The detail names the byte or field at fault: technical, kept as it is.
        StoreError::KeyFileDamaged { path: p, detail } => {
            s.fill(&c.store_key_file_damaged, &[("path", &path(p)), ("detail", detail)])
        }
        StoreError::WrongPassphrase => c.store_wrong_passphrase.clone(),
        StoreError::UnknownListener(login) => {
            s.fill(&c.store_unknown_account, &[("login", &format!("{login:?}"))])
        }
        StoreError::Deactivated(login) => s.fill(&c.store_deactivated, &[("login", &format!("{login:?}"))]),
        StoreError::DatabaseDamaged(detail) => s.fill(&c.store_damaged, &[("detail", detail)]),
        StoreError::TooNew { found, known } => {
            s.fill(&c.store_too_new, &[("found", &found.to_string()), ("known", &known.to_string())])
        }
        StoreError::SchemaNeedsOwner { found, known } => s.fill(
            &c.store_schema_needs_owner,
            &[("found", &found.to_string()), ("known", &known.to_string())],
        ),
        StoreError::Locked => c.store_busy.clone(),
        StoreError::ReadOnly(what) if what == crate::store::THE_DATABASE => {
            s.fill(&c.store_read_only, &[("what", &c.the_database)])
        }
        StoreError::ReadOnly(what) => s.fill(&c.store_read_only, &[("what", what)]),
        StoreError::DiskFull => c.store_disk_full.clone(),
        StoreError::ConnectionLost => c.store_connection_lost.clone(),
        StoreError::Forbidden(what) => s.fill(&c.forbidden, &[("what", &what.say(s))]),
        StoreError::Conflict(now) => {
            let detail = match now {
                CallbackNow::Closed(status) => {
                    s.fill(&s.conflict_closed, &[("status", s.callback_status(*status))])
                }
                CallbackNow::AssignedTo(name) => {
                    s.fill(&s.conflict_assigned, &[("name", name.as_deref().unwrap_or(&s.callback_anyone))])
                }
            };
            s.fill(&c.store_conflict, &[("detail", &detail)])
        }
        StoreError::TooSoon(seconds) => s.fill(&s.error_too_soon, &[("seconds", &seconds.to_string())]),
        StoreError::FileChanged => c.store_file_changed.clone(),
        StoreError::AccessRevoked => c.store_access_revoked.clone(),
        StoreError::SlotRefused { login, problem } => s.fill(
            &c.store_slot_refused,
            &[("login", &format!("{login:?}")), ("problem", &problem.phrase().say(s))],
        ),
        StoreError::TerminalStillOpen(name) => s.fill(&s.supervisor_close_still_there, &[("name", name)]),
        StoreError::Refused(phrase) => phrase.say(s),
        StoreError::WeakPassphrase(weak) => s.weak_passphrase(weak),
        StoreError::Invalid(detail) => s.fill(&c.internal_error, &[("detail", detail)]),
        StoreError::Sqlite(err) => s.fill(&c.store_sqlite, &[("detail", &err.to_string())]),
        StoreError::ServerUnreachable { server, why } => {
            s.fill(&c.store_server_unreachable, &[("server", server), ("why", &unreachable(s, why))])
        }
        StoreError::ServerPassword { server, role } => {
            s.fill(&c.store_server_password, &[("server", server), ("role", &format!("{role:?}"))])
        }
        StoreError::WeakSslMode { server, mode } => {
            s.fill(&c.store_weak_sslmode, &[("server", server), ("mode", mode)])
        }
        StoreError::ServerCertificate { server, problem } => {
            s.fill(&c.store_server_certificate, &[("server", server), ("problem", &certificate(s, problem))])
        }
        StoreError::ServerWithoutTls { server } => s.fill(&c.store_server_without_tls, &[("server", server)]),
        StoreError::ServerRequiresTls { server, said } => {
            s.fill(&c.store_server_requires_tls, &[("server", server), ("said", said)])
        }
        StoreError::ServerNotAdmitted { server, said } => {
            s.fill(&c.store_server_not_admitted, &[("server", server), ("said", said)])
        }
        StoreError::ServerNoDatabase { server, said } => {
            s.fill(&c.store_server_no_database, &[("server", server), ("said", said)])
        }
        StoreError::ForeignDatabase(server) => s.fill(&c.store_foreign_database, &[("path", server)]),
        StoreError::DatabaseReplaced(server) => s.fill(&c.store_database_replaced, &[("path", server)]),
        StoreError::ServerPrivilege { object, said } => {
            s.fill(&c.store_server_privilege, &[("object", object), ("said", said)])
        }
        StoreError::Server(err) => s.fill(&c.store_server, &[("detail", &crate::store::server_detail(err))]),
        StoreError::Io { context, source } => format!("{context}: {}", io_error(s, source)),
    }
}

/// Why a server could not be reached, in words.
fn unreachable(s: &Strings, why: &Unreachable) -> String {
    match why {
        Unreachable::Refused => s.cli.unreachable_refused.clone(),
        Unreachable::TimedOut => s.cli.unreachable_timed_out.clone(),
        Unreachable::Unanswered(seconds) => {
            s.fill(&s.cli.unreachable_unanswered, &[("seconds", &seconds.to_string())])
        }
        Unreachable::NameUnknown => s.cli.unreachable_name_unknown.clone(),
        Unreachable::StandbyOnly => s.cli.unreachable_standby_only.clone(),
        Unreachable::Other(said) => said.clone(),
    }
}

/// Why a server's certificate was refused, in words.
fn certificate(s: &Strings, problem: &CertificateProblem) -> String {
    match problem {
        CertificateProblem::UnknownAuthority => s.cli.certificate_unknown_authority.clone(),
        CertificateProblem::OtherHost(host) => s.fill(&s.cli.certificate_other_host, &[("host", host)]),
        CertificateProblem::Expired => s.cli.certificate_expired.clone(),
        CertificateProblem::Other(said) => said.clone(),
    }
}

/// A system error in words for the common cases; the system's own words otherwise.
pub fn io_error(s: &Strings, err: &io::Error) -> String {
    let c = &s.cli;
    // Our own refusals travel inside an I/O error (a FIFO given as the configuration).
    if let Some(phrase) = err.get_ref().and_then(|inner| inner.downcast_ref::<Phrase>()) {
        return phrase.say(s);
    }
    match err.kind() {
        io::ErrorKind::NotFound => c.io_not_found.clone(),
        io::ErrorKind::PermissionDenied => c.io_permission.clone(),
        io::ErrorKind::AlreadyExists => c.io_exists.clone(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => c.io_disk_full.clone(),
        io::ErrorKind::ReadOnlyFilesystem => c.io_read_only.clone(),
        io::ErrorKind::IsADirectory => c.io_is_a_folder.clone(),
        io::ErrorKind::InvalidData => s.fill(&c.io_invalid, &[("detail", &err.to_string())]),
        _ => err.to_string(),
    }
}

/// Why an unlock failed, for the unlock screen: a server that cannot be reached says why, and
/// that what was typed is kept here (the unlock needs the server, where the key slots are);
/// any other failure as `store_error_brief` says it.
pub fn unlock_failure(s: &Strings, err: &StoreError) -> String {
    let why = match err {
        StoreError::ServerUnreachable { why, .. } => unreachable(s, why),
        StoreError::ConnectionLost => s.cli.unreachable_lost.clone(),
        _ => return store_error_brief(s, err),
    };
    s.fill(&s.unlock_unreachable, &[("why", &why)])
}

/// A store error as the terminal says it, in one sentence for the unlock screen or the status
/// line: each case its own (a wrong passphrase, a damaged database and a full disk are never
/// confused), in the interface's language; the rest said whole (`store_error`).
pub fn store_error_brief(s: &Strings, err: &StoreError) -> String {
    match err {
        StoreError::WrongPassphrase => s.error_wrong_passphrase.clone(),
        StoreError::UnknownListener(_) => s.error_unknown_listener.clone(),
        StoreError::Deactivated(_) => s.error_deactivated.clone(),
        StoreError::DatabaseDamaged(_) | StoreError::DatabaseMissing(_) => s.error_damaged.clone(),
        StoreError::TooNew { .. } => s.error_too_new.clone(),
        StoreError::SchemaNeedsOwner { .. } => s.error_schema_needs_owner.clone(),
        // Silent mid-request: whether it was done is not known.
        StoreError::ServerUnreachable { why: Unreachable::Unanswered(_), .. } => s.error_server_lost.clone(),
        StoreError::ServerUnreachable { why, .. } => {
            s.fill(&s.error_server_unreachable, &[("why", &unreachable(s, why))])
        }
        StoreError::ServerPassword { .. } => s.error_server_password.clone(),
        StoreError::ServerCertificate { problem, .. } => {
            s.fill(&s.error_server_certificate, &[("problem", &certificate(s, problem))])
        }
        StoreError::ServerWithoutTls { .. } => s.error_server_without_tls.clone(),
        StoreError::ServerRequiresTls { .. } => s.error_server_requires_tls.clone(),
        StoreError::ServerNotAdmitted { .. } => s.error_server_not_admitted.clone(),
        StoreError::ServerNoDatabase { .. } => s.error_server_no_database.clone(),
        StoreError::ForeignDatabase(_) => s.error_foreign_database.clone(),
        StoreError::DatabaseReplaced(_) => s.error_database_replaced.clone(),
        StoreError::ServerPrivilege { object, .. } => {
            s.fill(&s.error_server_privilege, &[("object", object)])
        }
        StoreError::KeyFileDamaged { .. } | StoreError::KeyFileMissing(_) => s.error_key_file.clone(),
        StoreError::Locked => s.error_busy.clone(),
        StoreError::ReadOnly(_) => s.error_read_only.clone(),
        StoreError::DiskFull => s.error_disk_full.clone(),
        StoreError::ConnectionLost => s.error_server_lost.clone(),
        StoreError::Forbidden(_) => s.error_forbidden.clone(),
        StoreError::TooSoon(seconds) => s.fill(&s.error_too_soon, &[("seconds", &seconds.to_string())]),
        StoreError::SlotRefused { login, problem } => {
            use crate::store::SlotProblem;
            let reason = match problem {
                SlotProblem::NotEndorsed => {
                    return s.fill(&s.error_slot_not_endorsed, &[("login", login)]);
                }
                SlotProblem::LegacyAfterConversion => &s.slot_problem_legacy,
                SlotProblem::NotPinned => &s.slot_problem_not_pinned,
                SlotProblem::Role { .. } => &s.slot_problem_role,
                SlotProblem::BadEndorsement => &s.slot_problem_endorsement,
                SlotProblem::NoAccount | SlotProblem::Deactivated | SlotProblem::OtherLogin(_) => {
                    &s.slot_problem_account
                }
            };
            s.fill(&s.error_slot_refused, &[("reason", reason)])
        }
        StoreError::TerminalStillOpen(name) => s.fill(&s.supervisor_close_still_there, &[("name", name)]),
        StoreError::WeakPassphrase(weak) => s.weak_passphrase(weak),
        StoreError::AccessRevoked => s.error_access_revoked.clone(),
        other => s.fill(&s.error_other, &[("detail", &store_error(s, other))]),
    }
}

/// An error of the command line and everything beneath it, said in one line: each layer in
/// words ("cannot write FILE: the disk is full"), in the reader's language where it is ours.
pub fn chain(s: &Strings, err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        if let Some(phrase) = cause.downcast_ref::<Phrase>() {
            parts.push(phrase.say(s));
            continue;
        }
        // These say what lies beneath them themselves.
        let said = if let Some(e) = cause.downcast_ref::<StoreError>() {
            store_error(s, e)
        } else if let Some(e) = cause.downcast_ref::<ConfigError>() {
            let said = e.phrase().say(s);
            match e {
                ConfigError::Read { source, .. } => {
                    format!("{said}{}{}", s.cli.cause_separator, io_error(s, source))
                }
                ConfigError::Invalid { .. } => said,
            }
        } else if let Some(e) = cause.downcast_ref::<Refused>() {
            e.phrase().say(s)
        } else if let Some(e) = cause.downcast_ref::<io::Error>() {
            io_error(s, e)
        } else {
            // Another library's words (age, JSON): kept, and what lies beneath follows.
            parts.push(cause.to_string());
            continue;
        };
        parts.push(said);
        break;
    }
    parts.dedup();
    parts.join(&s.cli.cause_separator)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Language;

    /// The server's bad situations (issue 18, point 6): each its own sentence on the unlock
    /// screen and on the command line, in each language, never the same as a file's damage.
    #[test]
    fn each_server_situation_is_its_own_sentence_in_each_language() {
        let server = || "postgresql://ecoute@db.centre.example:5432/permanence".to_owned();
        let errors = [
            StoreError::ServerUnreachable { server: server(), why: Unreachable::Refused },
            StoreError::ServerUnreachable { server: server(), why: Unreachable::TimedOut },
            StoreError::ServerUnreachable { server: server(), why: Unreachable::NameUnknown },
            StoreError::ServerUnreachable { server: server(), why: Unreachable::Unanswered(45) },
            StoreError::WeakSslMode { server: server(), mode: "prefer".into() },
            StoreError::ServerPassword { server: server(), role: "ecoute".into() },
            StoreError::ServerCertificate { server: server(), problem: CertificateProblem::UnknownAuthority },
            StoreError::ServerCertificate {
                server: server(),
                problem: CertificateProblem::OtherHost("10.0.0.5".into()),
            },
            StoreError::ServerCertificate { server: server(), problem: CertificateProblem::Expired },
            StoreError::ServerWithoutTls { server: server() },
            StoreError::ServerRequiresTls { server: server(), said: "no encryption (28000)".into() },
            StoreError::ServerNotAdmitted { server: server(), said: "rejects (28000)".into() },
            StoreError::ServerNoDatabase { server: server(), said: "does not exist (3D000)".into() },
            StoreError::ForeignDatabase("permanence".into()),
            StoreError::DatabaseReplaced(server()),
            StoreError::ServerPrivilege { object: "audit".into(), said: "permission denied (42501)".into() },
            StoreError::TooNew { found: 3, known: 2 },
            StoreError::SchemaNeedsOwner { found: 1, known: 2 },
            StoreError::DatabaseDamaged("bad page".into()),
        ];
        for language in [Language::Fr, Language::En] {
            let s = Strings::get(language);
            for told in [
                errors.iter().map(|e| store_error_brief(s, e)).collect::<Vec<_>>(),
                errors.iter().map(|e| store_error(s, e)).collect::<Vec<_>>(),
            ] {
                let distinct: std::collections::BTreeSet<&String> = told.iter().collect();
                assert_eq!(distinct.len(), errors.len(), "{}: {told:#?}", s.language_name);
                assert!(told.iter().all(|t| !t.contains('{')), "a placeholder left: {told:#?}");
            }
            let privilege = store_error(s, &errors[15]);
            assert!(privilege.contains("audit") && privilege.contains("42501"), "{privilege}");
        }
    }

    #[test]
    fn a_chain_is_said_layer_by_layer_in_the_language_asked() {
        let full = io::Error::new(io::ErrorKind::StorageFull, "No space left on device");
        let err =
            anyhow::Error::new(Phrase::new(|s| &s.cli.cannot_write).with("path", "/tmp/x.md").because(full));
        assert_eq!(
            chain(Strings::get(Language::Fr), &err),
            "impossible d'écrire /tmp/x.md : le disque est plein"
        );
        assert_eq!(chain(Strings::get(Language::En), &err), "cannot write /tmp/x.md: the disk is full");
        let store = anyhow::Error::new(StoreError::WrongPassphrase);
        assert_eq!(chain(Strings::get(Language::Fr), &store), "phrase de passe incorrecte");
    }

    #[test]
    fn each_store_error_is_its_own_sentence_in_each_language() {
        for language in [Language::Fr, Language::En] {
            let s = Strings::get(language);
            let errors = [
                StoreError::WrongPassphrase,
                StoreError::UnknownListener("ana".into()),
                StoreError::Deactivated("ana".into()),
                StoreError::DatabaseDamaged("bad page".into()),
                StoreError::KeyFileMissing("keys".into()),
                StoreError::Locked,
                StoreError::ReadOnly("the database".into()),
                StoreError::DiskFull,
                StoreError::Forbidden(Phrase::new(|s| &s.cli.what_purge)),
                StoreError::TooSoon(30),
                StoreError::ConnectionLost,
            ];
            let told: Vec<String> = errors.iter().map(|e| store_error_brief(s, e)).collect();
            let distinct: std::collections::BTreeSet<&String> = told.iter().collect();
            assert_eq!(distinct.len(), errors.len(), "{}: {told:?}", s.language_name);
            assert!(told[9].contains("30"), "{}", told[9]);
            assert_ne!(store_error(s, &StoreError::ConnectionLost), told[10], "the command line's own words");
            let other = store_error_brief(s, &StoreError::Invalid("no such call".into()));
            assert!(other.contains("no such call"), "{other}");
        }
        let fr = Strings::get(Language::Fr);
        assert_eq!(store_error_brief(fr, &StoreError::WrongPassphrase), "Phrase de passe incorrecte.");
    }
}
