use super::*;

const PASS: &str = "trois pommes vertes";

fn salt() -> [u8; DATABASE_SALT_LEN] {
    [7; DATABASE_SALT_LEN]
}

fn slot_for(id: i64, login: &str, role: Role, passphrase: &str, key: &DataKey) -> (Slot, AccountKeys) {
    let keys = AccountKeys::generate().unwrap();
    let slot = Slot::seal(ListenerId(id), login, role, passphrase, KdfParams::MINIMUM, &keys, key).unwrap();
    (slot, keys)
}

fn key_file_with(login: &str, passphrase: &str) -> (KeyFile, DataKey) {
    let key = DataKey::generate().unwrap();
    let mut file = KeyFile::empty(PathBuf::from("test.db.keys"), salt());
    file.set_slot(slot_for(1, login, Role::Listener, passphrase, &key).0);
    (file, key)
}

fn current(file: &KeyFile, index: usize) -> &Slot {
    match &file.slots[index] {
        KeySlot::Current(slot) => slot,
        KeySlot::Legacy(_) => panic!("a version-1 slot"),
    }
}

#[test]
fn right_passphrase_opens_the_same_key_and_the_accounts_own_keys() {
    let (file, key) = key_file_with("ana", PASS);
    let Unwrapped::Current { id, key: opened, keys } = file.unlock("ana", PASS).unwrap() else {
        panic!("a version-2 slot")
    };
    assert_eq!(id, ListenerId(1));
    assert_eq!(opened.bytes(), key.bytes());
    assert_eq!(keys.public(), current(&file, 0).keys);
}

#[test]
fn wrong_passphrase_and_unknown_login_are_told_apart() {
    let (file, _) = key_file_with("ana", PASS);
    assert!(matches!(file.unlock("ana", "trois pommes bleues"), Err(StoreError::WrongPassphrase)));
    assert!(matches!(file.unlock("bob", PASS), Err(StoreError::UnknownListener(l)) if l == "bob"));
}

#[test]
fn an_accented_passphrase_opens_however_the_keyboard_composed_it() {
    // "é" as one code point (U+00E9) and as "e" + combining acute accent (U+0301).
    let composed = "forêt été café";
    let decomposed = "fore\u{302}t e\u{301}te\u{301} cafe\u{301}";
    assert_ne!(composed.as_bytes(), decomposed.as_bytes());
    let (file, _) = key_file_with("ana", decomposed);
    assert!(file.unlock("ana", composed).is_ok(), "NFC makes both the same passphrase");
    assert!(file.unlock("ana", decomposed).is_ok());

    // Version 1 took the bytes as typed: its slots still open exactly as they did.
    let key = DataKey::generate().unwrap();
    let mut file = KeyFile::empty(PathBuf::from("t.keys"), salt());
    file.push_legacy(LegacySlot::seal(ListenerId(1), "ana", composed, &key, KdfParams::MINIMUM).unwrap());
    assert!(matches!(file.unlock("ana", composed), Ok(Unwrapped::Legacy { .. })));
    assert!(matches!(file.unlock("ana", decomposed), Err(StoreError::WrongPassphrase)));
}

#[test]
fn a_slot_moved_to_another_account_or_role_does_not_open() {
    let (mut file, _) = key_file_with("ana", PASS);
    let KeySlot::Current(slot) = &mut file.slots[0] else { unreachable!() };
    slot.listener_id = ListenerId(2);
    assert!(matches!(file.unlock("ana", PASS), Err(StoreError::WrongPassphrase)));
    let (mut file, _) = key_file_with("ana", PASS);
    let KeySlot::Current(slot) = &mut file.slots[0] else { unreachable!() };
    slot.role = Role::Supervisor;
    assert!(matches!(file.unlock("ana", PASS), Err(StoreError::WrongPassphrase)));
}

#[test]
fn anyone_holding_the_data_key_rewraps_a_new_one_for_a_slot_without_its_passphrase() {
    let (mut file, _) = key_file_with("ana", PASS);
    let new_key = DataKey::generate().unwrap();
    let KeySlot::Current(slot) = &mut file.slots[0] else { unreachable!() };
    slot.rewrap(&new_key).unwrap();
    let Unwrapped::Current { key, .. } = file.unlock("ana", PASS).unwrap() else { unreachable!() };
    assert_eq!(key.bytes(), new_key.bytes());
}

