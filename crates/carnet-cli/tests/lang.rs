//! French and English: chosen by `--lang`, else the locale (LC_ALL, LC_MESSAGES, LANG),
//! else English; what people read is translated, JSON stays the same; units are written
//! as people write them; errors have their documented exit codes.

mod common;

use common::Carnet;

/// Runs `carnet ARGS` with extra environment variables; returns (code, stdout, stderr).
fn run_env(c: &Carnet, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = c
        .command()
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn patient_with_entries() -> Carnet {
    let c = Carnet::patient();
    c.ok(&[
        "add",
        "allergy",
        "--substance",
        "Penicillin",
        "--criticality",
        "high",
    ]);
    c.ok(&[
        "add",
        "measurement",
        "--kind",
        "blood-pressure",
        "--value",
        "120/80",
        "--unit",
        "mm[Hg]",
        "--at",
        "2026-03-01T09:00:00Z",
    ]);
    c.ok(&[
        "add",
        "measurement",
        "--kind",
        "temperature",
        "--value",
        "36.6",
        "--unit",
        "Cel",
        "--at",
        "2026-03-02T09:00:00Z",
    ]);
    c.ok(&[
        "add",
        "measurement",
        "--kind",
        "weight",
        "--value",
        "150",
        "--unit",
        "[lb_av]",
        "--at",
        "2026-03-03T09:00:00Z",
    ]);
    c.ok(&["add", "condition", "--name", "Asthma", "--status", "active"]);
    c
}

#[test]
fn list_show_and_timeline_speak_french_with_lang_fr_and_english_by_default() {
    let c = patient_with_entries();
    let fr = c.ok(&["--lang", "fr", "list"]);
    for want in [
        "mesures",
        "problèmes de santé",
        "Tension artérielle 120/80 mmHg le 2026-03-01",
        "Température 36,6 °C",
        "Poids 150 lb",
        "Asthma (actif)",
        "Penicillin (gravité élevée)",
        "[par Alice Test]",
    ] {
        assert!(fr.contains(want), "no {want:?} in:\n{fr}");
    }
    // Stored values are unchanged: UCUM in the JSON, which is the same in both languages.
    assert!(!fr.contains("mm[Hg]") && !fr.contains("Cel") && !fr.contains("[lb_av]"));
    let en = c.ok(&["list"]);
    for want in [
        "measurements",
        "Blood pressure 120/80 mmHg at 2026-03-01",
        "Temperature 36.6 °C",
        "Weight 150 lb",
        "Asthma (active)",
        "[by Alice Test]",
    ] {
        assert!(en.contains(want), "no {want:?} in:\n{en}");
    }
    let json_fr = c.ok(&["--lang", "fr", "--json", "list"]);
    let json_en = c.ok(&["--json", "list"]);
    assert_eq!(json_fr, json_en, "JSON depends on the language");
    assert!(
        json_en.contains("mm[Hg]"),
        "the stored unit changed: {json_en}"
    );

    let tl = c.ok(&["--lang", "fr", "timeline"]);
    assert!(tl.contains("Poids 150 lb le"), "{tl}");

    let id = c.json(&["list", "--section", "measurements"])[2]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let show = c.ok(&["--lang", "fr", "show", &id]);
    assert!(
        show.contains("auteur :") && show.contains("unité : mmHg"),
        "{show}"
    );
    // The codes Carnet knows are named in the language; the source's English display
    // name is for the codes it does not know.
    assert!(
        show.contains("Systolique 120 mmHg, Diastolique 80 mmHg")
            && show.contains("type : Tension artérielle (LOINC 85354-9)")
            && !show.contains("Systolic blood pressure"),
        "{show}"
    );
    let show_en = c.ok(&["show", &id]);
    assert!(show_en.contains("Systolic 120 mmHg"), "{show_en}");
    // Times on the local clock, to the minute, not RFC 3339 (JSON keeps it): the
    // reading taken at 09:00 UTC was at 10:00 in Paris.
    assert!(show.contains("date : 2026-03-01 09:00"), "{show}");
    assert!(!fr.contains("T09:00:00Z"), "{fr}");
    let (code, paris, _) = run_env(&c, &["--lang", "fr", "list"], &[("TZ", "Europe/Paris")]);
    assert_eq!(code, 0);
    assert!(
        paris.contains("Tension artérielle 120/80 mmHg le 2026-03-01 10:00"),
        "{paris}"
    );
    assert!(json_en.contains("2026-03-01T09:00:00Z"), "{json_en}");
    let who = c.ok(&["--lang", "fr", "whoami"]);
    assert!(who.contains("appareil :"), "{who}");
    // The label's column fits the French labels: a space after each.
    assert!(who.lines().any(|l| l.starts_with("appareil : ")), "{who}");
    let who = c.ok(&["whoami"]);
    assert!(who.lines().any(|l| l.starts_with("device: ")), "{who}");
}

#[test]
fn the_locale_chooses_the_language_and_lang_overrides_it() {
    let c = patient_with_entries();
    let (code, out, _) = run_env(&c, &["list"], &[("LANG", "fr_FR.UTF-8")]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Tension artérielle"),
        "LANG=fr ignored:\n{out}"
    );
    // LC_ALL comes before LANG; LC_MESSAGES too.
    let (_, out, _) = run_env(
        &c,
        &["list"],
        &[("LANG", "fr_FR.UTF-8"), ("LC_ALL", "en_GB.UTF-8")],
    );
    assert!(out.contains("Blood pressure"), "LC_ALL=en ignored:\n{out}");
    let (_, out, _) = run_env(&c, &["list"], &[("LC_MESSAGES", "fr_CA.UTF-8")]);
    assert!(
        out.contains("Tension artérielle"),
        "LC_MESSAGES ignored:\n{out}"
    );
    // --lang wins over the locale; a language Carnet does not speak gives English.
    let (_, out, _) = run_env(&c, &["--lang", "en", "list"], &[("LANG", "fr_FR.UTF-8")]);
    assert!(out.contains("Blood pressure"), "{out}");
    let (_, out, _) = run_env(&c, &["list"], &[("LANG", "de_DE.UTF-8")]);
    assert!(out.contains("Blood pressure"), "{out}");
    // An unknown --lang is a usage error.
    let (code, _, err) = run_env(&c, &["--lang", "de", "list"], &[]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn errors_are_translated_with_their_exit_codes_and_json_errors_stay_english() {
    let c = patient_with_entries();
    // Not found: exit 6.
    let (code, _, err) = run_env(&c, &["--lang", "fr", "show", "zzzz"], &[]);
    assert_eq!(code, 6, "{err}");
    assert!(
        err.starts_with("erreur : aucun identifiant d'entrée ne commence par zzzz"),
        "{err}"
    );
    let (code, _, err) = run_env(&c, &["show", "zzzz"], &[]);
    assert_eq!(code, 6);
    assert!(
        err.starts_with("error: no entry's id starts with zzzz"),
        "{err}"
    );
    // Wrong passphrase: exit 3, nothing changed.
    let before = c.files();
    let (code, _, err) = run_env(
        &c,
        &["--lang", "fr", "list"],
        &[("CARNET_PASSPHRASE", "not it")],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("phrase de passe incorrecte"), "{err}");
    assert_eq!(c.files(), before);
    // Refused input: exit 4 (an implausible value), nothing stored.
    let (code, _, err) = run_env(
        &c,
        &[
            "--lang",
            "fr",
            "add",
            "measurement",
            "--kind",
            "heart-rate",
            "--value",
            "400",
            "--unit",
            "/min",
        ],
        &[],
    );
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("Rien n'a été enregistré"), "{err}");
    // An existing --out file is refused (4) in French.
    std::fs::write(c.work.join("taken"), b"x").unwrap();
    let (code, _, err) = run_env(
        &c,
        &["--lang", "fr", "audit", "export", "--out", "taken"],
        &[],
    );
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("existe déjà"), "{err}");
    // No vault: exit 6.
    let empty = Carnet::empty();
    let (code, _, err) = run_env(&empty, &["--lang", "fr", "list"], &[]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("aucun coffre"), "{err}");
    // With --json the error is English and has a stable kind.
    let (code, _, err) = run_env(&c, &["--lang", "fr", "--json", "show", "zzzz"], &[]);
    assert_eq!(code, 6);
    let v: serde_json::Value = serde_json::from_str(err.trim()).unwrap();
    assert_eq!(v["kind"], "not-found");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("no entry's id starts with"),
        "{v}"
    );
}

