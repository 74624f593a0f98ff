//! A full disk and a read-only folder, on real small filesystems (tmpfs). Mounting needs
//! root, which CI has; elsewhere these tests say they were skipped, and fail under CI.

mod common;

use std::path::PathBuf;

use common::disk::SmallDisk;
use common::*;
use permanence::domain::caller_file::FileProfile;
use permanence::store::{Store, StoreError};

fn big_profile(n: usize) -> FileProfile {
    FileProfile {
        situation_summary: format!("{n}: {}", "situation synthétique ".repeat(800)),
        ..FileProfile::default()
    }
}

#[test]
fn a_full_disk_is_reported_loses_nothing_committed_and_recovers() {
    let Some(disk) = SmallDisk::mount("1m") else {
        return;
    };
    let db: PathBuf = db_in(disk.path());
    let mut store = create(&db);
    let mut saved = 0;
    let err = loop {
        match store.create_file(&big_profile(saved)) {
            Ok(_) => saved += 1,
            Err(err) => break err,
        }
        assert!(saved < 1000, "the disk never filled");
    };
    assert!(matches!(err, StoreError::DiskFull), "{err:?}");
    assert!(saved > 0);
    assert!(err.to_string().contains("disk is full"));

    // Space comes back: the same write now succeeds, and nothing before it was lost.
    disk.remount("size=8m");
    store.create_file(&big_profile(saved)).unwrap();
    assert!(store.check().unwrap().is_clean());
    assert_eq!(store.counts().unwrap().files as usize, saved + 1);
    drop(store);
    let store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    assert_eq!(store.counts().unwrap().files as usize, saved + 1);
}

#[test]
fn read_only_media_open_for_reading_and_every_write_is_refused() {
    use permanence::store::{Access, ScopeRequest};
    let Some(disk) = SmallDisk::mount("4m") else {
        return;
    };
    let db = db_in(disk.path());
    let mut store = create(&db);
    let shift = store.start_shift().unwrap();
    let file = store.create_file(&big_profile(1)).unwrap();
    schedule_callback_now(&mut store, file.id);
    drop(store);
    disk.remount("ro");

    let mut store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).expect("opens for reading");
    assert_eq!(store.access(), Access::ReadOnly);
    assert!(store.check().unwrap().is_clean(), "a backup on read-only media can be verified");
    assert_eq!(store.callback_queue(chrono::Utc::now()).unwrap().len(), 1);
    assert!(store.open_file(file.id).unwrap().profile.situation_summary.starts_with("1: "));
    let head = store.record_export(ScopeRequest::Shift(shift.id), false).unwrap();
    assert!(!head.recorded, "figures leave unrecorded, and say so");
    assert!(matches!(store.record_export(ScopeRequest::Shift(shift.id), true), Err(StoreError::ReadOnly(_))));
    assert!(matches!(store.create_file(&big_profile(2)), Err(StoreError::ReadOnly(_))));
    assert!(matches!(store.purge(chrono::Utc::now(), false), Err(StoreError::ReadOnly(_))));
    drop(store);

    // The same from the shell: check, the queue, a shift's figures to another folder.
    let elsewhere = tempfile::tempdir().unwrap();
    let out_file = elsewhere.path().join("shift.md");
    let shift_id = shift.id.0.to_string();
    for args in [
        vec!["check"],
        vec!["queue"],
        vec!["export", "--shift", shift_id.as_str(), "--out", out_file.to_str().unwrap()],
    ] {
        let mut all = vec!["--db", db.to_str().unwrap(), "--passphrase-stdin"];
        all.extend(args);
        let out = common::cli::run(elsewhere.path(), &all, &format!("{SUPERVISOR_PASS}\n"));
        assert!(out.status.success(), "{all:?}: {}", common::cli::text(&out.stderr));
    }
    let summary = std::fs::read_to_string(&out_file).unwrap();
    assert!(summary.contains("lecture seule"), "{summary}");

    let created = Store::create(
        disk.path().join("other.db"),
        permanence::store::NewAccount {
            login: "coord",
            display_name: "D",
            role: permanence::domain::listener::Role::Supervisor,
            passphrase: SUPERVISOR_PASS,
        },
        permanence::store::KdfParams::MINIMUM,
    );
    assert!(matches!(created, Err(StoreError::ReadOnly(_))), "{:?}", created.err());
}

