//! The real binary, as a supervisor would use it from a shell or a script.

mod common;

use common::cli::{init, run, text};
use common::{SUPERVISOR, SUPERVISOR_PASS};
use permanence::domain::listener::Role;
use permanence::store::{KdfParams, KeyFile, NewAccount};

#[test]
fn init_then_accounts_then_check() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("data/permanence.db");
    let db = db.to_str().unwrap();
    init(home.path(), db);
    let keys = format!("{db}.keys");
    use std::os::unix::fs::PermissionsExt;
    for file in [db, keys.as_str()] {
        assert_eq!(std::fs::metadata(file).unwrap().permissions().mode() & 0o777, 0o600, "{file}");
    }

    let again = run(home.path(), &["--db", db, "--passphrase-stdin", "init"], "une autre phrase longue\n");
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("une base existe déjà"), "{}", text(&again.stderr));

    let add = run(
        home.path(),
        &["--db", db, "--passphrase-stdin", "listener", "add", "camille", "--name", "Camille"],
        &format!("{SUPERVISOR_PASS}\ntrois pommes bleues\n"),
    );
    assert!(add.status.success(), "{}", text(&add.stderr));
    let list = run(
        home.path(),
        &["--db", db, "--as", "camille", "--passphrase-stdin", "listener", "list"],
        "trois pommes bleues\n",
    );
    assert!(list.status.success(), "{}", text(&list.stderr));
    let listing = text(&list.stdout);
    assert!(
        listing.contains("camille") && listing.contains("coord") && listing.contains("coordination"),
        "{listing}"
    );

    // Two accounts now: the command must be told who acts.
    let ambiguous = run(home.path(), &["--db", db, "--passphrase-stdin", "check"], "x\n");
    assert!(text(&ambiguous.stderr).contains("--as IDENTIFIANT"), "{}", text(&ambiguous.stderr));

    let check = run(
        home.path(),
        &["--db", db, "--as", SUPERVISOR, "--passphrase-stdin", "check"],
        &format!("{SUPERVISOR_PASS}\n"),
    );
    assert!(check.status.success(), "{}{}", text(&check.stdout), text(&check.stderr));
    let said = text(&check.stdout);
    assert!(
        said.contains("OK : structure, pages chiffrées, journal d'audit et ses signatures, statistiques tenues à jour vérifiés"),
        "{said}"
    );
    // Every entry so far (creation, accounts, unlocks) signed by whoever wrote it.
    assert!(said.contains("entrées signées par leur auteur·rice.") && !said.contains("antérieure"), "{said}");
    assert!(text(&check.stderr).is_empty(), "no progress on a pipe: {}", text(&check.stderr));
}

#[test]
fn a_weak_passphrase_is_refused_and_nothing_is_created() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("permanence.db");
    let out = run(home.path(), &["--db", db.to_str().unwrap(), "--passphrase-stdin", "init"], "motdepasse\n");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("au moins 12 caractères"), "{}", text(&out.stderr));
    assert!(!db.exists());
}

