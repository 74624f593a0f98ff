//! Key slots against the accounts' pinned keys: tests that need what the public API hides (the
//! data key, to play someone who holds it; the pins; a change stopped half-way, as a crash
//! leaves it).

use std::path::Path;

use super::keyslots::{AccountKeys, KeySlot, Slot};
use super::*;

use super::tests::{PASS as SUPERVISOR_PASS, create, raw_connection};

const LISTENER_PASS: &str = "trois pommes bleues";

fn add(store: &mut Store, login: &str, role: Role) {
    let account = NewAccount { login, display_name: login, role, passphrase: LISTENER_PASS };
    store.add_listener(account, KdfParams::MINIMUM).unwrap();
}

fn slot_of(store: &Store, login: &str) -> Slot {
    let id = store.listener_by_login(login).unwrap().id;
    match KeyFile::load(&store.key_file_path().unwrap()).unwrap().slot(id) {
        Some(KeySlot::Current(slot)) => slot.clone(),
        other => panic!("{login}: {other:?}"),
    }
}

fn refusal(db: &Path, login: &str, passphrase: &str) -> SlotProblem {
    match Store::open(db, login, passphrase) {
        Err(StoreError::SlotRefused { problem, .. }) => problem,
        Err(other) => panic!("{login}: refused for another reason: {other}"),
        Ok(_) => panic!("{login}: opened"),
    }
}

#[test]
fn the_founder_is_the_root_and_every_account_gets_pinned_keys_endorsed_by_a_supervisor() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut store = create(&db);
    add(&mut store, "camille", Role::Listener);
    let coord = slot_of(&store, "coord");
    let camille = slot_of(&store, "camille");
    let root = pins::root(&store.conn).unwrap().unwrap();
    assert_eq!((root.listener_id, root.signing_key), (store.actor.id, coord.keys.signing_key));
    assert_eq!(coord.endorsement.as_ref().unwrap().signed_by, store.actor.id, "the root endorses itself");
    assert!(coord.endorsement_verifies(&coord.keys.signing_key));
    assert_eq!(camille.endorsement.as_ref().unwrap().signed_by, store.actor.id);
    assert!(camille.endorsement_verifies(&coord.keys.signing_key));
    for slot in [&coord, &camille] {
        assert_eq!(pins::current(&store.conn, slot.listener_id).unwrap().unwrap().keys, slot.keys);
    }
    assert_eq!(store.signer().unwrap().verifying_key().to_bytes(), coord.keys.signing_key);
    assert!(store.check().unwrap().is_clean());
    drop(store);
    let store = Store::open(&db, "camille", LISTENER_PASS).unwrap();
    assert_eq!(store.signer().unwrap().verifying_key().to_bytes(), camille.keys.signing_key);
}

#[test]
fn a_reset_gives_new_keys_keeps_the_old_ones_as_history_and_ones_own_change_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut store = create(&db);
    add(&mut store, "camille", Role::Listener);
    let before = slot_of(&store, "camille");
    store.set_passphrase("camille", "quatre poires jaunes", KdfParams::MINIMUM).unwrap();
    let after = slot_of(&store, "camille");
    assert_ne!(after.keys, before.keys, "a reset gives new key pairs");
    let history = pins::history(&store.conn, after.listener_id).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].keys, before.keys);
    assert!(history[0].until.is_some(), "the old keys are retired, kept");
    assert_eq!((history[1].keys, history[1].until), (after.keys, None));
    // The history cannot be rewritten by the program (someone with the key can drop the guard).
    let raw = raw_connection(&store);
    assert!(raw.execute("DELETE FROM listener_key WHERE id = ?1", [history[0].id]).is_err());
    assert!(raw.execute("UPDATE listener_key SET signing_key = zeroblob(32)", []).is_err());
    assert!(raw.execute("UPDATE centre_root SET signing_key = zeroblob(32)", []).is_err());
    drop(store);

    let store = Store::open(&db, "camille", "quatre poires jaunes").unwrap();
    let mut store = store;
    store.set_passphrase("camille", "cinq cerises rouges", KdfParams::DEFAULT).unwrap();
    let own = slot_of(&store, "camille");
    assert_eq!(own.keys, after.keys, "one's own change keeps the keys");
    assert_eq!(own.endorsement, after.endorsement, "and the endorsement");
    assert_eq!(own.kdf, KdfParams::DEFAULT);
    drop(store);
    Store::open(&db, "camille", "cinq cerises rouges").unwrap();
}