#[test]
fn an_endorsement_covers_login_role_account_and_keys_but_not_the_passphrase_cost() {
    let key = DataKey::generate().unwrap();
    let (supervisor_slot, supervisor) = slot_for(1, "coord", Role::Supervisor, PASS, &key);
    let (mut slot, keys) = slot_for(2, "ana", Role::Listener, PASS, &key);
    assert!(!slot.endorsement_verifies(&supervisor_slot.keys.signing_key), "no endorsement yet");
    slot.endorse(ListenerId(1), supervisor.signer());
    assert!(slot.endorsement_verifies(&supervisor_slot.keys.signing_key));
    assert!(!slot.endorsement_verifies(&slot.keys.signing_key), "not by another key");
    // Changing one's passphrase keeps the endorsement, whatever the new cost.
    let resealed = slot.reseal("quatre poires jaunes", KdfParams::DEFAULT, &keys).unwrap();
    assert!(resealed.endorsement_verifies(&supervisor_slot.keys.signing_key));
    // Anything else the supervisor vouched for, changed, breaks it.
    for change in [
        (|s: &mut Slot| s.role = Role::Supervisor) as fn(&mut Slot),
        |s| s.login = "bob".into(),
        |s| s.listener_id = ListenerId(3),
        |s| s.keys.box_key[0] ^= 1,
        |s| s.keys.signing_key = [9; 32],
        |s| s.endorsement.as_mut().unwrap().signed_by = ListenerId(4),
    ] {
        let mut forged = slot.clone();
        change(&mut forged);
        assert!(!forged.endorsement_verifies(&supervisor_slot.keys.signing_key));
    }
}

#[test]
fn saved_file_parses_back_and_any_flipped_byte_is_damage() {
    let (mut file, key) = key_file_with("ana", PASS);
    let KeySlot::Current(slot) = &mut file.slots[0] else { unreachable!() };
    let signer = AccountKeys::generate().unwrap();
    slot.endorse(ListenerId(9), signer.signer());
    file.push_legacy(LegacySlot::seal(ListenerId(2), "bob", PASS, &key, KdfParams::MINIMUM).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.keys");
    file.path = path.clone();
    file.save().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let parsed = KeyFile::parse(&path, &bytes).unwrap();
    assert_eq!(parsed.slots, file.slots);
    assert_eq!(parsed.database_salt, Some(salt()));
    for i in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[i] ^= 0x01;
        match KeyFile::parse(&path, &damaged) {
            Err(StoreError::KeyFileDamaged { .. }) => {}
            // A flip that leaves the JSON meaning intact (white space, the case of a hex
            // digit) is harmless.
            Ok(reparsed) if reparsed.slots == file.slots && reparsed.database_salt == file.database_salt => {}
            other => panic!("byte {i} ({:?}): {other:?}", bytes[i] as char),
        }
    }
}

/// A file exactly as version 1 wrote it still opens, its checksum recomputed the old way.
#[test]
fn a_version_1_file_is_read_and_written_back_as_version_2() {
    let key = DataKey::generate().unwrap();
    let legacy = LegacySlot::seal(ListenerId(1), "ana", PASS, &key, KdfParams::MINIMUM).unwrap();
    // Version 1's own document: no database salt, no header checksum, slots without a version.
    let v1 = serde_json::json!({ "format": FORMAT, "version": 1, "slots": [legacy] });
    let bytes = serde_json::to_vec_pretty(&v1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.keys");
    let mut file = KeyFile::parse(&path, &bytes).unwrap();
    assert_eq!(file.database_salt(), None);
    let Unwrapped::Legacy { key: opened, .. } = file.unlock("ana", PASS).unwrap() else { unreachable!() };
    assert_eq!(opened.bytes(), key.bytes());
    assert!(file.save().is_err(), "not written before it names its database");
    file.bind_to(salt());
    file.save().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"version\": 2"), "{text}");
    let reread = KeyFile::load(&path).unwrap();
    assert!(matches!(reread.unlock("ana", PASS), Ok(Unwrapped::Legacy { .. })), "the slot itself is kept");

    // A version-1 checksum no longer depends on `Debug`: a known file's, recomputed.
    let known = LegacySlot {
        listener_id: ListenerId(1),
        login: "ana".into(),
        kdf: KdfParams::MINIMUM,
        salt: "00".repeat(16),
        nonce: "11".repeat(24),
        wrapped_key: "22".repeat(48),
        checksum: String::new(),
    };
    let text = format!(
        "1\x1fana\x1fKdfParams {{ memory_kib: 19456, iterations: 2, parallelism: 1 }}\x1f{}\x1f{}\x1f{}",
        known.salt, known.nonce, known.wrapped_key
    );
    assert_eq!(known.compute_checksum(), hex::encode(&Sha256::digest(text.as_bytes())[..16]));
}

#[test]
fn weak_or_absurd_parameters_are_refused() {
    let key = DataKey::generate().unwrap();
    let keys = AccountKeys::generate().unwrap();
    let weak = KdfParams { memory_kib: 4096, ..KdfParams::MINIMUM };
    assert!(Slot::seal(ListenerId(1), "ana", Role::Listener, PASS, weak, &keys, &key).is_err());
    assert!(KdfParams::DEFAULT.check().is_ok());
    assert!(KdfParams::MINIMUM.check().is_ok());
    let huge = KdfParams { iterations: 1_000_000, ..KdfParams::DEFAULT };
    assert!(huge.check().is_err());
}