/// The four easy guesses, refused with a French reason wherever a passphrase is
/// chosen: at `init`, for a new account, for one's own change and for a supervisor's reset.
#[test]
fn easy_guesses_are_refused_in_french_at_init_new_account_change_and_reset() {
    const EASY: [&str; 4] = ["aaaaaaaaaaab", "abababababab", "1234567890123", "motdepasse12345"];
    let refused = |out: &std::process::Output, what: &str| {
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{what}: accepted");
        assert!(stderr.contains("Phrase de passe trop facile à deviner : elle "), "{what}: {stderr}");
        assert!(!stderr.contains("guess") && !stderr.contains("Add another word"), "{what}: {stderr}");
    };
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("permanence.db");
    let db = db.to_str().unwrap();
    for easy in EASY {
        let out = run(home.path(), &["--db", db, "--passphrase-stdin", "init"], &format!("{easy}\n"));
        refused(&out, &format!("init with {easy}"));
        assert!(!std::path::Path::new(db).exists(), "nothing created");
    }
    init(home.path(), db);
    let add = |passphrase: &str| {
        run(
            home.path(),
            &["--db", db, "--passphrase-stdin", "listener", "add", "croux", "--name", "Camille Roux"],
            &format!("{SUPERVISOR_PASS}\n{passphrase}\n"),
        )
    };
    for easy in EASY {
        refused(&add(easy), &format!("listener add with {easy}"));
    }
    // Her own name is weighed too.
    refused(&add("camilleroux1990"), "her own name");
    let good = add("quatre poires jaunes");
    assert!(good.status.success(), "{}", text(&good.stderr));
    for easy in EASY {
        let change = run(
            home.path(),
            &["--db", db, "--as", "croux", "--passphrase-stdin", "listener", "passwd"],
            &format!("quatre poires jaunes\n{easy}\n"),
        );
        refused(&change, &format!("her own change to {easy}"));
        let reset = run(
            home.path(),
            &["--db", db, "--as", SUPERVISOR, "--passphrase-stdin", "listener", "passwd", "croux"],
            &format!("{SUPERVISOR_PASS}\n{easy}\n"),
        );
        refused(&reset, &format!("a reset to {easy}"));
    }
    // Nothing was changed: her passphrase still opens, and a good new one is taken.
    let change = run(
        home.path(),
        &["--db", db, "--as", "croux", "--passphrase-stdin", "listener", "passwd"],
        "quatre poires jaunes\ntrois pommes vertes sous la pluie\n",
    );
    assert!(change.status.success(), "{}", text(&change.stderr));
}

#[test]
fn a_wrong_passphrase_is_told_plainly() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("permanence.db");
    let db = db.to_str().unwrap();
    init(home.path(), db);
    let out =
        run(home.path(), &["--db", db, "--passphrase-stdin", "listener", "list"], "pas la bonne phrase\n");
    assert!(!out.status.success());
    assert_eq!(text(&out.stderr), "permanence: phrase de passe incorrecte\n");
}

#[test]
fn check_names_damage_and_sqlcipher_stays_quiet() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("permanence.db");
    let db = path.to_str().unwrap();
    init(home.path(), db);
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() >= 3 * 4096, "several pages");
    // Damage the last page: the file still opens, the check must find it.
    let last = bytes.len() - 2000;
    bytes[last] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let out = run(home.path(), &["--db", db, "--passphrase-stdin", "check"], &format!("{SUPERVISOR_PASS}\n"));
    let stdout = text(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("DÉFAUT"), "{stdout}");
    assert_eq!(text(&out.stderr), "", "no SQLCipher log over the terminal");

    // A damaged key file is named as such, not taken for a wrong passphrase.
    let keys = format!("{db}.keys");
    let slots = std::fs::read(&keys).unwrap();
    std::fs::write(&keys, &slots[..slots.len() / 2]).unwrap();
    let out = run(home.path(), &["--db", db, "--passphrase-stdin", "check"], &format!("{SUPERVISOR_PASS}\n"));
    assert!(!out.status.success());
    assert!(text(&out.stdout).contains("DÉFAUT : le fichier de clés"), "{}", text(&out.stdout));
    std::fs::write(&keys, &slots).unwrap();

    // Damage the first page: the database cannot even be opened, and says so.
    bytes[200] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let out = run(home.path(), &["--db", db, "--passphrase-stdin", "check"], &format!("{SUPERVISOR_PASS}\n"));
    assert!(!out.status.success());
    assert!(text(&out.stdout).contains("DÉFAUT : la base est endommagée"), "{}", text(&out.stdout));
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn a_config_error_names_the_key_and_the_line() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(&config, "language = \"fr\"\nidle_lock_minutes = 5\ncolour = \"red\"\n").unwrap();
    let out = run(home.path(), &["--config", config.to_str().unwrap(), "--db", "/nonexistent/p.db"], "");
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("ligne 3, clé `colour` : clé inconnue"), "{stderr}");
}