#[test]
fn sharing_and_the_access_log_read_in_french() {
    let alice = Carnet::patient();
    let doctor = Carnet::clinician("Dr Martin");
    alice.json(&["contact", "add", "Dr Martin", &doctor.card()]);
    let out = alice.ok(&[
        "--lang",
        "fr",
        "grant",
        "Dr Martin",
        "--sections",
        "allergies,medications",
        "--access",
        "read",
        "--purpose",
        "suivi",
    ]);
    assert!(
        out.contains("Accès en lecture à allergies, traitements donné à Dr Martin"),
        "{out}"
    );
    let gid = alice.json(&["grants"])[0]["grant_id"]
        .as_str()
        .unwrap()
        .to_string();
    let grants = alice.ok(&["--lang", "fr", "grants"]);
    assert!(
        grants.contains("Dr Martin en lecture sur allergies,traitements pour « suivi »"),
        "{grants}"
    );
    alice.ok(&["revoke", &gid]);
    let log = alice.ok(&["--lang", "fr", "log"]);
    for want in [
        "Votre dossier a été créé.",
        "Vous avez donné à Dr Martin un accès en lecture à allergies, traitements pour « suivi »",
        "La clé de traitements (époque 0) a été chiffrée pour Dr Martin",
        "Vous avez retiré l'autorisation ",
        " de Dr Martin.",
    ] {
        assert!(log.contains(want), "no {want:?} in:\n{log}");
    }
    let log_en = alice.ok(&["log"]);
    assert!(
        log_en.contains("You gave Dr Martin read access to allergies, medications for \"suivi\""),
        "{log_en}"
    );
    // The log's JSON keeps the library's English text, whatever the language.
    assert_eq!(
        alice.ok(&["--json", "--lang", "fr", "log"]),
        alice.ok(&["--json", "log"])
    );
    let contacts = alice.ok(&["--lang", "fr", "contact", "list"]);
    assert!(contacts.contains("soignant"), "{contacts}");
}

#[test]
fn a_clinician_is_told_by_the_patients_name_what_was_not_shared() {
    let alice = Carnet::patient();
    let doctor = Carnet::clinician("Dr Martin");
    alice.json(&["contact", "add", "Dr Martin", &doctor.card()]);
    doctor.json(&["contact", "add", "Alice", &alice.card()]);
    alice.ok(&["add", "allergy", "--substance", "Pollen"]);
    alice.grant("Dr Martin", "allergies", "read", "gp");
    alice.ok(&["share", "export", "--to", "Dr Martin", "--out", "b1"]);
    let bundle = alice.work.join("b1");
    doctor.ok(&["share", "import", bundle.to_str().unwrap()]);
    let (code, _, err) = run_env(
        &doctor,
        &["list", "--patient", "Alice", "--section", "notes"],
        &[],
    );
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("notes of Alice Test's record: not shared with you"),
        "{err}"
    );
    let (_, _, err) = run_env(
        &doctor,
        &[
            "--lang",
            "fr",
            "list",
            "--patient",
            "Alice",
            "--section",
            "notes",
        ],
        &[],
    );
    assert!(
        err.contains("notes du dossier de Alice Test : non partagé avec vous"),
        "{err}"
    );
    let (code, _, err) = run_env(
        &doctor,
        &[
            "--lang",
            "fr",
            "add",
            "note",
            "--patient",
            "Alice",
            "--text",
            "x",
        ],
        &[],
    );
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("Alice Test"), "{err}");
    let (_, _, err) = run_env(
        &doctor,
        &[
            "add",
            "allergy",
            "--patient",
            "Alice",
            "--substance",
            "Cats",
        ],
        &[],
    );
    assert!(
        err.contains("you may read allergies of Alice Test's record but not write it"),
        "{err}"
    );
}

