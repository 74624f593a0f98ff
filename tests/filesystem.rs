//! A full disk and a read-only folder, on real small filesystems (tmpfs). Mounting needs
//! root, which CI has; elsewhere these tests say they were skipped, and fail under CI.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use permanence::domain::caller_file::FileProfile;
use permanence::store::{Store, StoreError};

/// A tmpfs mounted for one test, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            assert!(std::env::var_os("CI").is_none(), "CI runs as root and must be able to mount a tmpfs");
            eprintln!("skipped: cannot mount a tmpfs (not root?)");
            return None;
        }
        Some(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount(&self, options: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(self.path())
            .status()
            .unwrap();
        assert!(status.success(), "remount {options}");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

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
fn a_read_only_folder_is_reported_as_such() {
    let Some(disk) = SmallDisk::mount("4m") else {
        return;
    };
    let db = db_in(disk.path());
    drop(create(&db));
    disk.remount("ro");
    let err = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).err().expect("cannot unlock for writing");
    assert!(matches!(err, StoreError::ReadOnly(_)), "{err:?}");
    let created = Store::create(
        &disk.path().join("other.db"),
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