#[test]
fn the_config_file_chooses_the_database() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("from-config.db");
    let config = home.path().join("config.toml");
    std::fs::write(&config, format!("database = {:?}\n", db.to_str().unwrap())).unwrap();
    let out = run(
        home.path(),
        &["--config", config.to_str().unwrap(), "--passphrase-stdin", "init"],
        &format!("{SUPERVISOR_PASS}\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(db.exists());
}

#[test]
fn every_command_has_help() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["--help"][..],
        &["init", "--help"],
        &["demo", "--help"],
        &["listener", "--help"],
        &["listener", "add", "--help"],
        &["listener", "passwd", "--help"],
        &["check", "--help"],
        &["queue", "--help"],
        &["backup", "--help"],
        &["migrate", "--help"],
        &["report", "--help"],
    ] {
        let out = run(home.path(), args, "");
        assert!(out.status.success(), "{args:?}");
        assert!(text(&out.stdout).contains("Usage:"), "{args:?}");
    }
}

#[test]
fn demo_builds_then_reopens() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("demo.db");
    let db = db.to_str().unwrap();
    let out = run(home.path(), &["--db", db, "demo", "--calls", "400"], "");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("400 appels"), "{stdout}");
    assert!(stdout.contains("lune verte soixante"), "the demo passphrases are shown");
    let again = run(home.path(), &["--db", db, "demo"], "");
    assert!(text(&again.stdout).contains("existe déjà") && text(&again.stdout).contains("400 appels"));
    let check = run(
        home.path(),
        &["--db", db, "--as", "coord", "--passphrase-stdin", "check"],
        "lune verte soixante\n",
    );
    assert!(check.status.success(), "{}", text(&check.stdout));
    let said = text(&check.stdout);
    assert!(said.contains("entrées signées par leur auteur·rice.") && !said.contains("antérieure"), "{said}");
}

/// A store made before audit entries were signed (`tests/fixtures/keyfile-v1`, schema 8): its
/// old entries are counted once as predating signatures, not reported; what is written from
/// the upgrade on is signed.
#[test]
fn entries_from_before_signatures_are_counted_once_not_reported() {
    let home = tempfile::tempdir().unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keyfile-v1");
    let db = home.path().join("permanence.db");
    std::fs::copy(fixture.join("permanence.db"), &db).unwrap();
    std::fs::copy(fixture.join("permanence.db.keys"), home.path().join("permanence.db.keys")).unwrap();
    let db = db.to_str().unwrap();
    let check = || {
        run(
            home.path(),
            &["--db", db, "--as", SUPERVISOR, "--passphrase-stdin", "check"],
            &format!("{SUPERVISOR_PASS}\n"),
        )
    };
    // The first unlock upgrades the store and converts coord's slot, then records the unlock.
    let first = check();
    let said = text(&first.stdout);
    assert!(first.status.success(), "{said}");
    let predating = said
        .lines()
        .find_map(|l| l.strip_prefix("Signatures d'audit : "))
        .and_then(|l| l.split("; ").nth(1))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no count of entries predating signatures: {said}"));
    assert!(predating >= 5, "the fixture's own entries: {said}");
    assert!(!said.contains("DÉFAUT"), "{said}");
    // Signed from the upgrade on: the conversion and each unlock; the old ones are still old.
    let second = text(&check().stdout);
    assert!(second.contains(&format!("; {predating} entrées antérieures aux signatures")), "{second}");
    let signed = |said: &str| -> u64 {
        said.split("Signatures d'audit : ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap()
    };
    assert_eq!(signed(&second), signed(&said) + 1, "the second check's unlock, signed: {said}{second}");
    assert!(signed(&said) >= 2, "the conversion and the unlock: {said}");
}

#[test]
fn the_terminal_needs_a_terminal() {
    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), &["--db", home.path().join("none.db").to_str().unwrap()], "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("a besoin d'un terminal"), "{}", text(&out.stderr));
}

