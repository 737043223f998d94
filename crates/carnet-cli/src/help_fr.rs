//! `--help` in French: clap's help is written once, in English, in the doc comments of
//! `main.rs`; this table says each of those texts in French, keyed by the English text
//! itself (as gettext does), and `french` applies it to the command tree with French
//! headings. A test walks the tree: a command or option whose English text has no French
//! here fails it, so a new option or a changed text cannot go untranslated.

/// (English, French) for every command's description and every option's help.
pub const TEXTS: &[(&str, &str)] = &[
    // Commands.
    (
        "Cut off every other device, even one that holds your identity key (linked by an older carnet, or a stolen copy of this vault), with your recovery phrase (asked, or CARNET_RECOVERY_PHRASE): this device goes on under a new id and alone speaks for you; link your other devices again afterwards. On your primary device",
        "Écarter tous vos autres appareils, même un qui détient votre clé d'identité (relié par une ancienne version de carnet, ou une copie volée de ce coffre), avec votre phrase de récupération (demandée, ou CARNET_RECOVERY_PHRASE) : cet appareil continue sous un nouvel identifiant et parle seul en votre nom ; reliez ensuite à nouveau vos autres appareils. Sur votre appareil principal",
    ),
    (
        "The newest checkpoint of your consent log that someone you share with holds (the file `carnet audit witness --out FILE` writes on their side): if it is newer than the backup, the restore says openly that it leaves those later entries behind, instead of forking your log silently",
        "Le point de contrôle le plus récent de votre journal de consentement que détient une personne avec qui vous partagez (le fichier qu'écrit `carnet audit witness --out FICHIER` de son côté) : s'il est plus récent que la sauvegarde, la restauration dit ouvertement qu'elle laisse ces entrées plus récentes de côté, au lieu de faire bifurquer votre journal en silence",
    ),
    (
        "The `carnet` command line: a patient-held, end-to-end-encrypted health record",
        "La ligne de commande `carnet` : un dossier médical tenu par le patient, chiffré de bout en bout",
    ),
    (
        "A collection Bundle of the chosen sections (all you can read by default)",
        "Un Bundle « collection » des rubriques choisies (par défaut, tout ce que vous pouvez lire)",
    ),
    ("A free-text note", "Une note en texte libre"),
    (
        "Readings one Observation each, as the HL7 CGM guide has them (for a receiver that reads only that guide), instead of one Observation per day; much larger",
        "Les mesures une Observation chacune, comme le guide CGM de HL7 les écrit (pour un destinataire qui ne lit que ce guide), au lieu d'une Observation par jour ; bien plus volumineux",
    ),
    (
        "A glucose meter's or another device's export. Duplicates of readings already stored (same device, kind and time) are skipped",
        "L'export d'un lecteur de glycémie ou d'un autre appareil. Les mesures déjà enregistrées (même appareil, type et heure) sont ignorées",
    ),
    (
        "A health problem or diagnosis",
        "Un problème de santé ou un diagnostic",
    ),
    (
        "A measurement: weight, height, blood-pressure (value \"120/80\"), heart-rate, glucose, temperature, spo2, or a LOINC code",
        "Une mesure : weight (poids), height (taille), blood-pressure (tension, valeur « 120/80 »), heart-rate (pouls), glucose (glycémie), temperature, spo2, ou un code LOINC",
    ),
    (
        "A medicine you take or took",
        "Un médicament que vous prenez ou avez pris",
    ),
    ("A vaccination", "Une vaccination"),
    (
        "Add a document (a report, a prescription, an image...) from a file",
        "Ajouter un document (compte rendu, ordonnance, image...) depuis un fichier",
    ),
    (
        "Add an entry to your record (or, with --patient, to a record shared with you)",
        "Ajouter une entrée à votre dossier (ou, avec --patient, à un dossier partagé avec vous)",
    ),
    (
        "Add someone from the card they gave you (`carnet whoami` prints theirs)",
        "Ajouter quelqu'un depuis la carte qu'il vous a donnée (son `carnet whoami` l'affiche)",
    ),
    (
        "An HL7 FHIR R4 Bundle in JSON (collection, document, transaction, batch or searchset). All or nothing; importing the same bundle again adds nothing",
        "Un Bundle HL7 FHIR R4 en JSON (collection, document, transaction, batch ou searchset). Tout ou rien ; importer à nouveau le même paquet n'ajoute rien",
    ),
    (
        "An International Patient Summary: a document Bundle with its Composition",
        "Un résumé patient international (IPS) : un Bundle « document » avec sa Composition",
    ),
    (
        "An allergy or intolerance",
        "Une allergie ou une intolérance",
    ),
    (
        "As a witness (a grantee): write the newest checkpoint of a patient's consent log you received, cosigned by you, for an auditor of that log",
        "En tant que témoin (bénéficiaire d'une autorisation) : écrire le dernier point de contrôle reçu du journal de consentement d'un patient, cosigné par vous, pour un auditeur de ce journal",
    ),
    (
        "Block a contact: all their grants end and nothing reaches them any more",
        "Bloquer un contact : toutes ses autorisations prennent fin et plus rien ne lui parvient",
    ),
    (
        "Change a setting (relay on|off|URL, port N|auto)",
        "Changer un réglage (relay on|off|URL, port N|auto)",
    ),
    (
        "A relay server of your own for this run, e.g. http://10.0.0.1:3340 [default: the `relay` setting when it is a URL]",
        "Un serveur relais à vous pour cette fois, par ex. http://10.0.0.1:3340 [par défaut : le réglage `relay` quand c'est une URL]",
    ),
    (
        "A relay server of your own to be reachable through, e.g. http://10.0.0.1:3340 (callers set the same one: `carnet config set relay URL`)",
        "Un serveur relais à vous par lequel être joignable, par ex. http://10.0.0.1:3340 (ceux qui s'y connectent règlent le même : `carnet config set relay URL`)",
    ),
    (
        "Change fields of an entry: --set FIELD=VALUE, --unset FIELD (field names as in `show --json`)",
        "Modifier des champs d'une entrée : --set CHAMP=VALEUR, --unset CHAMP (noms des champs comme dans `show --json`)",
    ),
    (
        "Check a recovery phrase you wrote down against this vault",
        "Vérifier la phrase de récupération que vous avez notée auprès de ce coffre",
    ),
    (
        "Check every change stored in the vault (signatures, chains, contents) and the consent log, and repair a record damaged by two writers at once in versions before 0.2: nothing that was saved is lost. Exits non-zero if the vault does not verify",
        "Vérifier chaque modification enregistrée dans le coffre (signatures, chaînes, contenus) et le journal de consentement, et réparer un dossier abîmé par deux écritures simultanées dans les versions antérieures à 0.2 : rien de ce qui a été enregistré n'est perdu. Code de sortie non nul si le coffre ne se vérifie pas",
    ),
    (
        "Consent-log export and offline verification for auditors",
        "Export du journal de consentement et vérification hors ligne, pour les auditeurs",
    ),
    (
        "Create your identity and an encrypted vault",
        "Créer votre identité et un coffre chiffré",
    ),
    (
        "Decrypt an attachment into a file",
        "Déchiffrer une pièce jointe dans un fichier",
    ),
    (
        "Draw a measurement series (glucose, blood-pressure, weight...) as an SVG picture",
        "Dessiner une série de mesures (glycémie, tension, poids...) en image SVG",
    ),
    (
        "End a grant: the contact gets no new key and no new change (what they already read cannot be recalled)",
        "Mettre fin à une autorisation : le contact ne reçoit plus de nouvelle clé ni de nouvelle modification (ce qu'il a déjà lu ne peut pas être repris)",
    ),
    (
        "End the session `carnet unlock` opened: the key is forgotten",
        "Terminer la session ouverte par `carnet unlock` : la clé est oubliée",
    ),
    (
        "Every change that touched an entry, oldest first: who, from which device, when, which fields (removed entries too)",
        "Chaque modification d'une entrée, la plus ancienne d'abord : qui, depuis quel appareil, quand, quels champs (entrées supprimées comprises)",
    ),
    (
        "Every entry in date order (a series of readings as one line; --days for its days)",
        "Toutes les entrées par date (une série de mesures sur une ligne ; --days pour ses jours)",
    ),
    (
        "Export your record as FHIR R4: a bundle, or an International Patient Summary",
        "Exporter votre dossier en FHIR R4 : un paquet, ou un résumé patient international",
    ),
    (
        "Give a contact read or write access to sections of your record",
        "Donner à un contact un accès en lecture ou en écriture à des rubriques de votre dossier",
    ),
    (
        "Import FHIR R4 bundles and device exports (glucose meters...)",
        "Importer des paquets FHIR R4 et des exports d'appareils (lecteurs de glycémie...)",
    ),
    (
        "Link a new device: run it on this device (it prints a code and waits), then on the new device with --vault for the new vault, where it asks for the code (or reads it with --code-file)",
        "Lier un nouvel appareil : lancez-la sur cet appareil (elle affiche un code et attend), puis sur le nouvel appareil avec --vault pour le nouveau coffre, où elle demande le code (ou le lit avec --code-file)",
    ),
    ("List entries", "Lister les entrées"),
    (
        "List what a bundle addressed to you holds, without importing it",
        "Lister ce que contient un paquet qui vous est adressé, sans l'importer",
    ),
    ("List your contacts", "Lister vos contacts"),
    (
        "Listen for peers on the network and sync with them until stopped (Ctrl-C). Prints a ticket first: give it to those who sync with you",
        "Attendre des pairs sur le réseau et se synchroniser avec eux jusqu'à l'arrêt (Ctrl-C). Affiche d'abord un ticket : donnez-le à ceux qui se synchronisent avec vous",
    ),
    (
        "Offline exchange with a contact: a bundle file for a USB key or a mail",
        "Échange hors ligne avec un contact : un fichier paquet pour une clé USB ou un courriel",
    ),
    (
        "Open a session: the passphrase is asked once, and every command until `carnet lock` or the timeout opens the vault without it (the key stays in memory, with a small agent process only you can reach; never on disk)",
        "Ouvrir une session : la phrase de passe est demandée une fois, et chaque commande jusqu'à `carnet lock` ou l'expiration ouvre le coffre sans elle (la clé reste en mémoire, dans un petit processus agent que vous seul pouvez joindre ; jamais sur le disque)",
    ),
    (
        "Open a share someone gave you, to hand it back to them when they recover: prints its text (carnet-share1:...). Give it to them in person",
        "Ouvrir une part que quelqu'un vous a confiée, pour la lui rendre quand il récupère son coffre : affiche son texte (carnet-share1:...). Remettez-la-lui en personne",
    ),
    (
        "Print the completion script of a shell",
        "Afficher le script de complétion d'un shell",
    ),
    (
        "Protect the vault with a new passphrase. The new one comes from --new-passphrase-file, else CARNET_NEW_PASSPHRASE, else a prompt (twice). Atomic: interrupted at any point, the vault opens with the old passphrase or the new one",
        "Protéger le coffre par une nouvelle phrase de passe. Elle vient de --new-passphrase-file, sinon de CARNET_NEW_PASSPHRASE, sinon d'une saisie (deux fois). Atomique : interrompu à tout moment, le coffre s'ouvre avec l'ancienne phrase ou la nouvelle",
    ),
    (
        "Rebuild a vault from a backup on a new device (phrase from $CARNET_RECOVERY_PHRASE or a prompt, or recovery shares with --ask-shares or --share-file). Shows whose backup it is and checks their signature. The vault directory must not exist",
        "Reconstruire un coffre depuis une sauvegarde sur un nouvel appareil (phrase depuis $CARNET_RECOVERY_PHRASE ou une saisie, ou parts de récupération avec --ask-shares ou --share-file). Montre à qui est la sauvegarde et vérifie sa signature. Le dossier du coffre ne doit pas exister",
    ),
    (
        "Remove a lost or retired device: it gets nothing new (its keys are rotated) and nothing it writes is accepted any more",
        "Retirer un appareil perdu ou mis de côté : il ne reçoit plus rien (ses clés sont changées) et plus rien de ce qu'il écrit n'est accepté",
    ),
    ("Remove an entry", "Supprimer une entrée"),
    (
        "Run the whole story in a temporary directory, narrated",
        "Dérouler toute l'histoire dans un dossier temporaire, commentée",
    ),
    (
        "Settings of this vault (relay use)",
        "Réglages de ce coffre (usage des relais)",
    ),
    ("Show every setting", "Afficher tous les réglages"),
    ("Show one entry", "Afficher une entrée"),
    (
        "Show your identity and the card others need to share with you",
        "Afficher votre identité et la carte dont les autres ont besoin pour partager avec vous",
    ),
    (
        "Split your recovery key among people you trust: any THRESHOLD of their shares rebuild it, fewer reveal nothing. Writes one sealed file per holder, for them alone",
        "Partager votre clé de récupération entre des personnes de confiance : SEUIL de leurs parts, n'importe lesquelles, la reconstituent ; moins ne révèlent rien. Écrit un fichier scellé par détenteur, pour lui seul",
    ),
    (
        "State explicitly that there is nothing to record in a section (e.g. no known allergies), as the International Patient Summary asks",
        "Déclarer explicitement qu'il n'y a rien à noter dans une rubrique (par exemple aucune allergie connue), comme le demande le résumé patient international",
    ),
    (
        "Sync once with a peer, live over the network: a contact's name (reached before) or the ticket their `carnet serve` printed",
        "Se synchroniser une fois avec un pair, en direct sur le réseau : le nom d'un contact (déjà joint) ou le ticket affiché par son `carnet serve`",
    ),
    (
        "The grants you made",
        "Les autorisations que vous avez données",
    ),
    (
        "The records patients shared with you (clinicians)",
        "Les dossiers que des patients vous ont partagés (soignants)",
    ),
    (
        "Verify a bundle addressed to you and take in what it holds (all or nothing)",
        "Vérifier un paquet qui vous est adressé et en prendre le contenu (tout ou rien)",
    ),
    (
        "Verify an export offline; needs no vault. Exit 0 only if everything holds",
        "Vérifier un export hors ligne ; sans coffre. Code de sortie 0 seulement si tout tient",
    ),
    (
        "Who accessed what and when, in plain words",
        "Qui a eu accès à quoi et quand, en mots simples",
    ),
    (
        "Write a bundle with what CONTACT lacks and may receive (their granted sections, keys, consent entries; or, from a clinician, their changes). Incremental: only what they were not sent before",
        "Écrire un paquet avec ce qui manque au CONTACT et qu'il peut recevoir (les rubriques autorisées, les clés, les entrées de consentement ; ou, venant d'un soignant, ses modifications). Incrémental : seulement ce qui ne lui a pas déjà été envoyé",
    ),
    (
        "Write a self-contained HTML summary of your record, with charts",
        "Écrire un résumé HTML autonome de votre dossier, avec des graphiques",
    ),
    (
        "Write an encrypted backup of the whole vault, which only your recovery phrase (or enough recovery shares) can open",
        "Écrire une sauvegarde chiffrée de tout le coffre, que seule votre phrase de récupération (ou assez de parts de récupération) peut ouvrir",
    ),
    (
        "Write the manual pages (roff): carnet(1) and one per command",
        "Écrire les pages de manuel (roff) : carnet(1) et une par commande",
    ),
    (
        "Write your consent-log export (no health data) for an auditor",
        "Écrire l'export de votre journal de consentement (sans donnée de santé) pour un auditeur",
    ),
    (
        "Your address book of identity cards",
        "Votre carnet d'adresses de cartes d'identité",
    ),
    (
        "Your devices, which one keeps the consent log, which are removed",
        "Vos appareils, celui qui tient le journal de consentement, ceux qui sont retirés",
    ),
    (
        "Your devices: list them, remove a lost one, link a new one",
        "Vos appareils : les lister, retirer un appareil perdu, en lier un nouveau",
    ),
    (
        "Your profile (created the first time, updated after): name, birth date, sex, blood group, emergency contact, advance directives",
        "Votre profil (créé la première fois, mis à jour ensuite) : nom, date de naissance, sexe, groupe sanguin, contact d'urgence, directives anticipées",
    ),
    (
        "Your recovery phrase: check it, split it among people you trust, or release a share someone gave you",
        "Votre phrase de récupération : la vérifier, la partager entre des personnes de confiance, ou rendre une part qu'on vous a confiée",
    ),
    // Options.
    (
        "A checkpoint a witness (one of the patient's grantees) cosigned, as its `carnet audit witness` wrote it, got from the witness itself: the log must reach its size and agree with it. Repeat for several witnesses",
        "Un point de contrôle cosigné par un témoin (un des bénéficiaires du patient), tel que son `carnet audit witness` l'a écrit, obtenu du témoin lui-même : le journal doit atteindre sa taille et s'accorder avec lui. À répéter pour plusieurs témoins",
    ),
    (
        "A checkpoint, an earlier export or the saved `--json` output of an earlier verify: the log must extend it",
        "Un point de contrôle, un export antérieur ou la sortie `--json` enregistrée d'une vérification antérieure : le journal doit le prolonger",
    ),
    (
        "A code as SYSTEM:CODE (e.g. atc:A10BA02)",
        "Un code SYSTÈME:CODE (par ex. atc:A10BA02)",
    ),
    (
        "A code as SYSTEM:CODE (e.g. cvx:208)",
        "Un code SYSTÈME:CODE (par ex. cvx:208)",
    ),
    (
        "A code as SYSTEM:CODE (e.g. snomed:44054006, icd10:E11)",
        "Un code SYSTÈME:CODE (par ex. snomed:44054006, icd10:E11)",
    ),
    (
        "A code as SYSTEM:CODE (e.g. snomed:91935009; SYSTEM|CODE works when quoted)",
        "Un code SYSTÈME:CODE (par ex. snomed:91935009 ; SYSTÈME|CODE marche entre guillemets)",
    ),
    (
        "A contact (or patient) name, or a ticket (carnet-ticket1:...)",
        "Le nom d'un contact (ou d'un patient), ou un ticket (carnet-ticket1:...)",
    ),
    (
        "A file whose first line is the new passphrase",
        "Un fichier dont la première ligne est la nouvelle phrase de passe",
    ),
    (
        "A holder (a contact's name); repeat for each",
        "Un détenteur (le nom d'un contact) ; à répéter pour chacun",
    ),
    (
        "A log size you saw before: the log must hold at least that many entries",
        "Une taille de journal vue auparavant : le journal doit contenir au moins autant d'entrées",
    ),
    (
        "A record shared with you, by patient name or id [default: your own record]",
        "Un dossier partagé avec vous, par nom ou identifiant du patient [par défaut : votre propre dossier]",
    ),
    (
        "A recovery share on the command line (for scripts: other users of this machine can see it while carnet runs, and it stays in shell history; prefer --ask-shares or --share-file). Repeatable",
        "Une part de récupération sur la ligne de commande (pour les scripts : les autres utilisateurs de la machine peuvent la voir pendant que carnet tourne, et elle reste dans l'historique du shell ; préférez --ask-shares ou --share-file). Répétable",
    ),
    (
        "A+, A-, B+, B-, AB+, AB-, O+ or O-",
        "A+, A-, B+, B-, AB+, AB-, O+ ou O-",
    ),
    ("An optional title", "Un titre facultatif"),
    (
        "Ask for the recovery shares on the terminal (not echoed), one at a time, until there are enough. Without shares, the recovery phrase is asked for",
        "Demander les parts de récupération dans le terminal (sans écho), une à une, jusqu'à en avoir assez. Sans parts, la phrase de récupération est demandée",
    ),
    (
        "At most this many lines (the newest of each section first)",
        "Au plus ce nombre de lignes (les plus récentes de chaque rubrique d'abord)",
    ),
    (
        "Days of glucose readings to chart",
        "Jours de glycémie à dessiner",
    ),
    (
        "Directory to write the share files in [default: the current directory]",
        "Dossier où écrire les fichiers de parts [par défaut : le dossier courant]",
    ),
    (
        "Do not ask to type back three words of the recovery phrase (for scripts, and needed when standard input is not a terminal; --json implies it, the phrase being in its output; also CARNET_NO_CONFIRM_PHRASE=1). Check the phrase later with `carnet recovery verify`",
        "Ne pas demander de retaper trois mots de la phrase de récupération (pour les scripts ; nécessaire quand l'entrée standard n'est pas un terminal ; --json l'implique, la phrase figurant dans sa sortie ; aussi CARNET_NO_CONFIRM_PHRASE=1). Vérifiez la phrase plus tard avec `carnet recovery verify`",
    ),
    ("FIELD to clear (repeatable)", "CHAMP à effacer (répétable)"),
    (
        "FIELD=VALUE to set (repeatable)",
        "CHAMP=VALEUR à donner (répétable)",
    ),
    ("First day", "Premier jour"),
    (
        "How long the session lasts: seconds, or with a unit (90s, 15m, 2h)",
        "Durée de la session : en secondes, ou avec une unité (90s, 15m, 2h)",
    ),
    (
        "How many shares rebuild the key",
        "Combien de parts reconstituent la clé",
    ),
    (
        "How much and how often (e.g. \"500 mg twice a day\")",
        "Combien et à quelle fréquence (par ex. « 500 mg deux fois par jour »)",
    ),
    (
        "How serious a reaction could be",
        "La gravité possible d'une réaction",
    ),
    (
        "Import even though the bundle's patient has another name or birth date than this record's person: you confirm they are the same person",
        "Importer même si le patient du paquet a un autre nom ou une autre date de naissance que la personne de ce dossier : vous confirmez qu'il s'agit de la même personne",
    ),
    (
        "In a bundle about several patients, the one to import (Patient/ID, as the refusal lists them); what is about the others is skipped",
        "Dans un paquet concernant plusieurs patients, celui à importer (Patient/ID, comme le refus les liste) ; ce qui concerne les autres est ignoré",
    ),
    ("Its name", "Son nom"),
    ("Its new value", "Sa nouvelle valeur"),
    (
        "Its title [default: the file name]",
        "Son titre [par défaut : le nom du fichier]",
    ),
    ("Last day", "Dernier jour"),
    (
        "Last day of the grant (YYYY-MM-DD) [default: until revoked]",
        "Dernier jour de l'autorisation (AAAA-MM-JJ) [par défaut : jusqu'à son retrait]",
    ),
    (
        "Leave out resources that are not valid FHIR R4 (each listed with the reason) instead of refusing the whole bundle; defects only in what Carnet does not keep (ids, meta, narrative) are ignored and listed",
        "Laisser de côté les ressources qui ne sont pas du FHIR R4 valide (chacune listée avec la raison) au lieu de refuser tout le paquet ; les défauts de ce que Carnet ne garde pas (ids, meta, narratif) sont ignorés et listés",
    ),
    (
        "List every day block of a series (a glucose sensor's readings...) instead of one summary line per series (kind, readings, first and last day, latest value)",
        "Lister chaque bloc journalier d'une série (les mesures d'un capteur de glycémie...) au lieu d'une ligne de résumé par série (type, mesures, premier et dernier jour, dernière valeur)",
    ),
    (
        "List every day block of a series instead of one summary line per series",
        "Lister chaque bloc journalier d'une série au lieu d'une ligne de résumé par série",
    ),
    (
        "Only entries dated on or after this day (YYYY-MM-DD): the day of the event (a measurement, an onset, a start...), else the day it was written",
        "Seulement les entrées datées de ce jour ou après (AAAA-MM-JJ) : le jour de l'événement (une mesure, un début...), sinon le jour où elle a été écrite",
    ),
    (
        "Only entries dated on or before this day (YYYY-MM-DD)",
        "Seulement les entrées datées de ce jour ou avant (AAAA-MM-JJ)",
    ),
    (
        "Only readings on or after this day (YYYY-MM-DD)",
        "Seulement les mesures de ce jour ou après (AAAA-MM-JJ)",
    ),
    (
        "Only readings on or before this day (YYYY-MM-DD)",
        "Seulement les mesures de ce jour ou avant (AAAA-MM-JJ)",
    ),
    (
        "Only the last N days of readings",
        "Seulement les N derniers jours de mesures",
    ),
    ("Only this section", "Seulement cette rubrique"),
    (
        "Passphrase hardness for the new device's vault, as log2 of scrypt's N (18 to 20; lower only for tests, with CARNET_TEST_KDF=1)",
        "Difficulté de la phrase de passe du coffre du nouvel appareil, en log2 du N de scrypt (18 à 20 ; moins seulement pour les tests, avec CARNET_TEST_KDF=1)",
    ),
    (
        "Passphrase hardness for the new vault, as log2 of scrypt's N (18 to 20; lower only for tests, with CARNET_TEST_KDF=1)",
        "Difficulté de la phrase de passe du nouveau coffre, en log2 du N de scrypt (18 à 20 ; moins seulement pour les tests, avec CARNET_TEST_KDF=1)",
    ),
    (
        "Passphrase hardness, as log2 of scrypt's N (18 to 20). The default, 18, takes about a second; lower costs (down to 10) are for tests only and need CARNET_TEST_KDF=1",
        "Difficulté de la phrase de passe, en log2 du N de scrypt (18 à 20). Par défaut 18, environ une seconde ; les coûts plus bas (jusqu'à 10) sont réservés aux tests et demandent CARNET_TEST_KDF=1",
    ),
    (
        "Passphrase hardness, as log2 of scrypt's N (18 to 20); lower costs (down to 10) are for tests only and need CARNET_TEST_KDF=1",
        "Difficulté de la phrase de passe, en log2 du N de scrypt (18 à 20) ; les coûts plus bas (jusqu'à 10) sont réservés aux tests et demandent CARNET_TEST_KDF=1",
    ),
    (
        "Print one JSON document on stdout instead of text",
        "Écrire un document JSON sur la sortie standard au lieu du texte",
    ),
    (
        "Read recovery shares (carnet-share1:..., one or more) from FILE; `-` reads them from standard input. Repeatable",
        "Lire des parts de récupération (carnet-share1:..., une ou plusieurs) dans FICHIER ; `-` les lit sur l'entrée standard. Répétable",
    ),
    (
        "Read the code from FILE (`-`: standard input)",
        "Lire le code dans FICHIER (`-` : l'entrée standard)",
    ),
    (
        "Read the passphrase from the first line of FILE (else $CARNET_PASSPHRASE, else a prompt)",
        "Lire la phrase de passe sur la première ligne de FICHIER (sinon $CARNET_PASSPHRASE, sinon une saisie)",
    ),
    (
        "Refuse the backup unless it is of this person (their id, as `carnet whoami` shows it)",
        "Refuser la sauvegarde si elle n'est pas celle de cette personne (son identifiant, comme `carnet whoami` l'affiche)",
    ),
    (
        "Seconds without progress (nothing received, nothing of ours taken) before a peer is dropped. A slow link is not a stalled one: a large record over a poor link goes through as long as bytes keep moving",
        "Secondes sans progrès (rien reçu, rien de nos envois pris) avant d'abandonner un pair. Un lien lent n'est pas un lien bloqué : un gros dossier sur un mauvais lien passe tant que des octets circulent",
    ),
    (
        "Sections, comma-separated (e.g. allergies,conditions,medications)",
        "Rubriques, séparées par des virgules (par ex. allergies,conditions,medications)",
    ),
    (
        "Sections, comma-separated (e.g. allergies,medications)",
        "Rubriques, séparées par des virgules (par ex. allergies,medications)",
    ),
    (
        "Send everything they may receive, not only what is new (when a bundle was lost)",
        "Envoyer tout ce qu'il peut recevoir, pas seulement le nouveau (quand un paquet a été perdu)",
    ),
    (
        "Stay connected and keep exchanging changes until Ctrl-C; when the link drops, say so and connect again (waiting 1, 2, 4... up to 60 s between attempts)",
        "Rester connecté et échanger les modifications jusqu'à Ctrl-C ; quand le lien tombe, le dire et se reconnecter (en attendant 1, 2, 4... jusqu'à 60 s entre deux essais)",
    ),
    (
        "Store a value that is unusual for its kind (it is marked as confirmed)",
        "Enregistrer une valeur inhabituelle pour son type (elle est marquée comme confirmée)",
    ),
    (
        "Store measurements unusual for their kind (7250 kg, glucose 7.2 mg/dL) marked as confirmed, instead of refusing the bundle",
        "Enregistrer les mesures inhabituelles pour leur type (7250 kg, glycémie 7,2 mg/dL) marquées comme confirmées, au lieu de refuser le paquet",
    ),
    (
        "Store measurements unusual for their kind (generic CSV) as single entries marked as confirmed, instead of refusing the file",
        "Enregistrer les mesures inhabituelles pour leur type (CSV générique) en entrées séparées marquées comme confirmées, au lieu de refuser le fichier",
    ),
    ("The backup file", "Le fichier de sauvegarde"),
    ("The batch number", "Le numéro de lot"),
    ("The bundle file", "Le fichier paquet"),
    (
        "The code the other device printed, on the command line (for scripts: other users of this machine can see it while carnet runs; prefer the prompt or --code-file). `-` reads it from standard input",
        "Le code affiché par l'autre appareil, sur la ligne de commande (pour les scripts : les autres utilisateurs de la machine peuvent le voir pendant que carnet tourne ; préférez la saisie ou --code-file). `-` le lit sur l'entrée standard",
    ),
    (
        "The contact (or patient) it is for",
        "Le contact (ou le patient) à qui il est destiné",
    ),
    ("The contact's name", "Le nom du contact"),
    (
        "The device id (or its first characters), as `device list` shows it",
        "L'identifiant de l'appareil (ou ses premiers caractères), comme `device list` l'affiche",
    ),
    (
        "The device or origin of the reading",
        "L'appareil ou l'origine de la mesure",
    ),
    (
        "The directory to write them to (created if missing); without it, carnet(1) is printed",
        "Le dossier où les écrire (créé s'il manque) ; sans lui, carnet(1) est affichée",
    ),
    (
        "The document entry id, or its first 4 or more characters",
        "L'identifiant de l'entrée document, ou ses 4 premiers caractères ou plus",
    ),
    (
        "The document's date [default: now]",
        "La date du document [par défaut : maintenant]",
    ),
    (
        "The entry id, as `carnet list` shows it, or its first 4 or more characters",
        "L'identifiant de l'entrée, comme `carnet list` l'affiche, ou ses 4 premiers caractères ou plus",
    ),
    (
        "The entry id, or its first 4 or more characters",
        "L'identifiant de l'entrée, ou ses 4 premiers caractères ou plus",
    ),
    ("The export file", "Le fichier d'export"),
    ("The file to add", "Le fichier à ajouter"),
    (
        "The grant id, as `carnet grants` shows it",
        "L'identifiant de l'autorisation, comme `carnet grants` l'affiche",
    ),
    (
        "The language of messages: fr or en [default: from LC_ALL, LC_MESSAGES or LANG, else en]. JSON output is the same in every language",
        "La langue des messages : fr ou en [par défaut : selon LC_ALL, LC_MESSAGES ou LANG, sinon en]. La sortie JSON est la même dans toutes les langues",
    ),
    (
        "The local address to listen on, e.g. 0.0.0.0:7777 [default: every interface, on the port of the last serve (`carnet config set port N|auto`), a free one the first time]",
        "L'adresse locale d'écoute, par ex. 0.0.0.0:7777 [par défaut : toutes les interfaces, sur le port du dernier serve (`carnet config set port N|auto`), un port libre la première fois]",
    ),
    ("The name you give them", "Le nom que vous lui donnez"),
    (
        "The patient (name or id, as `carnet patients` lists them)",
        "Le patient (nom ou identifiant, comme `carnet patients` les liste)",
    ),
    (
        "The patient whose log it must be: their person id, as `carnet whoami` prints it on their device. Without it, only the log's self-consistency is checked",
        "Le patient dont ce doit être le journal : son identifiant de personne, comme `carnet whoami` l'affiche sur son appareil. Sans lui, seule la cohérence interne du journal est vérifiée",
    ),
    ("The setting", "Le réglage"),
    ("The share file", "Le fichier de la part"),
    ("The text", "Le texte"),
    (
        "The unit (UCUM, e.g. kg, mm[Hg], /min, mg/dL; common spellings are accepted)",
        "L'unité (UCUM, par ex. kg, mm[Hg], /min, mg/dL ; les écritures courantes comme mmHg sont acceptées)",
    ),
    ("The vaccine", "Le vaccin"),
    (
        "The value (blood pressure: SYSTOLIC/DIASTOLIC)",
        "La valeur (tension : SYSTOLIQUE/DIASTOLIQUE ; décimale avec point ou virgule)",
    ),
    (
        "The vault directory [default: $CARNET_VAULT, else `carnet` in your data directory]",
        "Le dossier du coffre [par défaut : $CARNET_VAULT, sinon `carnet` dans votre dossier de données]",
    ),
    (
        "Their card (carnet-card1:...)",
        "Sa carte (carnet-card1:...)",
    ),
    ("Their phone number", "Son numéro de téléphone"),
    (
        "Time zone of times written without one (Dexcom, Libre, Medtronic, generic) [default: this computer's], e.g. Europe/Paris",
        "Fuseau horaire des heures écrites sans fuseau (Dexcom, Libre, Medtronic, générique) [par défaut : celui de cet ordinateur], par ex. Europe/Paris",
    ),
    (
        "Use public relay servers for this run (needs the internet) [default: the `relay` setting, off]",
        "Utiliser les relais publics pour cette fois (il faut Internet) [par défaut : le réglage `relay`, désactivé]",
    ),
    (
        "What happens (e.g. hives)",
        "Ce qui se passe (par ex. urticaire)",
    ),
    ("What was measured", "Ce qui a été mesuré"),
    ("What you do in Carnet", "Votre rôle dans Carnet"),
    ("What you react to", "Ce à quoi vous réagissez"),
    (
        "When (RFC 3339, or YYYY-MM-DD HH:MM in local time) [default: now]",
        "Quand (RFC 3339, ou AAAA-MM-JJ HH:MM en heure locale) [par défaut : maintenant]",
    ),
    (
        "When it started (YYYY, YYYY-MM or YYYY-MM-DD)",
        "Quand cela a commencé (AAAA, AAAA-MM ou AAAA-MM-JJ)",
    ),
    ("When it was given", "Quand il a été fait"),
    (
        "Where to write it (must not exist)",
        "Où l'écrire (ne doit pas exister ; - : la sortie standard)",
    ),
    (
        "Where to write it (must not exist); standard output if not given",
        "Où l'écrire (ne doit pas exister) ; la sortie standard s'il n'est pas donné",
    ),
    (
        "Where to write the HTML (must not exist)",
        "Où écrire le HTML (ne doit pas exister ; - : la sortie standard)",
    ),
    (
        "Where to write the SVG (must not exist)",
        "Où écrire le SVG (ne doit pas exister ; - : la sortie standard)",
    ),
    (
        "Where to write the decrypted file (must not exist)",
        "Où écrire le fichier déchiffré (ne doit pas exister ; - : la sortie standard)",
    ),
    ("Who they are to you", "Qui il est pour vous"),
    (
        "Who to call in an emergency",
        "Qui appeler en cas d'urgence",
    ),
    (
        "Why (shown in your log; the auditor sees only a commitment to it)",
        "Pourquoi (affiché dans votre journal ; l'auditeur n'en voit qu'un engagement)",
    ),
    (
        "Your advance directives, or where to find them",
        "Vos directives anticipées, ou où les trouver",
    ),
    ("Your birth date", "Votre date de naissance"),
    ("Your name", "Votre nom"),
    (
        "Your name, as others will see it on your card",
        "Votre nom, tel que les autres le verront sur votre carte",
    ),
    (
        "active, completed, stopped, on-hold or intended",
        "active (en cours), completed (terminé), stopped (arrêté), on-hold (suspendu) ou intended (prévu)",
    ),
    (
        "active, recurrence, relapse, inactive, remission or resolved",
        "active (actif), recurrence (récidive), relapse (rechute), inactive (inactif), remission (rémission) ou resolved (résolu)",
    ),
    (
        "allergies, conditions, medications or immunizations",
        "allergies, conditions (problèmes de santé), medications (traitements) ou immunizations (vaccinations)",
    ),
    (
        "bash, zsh, fish, powershell or elvish",
        "bash, zsh, fish, powershell ou elvish",
    ),
    (
        "dexcom (Clarity CSV), libre (LibreView CSV), nightscout (entries CSV or JSON), medtronic (CareLink CSV; sensor glucose only), generic (columns time,kind,value,unit[,source])",
        "dexcom (CSV Clarity), libre (CSV LibreView), nightscout (entries CSV ou JSON), medtronic (CSV CareLink ; glycémie du capteur seulement), generic (colonnes time,kind,value,unit[,source])",
    ),
    (
        "female, male, other or unknown",
        "female (femme), male (homme), other (autre) ou unknown (inconnu)",
    ),
    (
        "glucose, blood-pressure, weight, heart-rate, temperature, spo2, height, or a LOINC code",
        "glucose (glycémie), blood-pressure (tension), weight (poids), heart-rate (pouls), temperature, spo2, height (taille), ou un code LOINC",
    ),
    ("read or write", "read (lecture) ou write (écriture)"),
    (
        "report, prescription, imaging, letter or other",
        "report (compte rendu), prescription (ordonnance), imaging (imagerie), letter (courrier) ou other (autre)",
    ),
    // carnet mailbox.
    (
        "A mailbox for people who are not online at the same time: it holds sealed bundles until their recipient collects them",
        "Une boîte aux lettres pour les personnes qui ne sont pas en ligne en même temps : elle garde des paquets scellés jusqu'à ce que leur destinataire les relève",
    ),
    (
        "Run a mailbox: it holds sealed bundles for people who are offline until they collect them, and cannot read them. Prints its ticket first; Ctrl-C stops",
        "Faire tourner une boîte aux lettres : elle garde des paquets scellés pour des personnes hors ligne jusqu'à ce qu'elles les relèvent, sans pouvoir les lire. Affiche d'abord son ticket ; Ctrl-C arrête",
    ),
    (
        "The mailbox's directory (its identity, its allowlist, the items waiting); created if missing",
        "Le dossier de la boîte aux lettres (son identité, sa liste d'autorisations, les dépôts en attente) ; créé s'il manque",
    ),
    (
        "Take deposits from anyone, within the quotas, not only from those allowed",
        "Accepter les dépôts de tout le monde, dans la limite des quotas, et pas seulement des personnes autorisées",
    ),
    (
        "The local address to listen on, e.g. 0.0.0.0:7778 [default: a free port on every interface]",
        "L'adresse locale où écouter, par exemple 0.0.0.0:7778 [par défaut : un port libre sur chaque interface]",
    ),
    (
        "Allow a person to deposit at the mailbox whose directory is DIR, from their card (a running mailbox takes it within a second)",
        "Autoriser une personne à déposer dans la boîte aux lettres dont le dossier est DIR, à partir de sa carte (une boîte en marche la prend en compte dans la seconde)",
    ),
    (
        "Collect at this mailbox from now on: your card announces it, so those you exchange with leave things there when you are offline (`carnet sync NAME` does). On your primary device",
        "Relever désormais dans cette boîte aux lettres : votre carte l'annonce, et vos correspondants y laissent ce qui vous est destiné quand vous êtes hors ligne (ce que fait `carnet sync NOM`). Sur votre appareil principal",
    ),
    (
        "Stop announcing this mailbox instead",
        "Cesser plutôt d'annoncer cette boîte aux lettres",
    ),
    (
        "The largest item taken, in MiB",
        "Le plus gros dépôt accepté, en Mio",
    ),
    (
        "The most items waiting for one recipient",
        "Le nombre maximal de dépôts en attente pour un destinataire",
    ),
    (
        "The most MiB waiting for one recipient",
        "Le nombre maximal de Mio en attente pour un destinataire",
    ),
    (
        "The most items one depositor has waiting",
        "Le nombre maximal de dépôts en attente d'un même déposant",
    ),
    (
        "The most MiB one depositor has waiting",
        "Le nombre maximal de Mio en attente d'un même déposant",
    ),
    (
        "The most MiB held in all",
        "Le nombre maximal de Mio gardés en tout",
    ),
    (
        "Days an uncollected item waits before it is deleted",
        "Le nombre de jours qu'un dépôt non relevé attend avant d'être supprimé",
    ),
    (
        "Their identity card (`carnet whoami` prints it)",
        "Sa carte d'identité (son `carnet whoami` l'affiche)",
    ),
    (
        "The mailbox's directory",
        "Le dossier de la boîte aux lettres",
    ),
    (
        "Leave a bundle for a contact at a mailbox: what they lack and may receive, sealed to them",
        "Laisser un paquet pour un contact dans une boîte aux lettres : ce qui lui manque et qu'il peut recevoir, scellé pour lui",
    ),
    (
        "The mailbox's ticket (the first line `carnet mailbox serve` prints)",
        "Le ticket de la boîte aux lettres (la première ligne qu'affiche `carnet mailbox serve`)",
    ),
    (
        "Collect what waits for you at a mailbox and import it; items your vault refuses are reported and deleted there",
        "Relever ce qui vous attend dans une boîte aux lettres et l'importer ; les dépôts que votre coffre refuse sont signalés et supprimés de la boîte",
    ),
];

