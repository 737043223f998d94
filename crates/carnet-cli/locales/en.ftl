# Carnet's messages in English. Every id here is also in fr.ftl (a test checks it).
# Arguments: $name, $id... are filled in by the command line. JSON output never uses
# these messages.

## Errors

error-label = error:
err-no-data-dir = no data directory on this system; pass --vault DIR
err-no-vault = no vault at { $vault }: run `carnet init --name NAME` first, or pass --vault DIR
err-vault-exists = a vault already exists at { $vault }; choose another --vault directory
err-wrong-passphrase = wrong passphrase: the vault key could not be unlocked (nothing was changed)
err-wrong-passphrase-at = wrong passphrase for the vault at { $vault }; nothing was changed
err-no-entry = no entry { $id } in this record; `carnet list` shows the ids
err-no-entry-prefix = no entry's id starts with { $prefix } in this record; `carnet list` shows the ids
err-ambiguous-id = { $prefix } is the start of several ids ({ $matches }): give more of it
err-not-attachment = entry { $id } is not an attachment (only `documents` entries have a file)
err-no-own-record = this vault belongs to a { $role }, who has no record of their own
err-own-record-hint = { $why }; name a record shared with you with --patient (`carnet patients` lists them)
err-no-key = no key for section { $section } of record { $record }: it was not shared with you
err-read-only = you may read section { $section } of record { $record } but not write it: the patient granted read access only, or your write access ended
err-no-key-patient = { $section } of { $patient }'s record: not shared with you (`carnet patients` shows what is)
err-read-only-patient = you may read { $section } of { $patient }'s record but not write it: { $patient } granted read access only, or your write access ended
err-attachment-damaged = the file of attachment { $id } is missing or damaged; restore the vault from a backup
err-stranger = this comes from { $name } ({ $id }), who is not among your contacts, grantees or patients and shares nothing with you: nothing was taken. If you know them, add them with `carnet contact add NAME CARD` first
err-blocked = { $name } is blocked: nothing is sent to them and nothing from them is accepted
err-nothing-shared = nothing is shared with { $name }: they hold no grant in force on your record, and you hold no key to theirs (`carnet grants` shows your grants)
err-already-imported = this bundle was already imported; nothing was changed (a replayed bundle is refused)
err-attachment-too-large = the file is { $size } bytes; attachments are limited to { $max } bytes
err-unusual = { $why }. Nothing was stored. If the value is right, run the command again with --confirm-unusual (it is stored marked as confirmed)
err-profile-not-profile = the profile section holds an entry that is not a profile
err-profile-needs-name = the first profile needs --name
err-emergency-needs-name = an emergency contact needs --emergency-name
err-attach-unreadable = cannot read the file to attach, { $file }
err-not-regular-file = { $file } is not a regular file
err-not-a-file = { $file } is not a file
err-attach-too-large = { $file } is { $size } bytes; attachments are limited to { $max } bytes
err-out-exists = { $out } already exists; choose another --out path
err-edit-nothing = nothing to change: give --set FIELD=VALUE or --unset FIELD
err-edit-not-editable = a { $kind } entry cannot be edited; remove it and add or import it again
err-edit-did-you-mean = { " " }(did you mean { $field }?)
err-edit-no-field = a { $kind } entry has no field "{ $field }"{ $near }; its fields are { $fields }. Nothing was changed
err-edit-not-set = field "{ $field }" is not set on this entry
err-edit-set-form = --set takes FIELD=VALUE, got "{ $item }"
err-edit-cannot-set = cannot set { $field } to "{ $value }": { $why }
err-edit-kind = the kind of an entry cannot be changed; remove it and add a new one
err-no-passphrase = no passphrase: set { $env }, pass a passphrase file, or run in a terminal
err-passphrase-file = cannot read passphrase file { $file }
err-passphrase-not-utf8 = the passphrase file is not UTF-8 text
err-passphrase-read = cannot read the passphrase
err-passphrase-empty = the passphrase is empty; choose a non-empty passphrase

## Sections, kinds and words
# Field names (field-*) stay as `show --json` and `edit --set` name them in English.

section-profile = profile
section-allergies = allergies
section-conditions = conditions
section-medications = medications
section-immunizations = immunizations
section-measurements = measurements
section-documents = documents
section-notes = notes

word-patient = patient
word-clinician = clinician
word-auditor = auditor
word-read = read
word-write = write
word-low = low
word-high = high
word-unable-to-assess = unable to assess
word-active = active
word-recurrence = recurrence
word-relapse = relapse
word-inactive = inactive
word-remission = remission
word-resolved = resolved
word-completed = completed
word-stopped = stopped
word-on-hold = on hold
word-intended = intended
word-report = report
word-prescription = prescription
word-imaging = imaging
word-letter = letter
word-other = other

kind-weight = Weight
kind-height = Height
kind-blood-pressure = Blood pressure
kind-heart-rate = Heart rate
kind-glucose = Glucose
kind-glucose-finger = blood glucose (finger stick)
kind-temperature = Temperature
kind-spo2 = SpO2
kind-systolic = Systolic
kind-diastolic = Diastolic

field-substance = substance
field-criticality = criticality
field-reaction = reaction
field-name = name
field-code = code
field-onset = onset
field-abatement = abatement
field-status = status
field-status_reason = status_reason
field-dosage = dosage
field-start = start
field-end = end
field-vaccine = vaccine
field-date = date
field-lot = lot
field-kind = kind
field-components = components
field-value = value
field-unit = unit
field-at = at
field-source = source
field-text = text
field-title = title
field-doc_type = doc_type
field-birth_date = birth_date
field-sex = sex
field-blood_group = blood_group
field-advance_directives = advance_directives

field-category = category
field-value_code = value_code
field-value_text = value_text
field-emergency_contact = emergency_contact
field-section = section
field-asserted = asserted
field-file_name = file_name
field-media_type = media_type
field-censored = censored
word-female = female
word-male = male
word-unknown = unknown
word-final = final
word-amended = amended
word-preliminary = preliminary
word-in-progress = in progress
word-not-done = not done
word-not-taken = not taken

## Entries

allergy-criticality = criticality { $value }
allergy-reaction = reaction: { $value }
condition-since = , since { $date }
immunization-summary = { $vaccine } on { $date }
measurement-summary = { $name } { $value } at { $at }
measurement-unusual-confirmed = { " " }(unusual, confirmed)
procedure-on = , on { $date }
status-reason = , reason: { $reason }
document-summary = { $title } ({ $kind }, { $size } bytes)
profile-born = , born { $date }
profile-blood-group = , blood group { $group }
none-known-allergies = No known allergies
none-known-conditions = No known problems
none-known-medications = No known medications
none-known-immunizations = No known immunizations
days-range = { $first } to { $last }
series-block = { $name }, { $n ->
        [one] { $n } reading
       *[other] { $n } readings
    }, { $days }, { $range }
series-censored = { $name }, { $n ->
        [one] { $n } reading
       *[other] { $n } readings
    } { $side ->
        [below] below
       *[above] above
    } the sensor's range ({ $limit }), { $days }
series-summary = { $name }: { $n ->
        [one] { $n } reading
       *[other] { $n } readings
    } in { $blocks ->
        [one] { $blocks } day
       *[other] { $blocks } days
    }, { $days }; latest { $latest } on { $at }
series-summary-hint = { $n ->
        [one] { $n } series is shown as one line
       *[other] { $n } series are shown as one line each
    }; `carnet list --days` lists their days.

## Listing and showing

list-empty = (no entries)
author-clinician = { $name }, clinician
by-author = by { $name }
by-prescriber = prescribed by { $name }, signature verified
by-edited = , edited by { $names }
label-id = id
label-author = author
label-created = created
label-edited = edited
label-colon = { $label }:
show-prescriber-verified = prescriber: { $name } (verified from the signature of the change that wrote it; every field is theirs)
show-prescriber-changed = prescriber: { $name } wrote it, but { $editors } changed it since: this is not the prescriber's own writing
show-edit = { $field } by { $who }{ $device }{ $when }
show-edit-device = , device { $device }
show-edit-when = { " " }on { $at }
show-file = file: { $size } bytes, { $media_type } (carnet get-attachment { $id } --out FILE)
history-device = { " " }(device { $device })
history-no-time = time not recorded
history-created = created
history-removed = removed
history-changed = changed { $fields }

## Commands