#[test]
fn the_queue_for_another_terminal_in_text_and_json() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("demo.db");
    let db = db.to_str().unwrap();
    let out = run(home.path(), &["--db", db, "demo", "--calls", "300"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let args = ["--db", db, "--as", "coord", "--passphrase-stdin", "queue", "--format", "json"];
    let out = run(home.path(), &args, "lune verte soixante\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let document: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let callbacks = document["callbacks"].as_array().unwrap();
    assert!(callbacks.len() >= 8, "the demo has callbacks around now");
    // Overdue first.
    let overdue: Vec<bool> = callbacks.iter().map(|c| c["overdue"].as_bool().unwrap()).collect();
    assert!(overdue.windows(2).all(|w| w[0] >= w[1]), "{overdue:?}");
    assert!(callbacks.iter().all(|c| c.get("callback_number").is_none()), "no phone number leaves");
    // The demo's reply due by e-mail says its channel, never its address.
    assert!(callbacks.iter().any(|c| c["channel"] == "email"), "{callbacks:?}");
    assert!(!text(&out.stdout).contains("@exemple.invalid"));
    let out = run(
        home.path(),
        &["--db", db, "--as", "coord", "--passphrase-stdin", "queue"],
        "lune verte soixante\n",
    );
    assert!(text(&out.stdout).contains("EN RETARD"), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("réponse par e-mail"), "{}", text(&out.stdout));
}

#[test]
fn right_of_access_export_holds_and_purge_from_the_shell() {
    use permanence::domain::caller_file::FileProfile;
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("permanence.db");
    let db_str = db.to_str().unwrap();
    init(home.path(), db_str);
    let code = {
        let mut store = permanence::store::Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
        let profile =
            FileProfile { situation_summary: "Résumé CANARY-ACCESS".into(), ..FileProfile::default() };
        store.create_file(&profile).unwrap().code
    };
    let pass = format!("{SUPERVISOR_PASS}\n");

    let out_file = home.path().join("acces.json");
    let export = run(
        home.path(),
        &["--db", db_str, "--passphrase-stdin", "file", "export", code.as_str(), "--format", "json", "--out"]
            .into_iter()
            .chain([out_file.to_str().unwrap()])
            .collect::<Vec<_>>(),
        &pass,
    );
    assert!(export.status.success(), "{}", text(&export.stderr));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&out_file).unwrap().permissions().mode() & 0o777, 0o600);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(json["format"], "permanence-file-access");
    assert_eq!(json["file"]["situation_summary"], "Résumé CANARY-ACCESS");

    // Piped, Markdown goes to standard output.
    let md =
        run(home.path(), &["--db", db_str, "--passphrase-stdin", "file", "export", code.as_str()], &pass);
    assert!(md.status.success(), "{}", text(&md.stderr));
    assert!(text(&md.stdout).contains(&format!("# Droit d'accès — dossier {code}")), "{}", text(&md.stdout));

    let unknown =
        run(home.path(), &["--db", db_str, "--passphrase-stdin", "file", "export", "WWW-999"], &pass);
    assert!(!unknown.status.success());
    assert!(text(&unknown.stderr).contains("aucun dossier n'a le code WWW-999"), "{}", text(&unknown.stderr));

    let hold = run(
        home.path(),
        &["--db", db_str, "--passphrase-stdin", "file", "hold", code.as_str(), "--reason", "Réquisition"],
        &pass,
    );
    assert!(hold.status.success(), "{}", text(&hold.stderr));
    assert!(text(&hold.stdout).contains("est désormais en conservation légale"), "{}", text(&hold.stdout));

    let purge = run(home.path(), &["--db", db_str, "--passphrase-stdin", "purge", "--dry-run"], &pass);
    assert!(purge.status.success(), "{}", text(&purge.stderr));
    assert!(
        text(&purge.stdout).starts_with("Effacerait le texte libre de 0 dossier, les notes de 0 appel"),
        "{}",
        text(&purge.stdout)
    );
    let check = run(home.path(), &["--db", db_str, "--passphrase-stdin", "check"], &pass);
    assert!(
        check.status.success(),
        "every export and hold is in a valid audit chain: {}",
        text(&check.stdout)
    );
}