#[test]
fn two_slots_for_one_account_are_damage() {
    let (file, key) = key_file_with("ana", PASS);
    let mut doubled = file.clone();
    doubled.slots.push(KeySlot::Current(slot_for(1, "ana2", Role::Listener, PASS, &key).0));
    let dir = tempfile::tempdir().unwrap();
    doubled.path = dir.path().join("d.keys");
    doubled.save().unwrap();
    assert!(matches!(KeyFile::load(&doubled.path), Err(StoreError::KeyFileDamaged { .. })));
}

/// The intermediate values of one slot, by the names docs/keyslots.md gives them.
fn worked_values(file: &KeyFile, slot: &Slot, passphrase: &str) -> Vec<(&'static str, String)> {
    let Unwrapped::Current { key, keys, .. } = file.unlock(&slot.login, passphrase).unwrap() else {
        panic!("a version-2 slot")
    };
    let kek = slot.kdf.derive(normalised(passphrase).as_bytes(), &slot.salt).unwrap();
    let signed_by = slot.endorsement.as_ref().unwrap().signed_by;
    let salt = file.database_salt.unwrap();
    vec![
        ("passphrase bytes", hex::encode(normalised(passphrase).as_bytes())),
        ("P", hex::encode(slot.public_part())),
        ("KEK", hex::encode(kek.as_slice())),
        ("secrets", hex::encode(keys.secrets().as_slice())),
        ("data key", hex::encode(key.bytes())),
        ("E", hex::encode(slot.endorsed_message(signed_by))),
        ("C", hex::encode(slot.checksum_message())),
        ("slot checksum", hex::encode(slot.checksum())),
        ("H", hex::encode(Canonical::tagged(TAG_HEADER).bytes(&salt).finish())),
        ("header checksum", hex::encode(header_checksum(&salt))),
    ]
}

const EXAMPLE_PASSPHRASE: &str = "forêt été café";

/// Prints the worked example of docs/keyslots.md (run with `--ignored --nocapture`, paste).
#[test]
#[ignore]
fn print_the_worked_example() {
    let key = DataKey::generate().unwrap();
    let keys = AccountKeys::generate().unwrap();
    let mut slot = Slot::seal(
        ListenerId(1),
        "coord",
        Role::Supervisor,
        EXAMPLE_PASSPHRASE,
        KdfParams::MINIMUM,
        &keys,
        &key,
    )
    .unwrap();
    slot.endorse(ListenerId(1), keys.signer());
    let dir = tempfile::tempdir().unwrap();
    let mut file = KeyFile::empty(dir.path().join("permanence.db.keys"), random().unwrap());
    file.set_slot(slot.clone());
    file.save().unwrap();
    println!("```json\n{}\n```\n", std::fs::read_to_string(file.path()).unwrap());
    println!("```text");
    for (name, value) in worked_values(&file, &slot, EXAMPLE_PASSPHRASE) {
        println!("{name}: {value}");
    }
    println!("```");
}

/// Every value of the worked example in docs/keyslots.md is recomputed here from its key file
/// and passphrase: the document tells the truth.
#[test]
fn the_worked_example_in_the_docs_is_true() {
    let doc = include_str!("../../../docs/keyslots.md");
    let example = &doc[doc.find("## Worked example").expect("a worked example")..];
    let block = |fence: &str| {
        let start = example.find(fence).unwrap() + fence.len();
        &example[start..start + example[start..].find("```").unwrap()]
    };
    let json = block("```json\n");
    let values: Vec<(String, String)> = block("```text\n")
        .lines()
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    let file = KeyFile::parse(Path::new("permanence.db.keys"), json.as_bytes()).unwrap();
    let KeySlot::Current(slot) = &file.slots[0] else { panic!("a version-2 slot") };
    assert!(slot.endorsement_verifies(&slot.keys.signing_key), "the example is the root's own endorsement");
    assert!(example.contains(EXAMPLE_PASSPHRASE), "the passphrase is stated");
    let computed = worked_values(&file, slot, EXAMPLE_PASSPHRASE);
    let stated: Vec<(&str, &str)> = values.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let computed: Vec<(&str, &str)> = computed.iter().map(|(n, v)| (*n, v.as_str())).collect();
    assert_eq!(stated, computed);
    // The typed passphrase, decomposed by another keyboard, opens it too.
    assert!(file.unlock("coord", "fore\u{302}t e\u{301}te\u{301} cafe\u{301}").is_ok());
}