#[test]
fn backup_import_devices_and_report_speak_french() {
    let c = patient_with_entries();
    let out = c.ok(&["--lang", "fr", "backup", "--out", "b.carnet"]);
    assert!(out.contains("Coffre sauvegardé dans b.carnet"), "{out}");
    let devices = c.ok(&["--lang", "fr", "device", "list"]);
    assert!(
        devices.contains("[cet appareil]") && devices.contains("ajouté le"),
        "{devices}"
    );
    let csv = c.work.join("g.csv");
    std::fs::write(
        &csv,
        "time,kind,value,unit,source\n2025-01-01T08:00:00Z,glucose,5.5,mmol/L,Meter\n",
    )
    .unwrap();
    let out = c.ok(&[
        "--lang",
        "fr",
        "import",
        "csv",
        csv.to_str().unwrap(),
        "--format",
        "generic",
    ]);
    assert!(out.contains("Importé depuis"), "{out}");
    let out = c.ok(&["--lang", "fr", "report", "--out", "r.html"]);
    assert!(out.contains("r.html écrit"), "{out}");
    // Its charts are named and captioned in French too.
    let html = std::fs::read_to_string(c.work.join("r.html")).unwrap();
    assert!(
        html.contains("Pression artérielle : toutes les mesures du dossier"),
        "no French chart caption"
    );
    assert!(!html.contains("every reading in the record"));
    let svg = c.ok(&["--lang", "fr", "chart", "weight", "--out", "-"]);
    assert!(svg.contains("Poids"), "{svg}");
    // JSON keeps English.
    let v = c.json(&["--lang", "fr", "chart", "weight", "--out", "w.svg"]);
    assert_eq!(v["kind"], "Weight");
    let (code, _, err) = run_env(&c, &["--lang", "fr", "backup", "--out", "b.carnet"], &[]);
    assert_eq!(code, 4);
    assert!(err.contains("b.carnet existe déjà"), "{err}");
}

#[test]
fn a_grant_says_what_the_grantee_will_see_existing_entries_included() {
    let alice = Carnet::patient();
    let doctor = Carnet::clinician("Dr Martin");
    alice.json(&["contact", "add", "Dr Martin", &doctor.card()]);
    alice.ok(&["add", "note", "--text", "diary, day 1"]);
    alice.ok(&["add", "note", "--text", "diary, day 2"]);
    let out = alice.ok(&[
        "grant",
        "Dr Martin",
        "--sections",
        "notes",
        "--access",
        "write",
        "--purpose",
        "x",
    ]);
    assert!(
        out.contains("Dr Martin will see the 2 entries already in notes, and everything added there from now on."),
        "{out}"
    );
    assert!(
        out.contains("With write access, Dr Martin can also add entries"),
        "{out}"
    );
    let out = alice.ok(&[
        "--lang",
        "fr",
        "grant",
        "Dr Martin",
        "--sections",
        "allergies",
        "--access",
        "read",
        "--purpose",
        "x",
    ]);
    assert!(
        out.contains("Dr Martin verra les entrées dans allergies à partir de maintenant (il n'y en a pas encore)."),
        "{out}"
    );
    assert!(!out.contains("écriture"), "{out}");
}

#[test]
fn the_demo_is_narrated_in_french() {
    let c = Carnet::empty();
    let text = c.ok(&["--lang", "fr", "demo"]);
    for step in [
        "Patty crée son coffre",
        "Le Dr Bernard se synchronise",
        "la note revient, signée par lui",
        "la laisse dans sa boîte aux lettres",
        "l'ordonnance est vérifiée comme tout envoi",
        "il ne reçoit plus rien de nouveau",
        "Un auditeur vérifie",
        "Terminé : ",
        // The detail lines too, not only the steps.
        "la pièce jointe se déchiffre en les mêmes octets",
        "son profil, ses vaccinations, ses mesures et ses documents restent privés",
        "sa synchronisation suivante : ",
        "(signature vérifiée)",
        // The log as `carnet log` says it.
        "Votre dossier a été créé.",
        "Vous avez retiré l'autorisation",
    ] {
        assert!(text.contains(step), "missing {step:?} in:\n{text}");
    }
    for english in [
        "entries in",
        "stay private",
        "his next sync",
        "signature verified",
        "Your record was created",
    ] {
        assert!(!text.contains(english), "{english:?} in:\n{text}");
    }
}

#[test]
fn help_is_in_french_with_lang_fr_or_a_french_locale() {
    let c = Carnet::empty();
    let help = c.ok(&["--lang", "fr", "--help"]);
    for want in [
        "Utilisation : carnet [OPTIONS] <COMMANDE>",
        "Commandes :",
        "Créer votre identité et un coffre chiffré",
        "Afficher l'aide",
        "Codes de sortie :",
        "3  phrase de passe incorrecte ou absente",
    ] {
        assert!(help.contains(want), "no {want:?} in:\n{help}");
    }
    let (code, help, _) = run_env(
        &c,
        &["add", "allergy", "--help"],
        &[("LANG", "fr_FR.UTF-8")],
    );
    assert_eq!(code, 0);
    assert!(help.contains("Ce à quoi vous réagissez"), "{help}");
    assert!(help.contains("Exemple :\n  carnet add allergy"), "{help}");
    // Placeholders too: `<SUBSTANCE>` reads the same, `<FILE>` does not.
    assert!(help.contains("--passphrase-file <FICHIER>"), "{help}");
    assert!(help.contains("--criticality <GRAVITÉ>"), "{help}");
    assert!(
        !help.contains("<FILE>") && !help.contains("<DIR>"),
        "{help}"
    );
    let help = c.ok(&["list", "--lang=fr", "--help"]);
    assert!(
        help.contains("Lister chaque bloc journalier d'une série"),
        "{help}"
    );
    // English stays English.
    let help = c.ok(&["add", "allergy", "--help"]);
    assert!(
        help.contains("What you react to") && help.contains("Example:"),
        "{help}"
    );
}

/// The report speaks the language the CLI was asked for (`--lang` or the locale).
#[test]
fn the_report_is_in_the_language_of_the_command() {
    let c = patient_with_entries();
    let fr = c.work.join("fr.html");
    let en = c.work.join("en.html");
    c.ok(&["--lang", "fr", "report", "--out", fr.to_str().unwrap()]);
    c.ok(&["--lang", "en", "report", "--out", en.to_str().unwrap()]);
    let fr = std::fs::read_to_string(fr).unwrap();
    let en = std::fs::read_to_string(en).unwrap();
    assert!(
        fr.contains("lang=\"fr\""),
        "not French: {}",
        &fr[..200.min(fr.len())]
    );
    assert!(
        en.contains("lang=\"en\""),
        "not English: {}",
        &en[..200.min(en.len())]
    );
}

/// `config show` describes each setting in the user's language.
#[test]
fn settings_are_described_in_french() {
    let c = Carnet::patient();
    let fr = c.ok(&["--lang", "fr", "config", "show"]);
    assert!(fr.contains("serveurs relais"), "{fr}");
    let en = c.ok(&["config", "show"]);
    assert!(en.contains("public relay servers"), "{en}");
}