/// New keys for an existing account without a re-key (a version-1 slot's conversion) go
/// pending, key file, current. Stopped after either of the first two steps, the next unlock
/// finishes the change or drops it, and the slot in the key file opens.
#[test]
fn new_keys_stopped_at_any_step_leave_a_slot_that_opens() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut store = create(&db);
    add(&mut store, "camille", Role::Listener);
    let camille = store.listener_by_login("camille").unwrap();
    let old = slot_of(&store, "camille");

    // Stopped after the first step: new keys pending, the key file untouched.
    let keys = AccountKeys::generate().unwrap();
    store.write(|tx, _| pins::insert_pending(tx.db(), camille.id, &keys.public())).unwrap();
    drop(store);
    let store = Store::open(&db, "camille", LISTENER_PASS).unwrap();
    assert_eq!(pins::history(&store.conn, camille.id).unwrap().len(), 1, "the leftover is removed");
    drop(store);

    // Stopped after the second step: the key file carries keys still pending.
    let mut store = Store::open(&db, "coord", SUPERVISOR_PASS).unwrap();
    store.write(|tx, _| pins::insert_pending(tx.db(), camille.id, &keys.public())).unwrap();
    let mut slot = Slot::seal(
        camille.id,
        "camille",
        Role::Listener,
        "quatre poires jaunes",
        KdfParams::MINIMUM,
        &keys,
        &store.key,
    )
    .unwrap();
    slot.endorse(store.actor.id, store.signer().unwrap());
    let mut key_file = KeyFile::load(&store.key_file_path().unwrap()).unwrap();
    key_file.set_slot(slot);
    key_file.save().unwrap();
    drop(store);
    assert!(matches!(Store::open(&db, "camille", LISTENER_PASS), Err(StoreError::WrongPassphrase)));
    let store = Store::open(&db, "camille", "quatre poires jaunes").unwrap();
    let current = pins::current(&store.conn, camille.id).unwrap().unwrap();
    assert_eq!(current.keys, keys.public(), "made current at the unlock");
    let history = pins::history(&store.conn, camille.id).unwrap();
    assert_eq!(history.iter().map(|p| p.keys).collect::<Vec<_>>(), [old.keys, keys.public()]);
    assert!(store.check().unwrap().is_clean(), "{:?}", store.check().unwrap());
}

/// Someone holding the data key (any listener can unwrap it) writes a slot for the
/// supervisor's login with keys of their own, and rewrites that account's pinned keys to
/// match. Without a supervisor's signing secret the slot cannot carry a valid endorsement.
#[test]
fn a_slot_forged_for_the_supervisor_with_the_data_key_is_refused_and_named_by_check() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut store = create(&db);
    add(&mut store, "camille", Role::Listener);
    let coord = store.actor.clone();
    let camille = store.listener_by_login("camille").unwrap();
    drop(store);
    // The listener unlocks: she holds the data key and her own signing key.
    let store = Store::open(&db, "camille", LISTENER_PASS).unwrap();
    let forged_keys = AccountKeys::generate().unwrap();
    let forged_public = forged_keys.public();
    let raw = raw_connection(&store);
    raw.execute_batch(
        "DROP TRIGGER listener_key_history_is_kept_update; DROP TRIGGER listener_key_history_is_kept_delete;",
    )
    .unwrap();
    raw.execute(
        "UPDATE listener_key SET signing_key = ?2, box_key = ?3 WHERE listener_id = ?1",
        rusqlite::params![coord.id.0, forged_public.signing_key.as_slice(), forged_public.box_key.as_slice()],
    )
    .unwrap();
    let mut key_file = KeyFile::load(&store.key_file_path().unwrap()).unwrap();
    type Endorse<'a> = Box<dyn Fn(&mut Slot) + 'a>;
    let attempts: [(&str, Endorse); 3] = [
        ("self-endorsed", Box::new(|slot: &mut Slot| slot.endorse(coord.id, forged_keys.signer()))),
        (
            "endorsed by the listener",
            Box::new(|slot: &mut Slot| slot.endorse(camille.id, store.signer().unwrap())),
        ),
        ("not endorsed", Box::new(|slot: &mut Slot| slot.endorsement = None)),
    ];
    for (how, endorse) in attempts {
        let mut forged = Slot::seal(
            coord.id,
            "coord",
            Role::Supervisor,
            "phrase de la faussaire",
            KdfParams::MINIMUM,
            &forged_keys,
            &store.key,
        )
        .unwrap();
        endorse(&mut forged);
        key_file.set_slot(forged);
        key_file.save().unwrap();
        let problem = refusal(&db, "coord", "phrase de la faussaire");
        assert!(
            matches!(problem, SlotProblem::BadEndorsement | SlotProblem::NotEndorsed),
            "{how}: {problem:?}"
        );
        let findings = store.check().unwrap().findings;
        assert!(
            findings
                .iter()
                .any(|f| matches!(f, CheckFinding::KeySlot(text) if text.to_string().contains("\"coord\""))),
            "{how}: check names the slot: {findings:?}"
        );
    }
    // A forged listener slot for camille herself, with a role it does not have, is refused too.
    let mut key_file = KeyFile::load(&store.key_file_path().unwrap()).unwrap();
    let own_keys = AccountKeys::generate().unwrap();
    let mut promoted = Slot::seal(
        camille.id,
        "camille",
        Role::Supervisor,
        LISTENER_PASS,
        KdfParams::MINIMUM,
        &own_keys,
        &store.key,
    )
    .unwrap();
    promoted.endorse(coord.id, forged_keys.signer());
    key_file.set_slot(promoted);
    key_file.save().unwrap();
    assert!(matches!(refusal(&db, "camille", LISTENER_PASS), SlotProblem::Role { .. }));
}