#[test]
fn export_a_shift_and_a_month_from_the_shell() {
    use permanence::domain::call::{CallRecord, CallType, NewCall};
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("permanence.db");
    let db_str = db.to_str().unwrap();
    init(home.path(), db_str);
    let now = chrono::Utc::now();
    {
        let mut store = permanence::store::Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
        let shift = store.start_shift().unwrap();
        let call = NewCall {
            shift_id: shift.id,
            started_at: now - chrono::Duration::minutes(5),
            ended_at: now,
            call_type: CallType::Listening,
            time_spent: None,
            record: CallRecord { notes: "CANARY-CLI-EXPORT".into(), ..CallRecord::default() },
        };
        store.save_call(&call).unwrap();
    }
    let pass = format!("{SUPERVISOR_PASS}\n");
    let out = run(home.path(), &["--db", db_str, "--passphrase-stdin", "export", "--format", "csv"], &pass);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    let path =
        said.trim().strip_prefix("Export écrit dans ").and_then(|r| r.strip_suffix(" (mode 0600).")).unwrap();
    assert!(path.starts_with(home.path().join("exports").to_str().unwrap()), "{path}");
    let csv = std::fs::read_to_string(path).unwrap();
    assert_eq!(csv.lines().count(), 2, "a header and one call: {csv}");
    assert!(!csv.contains("CANARY-CLI-EXPORT"));

    // The day of the call in the configured zone (Paris by default), not the machine's.
    let today = permanence::local_time::Zone::default().today(now - chrono::Duration::minutes(5)).to_string();
    let month = home.path().join("month.json");
    let out = run(
        home.path(),
        &[
            "--db",
            db_str,
            "--passphrase-stdin",
            "export",
            "--from",
            &today,
            "--to",
            &today,
            "--format",
            "json",
            "--out",
        ]
        .into_iter()
        .chain([month.to_str().unwrap()])
        .collect::<Vec<_>>(),
        &pass,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&month).unwrap()).unwrap();
    assert_eq!(json["summary"]["calls"], 1);
    assert_eq!(json["summary"]["scope"]["kind"], "period");

    let bad = run(home.path(), &["--db", db_str, "--passphrase-stdin", "export", "--shift", "soon"], &pass);
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("current, last ou un numéro"), "{}", text(&bad.stderr));
}