/// clap's usage errors are said in French too (its own words are English only), with
/// its suggestion, the usage line and exit code 2; in English they are clap's; with
/// --json they stay JSON.
#[test]
fn usage_errors_speak_french_with_lang_fr() {
    let c = Carnet::empty();
    let (code, _, err) = run_env(&c, &["--lang", "fr", "lsit"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("erreur : commande inconnue « lsit »"),
        "{err}"
    );
    assert!(err.contains("vouliez-vous dire « list »"), "{err}");
    assert!(err.contains("Utilisation : carnet"), "{err}");
    assert!(
        err.contains("Pour plus d'informations, essayez « --help »."),
        "{err}"
    );
    assert!(!err.contains("unrecognized"), "{err}");
    let (code, _, err) = run_env(
        &c,
        &["list", "--sectoin", "notes"],
        &[("LANG", "fr_FR.UTF-8")],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("argument inattendu « --sectoin »"), "{err}");
    assert!(err.contains("« --section »"), "{err}");
    let (code, _, err) = run_env(&c, &["--lang", "fr", "add", "allergy"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("ces arguments obligatoires manquent : --substance"),
        "{err}"
    );
    let (code, _, err) = run_env(&c, &["--lang", "fr", "list", "--section", "nope"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("valeur « nope » invalide pour « --section"),
        "{err}"
    );
    assert!(
        err.contains("allergies"),
        "what is valid is still said: {err}"
    );
    // The command line's own value parsers (an entry id, a duration) too.
    let (code, _, err) = run_env(&c, &["--lang", "fr", "show", "z!"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("« z! » n'est pas un identifiant d'entrée"),
        "{err}"
    );
    let (code, _, err) = run_env(&c, &["--lang", "fr", "unlock", "--timeout", "5x"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("« 5x » : l'unité est s, m ou h"), "{err}");
    let (_, _, err) = run_env(&c, &["--lang", "en", "unlock", "--timeout", "5x"], &[]);
    assert!(err.contains("\"5x\": the unit is s, m or h"), "{err}");
    // English: clap's own.
    let (code, _, err) = run_env(&c, &["--lang", "en", "lsit"], &[]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: unrecognized subcommand 'lsit'"),
        "{err}"
    );
    // JSON: the same JSON error in either language.
    let (code, _, err) = run_env(&c, &["--lang", "fr", "--json", "lsit"], &[]);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(err.trim()).unwrap();
    assert_eq!(v["kind"], "usage");
}

/// zxcvbn's advice on a weak passphrase (its warning and suggestions, English words in
/// the crate) is said in French under --lang fr, in English otherwise.
#[test]
fn weak_passphrase_advice_is_in_the_language_of_the_run() {
    let init = |lang: &str| {
        let c = Carnet::empty();
        let (code, _, err) = run_env(
            &c,
            &[
                "--lang",
                lang,
                "init",
                "--name",
                "Alice Test",
                "--kdf-cost",
                "10",
            ],
            &[("CARNET_PASSPHRASE", "password")],
        );
        assert_eq!(code, 0, "{err}");
        err
    };
    let fr = init("fr");
    assert!(fr.contains("cette phrase de passe est faible"), "{fr}");
    assert!(
        fr.contains("C'est l'un des 10 mots de passe les plus courants."),
        "{fr}"
    );
    assert!(fr.contains("Ajoutez un ou deux mots"), "{fr}");
    assert!(
        !fr.contains("password") && !fr.contains("Add another word"),
        "English left in:\n{fr}"
    );
    let en = init("en");
    assert!(en.contains("This is a top-10 common password."), "{en}");
    assert!(en.contains("Add another word or two."), "{en}");
}

/// `audit verify` says what it checked, its warnings and its refusals in the language of
/// the run; the JSON report (its warnings included) stays English.
#[test]
fn audit_verify_speaks_french_and_its_json_stays_english() {
    let alice = patient_with_entries();
    let id = alice.json(&["whoami"])["id"].as_str().unwrap().to_string();
    let log = alice.work.join("log.json");
    alice.ok(&["audit", "export", "--out", log.to_str().unwrap()]);
    let log = log.to_str().unwrap();
    let auditor = Carnet::empty();
    let (code, out, err) = run_env(&auditor, &["--lang", "fr", "audit", "verify", log], &[]);
    assert_eq!(code, 0, "{err}");
    for want in [
        "OK, cohérent avec lui-même seulement : un journal de consentement dont la carte dit « Alice Test »",
        "point(s) de contrôle ; les signatures",
        "Dernier point de contrôle : ",
        "Gardez ce point de contrôle",
    ] {
        assert!(out.contains(want), "no {want:?} in:\n{out}");
    }
    assert!(
        err.contains("attention : pas de --patient")
            && err.contains("attention : aucun témoin n'a cosigné"),
        "{err}"
    );
    let (code, out, _) = run_env(
        &auditor,
        &["--lang", "fr", "audit", "verify", log, "--patient", &id],
        &[],
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("OK : le journal de consentement de Alice Test"),
        "{out}"
    );
    // English stays English.
    let (_, out, err) = run_env(&auditor, &["audit", "verify", log], &[]);
    assert!(out.starts_with("OK, self-consistent only"), "{out}");
    assert!(err.contains("warning: no --patient given"), "{err}");
    // A refusal, in French.
    let (code, _, err) = run_env(
        &auditor,
        &[
            "--lang",
            "fr",
            "audit",
            "verify",
            log,
            "--patient",
            "nobody",
        ],
        &[],
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("n'est pas un identifiant de personne"),
        "{err}"
    );
    let dir = auditor.work.to_str().unwrap();
    let (code, _, err) = run_env(&auditor, &["--lang", "fr", "audit", "verify", dir], &[]);
    assert_ne!(code, 0);
    assert!(
        err.contains("n'est pas un fichier ordinaire") && err.contains("l'export d'audit"),
        "{err}"
    );
    // JSON: the same in both languages, warnings in English.
    let json_fr = run_env(
        &auditor,
        &["--lang", "fr", "--json", "audit", "verify", log],
        &[],
    )
    .1;
    let json_en = run_env(&auditor, &["--json", "audit", "verify", log], &[]).1;
    assert_eq!(json_fr, json_en);
    assert!(json_fr.contains("not whose it is"), "{json_fr}");
}

/// `carnet unlock` and `carnet lock` speak French, their failures included.
#[test]
fn sessions_speak_french() {
    let c = Carnet::patient();
    let runtime = tempfile::tempdir().unwrap();
    let rt = runtime.path().to_str().unwrap();
    let (code, out, err) = run_env(
        &c,
        &["--lang", "fr", "unlock", "--timeout", "60"],
        &[("XDG_RUNTIME_DIR", rt)],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Déverrouillé pour 1 minute(s)"), "{out}");
    let (_, out, _) = run_env(&c, &["--lang", "fr", "lock"], &[("XDG_RUNTIME_DIR", rt)]);
    assert!(out.contains("Verrouillé : la clé est oubliée"), "{out}");
    let (_, out, _) = run_env(&c, &["--lang", "fr", "lock"], &[("XDG_RUNTIME_DIR", rt)]);
    assert!(out.contains("Aucune session n'était ouverte"), "{out}");
    // Where no session directory can be made (the runtime directory is a file).
    let file = c.work.join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let env = [("XDG_RUNTIME_DIR", file.to_str().unwrap())];
    let (code, _, err) = run_env(&c, &["--lang", "fr", "unlock"], &env);
    assert_ne!(code, 0);
    assert!(
        err.contains("impossible de créer le répertoire de session"),
        "{err}"
    );
    let (_, _, err) = run_env(&c, &["unlock"], &env);
    assert!(err.contains("cannot create the session directory"), "{err}");
}

/// What clap adds after an option's help (its default, its possible values, its
/// variable) and the `help` command it adds are said in French too.
#[test]
fn help_notes_and_the_help_command_are_in_french() {
    let c = Carnet::empty();
    let mut all = String::new();
    for args in [
        &["--help"][..],
        &["grant", "--help"],
        &["init", "--help"],
        &["sync", "--help"],
        &["completions", "--help"],
        &["help"],
        &["add", "help"],
    ] {
        let mut with_lang = vec!["--lang", "fr"];
        with_lang.extend_from_slice(args);
        all.push_str(&c.ok(&with_lang));
    }
    for english in [
        "[possible values",
        "[default:",
        "[env:",
        "Print this message",
    ] {
        assert!(!all.contains(english), "{english:?} left in:\n{all}");
    }
    // Help is wrapped (where depends on the longest option): notes are checked with the
    // line breaks and indents folded into single spaces.
    let all = all.split_whitespace().collect::<Vec<_>>().join(" ");
    for french in [
        "[valeurs possibles : read, write]",
        "[par défaut : patient]",
        "[par défaut : 30]",
        "[variable d'environnement :",
        "Afficher ce message ou l'aide des sous-commandes indiquées",
    ] {
        assert!(all.contains(french), "no {french:?} in:\n{all}");
    }
    // English is clap's own.
    let en = c.ok(&["grant", "--help"]) + &c.ok(&["init", "--help"]) + &c.ok(&["help"]);
    for english in [
        "[possible values: read, write]",
        "[default: patient]",
        "Print this message",
    ] {
        assert!(en.contains(english), "no {english:?} in:\n{en}");
    }
}

/// A passphrase cost below the default, and a sync with a contact whose address is not
/// known, are explained in French.
#[test]
fn kdf_cost_and_unknown_address_speak_french() {
    let c = Carnet::empty();
    let out = c
        .command()
        .env_remove("CARNET_TEST_KDF")
        .args([
            "--lang",
            "fr",
            "init",
            "--name",
            "Alice Test",
            "--kdf-cost",
            "10",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--kdf-cost 10 est en dessous de la valeur par défaut (18)"),
        "{err}"
    );
    let (_, _, err) = run_env(
        &c,
        &[
            "--lang",
            "fr",
            "init",
            "--name",
            "Alice Test",
            "--kdf-cost",
            "10",
        ],
        &[],
    );
    assert!(err.contains("pour les tests seulement"), "{err}");
    let dr = Carnet::clinician("Dr Martin");
    c.ok(&["contact", "add", "Dr Martin", &dr.card()]);
    let (code, _, err) = run_env(&c, &["--lang", "fr", "sync", "Dr Martin"], &[]);
    assert_ne!(code, 0);
    assert!(
        err.contains("aucune adresse connue pour Dr Martin"),
        "{err}"
    );
    let (_, _, err) = run_env(&c, &["sync", "Dr Martin"], &[]);
    assert!(err.contains("no address known for Dr Martin"), "{err}");
}

/// Runs `carnet ARGS` in French and in English; returns (French stderr, English stderr),
/// after checking both fail with `code`.
fn fails_in_both(c: &Carnet, args: &[&str], code: i32) -> (String, String) {
    let fr: Vec<&str> = ["--lang", "fr"].iter().chain(args).copied().collect();
    let (fr_code, _, fr_err) = run_env(c, &fr, &[]);
    let (en_code, _, en_err) = run_env(c, args, &[]);
    assert_eq!(fr_code, code, "{fr_err}");
    assert_eq!(en_code, code, "{en_err}");
    (fr_err, en_err)
}

#[test]
fn recovery_share_and_link_code_errors_speak_french() {
    let c = Carnet::empty();
    let backup = c.work.join("some.backup");
    std::fs::write(&backup, b"not read before the shares").unwrap();
    let backup = backup.to_str().unwrap();
    // A file of shares that holds something else.
    std::fs::write(c.work.join("junk.txt"), "hello").unwrap();
    let (fr, en) = fails_in_both(&c, &["restore", backup, "--share-file", "junk.txt"], 1);
    assert!(
        fr.contains("junk.txt contient autre chose que des parts de récupération (chacune commence par carnet-share1:)"),
        "{fr}"
    );
    assert!(
        en.contains("junk.txt holds something other than recovery shares"),
        "{en}"
    );
    // Standard input named twice.
    let (fr, en) = fails_in_both(
        &c,
        &["restore", backup, "--share-file", "-", "--share-file", "-"],
        1,
    );
    assert!(
        fr.contains("l'entrée standard ne peut être lue qu'une fois"),
        "{fr}"
    );
    assert!(en.contains("standard input can be read once"), "{en}");
    // A file of shares that cannot be read.
    let (fr, en) = fails_in_both(&c, &["restore", backup, "--share-file", "absent.txt"], 1);
    assert!(
        fr.contains("impossible de lire les parts de récupération depuis absent.txt"),
        "{fr}"
    );
    assert!(
        en.contains("cannot read the recovery shares from absent.txt"),
        "{en}"
    );
    // A share on the command line: the note says others can see it.
    let (fr, en) = fails_in_both(&c, &["restore", backup, "--share", "carnet-share1:zz"], 4);
    assert!(fr.contains("note : les parts données avec --share"), "{fr}");
    assert!(fr.contains("--share numéro 1"), "{fr}");
    assert!(en.contains("note: shares given with --share"), "{en}");
    // --ask-shares with no terminal.
    let (fr, en) = fails_in_both(&c, &["restore", backup, "--ask-shares"], 1);
    assert!(fr.contains("--ask-shares a besoin d'un terminal"), "{fr}");
    assert!(en.contains("--ask-shares needs a terminal"), "{en}");
    // device link on a new device, with no code and no terminal; with a code file that
    // is not there; with a code on the command line.
    let (fr, en) = fails_in_both(&c, &["device", "link"], 1);
    assert!(fr.contains("aucun coffre dans"), "{fr}");
    assert!(fr.contains("ni de code de liaison pour rejoindre"), "{fr}");
    assert!(en.contains("and no link code to join with"), "{en}");
    let (fr, en) = fails_in_both(&c, &["device", "link", "--code-file", "nope.txt"], 1);
    assert!(
        fr.contains("impossible de lire le code de liaison depuis nope.txt"),
        "{fr}"
    );
    assert!(
        en.contains("cannot read the link code from nope.txt"),
        "{en}"
    );
    let fr = run_env(
        &c,
        &["--lang", "fr", "device", "link", "carnet-link1:zz"],
        &[],
    )
    .2;
    let en = run_env(&c, &["device", "link", "carnet-link1:zz"], &[]).2;
    assert!(
        fr.contains("note : un code donné sur la ligne de commande est visible"),
        "{fr}"
    );
    assert!(
        en.contains("note: a code given on the command line can be seen"),
        "{en}"
    );
    // recovery split to a directory that is not there; release of a file that is not.
    let split = [
        "recovery",
        "split",
        "--threshold",
        "2",
        "--to",
        "A",
        "--to",
        "B",
    ];
    let split_nowhere: Vec<&str> = split.iter().chain(&["--out", "nowhere"]).copied().collect();
    let (fr, en) = fails_in_both(&c, &split_nowhere, 1);
    assert!(fr.contains("nowhere n'est pas un dossier"), "{fr}");
    assert!(en.contains("nowhere is not a directory"), "{en}");
    let (fr, en) = fails_in_both(&c, &["recovery", "release", "absent.carnet"], 1);
    assert!(fr.contains("impossible de lire absent.carnet"), "{fr}");
    assert!(en.contains("cannot read absent.carnet"), "{en}");
}

#[test]
fn a_released_recovery_share_is_given_out_in_french() {
    let alice = Carnet::empty();
    let v = alice.json(&["init", "--name", "Alice Test", "--kdf-cost", "10"]);
    let phrase = v["recovery_phrase"].as_str().unwrap().to_string();
    let holders = [Carnet::clinician("Dr Martin"), Carnet::clinician("Paul")];
    for (h, name) in holders.iter().zip(["Dr Martin", "Paul"]) {
        alice.json(&["contact", "add", name, &h.card()]);
    }
    let out = alice
        .command()
        .args(["--json", "recovery", "split", "--threshold", "2"])
        .args(["--to", "Dr Martin", "--to", "Paul"])
        .env("CARNET_RECOVERY_PHRASE", &phrase)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let file = alice.work.join(v["files"][0].as_str().unwrap());
    let file = file.to_str().unwrap();
    let fr = holders[0].ok(&["--lang", "fr", "recovery", "release", file]);
    assert!(
        fr.starts_with("La part de récupération que vous détenez pour Alice Test (il en faut 2 pour la récupération). Remettez-la-lui en main propre :"),
        "{fr}"
    );
    let en = holders[0].ok(&["recovery", "release", file]);
    assert!(
        en.starts_with("The recovery share you hold for Alice Test (2 are needed to recover)."),
        "{en}"
    );
}

#[test]
fn audit_witness_speaks_french() {
    let alice = Carnet::patient();
    let doctor = Carnet::clinician("Dr Martin");
    alice.ok(&["contact", "add", "Dr Martin", &doctor.card()]);
    doctor.ok(&["contact", "add", "Alice", &alice.card()]);
    alice.grant("Dr Martin", "allergies", "read", "GP");
    let bundle = alice.work.join("b.bundle");
    let bundle = bundle.to_str().unwrap();
    alice.ok(&["share", "export", "--to", "Dr Martin", "--out", bundle]);
    doctor.ok(&["share", "import", bundle]);
    let fr = doctor.ok(&[
        "--lang",
        "fr",
        "audit",
        "witness",
        "--patient",
        "Alice",
        "--out",
        "fr.json",
    ]);
    assert!(
        fr.contains("Point de contrôle du journal de consentement de Alice, que vous avez cosigné, écrit dans fr.json"),
        "{fr}"
    );
    let en = doctor.ok(&["audit", "witness", "--patient", "Alice", "--out", "en.json"]);
    assert!(
        en.contains("Wrote the checkpoint of Alice's consent log you cosigned to en.json"),
        "{en}"
    );
    // The --out file exists now.
    let (fr, en) = fails_in_both(
        &doctor,
        &["audit", "witness", "--patient", "Alice", "--out", "en.json"],
        1,
    );
    assert!(
        fr.contains("en.json existe déjà ; choisissez un autre chemin --out"),
        "{fr}"
    );
    assert!(
        en.contains("en.json already exists; choose another --out path"),
        "{en}"
    );
}

#[test]
fn hardening_speaks_french() {
    let c = Carnet::empty();
    let fr = c.ok(&["--lang", "fr", "hardening"]);
    assert!(
        fr.contains("taille maximale des fichiers core : 0 (limite dure : 0)"),
        "{fr}"
    );
    assert!(fr.contains("vidage mémoire autorisé : non"), "{fr}");
    let en = c.ok(&["hardening"]);
    assert!(en.contains("core file size limit: 0 (hard 0)"), "{en}");
    assert!(en.contains("dumpable: no"), "{en}");
}

#[test]
fn files_the_command_line_cannot_read_or_write_are_named_in_french() {
    let c = Carnet::patient();
    let (fr, en) = fails_in_both(&c, &["import", "fhir", "absent.json"], 1);
    assert!(fr.contains("impossible de lire absent.json"), "{fr}");
    assert!(en.contains("cannot read absent.json"), "{en}");
    std::fs::create_dir(c.work.join("adir")).unwrap();
    let (fr, en) = fails_in_both(&c, &["import", "fhir", "adir"], 1);
    assert!(fr.contains("adir n'est pas un fichier"), "{fr}");
    assert!(en.contains("adir is not a file"), "{en}");
    // Manual pages into a directory under a file.
    std::fs::write(c.work.join("afile"), b"x").unwrap();
    let (fr, en) = fails_in_both(&c, &["man", "--out", "afile/pages"], 1);
    assert!(fr.contains("impossible de créer afile/pages"), "{fr}");
    assert!(en.contains("cannot create afile/pages"), "{en}");
}

/// Errors the command line builds itself (not the library's) are English under --json in
/// every language, like the others: they are rendered when printed, not when made.
#[test]
fn errors_the_command_line_builds_are_english_under_json_in_every_language() {
    let c = Carnet::patient();
    for args in [
        &[
            "recovery",
            "split",
            "--threshold",
            "2",
            "--to",
            "A",
            "--to",
            "B",
            "--out",
            "nowhere",
        ][..],
        &["import", "fhir", "absent.json"][..],
        &["restore", "absent.backup"][..],
        &["audit", "witness", "--patient", "Nobody"][..],
    ] {
        let fr: Vec<&str> = ["--lang", "fr", "--json"]
            .iter()
            .chain(args)
            .copied()
            .collect();
        let en: Vec<&str> = ["--json"].iter().chain(args).copied().collect();
        let (fr_code, fr_out, fr_err) = run_env(&c, &fr, &[]);
        let (en_code, en_out, en_err) = run_env(&c, &en, &[]);
        assert_ne!(en_code, 0, "{args:?}: {en_err}");
        assert_eq!(fr_code, en_code, "{args:?}");
        assert_eq!(fr_out, en_out, "{args:?}");
        assert_eq!(
            fr_err, en_err,
            "{args:?}: the JSON error depends on the language"
        );
        let v: serde_json::Value = serde_json::from_str(en_err.trim()).unwrap();
        assert!(v["error"].as_str().is_some_and(|e| e.is_ascii()), "{v}");
    }
}

/// The library's refusals a patient meets most (a value the record does not take, a
/// contact that does not exist, a wrong recovery phrase, a file that is not a bundle of
/// theirs) read in French under `--lang fr`, in English otherwise; what the person typed
/// stays as typed.
#[test]
fn library_refusals_read_in_french() {
    let c = patient_with_entries();
    // A value that is not a number: the record's own check.
    let (fr, en) = fails_in_both(
        &c,
        &[
            "add",
            "measurement",
            "--kind",
            "heart-rate",
            "--value",
            "abc",
            "--unit",
            "/min",
        ],
        4,
    );
    assert!(
        fr.contains("valeur non plausible pour la fréquence cardiaque (\"abc\") : ce n'est pas un nombre (écrivez 72.5 ou 72,5)"),
        "{fr}"
    );
    assert!(!fr.contains("is not plausible"), "{fr}");
    assert!(
        en.contains("heart rate \"abc\" is not plausible: it is not a number"),
        "{en}"
    );
    // A value outside the usual ones: the record's words for it in French, in English
    // inside --json whatever the language.
    let unusual = [
        "add",
        "measurement",
        "--kind",
        "heart-rate",
        "--value",
        "400",
        "--unit",
        "/min",
    ];
    let (fr, en) = fails_in_both(&c, &unusual, 4);
    assert!(
        fr.contains("valeur inhabituelle pour la fréquence cardiaque (400 /min) : une fréquence cardiaque est comprise entre 20 et 300 battements par minute. Rien n'a été enregistré"),
        "{fr}"
    );
    assert!(
        en.contains("heart rate 400 /min is unusual: a heart rate is between 20 and 300 beats per minute. Nothing was stored"),
        "{en}"
    );
    let json: Vec<&str> = ["--lang", "fr", "--json"]
        .iter()
        .chain(&unusual)
        .copied()
        .collect();
    let (code, _, err) = run_env(&c, &json, &[]);
    assert_eq!(code, 4, "{err}");
    let v: serde_json::Value = serde_json::from_str(err.trim()).unwrap();
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .starts_with("heart rate 400 /min is unusual: a heart rate is between"),
        "{v}"
    );
    // A code the record cannot read (refused as the command line is read): what it
    // expects, in French.
    let (fr, en) = fails_in_both(
        &c,
        &["add", "condition", "--name", "Asthme", "--code", "nonsense"],
        2,
    );
    assert!(
        fr.contains("le code « nonsense » n'est pas valable : écrivez SYSTÈME:CODE"),
        "{fr}"
    );
    assert!(!fr.contains("is not valid"), "{fr}");
    assert!(
        en.contains("code \"nonsense\" is not valid: write SYSTEM:CODE"),
        "{en}"
    );
    // A contact that does not exist: the name as typed, the hint in French.
    let grant = [
        "grant",
        "Dr X",
        "--sections",
        "notes",
        "--access",
        "read",
        "--purpose",
        "suivi",
    ];
    let (fr, en) = fails_in_both(&c, &grant, 6);
    assert!(fr.contains("aucun contact nommé « Dr X »"), "{fr}");
    assert!(fr.contains("`carnet contact list` les montre"), "{fr}");
    assert!(!fr.contains("no contact named"), "{fr}");
    assert!(en.contains("no contact named \"Dr X\""), "{en}");
    // Another vault's recovery phrase.
    let other = Carnet::empty();
    let phrase = other.json(&["init", "--name", "Other", "--kdf-cost", "10"])["recovery_phrase"]
        .as_str()
        .unwrap()
        .to_string();
    let verify = |lang: &str| {
        run_env(
            &c,
            &["--lang", lang, "recovery", "verify"],
            &[("CARNET_RECOVERY_PHRASE", phrase.as_str())],
        )
    };
    let (code, _, fr) = verify("fr");
    assert_eq!(code, 4, "{fr}");
    assert!(
        fr.contains("cette phrase de récupération n'est pas celle de ce coffre"),
        "{fr}"
    );
    assert!(!fr.contains("recovery phrase is not"), "{fr}");
    let (code, _, en) = verify("en");
    assert_eq!(code, 4, "{en}");
    assert!(
        en.contains("this recovery phrase is not the one of this vault"),
        "{en}"
    );
    // A JSON file that is not FHIR, one that is not a bundle, and a bundle that is not
    // valid FHIR: refused before the vault is opened.
    std::fs::write(c.work.join("empty.json"), "{}").unwrap();
    let (fr, en) = fails_in_both(&c, &["import", "fhir", "empty.json"], 1);
    assert!(
        fr.contains(
            "le fichier est du JSON mais pas une ressource FHIR (il n'a pas de resourceType)"
        ),
        "{fr}"
    );
    assert!(!fr.contains("not a FHIR resource"), "{fr}");
    assert!(
        en.contains("the file is JSON but not a FHIR resource (it has no resourceType)"),
        "{en}"
    );
    std::fs::write(
        c.work.join("patient.json"),
        r#"{"resourceType": "Patient", "id": "x"}"#,
    )
    .unwrap();
    let (fr, en) = fails_in_both(&c, &["import", "fhir", "patient.json"], 1);
    assert!(
        fr.contains("le fichier contient une ressource Patient, pas un Bundle"),
        "{fr}"
    );
    assert!(
        en.contains("the file holds one Patient resource, not a Bundle"),
        "{en}"
    );
    std::fs::write(
        c.work.join("invalid.json"),
        r#"{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Observation", "id": "o1", "status": 7}}]}"#,
    )
    .unwrap();
    let (fr, en) = fails_in_both(&c, &["import", "fhir", "invalid.json"], 1);
    assert!(fr.contains("le Bundle n'est pas du FHIR R4 valide"), "{fr}");
    assert!(fr.contains("rien n'a été importé"), "{fr}");
    assert!(fr.contains("entrée 0 (Observation/o1) :"), "{fr}");
    assert!(en.contains("the bundle is not valid FHIR R4"), "{en}");
    assert!(en.contains("entry 0 (Observation/o1):"), "{en}");
}

/// A bundle about another person than the record's: who it is about and how they differ
/// are said in French (the names and dates as the files give them).
#[test]
fn another_persons_bundle_is_refused_in_french() {
    let c = Carnet::patient();
    let fhir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/fhir/synthea");
    let find = |prefix: &str| {
        std::fs::read_dir(&fhir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .unwrap()
    };
    let clemente = find("smart_Clemente");
    let bob = find("gfdp_Bob965");
    c.json(&["import", "fhir", clemente.to_str().unwrap()]);
    let (fr, en) = fails_in_both(&c, &["import", "fhir", bob.to_str().unwrap()], 4);
    for want in [
        "Bob965 Keeling57, né(e) le 1991-07-08",
        "les noms diffèrent (dossier : \"Clemente",
        "les dates de naissance diffèrent (dossier : 1984-07-02 ; paquet : 1991-07-08)",
        "Rien n'a été importé",
        "--same-person",
    ] {
        assert!(fr.contains(want), "missing {want:?} in: {fr}");
    }
    for english in ["names differ", "birth dates differ", ", born "] {
        assert!(!fr.contains(english), "{english:?} in: {fr}");
        assert!(en.contains(english), "missing {english:?} in: {en}");
    }
    // Inside --json: English, whatever the language.
    let (code, _, err) = run_env(
        &c,
        &[
            "--lang",
            "fr",
            "--json",
            "import",
            "fhir",
            bob.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 4, "{err}");
    let v: serde_json::Value = serde_json::from_str(err.trim()).unwrap();
    let text = v["error"].as_str().unwrap();
    assert!(
        text.contains("names differ") && text.contains(", born 1991-07-08"),
        "{v}"
    );
}

/// Every reason the record crate gives for refusing a value reads in French: the command
/// line recognises the record crate's reasons (`errors::why_text`, `expected_text`), so a
/// reason reworded there would come out in English inside French output. Each case is
/// run in both languages, and no sentence of the English message (its parts between
/// ": " and "; " that do not quote the input) may appear in the French one.
#[test]
fn every_validation_reason_reads_in_french() {
    let c = Carnet::patient();
    let cases: &[&[&str]] = &[
        &[
            "add",
            "measurement",
            "--kind",
            "weight",
            "--value",
            "abc",
            "--unit",
            "kg",
        ],
        &[
            "add",
            "measurement",
            "--kind",
            "weight",
            "--value",
            "inf",
            "--unit",
            "kg",
        ],
        &[
            "add",
            "measurement",
            "--kind",
            "blood-pressure",
            "--value",
            "120-80",
            "--unit",
            "mmHg",
        ],
        &[
            "add",
            "measurement",
            "--kind",
            "blood-pressure",
            "--value",
            "80/120",
            "--unit",
            "mmHg",
        ],
        &[
            "add",
            "measurement",
            "--kind",
            "spo2",
            "--value",
            "150",
            "--unit",
            "%",
        ],
        &[
            "add",
            "measurement",
            "--kind",
            "weight",
            "--value",
            "70",
            "--unit",
            "kg",
            "--at",
            "2999-01-01T00:00:00Z",
        ],
        &[
            "add",
            "measurement",
            "--kind",
            "weight",
            "--value",
            "70",
            "--unit",
            "kg",
            "--at",
            "yesterday",
        ],
        &[
            "add",
            "measurement",
            "--kind",
            "weight",
            "--value",
            "70",
            "--unit",
            "mg_dL_x",
        ],
        &[
            "add",
            "measurement",
            "--kind",
            "banana",
            "--value",
            "70",
            "--unit",
            "kg",
        ],
        &[
            "add",
            "measurement",
            "--kind",
            "2093-3",
            "--value",
            "70",
            "--unit",
            "mg dL",
        ],
        &["add", "condition", "--name", "X", "--onset", "2024-13-45"],
        &["add", "condition", "--name", "X", "--onset", "2999-01-01"],
        &["add", "condition", "--name", "X", "--code", "foo"],
        &[
            "add",
            "allergy",
            "--substance",
            "X",
            "--criticality",
            "extreme",
        ],
        &["show", "x"],
    ];
    for args in cases {
        let fr_args: Vec<&str> = ["--lang", "fr"]
            .iter()
            .chain(args.iter())
            .copied()
            .collect();
        let (fr_code, _, fr) = run_env(&c, &fr_args, &[]);
        let (en_code, _, en) = run_env(&c, args, &[]);
        // Refused input (4), or a usage error where the option's own parser refuses it (2).
        assert!(matches!(en_code, 2 | 4), "{args:?}: {en_code} {en}");
        assert_eq!(fr_code, en_code, "{args:?}: {fr}");
        let input = args[args.len() - 1];
        let first = en.lines().next().unwrap_or("");
        let sentences: Vec<&str> = first
            .trim_start_matches("error: ")
            .split(": ")
            .flat_map(|p| p.split("; "))
            .map(str::trim)
            .filter(|p| p.len() >= 16 && !p.contains(input))
            .collect();
        assert!(
            !sentences.is_empty(),
            "{args:?}: nothing to compare in {en}"
        );
        for s in sentences {
            assert!(
                !fr.contains(s),
                "{args:?}: English {s:?} inside French:\n{fr}"
            );
        }
        assert!(fr.starts_with("erreur"), "{args:?}: {fr}");
    }
}