/// Fills the rest of the disk with one file; removing it gives the space back.
fn fill(dir: &std::path::Path) -> PathBuf {
    let filler = dir.join("filler");
    let _ = std::process::Command::new("dd")
        .args(["if=/dev/zero", &format!("of={}", filler.display()), "bs=4k"])
        .stderr(std::process::Stdio::null())
        .status();
    filler
}

#[test]
fn a_full_disk_at_unlock_still_opens_for_reading_and_writes_once_space_is_back() {
    use permanence::store::Access;
    let Some(disk) = SmallDisk::mount("2m") else { return };
    let db = db_in(disk.path());
    let mut store = create(&db);
    let file = store.create_file(&big_profile(1)).unwrap();
    drop(store);
    let filler = fill(disk.path());
    let mut store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).expect("a full disk still opens");
    assert_eq!(store.access(), Access::DiskFull);
    assert!(matches!(store.open_file(file.id), Err(StoreError::DiskFull)), "no opening without its audit");
    assert_eq!(store.counts().unwrap().files, 1, "the rest reads");
    assert!(store.callback_queue(chrono::Utc::now()).unwrap().is_empty());
    std::fs::remove_file(filler).unwrap();
    store.create_file(&big_profile(2)).expect("space is back: writing works again");
    assert!(store.check().unwrap().is_clean());
}

#[test]
fn a_full_disk_while_adding_an_account_leaves_the_old_key_file_whole() {
    let Some(disk) = SmallDisk::mount("2m") else { return };
    let db = db_in(disk.path());
    drop(create(&db));
    let keys = permanence::store::KeyFile::path_for(&db);
    let before = std::fs::read(&keys).unwrap();
    let mut store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    let filler = fill(disk.path());
    let err = store
        .add_listener(
            permanence::store::NewAccount {
                login: LISTENER,
                display_name: "Camille",
                role: permanence::domain::listener::Role::Listener,
                passphrase: LISTENER_PASS,
            },
            permanence::store::KdfParams::MINIMUM,
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::DiskFull), "{err:?}");
    assert_eq!(std::fs::read(&keys).unwrap(), before, "the key file is untouched");
    assert!(permanence::atomic_file::temp_files_of(&keys).is_empty(), "no half-written temp file left");
    std::fs::remove_file(filler).unwrap();
    add_listener(&mut store);
    drop(store);
    Store::open(&db, LISTENER, LISTENER_PASS).unwrap();
}

#[test]
fn in_the_terminal_a_full_disk_is_said_and_the_notes_are_saved_once_space_is_back() {
    if !common::tmux::available() {
        return;
    }
    let Some(disk) = SmallDisk::mount("3m") else { return };
    let db = db_in(disk.path());
    let mut store = create(&db);
    add_listener(&mut store);
    drop(store);
    let tmux = common::tmux::Tmux::start(disk.path(), &["--db", db.to_str().unwrap()], 100, 30);
    tmux.wait_for("Qui êtes-vous ?");
    tmux.keys(&["Down"]);
    tmux.type_text(LISTENER_PASS);
    tmux.keys(&["Enter"]);
    tmux.wait_for("Pas d'appel en cours");
    tmux.keys(&["n"]);
    tmux.wait_for("✓ enreg");
    let filler = fill(disk.path());
    tmux.keys(&["Enter"]);
    tmux.type_text(&"Notes écrites disque plein. ".repeat(40));
    tmux.wait_for("NON ENREG");
    let screen = tmux.wait_for("Disque plein");
    assert!(screen.contains("Notes écrites disque plein"), "the notes stay on screen:\n{screen}");
    std::fs::remove_file(filler).unwrap();
    tmux.wait_for("✓ enreg");
    tmux.keys(&["C-q"]);
    tmux.wait_for("Quitter");
    tmux.keys(&["Enter"]);
    tmux.wait_exit();
    let store = Store::open(&db, LISTENER, LISTENER_PASS).unwrap();
    let draft = store.draft().unwrap().expect("the draft");
    assert!(draft.record.notes.starts_with("Notes écrites disque plein."), "{}", draft.record.notes);
    assert!(store.check().unwrap().is_clean());
}