/// Everything the command line says to a person follows the configuration's `language`:
/// French by default, English with `language = "en"`; machine-readable output is the same in
/// both (JSON keys and words, exit codes).
#[test]
fn the_command_line_speaks_the_configured_language() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("permanence.db");
    let db = db.to_str().unwrap();
    let english = home.path().join("en.toml");
    std::fs::write(&english, "language = \"en\"\n").unwrap();
    let en = english.to_str().unwrap();
    let pass = format!("{SUPERVISOR_PASS}\n");
    let said = |args: &[&str], stdin: &str| {
        let out = run(home.path(), args, stdin);
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };

    // Creating the store, then confirmations.
    let (code, fr, _) = said(&["--db", db, "--passphrase-stdin", "init", "--login", SUPERVISOR], &pass);
    assert_eq!(code, Some(0));
    assert!(
        fr.starts_with(&format!("Création de la base {db}\nPremier compte de coordination : coord")),
        "{fr}"
    );
    assert!(fr.contains("Sauvegardez les deux fichiers ensemble"), "{fr}");
    let (_, en_said, _) = said(&["--db", db, "--config", en, "--passphrase-stdin", "queue"], &pass);
    assert_eq!(en_said, "No pending callback.\n");
    let (_, fr, _) = said(&["--db", db, "--passphrase-stdin", "queue"], &pass);
    assert_eq!(fr, "Aucun rappel en attente.\n");

    // Errors from the store, with their advice.
    let (code, _, fr) = said(&["--db", db, "--passphrase-stdin", "check"], "pas la bonne phrase\n");
    assert_eq!((code, fr.as_str()), (Some(1), "permanence: phrase de passe incorrecte\n"));
    let (code, _, en_said) =
        said(&["--db", db, "--config", en, "--passphrase-stdin", "check"], "not the one\n");
    assert_eq!((code, en_said.as_str()), (Some(1), "permanence: wrong passphrase\n"));
    let missing = home.path().join("missing.db");
    let missing = missing.to_str().unwrap();
    let (_, fr, _) = said(&["--db", missing, "check"], "");
    assert!(fr.starts_with("DÉFAUT : le fichier de clés"), "{fr}");
    let (_, en_said, _) = said(&["--db", missing, "--config", en, "check"], "");
    assert!(en_said.starts_with("FAULT: the key file"), "{en_said}");

    // A refusal of the store: a setting out of its bounds.
    let args = ["--db", db, "--passphrase-stdin", "settings", "set", "retention_days", "0"];
    let (_, _, fr) = said(&args, &pass);
    assert_eq!(fr, "permanence: retention_days doit être entre 1 et 36500, pas 0\n");
    let args = ["--db", db, "--config", en, "--passphrase-stdin", "settings", "set", "retention_days", "0"];
    let (_, _, en_said) = said(&args, &pass);
    assert_eq!(en_said, "permanence: retention_days must be between 1 and 36500, not 0\n");

    // A path refused before anything is written, the system's own error in words.
    let keys = format!("{db}.keys");
    let (_, _, fr) = said(&["--db", db, "--passphrase-stdin", "backup", "--out", &keys], &pass);
    assert!(fr.contains("existe déjà"), "{fr}");
    let nowhere = home.path().join("no/such/folder/x.md");
    let nowhere = nowhere.to_str().unwrap();
    let (_, _, fr) =
        said(&["--db", db, "--passphrase-stdin", "file", "export", "KAT-472", "--out", nowhere], &pass);
    assert!(fr.contains("le dossier de") && fr.contains("n'existe pas"), "{fr}");

    // The config's own errors name the key and its line, in the language the file asks for
    // (French when it does not say).
    let bad = home.path().join("bad.toml");
    std::fs::write(&bad, "idle_lock_minutes = 0\n").unwrap();
    let (code, _, fr) = said(&["--config", bad.to_str().unwrap(), "check"], "");
    assert_eq!(code, Some(1));
    assert!(fr.ends_with("ligne 1, clé `idle_lock_minutes` : doit valoir au moins 1\n"), "{fr}");
    std::fs::write(&bad, "language = \"en\"\nidle_lock_minutes = 0\n").unwrap();
    let (_, _, en_said) = said(&["--config", bad.to_str().unwrap(), "check"], "");
    assert!(en_said.ends_with("line 2, key `idle_lock_minutes`: must be at least 1\n"), "{en_said}");
    std::fs::write(&bad, "retention_days = \"deux ans\"\n").unwrap();
    let (_, _, fr) = said(&["--config", bad.to_str().unwrap(), "check"], "");
    assert!(fr.contains("ligne 1, clé `retention_days` : valeur du mauvais type"), "{fr}");
    assert!(fr.contains("il faut un nombre entier"), "{fr}");

    // Machine-readable output is the same whatever the language.
    let (_, fr, _) = said(&["--db", db, "--passphrase-stdin", "queue", "--format", "json"], &pass);
    let (_, en_said, _) =
        said(&["--db", db, "--config", en, "--passphrase-stdin", "queue", "--format", "json"], &pass);
    assert_eq!(fr, en_said);
    assert!(fr.contains("\"format\": \"permanence-queue\""), "{fr}");
}