/// The French of an English help text, if the table has it.
pub fn lookup(english: &str) -> Option<&'static str> {
    TEXTS
        .iter()
        .find(|(en, _)| *en == english)
        .map(|(_, fr)| *fr)
}

/// What clap would add after an option's help in English (`[env: X=...]`,
/// `[default: ...]`, `[possible values: ...]`), said in French instead; clap's own are
/// then hidden. Empty when clap would add nothing.
fn value_notes(a: &clap::Arg) -> String {
    let mut notes = Vec::new();
    if let Some(var) = a.get_env()
        && !a.is_hide_env_set()
    {
        let var = var.to_string_lossy();
        let value = if a.is_hide_env_values_set() {
            String::new()
        } else {
            format!("={}", std::env::var(&*var).unwrap_or_default())
        };
        notes.push(format!("[variable d'environnement : {var}{value}]"));
    }
    let defaults = a.get_default_values();
    if !defaults.is_empty() && !a.is_hide_default_value_set() && a.get_action().takes_values() {
        let d: Vec<_> = defaults.iter().map(|v| v.to_string_lossy()).collect();
        notes.push(format!("[par défaut : {}]", d.join(", ")));
    }
    let possible: Vec<String> = a
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_string())
        .collect();
    if !possible.is_empty() && !a.is_hide_possible_values_set() && a.get_action().takes_values() {
        notes.push(format!("[valeurs possibles : {}]", possible.join(", ")));
    }
    notes.join(" ")
}