added = Added { $id } to { $section }.
updated = Updated { $id } in { $section }.
removed = Removed { $id } from { $section }.
profile-saved = Profile saved ({ $id }).
attached = Attached { $file } as { $id } ({ $size } bytes, encrypted).
attachment-written = Wrote { $title } ({ $size } bytes, { $media_type }) to { $out }.
unlocked = Unlocked for { $minutes } minute(s): commands open the vault without asking. `carnet lock` ends it now.
locked = Locked: the key is forgotten; the next command asks for the passphrase.
lock-none = No session was open.
man-written = Wrote { $n } manual page(s) to { $dir }.
passphrase-changed = The vault now opens with the new passphrase only. Your recovery phrase and backups are unchanged.
repair-failed = the vault does not verify; restore a backup (`carnet restore`)
repair-checked = Checked { $sections } section(s), { $changes } change(s) and { $logs } consent log(s): all verified.
repair-nothing = Nothing to repair.
repair-set-aside = { $n } change(s) clashed with another written at the same time and are set aside; their content was saved again by the device that wrote them ({ $reissued } by this device now).
repair-unrepairable = { $n } change(s) of this device could not be saved again: it may no longer write their section.
whoami-id = id:
whoami-device = device:
whoami-card = card:

## First run

init-created = Created the vault of { $name } ({ $role }) in { $vault }.
init-id = Your id: { $id }
init-card = Your card (give it to those you share with):
    { $card }
init-phrase-intro = Your recovery phrase. Write it down now and keep it somewhere safe: it is shown
    only this once, it is never stored, and it is the only way to open your backups
    (`carnet backup`) if this device is lost:
init-phrase-after = Check what you wrote with `carnet recovery verify`; split it among people you trust
    with `carnet recovery split`.

## Passphrase prompts

prompt-passphrase = Passphrase for the vault of { $name } ({ $vault }):{ " " }
prompt-passphrase-plain = Passphrase for the vault at { $vault }:{ " " }
prompt-new-passphrase = New passphrase for { $name }'s vault ({ $vault }):{ " " }
prompt-new-passphrase-plain = New passphrase:{ " " }
prompt-passphrase-again = Passphrase (again):{ " " }
prompt-keep-weak = Type it again to keep it anyway, or press Enter to choose another:{ " " }
passphrase-mismatch = The two passphrases differ; type them again.

## Sharing

contact-added = Added { $name } ({ $role }, { $id }).
contacts-empty = (no contacts)
granted = Granted { $contact } { $access } access to { $sections } (grant { $id }).
granted-keys-ready = Their keys are ready; they receive them with your next `share export` or sync.
revoked = Revoked grant { $id } of { $contact }: they get no new key and no new change.
revoked-no-recall = What they already received cannot be recalled.
blocked = Blocked { $contact }; { $n } grant(s) ended. Nothing reaches them any more.
grants-empty = (no grants)
grant-state-ended = ended
grant-state-revoked = revoked
grant-state-active = active
grant-state-expired = expired
grant-line = { $contact } { $access } on { $sections } for "{ $purpose }"
patients-empty = (no patient has shared a record with you yet)
patients-no-grant = no grant in force
audit-exported = Wrote the consent log ({ $n } entries, no health data) to { $out }.
bundle-written = Wrote { $out } for { $to }: { $changes } change(s), { $keys } key(s), { $consent } consent { $consent ->
        [one] entry
       *[other] entries
    }, { $attachments } attachment(s); { $bytes } bytes, readable only by them.
bundle-withheld = { $n } of your change(s) were left out: you may no longer write where you wrote them.
bundle-imported = Imported the bundle from { $from }: { $changes } new change(s) ({ $duplicates } already here), { $keys } new key(s), { $consent } consent { $consent ->
        [one] entry
       *[other] entries
    }, { $attachments } attachment(s).

bundle-inspect = Bundle from { $from } ({ $id }), made { $at }; signature { $ok ->
        [yes] verifies
       *[no] DOES NOT verify
    }.

## The access log

log-you = you
log-someone = someone unknown ({ $id })
log-unknown-device = an unknown device ({ $id })
log-refused-attempt = { $who } tried to sync and got nothing: { $why }.
log-refused-title = Refused sync attempts:
log-unknown-section = an unknown section
log-genesis = Your record was created.
log-until = , until { $date }
log-grant = You gave { $who } { $access } access to { $sections } for "{ $purpose }"{ $until } (grant { $id }).
log-grant-ended = The grant of { $who } ({ $id }) ended: its end date, { $date }, passed.
log-revoke-of = You revoked grant { $id } of { $who }.
log-revoke = You revoked grant { $id }.
log-block = You blocked { $who }.
log-rotation = The key of { $section } was changed (epoch { $epoch }): earlier recipients cannot read what comes next.
# A key sealed for a grantee, not yet a sign that they received it (a sync or bundle takes it to them).
log-key-delivery = The key to { $section } (epoch { $epoch }) was sealed for { $who }: only they can open it.
log-served = { $who } received { $n } change(s) of { $sections }.
log-received = { $who } added { $n } change(s) to { $sections }.
log-device-added = A device of yours joined ({ $id }).
log-device-removed = You removed a device ({ $id }): it gets nothing new.

## Passphrase strength

weak-warning = warning: this passphrase is weak: someone who copies your vault could guess it in { $time } (at ten thousand guesses a second).
weak-short = It has only { $n } characters.
weak-better = A better one: four or five unrelated words picked at random, or 12 or more characters mixing letters, digits and symbols, not built from your name.
duration-instant = less than a second
duration-seconds = { $n } { $n ->
        [one] second
       *[other] seconds
    }
duration-minutes = { $n } { $n ->
        [one] minute
       *[other] minutes
    }
duration-hours = { $n } { $n ->
        [one] hour
       *[other] hours
    }
duration-days = { $n } { $n ->
        [one] day
       *[other] days
    }
duration-years = { $n } { $n ->
        [one] year
       *[other] years
    }
duration-centuries = centuries

# zxcvbn's advice on a weak passphrase, one message per kind of its feedback.
zxcvbn-straight-rows = Straight rows of keys are easy to guess.
zxcvbn-short-keyboard-patterns = Short keyboard patterns are easy to guess.
zxcvbn-repeats-aaa = Repeats like "aaa" are easy to guess.
zxcvbn-repeats-abcabc = Repeats like "abcabcabc" are only slightly harder to guess than "abc".
zxcvbn-top10 = This is a top-10 common password.
zxcvbn-top100 = This is a top-100 common password.
zxcvbn-common = This is a very common password.
zxcvbn-similar-to-common = This is similar to a commonly used password.
zxcvbn-sequences = Sequences like abc or 6543 are easy to guess.
zxcvbn-recent-years = Recent years are easy to guess.
zxcvbn-word-by-itself = A word by itself is easy to guess.
zxcvbn-dates = Dates are often easy to guess.
zxcvbn-names-by-themselves = Names and surnames by themselves are easy to guess.
zxcvbn-common-names = Common names and surnames are easy to guess.
zxcvbn-use-a-few-words = Use a few words, avoid common phrases.
zxcvbn-no-need-for-symbols = No need for symbols, digits, or uppercase letters.
zxcvbn-add-a-word = Add another word or two. Uncommon words are better.
zxcvbn-capitalization = Capitalization doesn't help very much.
zxcvbn-all-uppercase = All-uppercase is almost as easy to guess as all-lowercase.
zxcvbn-reversed-words = Reversed words aren't much harder to guess.
zxcvbn-substitutions = Predictable substitutions like '@' instead of 'a' don't help very much.
zxcvbn-longer-keyboard-pattern = Use a longer keyboard pattern with more turns.
zxcvbn-avoid-repeats = Avoid repeated words and characters.
zxcvbn-avoid-sequences = Avoid sequences.
zxcvbn-avoid-recent-years = Avoid recent years.
zxcvbn-avoid-your-years = Avoid years that are associated with you.
zxcvbn-avoid-your-dates = Avoid dates and years that are associated with you.

## Backups, devices, recovery

prompt-recovery-phrase = Recovery phrase (24 words):{ " " }
err-recovery-phrase-read = cannot read the recovery phrase
err-no-recovery-phrase = no recovery phrase: set CARNET_RECOVERY_PHRASE, or run in a terminal to type it (or restore with recovery shares: --ask-shares, --share-file FILE)
backup-written = Backed up the vault to { $out } ({ $bytes } bytes: { $changes } change(s), { $attachments } attachment(s), { $consent } consent entries). Only your recovery phrase opens it.
err-restore-exists = a vault already exists at { $vault }; restore into a new --vault directory
err-backup-other-person = this backup is of { $name } ({ $id }), not of the person expected ({ $expected }); nothing was written. Check the id you gave, or the file
backup-whose = This backup is of { $name } ({ $id }), made { $at } on device { $device }.
restored = Restored the vault of { $name } ({ $id }) in { $vault }: { $entries } entries, from a backup made { $at }{ $signed ->
        [yes] , signed by them
       *[no] { " " }(unsigned: made before backups were signed)
    }.