/// Issue 15: what the command line prints for people, its Markdown summaries and the
/// right-of-access export read the configured zone (Europe/Paris by default), whatever the
/// machine's `TZ`, with the year; a period's days are that zone's (23 hours on 29 March 2026
/// in Paris); JSON keeps UTC instants.
#[test]
fn times_people_read_are_in_the_configured_zone_whatever_the_machine_s() {
    use chrono::{TimeZone, Utc};
    use permanence::domain::call::{CallRecord, CallType, NewCall};
    use permanence::domain::callback::{Assignee, NewCallback, PhoneNumber, Priority};
    use permanence::domain::caller_file::FileProfile;

    let home = tempfile::tempdir().unwrap();
    let db = common::db_in(home.path());
    let utc = |y, m, d, h, min| Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap();
    let mut store = common::create(&db);
    let shift = store.start_shift().unwrap();
    let file = store.create_file(&FileProfile::default()).unwrap();
    // 01:30 winter time and 23:30 summer time on 29 March in Paris, then 00:30 on the 30th.
    for (started, notes) in [
        (utc(2026, 3, 29, 0, 30), "appel de la nuit"),
        (utc(2026, 3, 29, 21, 30), "appel du soir"),
        (utc(2026, 3, 29, 22, 30), "appel du lendemain"),
    ] {
        let record =
            CallRecord { caller_file_id: Some(file.id), notes: notes.into(), ..CallRecord::default() };
        let ended_at = started + chrono::Duration::minutes(10);
        let call = NewCall {
            shift_id: shift.id,
            started_at: started,
            ended_at,
            call_type: CallType::Listening,
            time_spent: None,
            record,
        };
        store.save_call(&call).unwrap();
    }
    let callback = NewCallback::with_consent(
        true,
        file.id,
        None,
        utc(2023, 11, 25, 9, 0),
        Priority::Normal,
        PhoneNumber::parse("0639980000").unwrap(),
        Assignee::Anyone,
        String::new(),
    )
    .unwrap();
    store.schedule_callback(&callback).unwrap();
    drop(store);

    let db = db.to_str().unwrap();
    let noumea = home.path().join("noumea.toml");
    std::fs::write(&noumea, "timezone = \"Pacific/Noumea\"\n").unwrap();
    let noumea = noumea.to_str().unwrap();
    let pass = format!("{SUPERVISOR_PASS}\n");
    // (the machine's TZ, the config, the zone read, a call's and the callback's local times,
    // the period's bounds in UTC, the calls in it)
    let cases = [
        (
            "America/Montreal",
            None,
            "Europe/Paris",
            ["01:30", "23:30"],
            "10:00",
            ["2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"],
            2,
        ),
        (
            "Europe/Paris",
            Some(noumea),
            "Pacific/Noumea",
            ["11:30", "08:30"],
            "20:00",
            ["2026-03-28T13:00:00Z", "2026-03-29T13:00:00Z"],
            1,
        ),
    ];
    for (tz, config, zone, call_times, due_time, bounds, calls) in cases {
        let run = |args: &[&str]| {
            let mut all = vec!["--db", db, "--passphrase-stdin"];
            if let Some(config) = config {
                all.extend(["--config", config]);
            }
            all.extend(args);
            let out = common::cli::run_with(home.path(), &all, &pass, &[("TZ", tz)], common::cli::HANG);
            assert!(out.status.success(), "{all:?}: {}", text(&out.stderr));
            text(&out.stdout)
        };
        let read = |name: &str| std::fs::read_to_string(home.path().join(name)).unwrap();

        let queue = run(&["queue"]);
        assert!(queue.contains(&format!("2023-11-25 {due_time}")), "TZ={tz}, {zone}: {queue}");
        let queue = run(&["queue", "--format", "json"]);
        assert!(queue.contains("\"due_at\": \"2023-11-25T09:00:00+00:00\""), "{queue}");

        let json = format!("period-{tz}.json").replace('/', "-");
        run(&["export", "--from", "2026-03-29", "--to", "2026-03-29", "--format", "json", "--out", &json]);
        let json: serde_json::Value = serde_json::from_str(&read(&json)).unwrap();
        let scope = &json["summary"]["scope"];
        assert_eq!([&scope["from"], &scope["to"]], bounds, "TZ={tz}, {zone}");
        assert_eq!(json["summary"]["calls"], calls, "TZ={tz}, {zone}");
        assert_eq!(json["calls"][0]["started_at"], "2026-03-29T00:30:00Z");

        let md = format!("period-{tz}.md").replace('/', "-");
        run(&["export", "--from", "2026-03-29", "--to", "2026-03-29", "--include-notes", "--out", &md]);
        let md = read(&md);
        assert!(md.contains("# Statistiques du 29/03/2026 au 29/03/2026"), "{md}");
        assert!(md.contains(&format!("Heures locales ({zone})")), "{md}");
        assert!(md.contains(&format!("### 29/03/2026 {} — ", call_times[0])), "{md}");
        assert!(!md.contains("UTC"), "{md}");

        let access = format!("access-{tz}.md").replace('/', "-");
        run(&["file", "export", file.code.as_str(), "--out", &access]);
        let access = read(&access);
        assert!(access.contains(&format!("### 29/03/2026 {} — ", call_times[0])), "{access}");
        assert!(access.contains(&format!(" {} — ", call_times[1])), "{access}");
        assert!(access.contains(&format!("25/11/2023 {due_time}")), "{access}");
        assert!(access.contains(&format!("Heures locales ({zone})")) && !access.contains("UTC"), "{access}");
    }
}