/// A value's placeholder in French, for the names the command line uses (`None` for those
/// that read the same: `PATIENT`, `CODE`, `URL`, `TICKET`, `N`, `DATE`...).
fn placeholder(english: &str) -> Option<&'static str> {
    Some(match english {
        "FILE" => "FICHIER",
        "DIR" => "DOSSIER",
        "LANG" => "LANGUE",
        "OUT" => "SORTIE",
        "TIMEOUT" => "DÉLAI",
        "NAME" => "NOM",
        "MIB" => "MIO",
        "KDF_COST" => "COÛT",
        "UNTIL" => "JUSQU_AU",
        "TO" => "DESTINATAIRE",
        "TITLE" => "TITRE",
        "STATUS" => "STATUT",
        "SECTIONS" => "RUBRIQUES",
        "SECTION" => "RUBRIQUE",
        "ID" => "IDENTIFIANT",
        "BIND" => "ADRESSE",
        "VALUE" => "VALEUR",
        "VACCINE" => "VACCIN",
        "UNIT" => "UNITÉ",
        "TZ" => "FUSEAU",
        "THRESHOLD" => "SEUIL",
        "TEXT" => "TEXTE",
        "START" => "DÉBUT",
        "ONSET" => "DÉBUT",
        "END" => "FIN",
        "SINCE" => "DEPUIS",
        "SHARE" => "PART",
        "SEX" => "SEXE",
        "ROLE" => "RÔLE",
        "REF" => "RÉFÉRENCE",
        "REACTION" => "RÉACTION",
        "PURPOSE" => "MOTIF",
        "LIMIT" => "LIMITE",
        "KIND" => "TYPE",
        "FROM" => "DE",
        "FIELD" => "CHAMP",
        "DOSAGE" => "POSOLOGIE",
        "DOC_TYPE" => "TYPE_DE_DOCUMENT",
        "DAYS" => "JOURS",
        "CRITICALITY" => "GRAVITÉ",
        "BLOOD_GROUP" => "GROUPE_SANGUIN",
        "BIRTH_DATE" => "DATE_DE_NAISSANCE",
        "AT" => "QUAND",
        "ADVANCE_DIRECTIVES" => "DIRECTIVES_ANTICIPÉES",
        "ACCESS" => "ACCÈS",
        "EMERGENCY_NAME" => "NOM_URGENCE",
        "EMERGENCY_PHONE" => "TÉLÉPHONE_URGENCE",
        "EMERGENCY_RELATIONSHIP" => "LIEN_URGENCE",
        _ => return None,
    })
}