restored-new-device = This is a new device ({ $device }). If the old one ({ $old }) is lost, remove it: `carnet device remove { $old }`.
device-added = added { $at }
device-removed-at = , removed { $at }
device-primary = { "  " }[primary: keeps the consent log]
device-this = { "  " }[this device]
device-removed = Removed device { $id }: every section moved to a new key it never holds; it gets nothing new and nothing it writes is accepted. What it already held cannot be recalled.
recovery-verified = This is the recovery phrase of this vault.
split-file = { $file }: for { $name } (only they can open it)
split-done = Give each file to its holder. Any { $threshold } of the { $total } shares rebuild your recovery key; fewer reveal nothing.

## Import, export, pictures

nothing = nothing
progress-checking = checking
progress-saving = saving
imported = Imported from { $file }: { $counts }.
import-about = The bundle is about { $who }.
import-already = Already in your record (not added again): { $counts }.
import-repeated = Given twice in the file (kept once): { $counts }.
import-another-value = At a time your record already has with another value (both kept, the new one in a series "… (another value at the same time)"): { $counts }.
import-not-imported = Not imported:
import-blocks = Readings are stored as { $blocks } day blocks in { $changes } change(s).
person-born = { $name }, born { $date }
person-no-birth-date = { $name }, birth date not recorded
import-other-person = this bundle is about { $who }, but this record is { $mine }: { $why }
import-same-person-question = Are they the same person? Type "same" to import, anything else to stop:{ " " }
import-same-word = same
import-other-person-refused = { $what }. Nothing was imported. Import another person's bundle into their own vault; if it is the same person, run the import again with --same-person
export-written = Wrote { $out } ({ $bytes } bytes): { $counts }.
export-left-out = not exported: { $n } { $what }
chart-written = Wrote { $out } ({ $title }, { $n } readings).
report-written = Wrote { $out } ({ $bytes } bytes).

## Network

synced = synced with { $peer }: sent { $sent } change(s), received { $received } ({ $bytes_out } bytes out, { $bytes_in } in)
serving = Serving { $name }'s vault. Give the ticket above to those who sync with you; Ctrl-C stops.
serve-refused = refused a peer ({ $peer }): { $why }
serve-failed = a sync with peer { $peer } failed: { $why }
err-sync-no-longer-shared = { $patient } no longer shares their record with you: your access was revoked or has ended, and the sync was refused ({ $why }). What you received before stays readable (`carnet list --patient "{ $patient }"`), but nothing new comes, and what you write stays with you.
err-sync-no-peer = name a contact or give a ticket to sync with
kdf-test-note = note: { $env }=1: this vault's passphrase hashing is cheap (cost { $cost }, default { $default }); for tests only.
err-kdf-below-default = --kdf-cost { $cost } is below the default ({ $default }): it would make your passphrase far cheaper to guess for anyone who copies the vault, so it is for tests only. Leave --kdf-cost out (or give { $default } to 20); test suites set { $env }=1
err-sync-no-address = no address known for { $name }: ask them for the ticket their `carnet serve` prints, and run `carnet sync TICKET` once
sync-the-peer = the peer
sync-reaching = reaching { $peer }: giving up in { $left } s if it does not answer
syncing = syncing: { $received } received, { $sent } sent
sync-peer-left = { $peer } left the session; connecting again in { $seconds } s (Ctrl-C stops).
sync-stopped = stopped: { $why }
relay-url-bad = "{ $url }" is not a relay server's URL ({ $why }); write it as http://host:port or https://host
sync-retry = { $why }. Connecting again in { $seconds } s (Ctrl-C stops).

## Confirming the recovery phrase

err-init-confirm-needs-terminal = the recovery phrase is confirmed at a terminal (you type back three of its words), and standard input is not one: run `carnet init` in a terminal, or pass --no-confirm-phrase (scripts) and check the phrase later with `carnet recovery verify`. Nothing was created
err-init-not-confirmed = the recovery phrase was not confirmed ({ $why }). The vault at { $vault } was created: check the phrase you wrote with `carnet recovery verify` before relying on it
phrase-confirm-intro = To be sure you wrote it down, type back { $n } of its words.
phrase-confirm-prompt = Word { $n } of your recovery phrase:{ " " }
phrase-confirm-wrong = That is not word { $n }: look at what you wrote and type it again.
phrase-confirm-eof = no answer
init-phrase-confirmed = Recovery phrase confirmed; it is no longer on the screen. Keep what you wrote somewhere safe.

## Outputs

standard-output = standard output
err-out-stdout-json = --out - writes the output to standard output, where --json would write too: leave out one of them
err-out-binary-terminal = this output is binary and standard output is a terminal: redirect it (> FILE or | ...) or give --out FILE

## Progress

progress-restore = restoring a backup of { $total }: { $bytes } written
progress-reading = reading
progress-writing-fhir = writing FHIR ({ $n } entries)
progress-charts = charts

## What a grant shows

grant-sees = { $contact } will see the { $n ->
        [0] entries
        [one] { $n } entry already
       *[other] { $n } entries already
    } in { $sections }{ $n ->
        [0] { " " }from now on (there are none yet)
       *[other] , and everything added there from now on
    }.
grant-write-note = With write access, { $contact } can also add entries there and change them; every change says who made it (`carnet history ID`).

## Linking devices

err-link-not-primary = link new devices from your primary device (the one that keeps your consent log; `carnet device list` shows it)
link-offer = On the new device, run `carnet --vault DIR device link` and type the code above when asked (or give it with --code-file FILE); it works once. Waiting up to 10 minutes; Ctrl-C stops.
link-stopped = stopped before a device linked
linked = Linked device { $device }: sent the vault ({ $rows } rows, { $bytes } bytes). Sync the two devices with `carnet serve` / `carnet sync`.
err-link-exists = a vault already exists at { $vault }; link into a new --vault directory
link-joined = This device ({ $device }) now holds the vault of { $name }: { $entries } entries. Your primary device keeps the consent log; sync with it to exchange changes.

## The demo (carnet demo)