/// Issue 16: a display name holding terminal escape sequences. Refused when an account is
/// created; one already in the file (written there with the key and a SQL client, or before
/// names were checked) is printed escaped by every command that shows it, never obeyed.
#[test]
fn escape_sequences_in_names_are_refused_and_never_printed_raw() {
    use permanence::domain::callback::{Assignee, NewCallback, PhoneNumber, Priority};
    use permanence::domain::caller_file::FileProfile;
    const TITLE: &str = "\u{1b}]0;pwned\u{7}";
    const CLEAR: &str = "\u{1b}[2J";
    let raw = |bytes: &[u8]| {
        let text = text(bytes);
        text.chars().find(|c| permanence::printable::is_unsafe(*c) && *c != '\n').map(|c| (c, text.clone()))
    };
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("permanence.db");
    let db_str = db.to_str().unwrap();
    let pass = format!("{SUPERVISOR_PASS}\n");
    init(home.path(), db_str);
    for name in [format!("Eve{TITLE}"), format!("Eve{CLEAR}"), "Eve\u{202e}evE".to_owned()] {
        let out = run(
            home.path(),
            &["--db", db_str, "--passphrase-stdin", "listener", "add", "eve", "--name", &name],
            &format!("{pass}trois pommes vertes sous la pluie\n"),
        );
        assert!(!out.status.success(), "{name:?} accepted");
        assert!(text(&out.stderr).contains("caractère de contrôle U+"), "{}", text(&out.stderr));
        assert_eq!(raw(&out.stderr), None, "the refusal itself prints nothing raw");
        assert_eq!(raw(&out.stdout), None);
    }

    // Eve's account, with a name planted in the database by someone holding the data key.
    let evil = format!("Eve{TITLE}{CLEAR}\u{9b}31m\u{202e}evE");
    {
        let mut store = permanence::store::Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
        let eve = NewAccount {
            login: "eve",
            display_name: "Eve",
            role: Role::Listener,
            passphrase: "trois pommes vertes sous la pluie",
        };
        let eve = store.add_listener(eve, KdfParams::MINIMUM).unwrap();
        let file = store.create_file(&FileProfile::default()).unwrap();
        let callback = NewCallback::with_consent(
            true,
            file.id,
            None,
            chrono::Utc::now() + chrono::Duration::hours(1),
            Priority::High,
            PhoneNumber::parse("06 12 34 56 78").unwrap(),
            Assignee::Listener(eve.id),
            String::new(),
        )
        .unwrap();
        store.schedule_callback(&callback).unwrap();
    }
    let unwrapped =
        KeyFile::load(&KeyFile::path_for(&db)).unwrap().unlock(SUPERVISOR, SUPERVISOR_PASS).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let key = unwrapped.data_key().sqlcipher_literal();
    conn.execute_batch(&format!("PRAGMA key = \"{}\";", key.as_str())).unwrap();
    conn.execute("UPDATE listener SET display_name = ?1 WHERE login = 'eve'", [&evil]).unwrap();
    drop(conn);

    for args in [&["listener", "list"][..], &["queue"], &["check"]] {
        let all: Vec<&str> = ["--db", db_str, "--as", SUPERVISOR, "--passphrase-stdin"]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        let out = run(home.path(), &all, &pass);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert_eq!(raw(&out.stdout), None, "{args:?}");
        assert_eq!(raw(&out.stderr), None, "{args:?}");
        if args[0] != "check" {
            assert!(
                text(&out.stdout).contains("Eve\\u{1b}]0;pwned\\u{7}\\u{1b}[2J"),
                "{}",
                text(&out.stdout)
            );
        }
    }
    // For tools, the same name, in JSON that parses back to it.
    let json = ["--db", db_str, "--as", SUPERVISOR, "--passphrase-stdin", "queue", "--format", "json"];
    let out = run(home.path(), &json, &pass);
    assert_eq!(raw(&out.stdout), None);
    let document: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(document["callbacks"][0]["assigned_to"], evil.as_str());
}