/// The command tree with French descriptions, option helps, headings and the notes clap
/// adds after an option's help (its default, its possible values, its variable). The
/// `help` command clap adds is said in French by [`french_help_command`], once the tree
/// is built.
pub fn french(cmd: clap::Command) -> clap::Command {
    let mut cmd = cmd;
    if let Some(about) = cmd.get_about().map(|a| a.to_string())
        && let Some(fr) = lookup(&about)
    {
        cmd = cmd.about(fr);
    }
    if let Some(after) = cmd.get_after_help().map(|a| a.to_string()) {
        cmd = cmd.after_help(
            after
                .replace("Example:\n", "Exemple :\n")
                .replace(crate::EXIT_CODES, EXIT_CODES_FR),
        );
    }
    let ids: Vec<String> = cmd
        .get_arguments()
        .map(|a| a.get_id().as_str().to_string())
        .collect();
    for id in ids {
        cmd = cmd.mut_arg(&id, |a| {
            let help = a.get_help().map(|h| h.to_string());
            let notes = value_notes(&a);
            let help = help.as_deref().map(|h| lookup(h).unwrap_or(h).to_string());
            let a = match (help, notes.is_empty()) {
                (Some(h), true) => a.help(h),
                (Some(h), false) => a.help(format!("{h} {notes}")),
                (None, true) => a,
                (None, false) => a.help(notes),
            };
            // Clap's English notes hidden (it accepts each only where it applies).
            let a = if a.get_action().takes_values() {
                a.hide_default_value(true).hide_possible_values(true)
            } else {
                a
            };
            let a = if a.get_env().is_some() {
                a.hide_env(true)
            } else {
                a
            };
            // The placeholder of its value (`<FICHIER>`, not `<FILE>`).
            let a = if a.get_action().takes_values() {
                let names: Vec<String> = match a.get_value_names() {
                    Some(names) => names.iter().map(|n| n.to_string()).collect(),
                    None => vec![a.get_id().as_str().to_ascii_uppercase()],
                };
                match names.as_slice() {
                    [one] => match placeholder(one) {
                        Some(fr) => a.value_name(fr),
                        None => a,
                    },
                    _ => a,
                }
            } else {
                a
            };
            a.long_help(None::<&str>)
        });
    }
    // Clap adds its -h/--help flag when the tree is built, in English: this one says it in
    // French.
    cmd = cmd.disable_help_flag(true).arg(
        clap::Arg::new("help")
            .short('h')
            .long("help")
            .action(clap::ArgAction::Help)
            .help("Afficher l'aide"),
    );
    cmd = cmd.disable_version_flag(true);
    if cmd.get_version().is_some() && cmd.get_name() == "carnet" {
        cmd = cmd.arg(
            clap::Arg::new("version")
                .short('V')
                .long("version")
                .action(clap::ArgAction::Version)
                .help("Afficher la version")
                .global(true),
        );
    }
    let has_subcommands = cmd.get_subcommands().next().is_some();
    let has_positionals = cmd.get_positionals().next().is_some();
    let mut template = String::from("{before-help}{about-with-newline}\nUtilisation : {usage}\n");
    if has_subcommands {
        template.push_str("\nCommandes :\n{subcommands}\n");
        // `<COMMAND>` in the usage line; `[OPTIONS]` stays, as GNU's French usage lines
        // keep `[OPTION]`.
        cmd = cmd.subcommand_value_name("COMMANDE");
    }
    if has_positionals {
        template.push_str("\nArguments :\n{positionals}\n");
    }
    template.push_str("\nOptions :\n{options}{after-help}");
    cmd = cmd.help_template(template);
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(&name, french);
    }
    cmd
}