demo-step-1 = Patty creates her vault: an ed25519 signing key, an age key, a self-signed identity card, and a random master key wrapped with her passphrase.
demo-step-2 = She imports the FHIR R4 export of her hospital record (a real US Core test bundle, Inferno reference server, Apache-2.0): every mapped resource becomes an entry; the rest is counted, never silently dropped.
demo-step-3 = She adds what the hospital does not know, one signed, encrypted change per entry.
demo-step-4 = She attaches a lab report: the file becomes an encrypted blob under its own key, referenced from the documents section.
demo-step-5 = She lists her record (read back from the vault, every change's signature checked).
demo-step-6 = A wrong passphrase is refused and changes nothing.
demo-step-7 = Dr Bernard, her GP, and an auditor each create their own vault.
demo-step-8 = Patty adds Dr Bernard from his card and grants him read access to her allergies, conditions and medications, and write access to notes.
demo-step-9 = Patty's device serves over iroh, relays off: a direct QUIC connection on loopback, the peer authenticated by its device key.
demo-step-10 = Dr Bernard syncs with Patty's device, and lists what he may read.
demo-step-11 = He writes a note and syncs: the note travels back, signed by him.
demo-step-mailbox-1 = The clinic runs a mailbox (`carnet mailbox serve`): an always-on node that holds sealed bundles for people who are offline, and cannot open them. Dr Bernard is allowed to deposit there.
demo-step-mailbox-2 = Patty's phone is offline. Dr Bernard writes a prescription and leaves it at her mailbox: sealed to her key, signed by him. It waits there.
demo-step-mailbox-3 = Later, Patty's phone comes online and collects what waits for her: the prescription is checked as any bundle and imported, then deleted at the mailbox.
demo-step-12 = Patty revokes both grants and adds a new allergy. What Dr Bernard already read cannot be recalled; he gets nothing new.
demo-step-13 = Patty's access log, in plain words.
demo-step-14 = An auditor verifies the exported consent log offline, against Patty's person id she gave them (the trust root: a log signed by anyone else is refused, whatever name its card bears): signatures, hash chain, Merkle tree, checkpoint, and that every key delivery and every served sync fell inside a grant. The export holds no health data.
demo-step-disk = Nothing readable rests on disk: searching every file of the vault for "{ $marker }" and for words of the imported record.
demo-done = Done: { $entries } entries in { $sections } sections, encrypted at rest; shared section by section over a direct, encrypted connection; revoked; verified by an auditor who saw no health data.

# Takeover, rekey, and a record restored from an older point (Authority v2)
restored-takeover = This new device ({ $device }) took your record over with your recovery phrase: only it speaks for you now. Your { $count } earlier device(s), the old one ({ $old }) among them, are cut off everywhere once the people you share with sync with this one; link your other devices again (`carnet device link`).
restored-forked = Your log had grown to { $size } entries after this backup; this restore leaves those later entries behind, and says so in your log.
device-holds-person-key = warning: device { $id } was linked by an older carnet and holds your identity key: with it, whoever has that device can still sign as you. To cut it off completely, run `carnet device rekey` (it asks for your recovery phrase).
device-rekeyed = This device took your record over again with your recovery phrase: it goes on as device { $device }, and your { $count } other device(s), any that held your identity key among them, are cut off everywhere once the people you share with sync with it. Link your other devices again (`carnet device link`).
patients-superseded = { $name }'s record was restored with their recovery phrase from an older point: the { $size } entries of their consent log you had seen (from entry { $from } on, another branch) were replaced by the restored one.
checkpoint-too-large = { $file } is { $size } bytes: a checkpoint is a short signed note; give the file `carnet audit witness --out FILE` wrote
checkpoint-not-text = { $file } is not text: give the file `carnet audit witness --out FILE` wrote
checkpoint-not-checkpoint = { $file } is not a checkpoint of a Carnet consent log: give the file `carnet audit witness --out FILE` wrote
log-root-declared = Your recovery phrase became the authority over your record: only it can take your record over after a loss.
log-takeover = Your record was restored on a new device ({ $id }) with your recovery phrase: only it speaks for you from now on, and your earlier devices are cut off.
log-takeover-forked = Your record was restored on a new device ({ $id }) with your recovery phrase: only it speaks for you from now on, and your earlier devices are cut off; { $size } entries of a later state, seen by someone you share with, were left behind.
date-unknown = date unknown
log-written = A bundle of { $n } change(s) of { $sections } was written for { $who }: it is theirs once they import it.
log-deposited = A bundle of { $n } change(s) of { $sections } was left for { $who } at mailbox { $mailbox }: it is theirs once they collect it.
activity-connected = Connected to { $peer }.
activity-received = Received from { $peer }: { $changes } change(s), { $keys } key(s), { $consent } consent entr(ies).
activity-delivered = { $peer } stored { $changes } change(s) of yours.
mailbox-serving = Mailbox running. Give the ticket above to those who deposit or collect here; it holds sealed bundles it cannot read. Ctrl-C stops.
mailbox-event-deposited = an item of { $bytes } bytes was deposited by { $from } for { $to }
mailbox-event-collected = { $to } collected an item
mailbox-event-refused = refused a caller ({ $peer }): { $why }
mailbox-event-failed = a session with { $peer } failed: { $why }
mailbox-event-expired = { $items } uncollected item(s) expired and were deleted
mailbox-allowed = { $name } may now deposit at this mailbox.
mailbox-deposited = Left at the mailbox for { $name }: { $changes } change(s), { $bytes } bytes, sealed to them. They receive it when they collect.
mailbox-collected = Imported from { $from }: { $changes } change(s).
mailbox-collect-refused = An item (deposited by { $depositor }) was refused and deleted at the mailbox; nothing in your vault changed: { $why }
mailbox-nothing = Nothing waits for you at this mailbox.
mailbox-allow-queued = { $name } may deposit at this mailbox as soon as the running mailbox takes it (within a second).
mailbox-event-acknowledged = a device of { $to } acknowledged an item; it waits for { $devices } other device(s) of theirs
mailbox-used = Your card now announces { $count } mailbox(es) where you collect. Those you exchange with learn it at your next sync or bundle; `carnet sync NAME` collects there.
mailbox-unused = Your card now announces { $count } mailbox(es).
err-mailbox-too-many = a card announces at most { $max } mailboxes: remove one first (`carnet mailbox use TICKET --remove`)
sync-deposited = { $peer } could not be reached live ({ $why }); left at their mailbox { $mailbox }: { $changes } change(s), { $bytes } bytes. They receive it when they collect.
sync-collected = Collected at mailbox { $mailbox }: from { $from }, { $changes } change(s).
sync-collect-refused = At mailbox { $mailbox }, an item (deposited by { $depositor }) was refused; nothing in your vault changed: { $why }
sync-mailbox-failed = Mailbox { $mailbox } could not be used: { $why }
err-sync-no-mailbox = { $peer } could not be reached live ({ $why }) and nothing could be left for them at a mailbox (their card announces none that took it{ $mailboxes }); { $collected } change(s) were collected at yours. Ask them for the ticket their `carnet serve` prints, or to announce a mailbox (`carnet mailbox use TICKET`)
err-mailbox-not-allowed = this mailbox does not take deposits from you: its owner must allow you first (`carnet mailbox allow YOUR-CARD --store DIR` on the mailbox; `carnet whoami` prints your card)
err-mailbox-quota = you are over your quota at this mailbox: { $items } item(s), { $bytes } bytes you deposited are not yet collected (the limit is { $max_items } items, { $max_bytes } bytes); deposit again once they are collected
err-mailbox-recipient-full = the recipient's box at this mailbox is full (the limit is { $max_items } items, { $max_bytes } bytes): they must collect first
err-mailbox-too-large = the bundle is { $size } bytes; this mailbox takes at most { $max } bytes per item (send it as a file with `carnet share export` instead)
err-mailbox-refused = the mailbox refused: { $why }
err-mailbox-unreachable = the mailbox could not be reached or the link failed ({ $why }); nothing was lost: try again
err-mailbox-ticket = not a mailbox ticket ({ $why }): copy the whole first line `carnet mailbox serve` prints (carnet-mailbox1:...)
err-mailbox-in-use = the mailbox directory { $store } is in use by a running `carnet mailbox serve`: stop it, then try again
err-mailbox-card = not an identity card ({ $why }): give the card `carnet whoami` prints (carnet-card1:...)
setting-relay = off, on (iroh's public relay servers, needs the internet) or the URL of a relay of your own (http://host:port), used when a peer cannot be reached directly
setting-port = the UDP port `carnet serve` listens on; the first serve remembers the one it got, so tickets and `sync NAME` keep working across restarts (auto: a free one next time)
agent-dir-not-private = { $dir } is not a private directory of yours (mode 0700): no session can be kept there safely
agent-did-not-start = the session agent did not start
agent-needs-unix = sessions need a Unix system
agent-cannot-create = cannot create the session directory { $dir }
agent-cannot-read = cannot read the session directory { $dir }
agent-lock-unconfirmed = the session did not confirm it ended
agent-no-program = cannot find the carnet program to start the session agent
agent-no-key = the session agent was given no key on its standard input
agent-cannot-listen = the session agent cannot listen on { $socket }

## Usage errors (clap's own words are kept in English; these say them in French)

usage-unknown-argument = unexpected argument '{ $arg }'
usage-unknown-command = unrecognised command '{ $arg }'
usage-invalid-value = invalid value '{ $value }' for '{ $arg }'
usage-invalid-value-among = invalid value '{ $value }' for '{ $arg }' (possible values: { $valid })
usage-missing-argument = the following required arguments were not given: { $arg }
usage-conflict = the argument '{ $arg }' cannot be used with '{ $other }'
usage-unexpected-value = unexpected value '{ $value }'
usage-missing-command = a command is needed: `carnet --help` lists them
usage-suggested = tip: did you mean '{ $suggestion }'?
usage-label = Usage:
usage-more-help = For more information, try '--help'.

## audit verify
warning-label = warning:
audit-ok-pinned = OK: the consent log of { $name } (person { $person }, the patient you named), record { $record }.
audit-ok-unpinned = OK, self-consistent only: a consent log whose card says "{ $name }" (person { $person }), record { $record }.
audit-holds = { $entries } entries, { $checkpoints } checkpoint(s); signatures, hash chain, Merkle tree and every delivery and access hold.
audit-newest = Newest checkpoint: { $size } entries, root { $root }.
audit-extends = It extends your older checkpoint ({ $size } entries).
audit-pinned-size = It holds at least the { $n } entries you pinned.
audit-witnessed = Witness { $name } ({ $id }) cosigned it at { $size } entries; the log agrees.
audit-keep-checkpoint = Keep this checkpoint (the export, or this output with --json) and pass it with --since-checkpoint next time, or --min-size { $size }: a log cut back to an earlier state then fails.
audit-warn-unwitnessed = no witness cosigned this log: a copy cut back to an earlier state, or one of two branches, would verify just as well. Ask the patient's grantees for their `carnet audit witness` file and pass it with --cosigned.
audit-warn-unpinned = no --patient given: this shows only that the log is self-consistent, not whose it is. Anyone can make a key and a card bearing { $bearing }. Pass --patient ID, the person id the patient's `carnet whoami` prints, learned from them directly.
audit-bearing-name = the name "{ $name }"
audit-bearing-any-name = any name
audit-unknown-failure = unknown failure
audit-what-export = the audit export
audit-what-older = the older checkpoint
audit-what-cosigned = the cosigned checkpoint
err-audit-does-not-verify = the consent log does not verify: { $why }
err-audit-cannot-read = cannot read { $what } { $file }
err-audit-not-regular = { $file } is not a regular file (a directory, device or pipe): { $what } must be a file
err-audit-too-large = { $file } is { $size } bytes, over the { $limit } MiB limit for { $what }; it was refused unread (an export that large is not one Carnet wrote: check you were given the right file)
err-audit-grew = { $file } grew past the { $limit } MiB limit for { $what } while it was read; it is refused
err-audit-export-no-checkpoint = the earlier export { $file } holds no checkpoint
err-audit-json-no-checkpoint = { $file } is JSON but neither an audit export nor the output of a successful `carnet --json audit verify`: it holds no checkpoint
err-audit-not-checkpoint = { $file } is not a checkpoint, an export or a verify output
err-audit-bad-patient = --patient { $value } is not a person id: give the patient's whole id, the 52 characters `carnet whoami` prints after "id:"
err-audit-not-cosigned = { $file } is not a cosigned checkpoint as `carnet audit witness` writes it

# Hints the command line adds to errors of the library (whose messages name no command),
# keyed on their stable codes.
hint-no-contact = `carnet contact list` shows them, `carnet contact add NAME CARD` adds one
hint-grants = `carnet grants` lists them
hint-no-patients = import their bundle with `carnet share import FILE`
hint-patients = `carnet patients` lists them, with their ids
hint-people = `carnet contact list` and `carnet patients` show them
hint-devices = `carnet device list` shows them
hint-primary-device = `carnet device list` shows which device is the primary one
hint-full-export = ask the sender for a full export (`carnet share export --to YOU --full`)
hint-out-exists = choose another --out path
hint-card = `carnet whoami` prints a card whole
hint-phrase = the 24 words `carnet init` showed
hint-settings = `carnet config show` shows the settings and their values
hint-list-ids = `carnet list` shows the ids
hint-peer-serving = is `carnet serve` running there?
hint-ticket = copy the whole line `carnet serve` prints
hint-port-in-use = choose another port with --bind or `carnet config set port N`
hint-patient-ref = give one with --patient-ref (for example --patient-ref Patient/ID)
hint-confirm-unusual = to import such values, run the command again with --confirm-unusual

## Files the command line reads and writes itself
err-cannot-read = cannot read { $file }
err-cannot-write = cannot write { $file }
err-cannot-create = cannot create { $file }
err-file-refused = { $file } is refused
err-not-a-directory = { $dir } is not a directory

## Recovery shares and link codes: what is read, from where
err-secret-read = cannot read the { $what ->
        [shares] recovery shares
       *[code] link code
    } from { $stdin ->
        [yes] standard input
       *[no] { $file }
    }
err-secret-too-large = { $stdin ->
        [yes] standard input
       *[no] { $file }
    } is far too large to hold { $what ->
        [shares] recovery shares; give the file that holds only them
       *[code] a link code; give the file that holds only it
    }
err-secret-not-text = { $stdin ->
        [yes] standard input
       *[no] { $file }
    } is not text; it should hold { $what ->
        [shares] recovery shares
       *[code] a link code
    }
err-shares-other = { $stdin ->
        [yes] standard input
       *[no] { $file }
    } holds something other than recovery shares (each starts with { $prefix })
err-shares-none = { $stdin ->
        [yes] standard input
       *[no] { $file }
    } holds no recovery share (each starts with { $prefix })
share-number-of = share { $n } of { $stdin ->
        [yes] standard input
       *[no] { $file }
    }
share-arg-number = --share number { $n }
err-share-file-stdin-twice = --share-file - is given twice; standard input can be read once
note-share-visible = note: shares given with --share can be seen by other users of this machine while carnet runs, and stay in your shell history; prefer --ask-shares or --share-file FILE (- for standard input).
err-ask-shares-terminal = --ask-shares needs a terminal to ask on; give the shares with --share-file FILE, or --share-file - to read them from standard input
prompt-share-n = Recovery share { $n } of { $total } (carnet-share1:..., not shown; Enter alone to stop):{ " " }
prompt-share = Recovery share (carnet-share1:..., not shown; Enter alone to stop):{ " " }
err-share-read = cannot read the recovery share
share-type-again = { $why }; type it again.
err-no-share-given = no recovery share was given; restore with the recovery phrase (leave out --ask-shares), or give the shares
backup-unsigned = notice: this backup is unsigned: it was made by a version of carnet before backups were signed. It is restored and checked (the keys in it must be this person's, and every change and the consent log must verify), but nothing proves who wrote the file as a whole. Once restored, make a new backup (`carnet backup --out FILE`): it will be signed.
err-share-file-exists = { $file } already exists; choose another --out directory
share-released = The recovery share you hold for { $name } ({ $threshold } are needed to recover). Give it to them in person:

## Device link on the new device
note-code-visible = note: a code given on the command line can be seen by other users of this machine while carnet runs, and stays in your shell history; next time run `carnet device link` without it to type it, or use --code-file FILE.
err-link-no-code = no vault at { $vault } to link from, and no link code to join with: on the new device, give the code your other device printed with --code-file FILE (or --code-file - to read it from standard input), or run in a terminal to type it; on the existing device, pass its --vault DIR
link-new-device = No vault at { $vault }: this will be a new device. Type the code `carnet device link` printed on your other device.
prompt-link-code = Link code (carnet-link1:..., not shown):{ " " }
err-link-code-read = cannot read the link code
err-link-code-empty = no link code was typed; nothing was created

## audit witness
err-witness-none = you have not received a consent checkpoint of { $patient } yet: sync with them or import their bundle first
witness-written = Wrote the checkpoint of { $patient }'s consent log you cosigned to { $out }; give it to their auditor (`carnet audit verify --cosigned FILE`).

## carnet hardening
harden-failed = warning: could not turn core dumps off ({ $why }); if carnet crashes, its memory (secrets included) could be written to disk
hardening-core-limit = core file size limit: { $soft } (hard { $hard })
hardening-unlimited = unlimited
hardening-dumpable = dumpable: { $state ->
        [yes] yes
        [no] no
       *[unknown] not known on this system
    }

## Imports, charts, edit
err-not-imported = { $file } was not imported
err-unknown-tz = time zone "{ $name }" is not known: use an IANA name such as Europe/Paris
err-unknown-chart = chart kind "{ $kind }" is not known: use glucose, blood-pressure, weight, heart-rate, temperature, spo2, height or a LOINC code
err-edit-no-value-fits = no value fits
err-edit-invalid = the edited entry is not valid
err-edit-no-subfields = field "{ $field }" has no sub-fields
err-network-runtime = cannot start the network runtime

# Why a peer refused a sync (carnet_sync::PeerRefusal), and who refused.
err-peer-refused = the peer refused: { $why }
err-we-refused = this vault does not sync with the peer: { $why }
err-link-vault-exists = a vault already exists at { $vault }; link into a new directory (`--vault`)
refusal-not-linked = this device is not registered with that vault, or was removed: link it first (`carnet device link`)
refusal-not-primary = this device does not exchange with others: it was removed by its owner, or it is not its owner's primary device
refusal-blocked = blocked: nothing is sent and nothing is accepted
refusal-unknown = not known to that vault: nothing is shared
refusal-nothing-shared = nothing is shared (no grant in force)
refusal-nothing-shared-since = nothing is shared (no grant in force) since { $date }
refusal-batch = a batch was refused, nothing of it was kept: { $detail }
refusal-busy = the device is receiving too much at once ({ $mib } MiB); try again later
refusal-wrong-link-code = the link code is wrong (or was already used)
refusal-link-version = the other device runs another version of Carnet: install the same one on both
err-sync-access-ended = { $patient } no longer shares their record with you: your access ended on { $date }. What you received before stays readable (`carnet list --patient "{ $patient }"`), but nothing new comes, and what you write stays with you.

# What the command line's own value parsers refuse.
usage-not-an-entry-id = "{ $text }" is not an entry id: an id is 10 letters and digits as `carnet list` shows them, or its first 4 or more
usage-not-a-duration = "{ $text }" is not a duration: write 900, 90s, 15m or 2h
usage-duration-unit = "{ $text }": the unit is s, m or h
usage-session-length = a session lasts from 1 second to 24 hours

# The demo's detail lines.
demo-detail-id = id:   { $id }
demo-detail-card = card: { $card }...
demo-detail-imported = { $entries } entries in { $envelopes } envelope(s); { $skipped } resources not kept ({ $kinds })
demo-detail-import-again = importing it again adds { $entries } entries
demo-detail-added = + { $id } in { $section }
demo-detail-attached = + { $id } in { $section } ({ $bytes } bytes)
demo-detail-same-bytes = the attachment decrypts back to the same bytes
demo-detail-no-plaintext = { $files } files, { $bytes } bytes: no plaintext ({ $names })
demo-detail-refused = refused: { $why }
demo-detail-doctor-card = Dr Bernard's card: { $card }...
demo-detail-grants = grants { $read } (read) and { $write } (write); each section's keys are sealed to his age key
demo-detail-ticket = ticket: { $ticket }...
demo-detail-received = received { $changes } change(s), { $keys } key(s), { $consent } consent entries; { $bytes_in } bytes in, { $bytes_out } out
demo-detail-private = her profile, immunizations, measurements and documents stay private
demo-detail-seen = { $entries } entries in all, from { $sections } sections
demo-detail-sent = sent { $changes } change(s)
demo-detail-patty-sees = Patty sees: "{ $note }" by { $author } (signature verified)
demo-nothing-new = nothing new
demo-detail-next-sync = his next sync: { $outcome }
demo-detail-audit-ok = OK: { $entries } entries, { $checkpoints } checkpoint(s)
demo-detail-mailbox-ticket = mailbox ticket: { $ticket }...
demo-detail-deposited = item { $item } at the mailbox: { $bytes } bytes, { $changes } change(s), sealed to Patty, signed by Dr Bernard
demo-detail-mailbox-knows = the mailbox holds who wrote to whom, the size and the time; its file holds no word of the prescription
demo-detail-collected = from { $from }: { $changes } change(s), checked as any bundle (signature, grant in force) and imported; { $left } item(s) left at the mailbox

# Chart titles and the report's chart captions.
chart-title-glucose = Glucose
chart-title-blood-pressure = Blood pressure
chart-title-weight = Weight
chart-title-heart-rate = Heart rate
chart-title-temperature = Body temperature
chart-title-spo2 = Oxygen saturation
chart-title-height = Height
report-chart-caption = { $title }: every reading in the record ({ $n }).
progress-backup-rows = backing up

## A transport's failures (live sync, link, mailbox), by kind
err-sync-bind = cannot start the network endpoint: { $why }
bind-in-use = address in use at { $addr }; another process may be serving on it
bind-not-here = address not on this machine: { $addr }
bind-not-allowed = not allowed to listen at { $addr }
err-sync-connect = cannot reach the peer: { $why }; is it serving, on this network?
connect-no-answer = no answer within { $secs } s
connect-no-address = no address is known for it
err-sync-connection = the connection was lost: { $why }{ $at }
lost-peer-ended = the peer ended the session
lost-peer-closed = the peer closed the connection (it stopped, or stopped serving)
lost-peer-closed-why = the peer closed the connection (its words: { $reason })
lost-silent = the link went silent: nothing came back from the peer for { $secs } s (it is gone, or out of reach)
lost-reset = the peer dropped the connection (it restarted, or lost its state)
lost-closed-here = this side closed the connection
lost-stream-ended = the peer ended its stream early
lost-endpoint-closed = the endpoint closed
lost-unconfirmed = the peer ended the session before confirming it stored { $batches } { $batches ->
        [one] batch
       *[other] batches
    } of ours; they will be sent again next time
at-received = , after { $bytes } bytes received
at-mid-message = , in the middle of a message (after { $got } of { $of } bytes)
at-mid-message-open = , in the middle of a message (after { $got } bytes)
at-sent = , after { $bytes } bytes were sent
err-sync-ticket = not a Carnet ticket: { $why }
ticket-too-long = it is far too long
ticket-wrong-start = it does not start with { $prefix }
ticket-bad-character = it holds a character no ticket holds (at position { $position })
ticket-undecodable = its content is not a ticket's (cut short, or from another version)
ticket-no-address = it holds no usable address
ticket-bad-key = the device key it names is not valid
err-sync-protocol = the peer broke the sync protocol: { $why }
violation-version = it speaks { $protocol } protocol { $theirs }, this build speaks { $ours }: install the same version on both
violation-card = its card does not check
violation-cert = its device certificate does not check
err-wrong-peer = the peer is not who you asked for: the device at that address belongs to { $name } ({ $id })
err-link-not-stored = the new device closed the link before saying it stored the vault; it was not registered
err-link-not-registered = the other device did not confirm it registered this one ({ $why }); nothing was kept here: link it again

## Why an envelope is not genuine (a tampered or damaged change)
err-bad-envelope = change { $id } (section { $section }) is not genuine: { $why }; nothing of it was kept
envelope-undecodable = it does not decode ({ $detail })
envelope-signature = its signature does not check ({ $detail })
envelope-id-mismatch = its bytes do not match its id
envelope-missing = it is listed in its chain but missing from the vault
envelope-unopenable = it does not open with the section's key ({ $detail })
envelope-changes = its changes do not decode ({ $detail })
envelope-others-changes = it carries changes made by another author
envelope-unknown-section = it names a section that does not exist
envelope-unknown-writer = its changes build on a writer who wrote nothing in this section

## The library's other errors, kind by kind (data in them kept as it is)
err-not-allowed = envelope { $id } was written by { $author }, who may not write section { $section } of this record; nothing was imported
err-in-item = item { $n } ({ $kind }): { $why }
err-output-exists = { $path } already exists; nothing was overwritten
err-not-carnet-file = { $path } is not a Carnet { $what } (a { $what } starts with "{ $magic }")
err-io = { $action } { $path }: { $detail }
err-io-nopath = { $action }: { $detail }
err-encode = cannot encode { $what }: { $detail }
err-vanished = { $what } vanished during the operation; nothing was changed
sharing-no-contact = no contact named "{ $name }"
sharing-bad-contact-name = a contact name must be 1 to { $max } printable characters
sharing-own-card = that is your own card
sharing-name-taken = a contact named "{ $name }" already exists
sharing-already-contact = this card is already in your contacts as "{ $name }"
sharing-not-your-record = this record has no consent log kept here: it is not your own record
sharing-no-sections = name at least one section to share
sharing-bad-purpose = give a purpose (1 to { $max } characters): it is shown in your access log
sharing-end-in-past = the end date of the grant is already past
sharing-grant-to-blocked = { $name } is blocked; nothing can be granted to them
sharing-already-blocked = this contact is already blocked
sharing-no-grant = no grant { $id }
sharing-already-revoked = grant { $id } is already revoked
sharing-no-patients = no patient has shared a record with you yet; import a bundle of theirs first
sharing-no-patient = no patient "{ $query }" among those who shared a record with you
sharing-ambiguous-patient = "{ $query }" names several patients; use their id
sharing-no-person = no contact or patient named "{ $query }"
sharing-ambiguous-person = "{ $query }" names several people; use their id
exchange-truncated = { $what } ends too early: it was truncated
exchange-no-header = { $what } does not start with its header: it is damaged or not from Carnet
exchange-second-header = { $what } holds a second header: it was spliced
exchange-trailing-data = { $what } holds data after its signature: it was altered
exchange-unsupported-version = { $what } has format version { $version }, which this version of Carnet does not read; update Carnet
exchange-frame-too-large = a frame of { $size } bytes is over the { $max }-byte limit
exchange-undecodable = { $what } does not decode ({ $detail }): it is damaged or not from Carnet
exchange-unreadable = { $what } is damaged: { $why }
exchange-count-mismatch = { $what } says it holds { $said } items but { $read } were read: it was altered
exchange-malformed-signature = the signature of { $what } is malformed
exchange-bad-signature = the signature of { $what } does not verify: it was altered, or not made by the card it names
exchange-bad-backup-signature = the backup's signature does not verify: it was altered, or not made by { $name } ({ $person }) as it claims; nothing was written
exchange-altered = { $what } was altered: its { $part } does not match
exchange-backup-damaged = the backup is damaged: { $why }
exchange-restored-invalid = the restored vault does not verify, so it was not kept: { $why }
exchange-too-many = too many { $what } in one exchange
exchange-unknown-section = a key grant names an unknown section ({ $code })
exchange-unannounced-attachment = an attachment part that no envelope announced
exchange-attachment-too-large = an attachment of { $size } bytes is over the { $max }-byte limit
exchange-resume-mismatch = an attachment resumed from a point this vault does not hold
exchange-out-of-order = attachment parts out of order or overlapping
exchange-attachment-altered = an attachment does not match its id: it was altered
exchange-attachments-incomplete = { $count } attachment(s) announced by envelopes did not arrive whole
exchange-missing-checkpoint = consent entries came without a checkpoint
exchange-checkpoint-gap = the patient's consent checkpoint cannot be checked against the one you hold ({ $held } entries): import their earlier bundles first, or ask them for a full export ({ $why })
exchange-chain-gap = { $why }; import the sender's earlier bundles first, or ask them for a full export
exchange-bundle-gap = this bundle continues an earlier one from { $from } that this vault has not imported; import the earlier bundle first, or ask them for a full export
exchange-unexpected-row = a device state row of a kind that never travels this way
exchange-malformed-row = a consent row is damaged
exchange-own-logs-differ = the consent logs of your devices differ at entry { $index }; keep the primary device's log
exchange-own-log-out-of-order = entry { $index } of your consent log came before entry { $held }
exchange-link-closed = the link closed before the transfer ended
exchange-transport = the connection failed: { $detail }
refused-from-yourself = this came from yourself; import it on the other side instead
refused-device-not-registered = this device of yours is not registered, or was removed: nothing from it is accepted
refused-only-from-patient = { $what } come only from the record's patient, and this did not
refused-own-state-not-from-primary = vault state comes only from your own device that keeps the consent log
refused-not-senders-record = envelope { $envelope } belongs to a record its sender does not own; changes to a record come only from its patient
refused-cosignature-not-from-grantee = a cosignature comes only from a grantee, about its patient's log
refused-removal-not-from-owner = a device removal comes only from the device's owner, about the record of the one it is sent to
refused-not-for-you = this bundle is not addressed to you: it is sealed to another person's key
refused-addressed-to-other = this bundle is addressed to { $to }, not to you
recovery-no-recovery-key = this vault has no recovery key; it was made before recovery existed
recovery-phrase-does-not-open = this recovery phrase does not open this backup (a wrong phrase, or someone else's backup); nothing was written
recovery-not-this-vaults-phrase = this recovery phrase is not the one of this vault: a word is wrong, or it belongs to another vault
recovery-not-declared-phrase = this recovery phrase is not the one your record declared: the record cannot be taken over with it
recovery-holder-twice = { $name } is named twice; each holder gets one share
recovery-too-many-holders = at most { $max } holders
recovery-bad-threshold = the threshold must be at least 2 and at most the number of holders ({ $total })
recovery-foreign-checkpoint = the checkpoint given is not one of your record's log: { $why }
recovery-not-a-patient = only a patient's record has a consent log to take over
device-no-device = no device "{ $query }"
device-ambiguous = "{ $query }" names several devices; give more of its id
device-this-device = that is this device; remove it from another one
device-already-removed = that device is already removed
device-not-primary = consent actions and exchanges with others (grants, revokes, contacts, bundles, syncs with other people) happen on your primary device ({ $primary }); do this there, or sync this device with it
device-no-identity-key = this device does not hold your identity key, only its own: consent actions, exchanges with others and backups happen on your primary device; do this there
setting-unknown = no setting "{ $name }"; settings: { $known }
setting-invalid = { $name } is { $values }, not "{ $value }"
setting-values-relay = on, off or a relay server's URL (http://host:port)
setting-values-port = auto or a number from 1 to 65535
setting-values-switch = on or off
damage-undecodable = this vault's { $what } cannot be read ({ $detail }): it is damaged; restore the vault from a backup
damage-invalid = this vault's { $what } is damaged; restore the vault from a backup
damage-missing = this vault's { $what } is missing; restore the vault from a backup
damage-attachment-missing = an attachment of envelope { $envelope } is missing from this vault
damage-consent-cut-short = the consent log holds fewer entries than this device wrote ({ $wrote }): it was cut short; restore a backup
crypto-damaged-wrapped-key = the wrapped vault key is damaged ({ $detail }); restore the vault from a backup
crypto-encrypt = encryption failed: { $detail }
crypto-output = writing the sealed output failed: { $detail }
crypto-decrypt = { $what } failed to decrypt: it was altered, damaged, or sealed with another key
crypto-bad-signature = { $what } has a signature that does not verify: it was altered or forged
crypto-malformed = { $what } is malformed: { $detail }
crypto-too-large = { $what } is too large: { $size } bytes, at most { $max } allowed
crypto-bad-card = not a Carnet identity card: { $detail }; ask its owner to copy their card again, whole
crypto-unsupported-version = { $what } has format version { $found }, this build reads version { $supported }; update Carnet
crypto-not-for-you = this file is not addressed to you: it is sealed to another person's key
crypto-bad-phrase = not a recovery phrase: { $detail }; type the 24 words shown when the vault was created, in order
crypto-bad-share = the recovery shares cannot be used: { $detail }
crypto-random = the system random number generator failed: { $detail }
consent-malformed = { $what } is malformed: { $detail }
consent-bad-entry = entry { $index }: { $why }
consent-bad-checkpoint = checkpoint of size { $size }: { $why }
consent-not-the-patient = this is the consent log of person { $found } (whose card says "{ $name }"), not of { $expected }, the patient you named: anyone can make a card bearing any name, so refuse it and ask that patient for an export of their own log
consent-cut-back = the log holds { $size } entries, fewer than the { $seen } of { $what }: it was cut back to an earlier state (or this is an older export); ask the patient for a current export
store-not-a-vault = { $path } is not a usable vault: { $why }
store-no-unlock-key = { $path }: no unlock key was ever exported from this vault; open it with its passphrase and export the key first
store-corrupted = the vault file { $path } is damaged ({ $detail }); nothing was changed. Restore it from a backup
store-damaged = stored { $what } is damaged: { $why }
store-chain-broken = envelope { $id } does not continue its author's chain: { $why }
store-database = vault database error: { $detail }
record-invalid = { $what } "{ $input }" is not valid: { $expected }
record-empty = { $field } must not be empty
record-too-long = { $field } is { $len } bytes long; at most { $max } are accepted
record-unit-mismatch = unit "{ $unit }" does not fit { $kind }: use one of { $accepted }
record-implausible = { $what } { $value } is not plausible: { $why }
record-wrong-section = a { $kind } entry belongs in section { $expected }, not { $found }
record-kind-change = entry { $id } is a { $existing }; it cannot become a { $new } (remove it and add a new one)
record-not-found = no entry { $id } in this section
record-profile-exists = the record already has a profile ({ $id }); update it instead of adding another
record-period-reversed = { $end_field } ({ $end }) is before { $start_field } ({ $start })
record-malformed = the record data is malformed: { $detail }
record-unapplicable = the record data is malformed: { $n } change(s) cannot be applied
record-undecodable = entry { $id } does not decode: { $why }
record-unusual = { $what } { $value } is unusual: { $why }
expected-one-of = use one of { $values }
expected-kind-or-loinc = use one of { $values }, or a LOINC code such as 2093-3
expected-entry-id = an entry id is 10 letters and digits
expected-ucum-unit = give a UCUM unit without spaces, e.g. mg/dL
expected-code = write SYSTEM:CODE or SYSTEM|CODE, e.g. snomed:44054006 or http://loinc.org|29463-7 (systems: loinc, snomed, atc, cvx, rxnorm, icd10, ucum, or a URI)
expected-date = use YYYY, YYYY-MM or YYYY-MM-DD (a real calendar date)
expected-datetime = use RFC 3339 (2024-03-01T08:30:00+01:00), or YYYY-MM-DD HH:MM[:SS] or YYYY-MM-DD in local time
expected-none-known = use allergies, conditions, medications or immunizations
why-not-a-number = it is not a number (write 72.5 or 72,5)
why-not-finite = it is not a finite number
why-not-finite-at = at { $at } it is not a finite number
why-range = expected a value above { $low } and at most { $high }
why-bp-form = write it as SYSTOLIC/DIASTOLIC, e.g. 120/80
why-bp-order = the diastolic value must be below the systolic one
why-after-today = it is after today ({ $today }); give the date it happened (YYYY, YYYY-MM or YYYY-MM-DD)
why-future = it is in the future (now is { $now }); give when it was measured
why-usual-bp = it is usually between { $low } and { $high } mm[Hg]
fhir-too-large = the file is { $size } bytes; Carnet imports at most { $max } bytes at once: split it (for example one bundle per year)
fhir-resource-too-large = entry { $entry } of the bundle is over { $max } bytes: Carnet reads one resource of at most that size (is the file damaged?); remove or split that resource
fhir-held-too-large = the bundle holds more than { $max } bytes of resources other than device readings (documents, clinical entries), more than Carnet holds while reading one bundle: split it (for example the documents apart)
fhir-not-json = the file is not JSON: { $detail }; a FHIR import takes an R4 Bundle in JSON
fhir-not-fhir = the file is JSON but not a FHIR resource ({ $detail }); a FHIR import takes an R4 Bundle
fhir-one-resource = the file holds one { $rtype } resource, not a Bundle; a FHIR import takes an R4 Bundle (collection, document, transaction, batch or searchset)
fhir-not-a-resource-type = resourceType "{ $rtype }" is not an R4 resource type; a FHIR import takes an R4 Bundle (collection, document, transaction, batch or searchset)
fhir-bundle-type = Bundle.type "{ $rtype }" is not imported: use a collection, document, transaction, batch or searchset bundle
fhir-invalid = the bundle is not valid FHIR R4 ({ $n } { $n ->
    [one] problem
   *[other] problems
  }); nothing was imported:{ $problems }
fhir-problem-entry-resource = entry { $entry } ({ $resource }):
fhir-problem-entry = entry { $entry }:
fhir-more-problems = ... and { $n } more
fhir-unsupported = { $detail }; nothing was imported
fhir-too-many-readings = the file holds more than { $max } readings; split it (for example by year)
fhir-bundle-too-many-readings = the bundle holds more than { $max } readings; split it (for example by year)
fhir-several-patients = the bundle is about { $n } patients; a Carnet record is one person's, so nothing was imported. It holds:{ $people }
    Choose one of them (for example { $example })
fhir-no-such-patient = the bundle holds no patient "{ $wanted }"; nothing was imported. It holds:{ $people }
    Choose one of these
fhir-row = { $file_kind }, line { $line }, column "{ $column }": { $message }; nothing was imported
fhir-spool = a document of the bundle could not be kept aside while reading it { $detail }; nothing was imported. Check that the directory has room for the bundle's documents and can be written
fhir-export = cannot export: { $detail }
fhir-empty = it is empty
fhir-not-object = its top level is not an object
fhir-no-resource-type = it has no resourceType
mailbox-store = the mailbox store failed: { $detail }
mailbox-damaged = the mailbox store is damaged: { $what } does not decode
mailbox-no-item = the mailbox holds no item { $id }
mailbox-timeout = the peer stopped answering ({ $what })
mailbox-bad-certificate = your device certificate does not check: { $why }
mailbox-cert-not-presented = it was not presented first
mailbox-cert-card = the card does not check
mailbox-cert-certificate = the certificate does not check against this connection
mailbox-cert-of-another = it names someone other than the card
mailbox-store-full = the mailbox is full ({ $bytes } bytes held, limit { $max }); try later
mailbox-version = it speaks mailbox protocol { $theirs }, you speak { $ours }; upgrade the older one
mailbox-unavailable = the mailbox could not store the item; nothing was accepted, deposit again later
mailbox-device-not-listed = this device is not among the devices your primary device declared at this mailbox (removed, or linked since): collect once on your primary device, then here
internal-fault = internal fault: { $detail }
sync-timeout = the peer stopped answering ({ $what }); nothing it sent after its last complete batch was kept
sync-stalled = the link stalled: no progress for { $secs } s { $what } (after { $bytes } bytes received); the peer may have stopped or the link dropped. Nothing it sent after its last complete batch was kept; sync again to go on
sync-inside-runtime = live sync runs on a runtime of its own: start it from a plain thread, not from async code
sync-live-stopped = live sync was stopped; start it again
refusal-full = the device is serving as many sessions as it takes ({ $sessions }); try again later

## Things the library's errors name (its English words; French with their article where a sentence needs one)
thing-the-bundle = the bundle
thing-the-backup = the backup
thing-the-data = the data
thing-a-frame = a frame
thing-the-sealed-data = the sealed data
thing-a-chunk-of-it = a chunk of it
thing-bundle = bundle
thing-backup = backup
thing-an-envelope-of-this-exchange = an envelope of this exchange
thing-envelope = envelope
thing-key-grant = key grant
thing-endpoint-key = endpoint key
thing-consent-entry = consent entry
thing-device-removal = device removal
thing-device-certificate = device certificate
thing-sealed-file = sealed file
thing-recovery-share = recovery share
thing-consent-log = consent log
thing-identity-card = identity card
thing-patient-card = patient card
thing-witness-card = witness card
thing-a-card = a card
thing-attachment = attachment
thing-signing-key = signing key
thing-stored-secret-keys = stored secret keys
thing-person-id = person id
thing-grant-id = grant id
thing-entry-id = entry id
thing-section = section
thing-measurement-kind = measurement kind
thing-unit = unit
thing-code = code
thing-code-system = code system
thing-date = date
thing-date-and-time = date and time
thing-section-for-none-known = section for none-known
thing-criticality = Criticality
thing-conditionstatus = ConditionStatus
thing-medicationstatus = MedicationStatus
thing-procedurestatus = ProcedureStatus
thing-immunizationstatus = ImmunizationStatus
thing-doctype = DocType
thing-sex = Sex
thing-bloodgroup = BloodGroup
thing-text = text
thing-title = title
thing-name = name
thing-value = value
thing-kind = kind
thing-source = source
thing-start = start
thing-end = end
thing-onset = onset
thing-abatement = abatement
thing-status-reason = status reason
thing-component-code = component code
thing-component-unit = component unit
thing-component-value = component value
thing-blob-id = blob id
thing-blob-key = blob key
thing-media-type = media type
thing-file-name = file name
thing-advance-directives = advance directives
thing-emergency-contact-name = emergency contact name
thing-emergency-contact-phone = emergency contact phone
thing-emergency-contact-relationship = emergency contact relationship
thing-measurement-time = measurement time
thing-vaccination-date = vaccination date
thing-procedure-date = procedure date
thing-medication-start = medication start
thing-reading = reading
thing-systolic-pressure = systolic pressure
thing-diastolic-pressure = diastolic pressure
thing-blood-pressure = blood pressure
thing-weight = weight
thing-height = height
thing-heart-rate = heart rate
thing-glucose = glucose
thing-temperature = temperature
thing-spo2 = spo2
thing-header = header
thing-cannot-write = cannot write
thing-cannot-read = cannot read
thing-cannot-create = cannot create
thing-cannot-create-directory = cannot create directory
thing-cannot-replace = cannot replace
thing-cannot-sync = cannot sync
thing-cannot-read-the-attachment = cannot read the attachment
thing-cannot-read-the-bundle = cannot read the bundle
thing-cannot-write-the-attachment = cannot write the attachment
thing-cannot-write-the-backup = cannot write the backup
thing-cards = cards
thing-grants = grants
thing-contacts = contacts
thing-device-list = device list
thing-the-device-list = the device list
thing-block-list = block list
thing-entry-list = entry list
thing-checkpoints = checkpoints
thing-cosignatures = cosignatures
thing-addresses = addresses
thing-attempts = attempts
thing-proofs = proofs
thing-consent-checkpoints = consent checkpoints
thing-your-older-checkpoint = your older checkpoint
thing-the-size-you-pinned = the size you pinned
thing-a-checkpoint-a-witness-cosigned = a checkpoint a witness cosigned
wait-a-hello = a hello
wait-opening-its-stream = opening its stream
wait-waiting-for-the-new-device = waiting for the new device
wait-waiting-for-the-caller-s-stream = waiting for the caller's stream
wait-while-the-other-device-took-what-we-send = while the other device took what we send
wait-waiting-for-the-other-device-s-next-message = waiting for the other device's next message
wait-in-the-middle-of-a-message-from-the-other-device = in the middle of a message from the other device
thing-card = card
thing-item = item
wait-reading = reading
fhir-layout = { $file_kind }: { $message }
fhir-no-brace = it does not start with '{ "{" }' (first bytes: { $bytes })
fhir-unreadable = it could not be read: { $detail }
fhir-problem-resource = { $resource }:
patient-unnamed = a patient without a name
patient-born = , born { $date }
patient-no-birth-date = , birth date not given
patient-identifiers = ; identifiers { $ids }
diff-names = the names differ (record: { $mine }; bundle: { $theirs })
diff-birth-dates = the birth dates differ (record: { $mine }; bundle: { $theirs })
diff-identifiers = the identifiers of { $system } differ (record: { $mine }; bundle: { $theirs })
err-cause = { $text }: { $cause }
err-hint = { $text }; { $hint }

## Usual values of measurements (what a value outside probably means)
usual-a-body-weight-in-kg-is-between-0-3-and-400-was-it-g-or-lb = a body weight in kg is between 0.3 and 400 (was it g or lb?)
usual-a-body-weight-in-g-is-between-300-and-400-000-was-it-kg = a body weight in g is between 300 and 400,000 (was it kg?)
usual-a-body-weight-in-lb-is-between-0-7-and-900-was-it-kg = a body weight in lb is between 0.7 and 900 (was it kg?)
usual-a-body-height-in-cm-is-between-20-and-260-was-it-m-or-in = a body height in cm is between 20 and 260 (was it m or in?)
usual-a-body-height-in-m-is-between-0-2-and-2-6-was-it-cm = a body height in m is between 0.2 and 2.6 (was it cm?)
usual-a-body-height-in-inches-is-between-8-and-102-was-it-cm = a body height in inches is between 8 and 102 (was it cm?)
usual-a-heart-rate-is-between-20-and-300-beats-per-minute = a heart rate is between 20 and 300 beats per minute
usual-glucose-in-mg-dl-is-between-20-and-1500-was-it-mmol-l = glucose in mg/dL is between 20 and 1500: was it mmol/L?
usual-glucose-in-mmol-l-is-between-1-and-85-was-it-mg-dl = glucose in mmol/L is between 1 and 85: was it mg/dL?
usual-a-body-temperature-in-c-is-between-25-and-45-was-it-f = a body temperature in °C is between 25 and 45: was it °F?
usual-a-body-temperature-in-f-is-between-77-and-113-was-it-c = a body temperature in °F is between 77 and 113: was it °C?
usual-oxygen-saturation-is-between-50-and-100 = oxygen saturation is between 50 and 100 %