/// A supervisor leaving: the slots they vouched for are vouched for by the one who deactivates
/// them; if they held the root, it passes. Nobody is locked out by someone else's departure,
/// and a supervisor cannot remove the one who vouched for their own slot unless the root passes.
#[test]
fn a_departing_supervisors_endorsements_are_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut founder = create(&db);
    add(&mut founder, "sacha", Role::Supervisor);
    add(&mut founder, "alex", Role::Supervisor);
    drop(founder);
    let mut sacha = Store::open(&db, "sacha", LISTENER_PASS).unwrap();
    add(&mut sacha, "camille", Role::Listener);
    add(&mut sacha, "noe", Role::Supervisor);
    drop(sacha);

    // Noé's slot was endorsed by Sacha, who is not the root: Noé cannot remove Sacha.
    let mut noe = Store::open(&db, "noe", LISTENER_PASS).unwrap();
    let err = noe.deactivate_listener("sacha").unwrap_err();
    assert!(err.to_string().contains("listener endorse noe"), "{err}");
    drop(noe);
    // Alex can: Camille's and Noé's slots are then Alex's to vouch for.
    let mut alex = Store::open(&db, "alex", LISTENER_PASS).unwrap();
    alex.deactivate_listener("sacha").unwrap();
    assert_eq!(slot_of(&alex, "camille").endorsement.unwrap().signed_by, alex.actor.id);
    assert!(alex.check().unwrap().is_clean(), "{:?}", alex.check().unwrap());
    // Alex removes the founder, who held the root: the root passes to Alex.
    alex.deactivate_listener("coord").unwrap();
    let root = pins::root(&alex.conn).unwrap().unwrap();
    assert_eq!(root.listener_id, alex.actor.id);
    let own = slot_of(&alex, "alex");
    assert_eq!(own.endorsement.as_ref().unwrap().signed_by, alex.actor.id, "Alex's own slot, as root");
    assert!(alex.check().unwrap().is_clean(), "{:?}", alex.check().unwrap());
    drop(alex);
    for login in ["alex", "camille", "noe"] {
        Store::open(&db, login, LISTENER_PASS).unwrap_or_else(|e| panic!("{login}: {e}"));
    }
}

/// Keeping slots in order holds the key file's lock and writes: when another terminal re-keyed
/// the database meanwhile, the write follows the new file under that lock instead of waiting for
/// the lock it holds itself (ten seconds, then "busy").
#[test]
fn slot_upkeep_after_another_terminals_rekey_follows_it_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut supervisor = create(&db);
    add(&mut supervisor, "camille", Role::Listener);
    add(&mut supervisor, "sacha", Role::Listener);
    let mut listener = Store::open(&db, "camille", LISTENER_PASS).unwrap();
    supervisor.deactivate_listener("sacha").unwrap();
    // A crash's leftover for the upkeep to finish: pending keys for camille.
    pins::insert_pending(
        &super::db::Db::Sqlite(raw_connection(&supervisor)),
        listener.actor.id,
        &AccountKeys::generate().unwrap().public(),
    )
    .unwrap();
    let started = std::time::Instant::now();
    listener.reconcile_key_slots().unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "waited {:?}", started.elapsed());
    assert_eq!(listener.salt, super::keyslots::database_salt(&db).unwrap(), "on the new file");
}