/// The `help` command clap adds to every command that has subcommands, said in French:
/// clap makes it when the tree is built, so this is applied to a built tree.
pub fn french_help_command(mut cmd: clap::Command) -> clap::Command {
    const ABOUT: &str = "Afficher ce message ou l'aide des sous-commandes indiquées";
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        cmd = if name == "help" {
            cmd.mut_subcommand(&name, |h| {
                let h = h.about(ABOUT);
                let inner: Vec<String> = h
                    .get_subcommands()
                    .map(|s| s.get_name().to_string())
                    .collect();
                inner.iter().fold(h, |h, n| {
                    if n == "help" {
                        h.mut_subcommand(n, |x| x.about(ABOUT))
                    } else {
                        h
                    }
                })
            })
        } else {
            cmd.mut_subcommand(&name, french_help_command)
        };
    }
    cmd
}

/// [`crate::EXIT_CODES`] in French.
pub const EXIT_CODES_FR: &str = "Codes de sortie :
  0  succès
  1  échec (un coffre abîmé, un disque plein...)
  2  utilisation : une commande, une option ou une valeur erronée (rien n'a été fait)
  3  phrase de passe incorrecte ou absente (rien n'a été modifié)
  4  entrée refusée : une valeur invalide, un fichier qui n'est pas ce qu'il devrait être,
     une sortie qui existe déjà (rien n'a été modifié)
  5  un pair n'a pas pu être joint, ou le lien a échoué
  6  introuvable : pas de coffre, pas d'entrée, de contact ou de patient de ce nom
141  la sortie a été fermée avant la fin (`carnet list | head`)";

#[cfg(test)]
mod tests {
    use super::*;

    /// Every visible command's description and every option's help has its French.
    #[test]
    fn every_help_text_has_its_french() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            if let Some(about) = cmd.get_about().map(|a| a.to_string())
                && lookup(&about).is_none()
            {
                missing.push(format!("{path}: {about}"));
            }
            for a in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
                if let Some(h) = a.get_help().map(|h| h.to_string())
                    && h != "Print help"
                    && h != "Print version"
                    && lookup(&h).is_none()
                {
                    missing.push(format!("{path} --{}: {h}", a.get_id()));
                }
            }
            for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
                if sub.get_name() == "help" {
                    continue;
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&crate::cli_command(), "carnet", &mut missing);
        assert!(missing.is_empty(), "no French for:\n{}", missing.join("\n"));
        // No English text twice (the lookup would take the first).
        let mut seen = std::collections::HashSet::new();
        for (en, _) in TEXTS {
            assert!(seen.insert(*en), "twice in TEXTS: {en}");
        }
    }

    #[test]
    fn the_french_tree_builds_and_reads_french() {
        let mut cmd = french(crate::cli_command());
        cmd.build();
        let help = cmd.render_help().to_string();
        assert!(help.contains("Utilisation : "), "{help}");
        assert!(
            help.contains("<COMMANDE>") && !help.contains("<COMMAND>"),
            "{help}"
        );
        assert!(help.contains("Commandes :"), "{help}");
        assert!(help.contains("Codes de sortie :"), "{help}");
        assert!(
            help.contains("Créer votre identité et un coffre chiffré"),
            "{help}"
        );
    }
}
