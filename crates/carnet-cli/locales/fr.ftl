# Les messages de Carnet en français. Chaque identifiant est aussi dans en.ftl (un test le
# vérifie). La sortie JSON n'utilise jamais ces messages.

## Erreurs

error-label = erreur :
err-no-data-dir = pas de dossier de données sur ce système ; indiquez --vault DOSSIER
err-no-vault = aucun coffre dans { $vault } : lancez d'abord `carnet init --name NOM`, ou indiquez --vault DOSSIER
err-vault-exists = un coffre existe déjà dans { $vault } ; choisissez un autre dossier --vault
err-wrong-passphrase = phrase de passe incorrecte : la clé du coffre n'a pas pu être ouverte (rien n'a été modifié)
err-wrong-passphrase-at = phrase de passe incorrecte pour le coffre { $vault } ; rien n'a été modifié
err-no-entry = aucune entrée { $id } dans ce dossier médical ; `carnet list` montre les identifiants
err-no-entry-prefix = aucun identifiant d'entrée ne commence par { $prefix } dans ce dossier médical ; `carnet list` montre les identifiants
err-ambiguous-id = { $prefix } est le début de plusieurs identifiants ({ $matches }) : donnez-en davantage
err-not-attachment = l'entrée { $id } n'est pas une pièce jointe (seules les entrées de `documents` ont un fichier)
err-no-own-record = ce coffre appartient à un { $role }, qui n'a pas de dossier médical à lui
err-own-record-hint = { $why } ; désignez un dossier partagé avec vous avec --patient (`carnet patients` les liste)
err-no-key = aucune clé pour la rubrique { $section } du dossier { $record } : elle ne vous a pas été partagée
err-read-only = vous pouvez lire la rubrique { $section } du dossier { $record } mais pas y écrire : le patient n'a donné qu'un accès en lecture, ou votre accès en écriture a pris fin
err-no-key-patient = { $section } du dossier de { $patient } : non partagé avec vous (`carnet patients` montre ce qui l'est)
err-read-only-patient = vous pouvez lire { $section } du dossier de { $patient } mais pas y écrire : { $patient } n'a donné qu'un accès en lecture, ou votre accès en écriture a pris fin
err-attachment-damaged = le fichier de la pièce jointe { $id } est absent ou abîmé ; restaurez le coffre depuis une sauvegarde
err-stranger = ceci vient de { $name } ({ $id }), qui n'est ni un de vos contacts, ni un bénéficiaire, ni un patient, et ne partage rien avec vous : rien n'a été pris. Si vous le connaissez, ajoutez-le d'abord avec `carnet contact add NOM CARTE`
err-blocked = { $name } est bloqué : rien ne lui est envoyé et rien de sa part n'est accepté
err-nothing-shared = rien n'est partagé avec { $name } : il n'a aucune autorisation en vigueur sur votre dossier, et vous n'avez aucune clé du sien (`carnet grants` montre vos autorisations)
err-already-imported = ce paquet a déjà été importé ; rien n'a été modifié (un paquet rejoué est refusé)
err-attachment-too-large = le fichier fait { $size } octets ; les pièces jointes sont limitées à { $max } octets
err-unusual = { $why }. Rien n'a été enregistré. Si la valeur est juste, relancez la commande avec --confirm-unusual (elle sera enregistrée comme confirmée)
err-profile-not-profile = la rubrique profil contient une entrée qui n'est pas un profil
err-profile-needs-name = le premier profil demande --name
err-emergency-needs-name = un contact d'urgence demande --emergency-name
err-attach-unreadable = impossible de lire le fichier à joindre, { $file }
err-not-regular-file = { $file } n'est pas un fichier ordinaire
err-not-a-file = { $file } n'est pas un fichier
err-attach-too-large = { $file } fait { $size } octets ; les pièces jointes sont limitées à { $max } octets
err-out-exists = { $out } existe déjà ; choisissez un autre chemin --out
err-edit-nothing = rien à modifier : donnez --set CHAMP=VALEUR ou --unset CHAMP
err-edit-not-editable = une entrée { $kind } ne peut pas être modifiée ; supprimez-la puis ajoutez-la ou importez-la à nouveau
err-edit-did-you-mean = { " " }(vouliez-vous dire { $field } ?)
err-edit-no-field = une entrée { $kind } n'a pas de champ « { $field } »{ $near } ; ses champs sont { $fields }. Rien n'a été modifié
err-edit-not-set = le champ « { $field } » n'est pas renseigné sur cette entrée
err-edit-set-form = --set attend CHAMP=VALEUR, reçu « { $item } »
err-edit-cannot-set = impossible de mettre { $field } à « { $value } » : { $why }
err-edit-kind = le type d'une entrée ne peut pas changer ; supprimez-la et ajoutez-en une nouvelle
err-no-passphrase = pas de phrase de passe : définissez { $env }, donnez un fichier de phrase de passe, ou lancez dans un terminal
err-passphrase-file = impossible de lire le fichier de phrase de passe { $file }
err-passphrase-not-utf8 = le fichier de phrase de passe n'est pas du texte UTF-8
err-passphrase-read = impossible de lire la phrase de passe
err-passphrase-empty = la phrase de passe est vide ; choisissez une phrase de passe non vide

## Rubriques, types et mots

section-profile = profil
section-allergies = allergies
section-conditions = problèmes de santé
section-medications = traitements
section-immunizations = vaccinations
section-measurements = mesures
section-documents = documents
section-notes = notes

word-patient = patient
word-clinician = soignant
word-auditor = auditeur
word-read = lecture
word-write = écriture
word-low = faible
word-high = élevée
word-unable-to-assess = impossible à évaluer
word-active = actif
word-recurrence = récidive
word-relapse = rechute
word-inactive = inactif
word-remission = rémission
word-resolved = résolu
word-completed = terminé
word-stopped = arrêté
word-on-hold = suspendu
word-intended = prévu
word-report = compte rendu
word-prescription = ordonnance
word-imaging = imagerie
word-letter = courrier
word-other = autre

kind-weight = Poids
kind-height = Taille
kind-blood-pressure = Tension artérielle
kind-heart-rate = Fréquence cardiaque
kind-glucose = Glycémie
kind-glucose-finger = glycémie capillaire
kind-temperature = Température
kind-spo2 = SpO2
kind-systolic = Systolique
kind-diastolic = Diastolique

field-substance = substance
field-criticality = gravité
field-reaction = réaction
field-name = nom
field-code = code
field-onset = début
field-abatement = fin
field-status = statut
field-status_reason = raison du statut
field-dosage = posologie
field-start = début
field-end = fin
field-vaccine = vaccin
field-date = date
field-lot = lot
field-kind = type
field-components = composantes
field-value = valeur
field-unit = unité
field-at = date
field-source = source
field-text = texte
field-title = titre
field-doc_type = type de document
field-birth_date = date de naissance
field-sex = sexe
field-blood_group = groupe sanguin
field-advance_directives = directives anticipées

field-category = catégorie
field-value_code = valeur codée
field-value_text = valeur en texte
field-emergency_contact = contact d'urgence
field-section = rubrique
field-asserted = déclaré le
field-file_name = nom du fichier
field-media_type = type de fichier
field-censored = hors de la plage du capteur
word-female = femme
word-male = homme
word-unknown = inconnu
word-final = définitif
word-amended = corrigé
word-preliminary = préliminaire
word-in-progress = en cours
word-not-done = non fait
word-not-taken = non pris

## Entrées

allergy-criticality = gravité { $value }
allergy-reaction = réaction : { $value }
condition-since = , depuis { $date }
immunization-summary = { $vaccine } le { $date }
measurement-summary = { $name } { $value } le { $at }
measurement-unusual-confirmed = { " " }(inhabituelle, confirmée)
procedure-on = , le { $date }
status-reason = , raison : { $reason }
document-summary = { $title } ({ $kind }, { $size } octets)
profile-born = , né(e) le { $date }
profile-blood-group = , groupe sanguin { $group }
none-known-allergies = Aucune allergie connue
none-known-conditions = Aucun problème de santé connu
none-known-medications = Aucun traitement connu
none-known-immunizations = Aucune vaccination connue
days-range = du { $first } au { $last }
series-block = { $name }, { $n ->
        [one] { $n } mesure
       *[other] { $n } mesures
    }, { $days }, { $range }
series-censored = { $name }, { $n ->
        [one] { $n } mesure
       *[other] { $n } mesures
    } { $side ->
        [below] sous
       *[above] au-dessus de
    } la plage du capteur ({ $limit }), { $days }
series-summary = { $name } : { $n ->
        [one] { $n } mesure
       *[other] { $n } mesures
    } sur { $blocks ->
        [one] { $blocks } jour
       *[other] { $blocks } jours
    }, { $days } ; dernière { $latest } le { $at }
series-summary-hint = { $n ->
        [one] { $n } série est montrée sur une ligne
       *[other] { $n } séries sont montrées sur une ligne chacune
    } ; `carnet list --days` liste leurs jours.

## Liste et détail

list-empty = (aucune entrée)
author-clinician = { $name }, soignant
by-author = par { $name }
by-prescriber = prescrit par { $name }, signature vérifiée
by-edited = , modifié par { $names }
label-id = id
label-author = auteur
label-created = créé
label-edited = modifié
# A label before its value: French puts a space before the colon.
label-colon = { $label } :
show-prescriber-verified = prescripteur : { $name } (vérifié par la signature de la modification qui l'a écrit ; chaque champ est de sa main)
show-prescriber-changed = prescripteur : { $name } l'a écrit, mais { $editors } l'a modifié depuis : ce n'est plus l'écrit du prescripteur
show-edit = { $field } par { $who }{ $device }{ $when }
show-edit-device = , appareil { $device }
show-edit-when = { " " }le { $at }
show-file = fichier : { $size } octets, { $media_type } (carnet get-attachment { $id } --out FICHIER)
history-device = { " " }(appareil { $device })
history-no-time = heure non enregistrée
history-created = créé
history-removed = supprimé
history-changed = a modifié { $fields }

## Commandes

added = { $id } ajouté à { $section }.
updated = { $id } mis à jour dans { $section }.
removed = { $id } supprimé de { $section }.
profile-saved = Profil enregistré ({ $id }).
attached = { $file } joint sous { $id } ({ $size } octets, chiffré).
attachment-written = { $title } ({ $size } octets, { $media_type }) écrit dans { $out }.
unlocked = Déverrouillé pour { $minutes } minute(s) : les commandes ouvrent le coffre sans rien demander. `carnet lock` y met fin tout de suite.
locked = Verrouillé : la clé est oubliée ; la prochaine commande demandera la phrase de passe.
lock-none = Aucune session n'était ouverte.
man-written = { $n } page(s) de manuel écrite(s) dans { $dir }.
passphrase-changed = Le coffre ne s'ouvre plus qu'avec la nouvelle phrase de passe. Votre phrase de récupération et vos sauvegardes ne changent pas.
repair-failed = le coffre ne se vérifie pas ; restaurez une sauvegarde (`carnet restore`)
repair-checked = { $sections } rubrique(s), { $changes } modification(s) et { $logs } journal(aux) de consentement contrôlés : tout est vérifié.
repair-nothing = Rien à réparer.
repair-set-aside = { $n } modification(s) entraient en conflit avec une autre écrite au même moment et sont mises de côté ; leur contenu a été réenregistré par l'appareil qui les avait écrites ({ $reissued } par cet appareil maintenant).
repair-unrepairable = { $n } modification(s) de cet appareil n'ont pas pu être réenregistrées : il ne peut peut-être plus écrire dans leur rubrique.
whoami-id = id :
whoami-device = appareil :
whoami-card = carte :

## Première utilisation

init-created = Coffre de { $name } ({ $role }) créé dans { $vault }.
init-id = Votre identifiant : { $id }
init-card = Votre carte (à donner à ceux avec qui vous partagez) :
    { $card }
init-phrase-intro = Votre phrase de récupération. Notez-la maintenant et gardez-la en lieu sûr : elle n'est
    montrée qu'une fois, elle n'est jamais enregistrée, et c'est le seul moyen d'ouvrir vos
    sauvegardes (`carnet backup`) si cet appareil est perdu :
init-phrase-after = Vérifiez ce que vous avez noté avec `carnet recovery verify` ; partagez-la entre des
    personnes de confiance avec `carnet recovery split`.

## Demandes de phrase de passe

prompt-passphrase = Phrase de passe du coffre de { $name } ({ $vault }) :{ " " }
prompt-passphrase-plain = Phrase de passe du coffre { $vault } :{ " " }
prompt-new-passphrase = Nouvelle phrase de passe du coffre de { $name } ({ $vault }) :{ " " }
prompt-new-passphrase-plain = Nouvelle phrase de passe :{ " " }
prompt-passphrase-again = Phrase de passe (encore une fois) :{ " " }
prompt-keep-weak = Retapez-la pour la garder quand même, ou appuyez sur Entrée pour en choisir une autre :{ " " }
passphrase-mismatch = Les deux phrases de passe diffèrent ; tapez-les à nouveau.

## Partage

contact-added = { $name } ajouté ({ $role }, { $id }).
contacts-empty = (aucun contact)
granted = Accès en { $access } à { $sections } donné à { $contact } (autorisation { $id }).
granted-keys-ready = Ses clés sont prêtes ; il les recevra avec votre prochain `share export` ou votre prochaine synchronisation.
revoked = Autorisation { $id } de { $contact } retirée : plus aucune nouvelle clé ni modification ne lui parviendra.
revoked-no-recall = Ce qu'il a déjà reçu ne peut pas être repris.
blocked = { $contact } bloqué ; { $n } autorisation(s) terminée(s). Plus rien ne lui parvient.
grants-empty = (aucune autorisation)
grant-state-ended = terminée
grant-state-revoked = retirée
grant-state-active = active
grant-state-expired = expirée
grant-line = { $contact } en { $access } sur { $sections } pour « { $purpose } »
patients-empty = (aucun patient ne vous a encore partagé son dossier)
patients-no-grant = aucune autorisation en vigueur
audit-exported = Journal de consentement ({ $n } entrées, aucune donnée de santé) écrit dans { $out }.
bundle-written = { $out } écrit pour { $to } : { $changes } modification(s), { $keys } clé(s), { $consent } { $consent ->
        [one] entrée
       *[other] entrées
    } de consentement, { $attachments } pièce(s) jointe(s) ; { $bytes } octets, lisibles par lui seul.
bundle-withheld = { $n } de vos modifications ont été laissées de côté : vous ne pouvez peut-être plus écrire là où vous les avez écrites.
bundle-imported = Paquet de { $from } importé : { $changes } nouvelle(s) modification(s) ({ $duplicates } déjà présente(s)), { $keys } nouvelle(s) clé(s), { $consent } { $consent ->
        [one] entrée
       *[other] entrées
    } de consentement, { $attachments } pièce(s) jointe(s).

bundle-inspect = Paquet de { $from } ({ $id }), fait le { $at } ; la signature { $ok ->
        [yes] est vérifiée
       *[no] NE se vérifie PAS
    }.

## Le journal des accès

log-you = vous
log-someone = une personne inconnue ({ $id })
log-unknown-device = un appareil inconnu ({ $id })
log-refused-attempt = { $who } a tenté une synchronisation et n'a rien obtenu : { $why }.
log-refused-title = Tentatives de synchronisation refusées :
log-unknown-section = une rubrique inconnue
log-genesis = Votre dossier a été créé.
log-until = , jusqu'au { $date }
log-grant = Vous avez donné à { $who } un accès en { $access } à { $sections } pour « { $purpose } »{ $until } (autorisation { $id }).
log-grant-ended = L'autorisation de { $who } ({ $id }) a pris fin : sa date de fin, le { $date }, est passée.
log-revoke-of = Vous avez retiré l'autorisation { $id } de { $who }.
log-revoke = Vous avez retiré l'autorisation { $id }.
log-block = Vous avez bloqué { $who }.
log-rotation = La clé de { $section } a été changée (époque { $epoch }) : les destinataires précédents ne pourront pas lire la suite.
log-key-delivery = La clé de { $section } (époque { $epoch }) a été chiffrée pour { $who } : seule cette personne peut l'ouvrir.
log-served = { $who } a reçu { $n } modification(s) de { $sections }.
log-received = { $who } a ajouté { $n } modification(s) à { $sections }.
log-device-added = Un de vos appareils a rejoint le coffre ({ $id }).
log-device-removed = Vous avez retiré un appareil ({ $id }) : il ne reçoit plus rien.

## Force de la phrase de passe

weak-warning = attention : cette phrase de passe est faible : quelqu'un qui copie votre coffre pourrait la deviner en { $time } (à dix mille essais par seconde).
weak-short = Elle n'a que { $n } caractères.
weak-better = Mieux : quatre ou cinq mots sans rapport tirés au hasard, ou 12 caractères ou plus mêlant lettres, chiffres et symboles, sans rapport avec votre nom.
duration-instant = moins d'une seconde
duration-seconds = { $n } { $n ->
        [one] seconde
       *[other] secondes
    }
duration-minutes = { $n } { $n ->
        [one] minute
       *[other] minutes
    }
duration-hours = { $n } { $n ->
        [one] heure
       *[other] heures
    }
duration-days = { $n } { $n ->
        [one] jour
       *[other] jours
    }
duration-years = { $n } { $n ->
        [one] an
       *[other] ans
    }
duration-centuries = des siècles

# zxcvbn's advice on a weak passphrase, one message per kind of its feedback.
zxcvbn-straight-rows = Les rangées de touches à la suite sont faciles à deviner.
zxcvbn-short-keyboard-patterns = Les motifs courts sur le clavier sont faciles à deviner.
zxcvbn-repeats-aaa = Les répétitions comme « aaa » sont faciles à deviner.
zxcvbn-repeats-abcabc = Les répétitions comme « abcabcabc » sont à peine plus difficiles à deviner que « abc ».
zxcvbn-top10 = C'est l'un des 10 mots de passe les plus courants.
zxcvbn-top100 = C'est l'un des 100 mots de passe les plus courants.
zxcvbn-common = C'est un mot de passe très courant.
zxcvbn-similar-to-common = Elle ressemble à un mot de passe très utilisé.
zxcvbn-sequences = Les suites comme abc ou 6543 sont faciles à deviner.
zxcvbn-recent-years = Les années récentes sont faciles à deviner.
zxcvbn-word-by-itself = Un mot seul est facile à deviner.
zxcvbn-dates = Les dates sont souvent faciles à deviner.
zxcvbn-names-by-themselves = Les noms et prénoms seuls sont faciles à deviner.
zxcvbn-common-names = Les noms et prénoms courants sont faciles à deviner.
zxcvbn-use-a-few-words = Prenez quelques mots, évitez les expressions toutes faites.
zxcvbn-no-need-for-symbols = Pas besoin de symboles, de chiffres ni de majuscules.
zxcvbn-add-a-word = Ajoutez un ou deux mots ; des mots peu courants valent mieux.
zxcvbn-capitalization = Les majuscules n'aident pas beaucoup.
zxcvbn-all-uppercase = Tout en majuscules est presque aussi facile à deviner que tout en minuscules.
zxcvbn-reversed-words = Les mots écrits à l'envers ne sont guère plus difficiles à deviner.
zxcvbn-substitutions = Les substitutions prévisibles, comme « @ » au lieu de « a », n'aident pas beaucoup.
zxcvbn-longer-keyboard-pattern = Prenez un motif de clavier plus long, avec plus de changements de direction.
zxcvbn-avoid-repeats = Évitez de répéter des mots ou des caractères.
zxcvbn-avoid-sequences = Évitez les suites.
zxcvbn-avoid-recent-years = Évitez les années récentes.
zxcvbn-avoid-your-years = Évitez les années qui vous sont liées.
zxcvbn-avoid-your-dates = Évitez les dates et les années qui vous sont liées.

## Sauvegardes, appareils, récupération

prompt-recovery-phrase = Phrase de récupération (24 mots) :{ " " }
err-recovery-phrase-read = impossible de lire la phrase de récupération
err-no-recovery-phrase = pas de phrase de récupération : définissez CARNET_RECOVERY_PHRASE, ou lancez dans un terminal pour la taper (ou restaurez avec des parts de récupération : --ask-shares, --share-file FICHIER)
backup-written = Coffre sauvegardé dans { $out } ({ $bytes } octets : { $changes } modification(s), { $attachments } pièce(s) jointe(s), { $consent } entrées de consentement). Seule votre phrase de récupération l'ouvre.
err-restore-exists = un coffre existe déjà dans { $vault } ; restaurez dans un nouveau dossier --vault
err-backup-other-person = cette sauvegarde est celle de { $name } ({ $id }), pas de la personne attendue ({ $expected }) ; rien n'a été écrit. Vérifiez l'identifiant donné, ou le fichier
backup-whose = Cette sauvegarde est celle de { $name } ({ $id }), faite le { $at } sur l'appareil { $device }.
restored = Coffre de { $name } ({ $id }) restauré dans { $vault } : { $entries } entrées, depuis une sauvegarde faite le { $at }{ $signed ->
        [yes] , signée par lui
       *[no] { " " }(non signée : faite avant que les sauvegardes soient signées)
    }.
restored-new-device = Ceci est un nouvel appareil ({ $device }). Si l'ancien ({ $old }) est perdu, retirez-le : `carnet device remove { $old }`.
device-added = ajouté le { $at }
device-removed-at = , retiré le { $at }
device-primary = { "  " }[principal : tient le journal de consentement]
device-this = { "  " }[cet appareil]
device-removed = Appareil { $id } retiré : chaque rubrique est passée à une nouvelle clé qu'il n'aura jamais ; il ne reçoit plus rien et rien de ce qu'il écrit n'est accepté. Ce qu'il détenait déjà ne peut pas être repris.
recovery-verified = C'est bien la phrase de récupération de ce coffre.
split-file = { $file } : pour { $name } (lui seul peut l'ouvrir)
split-done = Donnez chaque fichier à son détenteur. { $threshold } des { $total } parts, n'importe lesquelles, reconstituent votre clé de récupération ; moins ne révèlent rien.

## Import, export, images

nothing = rien
progress-checking = vérification
progress-saving = enregistrement
imported = Importé depuis { $file } : { $counts }.
import-about = Le paquet concerne { $who }.
import-already = Déjà dans votre dossier (pas ajouté à nouveau) : { $counts }.
import-repeated = Donné deux fois dans le fichier (gardé une fois) : { $counts }.
import-another-value = À un moment où votre dossier a déjà une autre valeur (les deux gardées, la nouvelle dans une série « … (another value at the same time) ») : { $counts }.
import-not-imported = Non importé :
import-blocks = Les mesures sont enregistrées en { $blocks } blocs journaliers dans { $changes } modification(s).
person-born = { $name }, né(e) le { $date }
person-no-birth-date = { $name }, date de naissance non enregistrée
import-other-person = ce paquet concerne { $who }, mais ce dossier est celui de { $mine } : { $why }
import-same-person-question = Est-ce la même personne ? Tapez « même » pour importer, autre chose pour arrêter :{ " " }
import-same-word = même
import-other-person-refused = { $what }. Rien n'a été importé. Importez le paquet d'une autre personne dans son propre coffre ; si c'est la même personne, relancez l'import avec --same-person
export-written = { $out } écrit ({ $bytes } octets) : { $counts }.
export-left-out = non exporté : { $n } { $what }
chart-written = { $out } écrit ({ $title }, { $n } mesures).
report-written = { $out } écrit ({ $bytes } octets).

## Réseau

synced = synchronisé avec { $peer } : { $sent } modification(s) envoyée(s), { $received } reçue(s) ({ $bytes_out } octets sortants, { $bytes_in } entrants)
serving = Coffre de { $name } en service. Donnez le ticket ci-dessus à ceux qui se synchronisent avec vous ; Ctrl-C arrête.
serve-refused = pair refusé ({ $peer }) : { $why }
serve-failed = une synchronisation avec le pair { $peer } a échoué : { $why }
err-sync-no-longer-shared = { $patient } ne vous partage plus son dossier : votre accès a été retiré ou a pris fin, et la synchronisation a été refusée ({ $why }). Ce que vous avez reçu avant reste lisible (`carnet list --patient "{ $patient }"`), mais plus rien de nouveau n'arrive, et ce que vous écrivez reste chez vous.
err-sync-no-peer = nommez un contact ou donnez un ticket avec lequel se synchroniser
kdf-test-note = note : { $env }=1 : le hachage de la phrase de passe de ce coffre est peu coûteux (coût { $cost }, par défaut { $default }) ; pour les tests seulement.
err-kdf-below-default = --kdf-cost { $cost } est en dessous de la valeur par défaut ({ $default }) : votre phrase de passe serait bien plus facile à deviner pour quiconque copie le coffre, c'est donc réservé aux tests. Omettez --kdf-cost (ou donnez de { $default } à 20) ; les suites de tests posent { $env }=1
err-sync-no-address = aucune adresse connue pour { $name } : demandez-lui le ticket qu'affiche son `carnet serve`, et lancez une fois `carnet sync TICKET`
sync-the-peer = le pair
sync-reaching = connexion avec { $peer } : abandon dans { $left } s s'il ne répond pas
syncing = synchronisation : { $received } reçus, { $sent } envoyés
sync-peer-left = { $peer } a quitté la session ; nouvelle connexion dans { $seconds } s (Ctrl-C arrête).
sync-stopped = arrêté : { $why }
relay-url-bad = « { $url } » n'est pas l'URL d'un serveur relais ({ $why }) ; écrivez-la http://hôte:port ou https://hôte
sync-retry = { $why }. Nouvelle connexion dans { $seconds } s (Ctrl-C arrête).

## Confirmation de la phrase de récupération

err-init-confirm-needs-terminal = la phrase de récupération se confirme dans un terminal (vous retapez trois de ses mots), et l'entrée standard n'en est pas un : lancez `carnet init` dans un terminal, ou passez --no-confirm-phrase (scripts) et vérifiez la phrase plus tard avec `carnet recovery verify`. Rien n'a été créé
err-init-not-confirmed = la phrase de récupération n'a pas été confirmée ({ $why }). Le coffre { $vault } a été créé : vérifiez la phrase notée avec `carnet recovery verify` avant de compter dessus
phrase-confirm-intro = Pour être sûr que vous l'avez notée, retapez { $n } de ses mots.
phrase-confirm-prompt = Mot { $n } de votre phrase de récupération :{ " " }
phrase-confirm-wrong = Ce n'est pas le mot { $n } : regardez ce que vous avez noté et retapez-le.
phrase-confirm-eof = pas de réponse
init-phrase-confirmed = Phrase de récupération confirmée ; elle n'est plus à l'écran. Gardez ce que vous avez noté en lieu sûr.

## Sorties

standard-output = la sortie standard
err-out-stdout-json = --out - écrit le résultat sur la sortie standard, où --json écrirait aussi : retirez l'un des deux
err-out-binary-terminal = ce résultat est binaire et la sortie standard est un terminal : redirigez-la (> FICHIER ou | ...) ou donnez --out FICHIER

## Progression

progress-restore = restauration d'une sauvegarde de { $total } : { $bytes } écrits
progress-reading = lecture
progress-writing-fhir = écriture FHIR ({ $n } entrées)
progress-charts = graphiques

## Ce qu'une autorisation montre

grant-sees = { $contact } verra { $n ->
        [0] les entrées
        [one] l'entrée déjà présente
       *[other] les { $n } entrées déjà présentes
    } dans { $sections }{ $n ->
        [0] { " " }à partir de maintenant (il n'y en a pas encore)
       *[other] , et tout ce qui y sera ajouté ensuite
    }.
grant-write-note = Avec l'accès en écriture, { $contact } peut aussi y ajouter des entrées et les modifier ; chaque modification dit qui l'a faite (`carnet history ID`).

## Lier des appareils

err-link-not-primary = liez les nouveaux appareils depuis votre appareil principal (celui qui tient votre journal de consentement ; `carnet device list` l'indique)
link-offer = Sur le nouvel appareil, lancez `carnet --vault DOSSIER device link` et tapez le code ci-dessus quand il est demandé (ou donnez-le avec --code-file FICHIER) ; il ne sert qu'une fois. Attente jusqu'à 10 minutes ; Ctrl-C arrête.
link-stopped = arrêté avant qu'un appareil soit lié
linked = Appareil { $device } lié : coffre envoyé ({ $rows } lignes, { $bytes } octets). Synchronisez les deux appareils avec `carnet serve` / `carnet sync`.
err-link-exists = un coffre existe déjà dans { $vault } ; liez dans un nouveau dossier --vault
link-joined = Cet appareil ({ $device }) détient maintenant le coffre de { $name } : { $entries } entrées. Votre appareil principal tient le journal de consentement ; synchronisez-vous avec lui pour échanger les modifications.

## La démonstration (carnet demo)

demo-step-1 = Patty crée son coffre : une clé de signature ed25519, une clé age, une carte d'identité auto-signée, et une clé maîtresse aléatoire protégée par sa phrase de passe.
demo-step-2 = Elle importe l'export FHIR R4 de son dossier hospitalier (un vrai paquet de test US Core, serveur de référence Inferno, Apache-2.0) : chaque ressource reconnue devient une entrée ; le reste est compté, jamais écarté en silence.
demo-step-3 = Elle ajoute ce que l'hôpital ne sait pas, une modification signée et chiffrée par entrée.
demo-step-4 = Elle joint un compte rendu de laboratoire : le fichier devient un blob chiffré sous sa propre clé, référencé depuis la rubrique documents.
demo-step-5 = Elle liste son dossier (relu depuis le coffre, la signature de chaque modification vérifiée).
demo-step-6 = Une phrase de passe incorrecte est refusée et ne change rien.
demo-step-7 = Le Dr Bernard, son médecin traitant, et un auditeur créent chacun leur coffre.
demo-step-8 = Patty ajoute le Dr Bernard depuis sa carte et lui donne un accès en lecture à ses allergies, problèmes de santé et traitements, et un accès en écriture aux notes.
demo-step-9 = L'appareil de Patty se met en service sur iroh, relais désactivés : une connexion QUIC directe en boucle locale, le pair authentifié par sa clé d'appareil.
demo-step-10 = Le Dr Bernard se synchronise avec l'appareil de Patty, et liste ce qu'il peut lire.
demo-step-11 = Il écrit une note et se synchronise : la note revient, signée par lui.
demo-step-mailbox-1 = Le cabinet tient une boîte aux lettres (`carnet mailbox serve`) : un nœud toujours allumé qui garde, scellés, les envois pour les personnes hors ligne, sans pouvoir les ouvrir. Le Dr Bernard est autorisé à y déposer.
demo-step-mailbox-2 = Le téléphone de Patty est hors ligne. Le Dr Bernard rédige une ordonnance et la laisse dans sa boîte aux lettres : scellée pour sa clé, signée par lui. Elle y attend.
demo-step-mailbox-3 = Plus tard, le téléphone de Patty se reconnecte et relève ce qui l'attend : l'ordonnance est vérifiée comme tout envoi puis importée, et effacée de la boîte aux lettres.
demo-step-12 = Patty retire les deux autorisations et ajoute une nouvelle allergie. Ce que le Dr Bernard a déjà lu ne peut pas être repris ; il ne reçoit plus rien de nouveau.
demo-step-13 = Le journal des accès de Patty, en mots simples.
demo-step-14 = Un auditeur vérifie hors ligne le journal de consentement exporté, par rapport à l'identifiant de personne que Patty lui a donné (la racine de confiance : un journal signé par quelqu'un d'autre est refusé, quel que soit le nom sur sa carte) : signatures, chaîne de hachage, arbre de Merkle, point de contrôle, et que chaque remise de clé et chaque synchronisation servie tombait dans une autorisation. L'export ne contient aucune donnée de santé.
demo-step-disk = Rien de lisible ne reste sur le disque : recherche dans chaque fichier du coffre de « { $marker } » et de mots du dossier importé.
demo-done = Terminé : { $entries } entrées dans { $sections } rubriques, chiffrées au repos ; partagées rubrique par rubrique sur une connexion directe et chiffrée ; retirées ; vérifiées par un auditeur qui n'a vu aucune donnée de santé.

# Reprise, nouvelles clés, et dossier restauré depuis un point plus ancien (Autorité v2)
restored-takeover = Ce nouvel appareil ({ $device }) a repris votre dossier avec votre phrase de récupération : lui seul parle en votre nom désormais. Vos { $count } appareil(s) précédent(s), dont l'ancien ({ $old }), sont écartés partout dès que les personnes avec qui vous partagez se synchronisent avec celui-ci ; reliez à nouveau vos autres appareils (`carnet device link`).
restored-forked = Votre journal comptait { $size } entrées après cette sauvegarde ; cette restauration laisse ces entrées plus récentes de côté, et le dit dans votre journal.
device-holds-person-key = attention : l'appareil { $id } a été relié par une ancienne version de carnet et détient votre clé d'identité : avec elle, qui détient cet appareil peut encore signer en votre nom. Pour l'écarter complètement, lancez `carnet device rekey` (votre phrase de récupération vous sera demandée).
device-rekeyed = Cet appareil a repris votre dossier avec votre phrase de récupération : il continue comme appareil { $device }, et vos { $count } autre(s) appareil(s), y compris ceux qui détenaient votre clé d'identité, sont écartés partout dès que les personnes avec qui vous partagez se synchronisent avec lui. Reliez à nouveau vos autres appareils (`carnet device link`).
patients-superseded = Le dossier de { $name } a été restauré avec sa phrase de récupération depuis un point plus ancien : les { $size } entrées de son journal de consentement que vous aviez vues (à partir de l'entrée { $from }, une autre branche) ont été remplacées par celles du dossier restauré.
checkpoint-too-large = { $file } fait { $size } octets : un point de contrôle est une courte note signée ; donnez le fichier écrit par `carnet audit witness --out FICHIER`
checkpoint-not-text = { $file } n'est pas du texte : donnez le fichier écrit par `carnet audit witness --out FICHIER`
checkpoint-not-checkpoint = { $file } n'est pas un point de contrôle d'un journal de consentement Carnet : donnez le fichier écrit par `carnet audit witness --out FICHIER`
log-root-declared = Votre phrase de récupération est devenue l'autorité sur votre dossier : elle seule peut reprendre votre dossier après une perte.
log-takeover = Votre dossier a été restauré sur un nouvel appareil ({ $id }) avec votre phrase de récupération : lui seul parle en votre nom désormais, et vos appareils précédents sont écartés.
log-takeover-forked = Votre dossier a été restauré sur un nouvel appareil ({ $id }) avec votre phrase de récupération : lui seul parle en votre nom désormais, et vos appareils précédents sont écartés ; { $size } entrées d'un état plus récent, vues par une personne avec qui vous partagez, ont été laissées de côté.
date-unknown = date inconnue
log-written = Un paquet de { $n } modification(s) de { $sections } a été écrit pour { $who } : il lui parviendra quand il l'importera.
log-deposited = Un paquet de { $n } modification(s) de { $sections } a été déposé pour { $who } à la boîte aux lettres { $mailbox } : il lui parviendra quand il le relèvera.
activity-connected = Connecté à { $peer }.
activity-received = Reçu de { $peer } : { $changes } modification(s), { $keys } clé(s), { $consent } entrée(s) de consentement.
activity-delivered = { $peer } a enregistré { $changes } de vos modifications.
mailbox-serving = Boîte aux lettres en service. Donnez le ticket ci-dessus à ceux qui y déposent ou y relèvent ; elle garde des paquets scellés qu'elle ne peut pas lire. Ctrl-C arrête.
mailbox-event-deposited = un dépôt de { $bytes } octets a été fait par { $from } pour { $to }
mailbox-event-collected = { $to } a relevé un dépôt
mailbox-event-refused = appelant refusé ({ $peer }) : { $why }
mailbox-event-failed = une session avec { $peer } a échoué : { $why }
mailbox-event-expired = { $items } dépôt(s) non relevé(s) ont expiré et ont été supprimés
mailbox-allowed = { $name } peut désormais déposer dans cette boîte aux lettres.
mailbox-deposited = Déposé dans la boîte aux lettres pour { $name } : { $changes } modification(s), { $bytes } octets, scellés pour cette personne. Elle les reçoit quand elle relève sa boîte.
mailbox-collected = Importé de { $from } : { $changes } modification(s).
mailbox-collect-refused = Un dépôt (fait par { $depositor }) a été refusé et supprimé de la boîte aux lettres ; rien n'a changé dans votre coffre : { $why }
mailbox-nothing = Rien ne vous attend dans cette boîte aux lettres.
mailbox-allow-queued = { $name } pourra déposer dans cette boîte aux lettres dès que la boîte en marche l'aura pris en compte (dans la seconde).
mailbox-event-acknowledged = un appareil de { $to } a accusé réception d'un dépôt ; il attend encore { $devices } autre(s) appareil(s) de cette personne
mailbox-used = Votre carte annonce maintenant { $count } boîte(s) aux lettres où vous relevez. Vos correspondants l'apprennent à la prochaine synchronisation ou au prochain paquet ; `carnet sync NOM` y relève.
mailbox-unused = Votre carte annonce maintenant { $count } boîte(s) aux lettres.
err-mailbox-too-many = une carte annonce au plus { $max } boîtes aux lettres : retirez-en une d'abord (`carnet mailbox use TICKET --remove`)
sync-deposited = { $peer } n'a pas pu être joint en direct ({ $why }) ; déposé dans sa boîte aux lettres { $mailbox } : { $changes } modification(s), { $bytes } octets. Il les recevra en relevant sa boîte.
sync-collected = Relevé dans la boîte aux lettres { $mailbox } : de { $from }, { $changes } modification(s).
sync-collect-refused = Dans la boîte aux lettres { $mailbox }, un dépôt (de { $depositor }) a été refusé ; rien n'a changé dans votre coffre : { $why }
sync-mailbox-failed = La boîte aux lettres { $mailbox } n'a pas pu servir : { $why }
err-sync-no-mailbox = { $peer } n'a pas pu être joint en direct ({ $why }) et rien n'a pu lui être laissé dans une boîte aux lettres (sa carte n'en annonce aucune qui l'ait accepté{ $mailboxes }) ; { $collected } modification(s) ont été relevées dans la vôtre. Demandez-lui le ticket qu'affiche son `carnet serve`, ou d'annoncer une boîte aux lettres (`carnet mailbox use TICKET`)
err-mailbox-not-allowed = cette boîte aux lettres n'accepte pas vos dépôts : son propriétaire doit d'abord vous autoriser (`carnet mailbox allow VOTRE-CARTE --store DOSSIER` sur la boîte ; `carnet whoami` affiche votre carte)
err-mailbox-quota = vous dépassez votre quota dans cette boîte aux lettres : { $items } dépôt(s), { $bytes } octets déposés par vous ne sont pas encore relevés (la limite est de { $max_items } dépôts, { $max_bytes } octets) ; déposez à nouveau une fois qu'ils auront été relevés
err-mailbox-recipient-full = la boîte du destinataire est pleine (la limite est de { $max_items } dépôts, { $max_bytes } octets) : il doit d'abord relever sa boîte
err-mailbox-too-large = le paquet fait { $size } octets ; cette boîte aux lettres accepte au plus { $max } octets par dépôt (envoyez-le plutôt en fichier avec `carnet share export`)
err-mailbox-refused = la boîte aux lettres a refusé : { $why }
err-mailbox-unreachable = la boîte aux lettres est injoignable ou la liaison a échoué ({ $why }) ; rien n'est perdu : réessayez
err-mailbox-ticket = ce n'est pas un ticket de boîte aux lettres ({ $why }) : copiez toute la première ligne qu'affiche `carnet mailbox serve` (carnet-mailbox1:...)
err-mailbox-in-use = le dossier de boîte aux lettres { $store } est utilisé par un `carnet mailbox serve` en cours : arrêtez-le, puis réessayez
err-mailbox-card = ce n'est pas une carte d'identité ({ $why }) : donnez la carte qu'affiche `carnet whoami` (carnet-card1:...)
setting-relay = off, on (les serveurs relais publics d'iroh, il faut l'internet) ou l'URL d'un relais à vous (http://hôte:port), utilisé quand un pair ne peut être joint directement
setting-port = le port UDP où écoute `carnet serve` ; le premier serve retient celui qu'il a obtenu, pour que les tickets et `sync NOM` marchent encore après un redémarrage (auto : un port libre la prochaine fois)
agent-dir-not-private = { $dir } n'est pas un répertoire privé à vous (mode 0700) : aucune session ne peut y être gardée sans risque
agent-did-not-start = l'agent de session n'a pas démarré
agent-needs-unix = les sessions demandent un système Unix
agent-cannot-create = impossible de créer le répertoire de session { $dir }
agent-cannot-read = impossible de lire le répertoire de session { $dir }
agent-lock-unconfirmed = la session n'a pas confirmé qu'elle avait pris fin
agent-no-program = impossible de trouver le programme carnet pour démarrer l'agent de session
agent-no-key = l'agent de session n'a reçu aucune clé sur son entrée standard
agent-cannot-listen = l'agent de session ne peut pas écouter sur { $socket }

## Erreurs d'usage (clap écrit les siennes en anglais ; celles-ci les disent en français)

usage-unknown-argument = argument inattendu « { $arg } »
usage-unknown-command = commande inconnue « { $arg } »
usage-invalid-value = valeur « { $value } » invalide pour « { $arg } »
usage-invalid-value-among = valeur « { $value } » invalide pour « { $arg } » (valeurs possibles : { $valid })
usage-missing-argument = ces arguments obligatoires manquent : { $arg }
usage-conflict = l'argument « { $arg } » ne peut pas être utilisé avec « { $other } »
usage-unexpected-value = valeur inattendue « { $value } »
usage-missing-command = il faut une commande : `carnet --help` les liste
usage-suggested = astuce : vouliez-vous dire « { $suggestion } » ?
usage-label = Utilisation :
usage-more-help = Pour plus d'informations, essayez « --help ».

## audit verify
warning-label = attention :
audit-ok-pinned = OK : le journal de consentement de { $name } (personne { $person }, le patient que vous avez désigné), dossier { $record }.
audit-ok-unpinned = OK, cohérent avec lui-même seulement : un journal de consentement dont la carte dit « { $name } » (personne { $person }), dossier { $record }.
audit-holds = { $entries } entrées, { $checkpoints } point(s) de contrôle ; les signatures, la chaîne de hachage, l'arbre de Merkle et chaque remise de clé et chaque accès sont valides.
audit-newest = Dernier point de contrôle : { $size } entrées, racine { $root }.
audit-extends = Il prolonge votre ancien point de contrôle ({ $size } entrées).
audit-pinned-size = Il contient au moins les { $n } entrées que vous avez fixées.
audit-witnessed = Le témoin { $name } ({ $id }) l'a cosigné à { $size } entrées ; le journal concorde.
audit-keep-checkpoint = Gardez ce point de contrôle (l'export, ou cette sortie avec --json) et donnez-le avec --since-checkpoint la prochaine fois, ou --min-size { $size } : un journal ramené à un état antérieur échouera alors.
audit-warn-unwitnessed = aucun témoin n'a cosigné ce journal : une copie ramenée à un état antérieur, ou l'une de deux branches, serait vérifiée tout aussi bien. Demandez aux bénéficiaires du patient leur fichier `carnet audit witness` et donnez-le avec --cosigned.
audit-warn-unpinned = pas de --patient : cela montre seulement que le journal est cohérent avec lui-même, pas à qui il appartient. N'importe qui peut créer une clé et une carte portant { $bearing }. Donnez --patient ID, l'identifiant de personne qu'affiche le `carnet whoami` du patient, obtenu directement auprès de lui.
audit-bearing-name = le nom « { $name } »
audit-bearing-any-name = n'importe quel nom
audit-unknown-failure = échec inconnu
audit-what-export = l'export d'audit
audit-what-older = l'ancien point de contrôle
audit-what-cosigned = le point de contrôle cosigné
err-audit-does-not-verify = le journal de consentement n'est pas valide : { $why }
err-audit-cannot-read = impossible de lire { $what } { $file }
err-audit-not-regular = { $file } n'est pas un fichier ordinaire (un répertoire, un périphérique ou un tube) : { $what } doit être un fichier
err-audit-too-large = { $file } fait { $size } octets, au-delà de la limite de { $limit } Mio pour { $what } ; il a été refusé sans être lu (un export aussi gros n'a pas été écrit par Carnet : vérifiez qu'on vous a remis le bon fichier)
err-audit-grew = { $file } a dépassé la limite de { $limit } Mio pour { $what } pendant sa lecture ; il est refusé
err-audit-export-no-checkpoint = l'export précédent { $file } ne contient aucun point de contrôle
err-audit-json-no-checkpoint = { $file } est du JSON, mais ni un export d'audit ni la sortie d'un `carnet --json audit verify` réussi : il ne contient aucun point de contrôle
err-audit-not-checkpoint = { $file } n'est ni un point de contrôle, ni un export, ni une sortie de vérification
err-audit-bad-patient = --patient { $value } n'est pas un identifiant de personne : donnez l'identifiant complet du patient, les 52 caractères qu'affiche `carnet whoami` après « id: »
err-audit-not-cosigned = { $file } n'est pas un point de contrôle cosigné tel que l'écrit `carnet audit witness`

# Indications que la ligne de commande ajoute aux erreurs de la bibliothèque (dont les
# messages ne nomment aucune commande), selon leurs codes stables.
hint-no-contact = `carnet contact list` les montre, `carnet contact add NOM CARTE` en ajoute un
hint-grants = `carnet grants` les liste
hint-no-patients = importez son paquet avec `carnet share import FICHIER`
hint-patients = `carnet patients` les liste, avec leurs identifiants
hint-people = `carnet contact list` et `carnet patients` les montrent
hint-devices = `carnet device list` les montre
hint-primary-device = `carnet device list` montre quel appareil est le principal
hint-full-export = demandez à l'expéditeur un export complet (`carnet share export --to VOUS --full`)
hint-out-exists = choisissez un autre chemin --out
hint-card = `carnet whoami` affiche une carte entière
hint-phrase = les 24 mots que `carnet init` a montrés
hint-settings = `carnet config show` montre les réglages et leurs valeurs
hint-list-ids = `carnet list` montre les identifiants
hint-peer-serving = `carnet serve` tourne-t-il là-bas ?
hint-ticket = copiez toute la ligne qu'affiche `carnet serve`
hint-port-in-use = choisissez un autre port avec --bind ou `carnet config set port N`
hint-patient-ref = désignez-en un avec --patient-ref (par exemple --patient-ref Patient/ID)
hint-confirm-unusual = pour importer de telles valeurs, relancez la commande avec --confirm-unusual

## Files the command line reads and writes itself
err-cannot-read = impossible de lire { $file }
err-cannot-write = impossible d'écrire { $file }
err-cannot-create = impossible de créer { $file }
err-file-refused = { $file } est refusé
err-not-a-directory = { $dir } n'est pas un dossier

## Recovery shares and link codes: what is read, from where
err-secret-read = impossible de lire { $what ->
        [shares] les parts de récupération
       *[code] le code de liaison
    } depuis { $stdin ->
        [yes] l'entrée standard
       *[no] { $file }
    }
err-secret-too-large = { $stdin ->
        [yes] l'entrée standard
       *[no] { $file }
    } contient bien trop de données pour { $what ->
        [shares] des parts de récupération ; donnez le fichier qui ne contient qu'elles
       *[code] un code de liaison ; donnez le fichier qui ne contient que lui
    }
err-secret-not-text = { $stdin ->
        [yes] l'entrée standard
       *[no] { $file }
    } n'est pas du texte ; on y attend { $what ->
        [shares] des parts de récupération
       *[code] un code de liaison
    }
err-shares-other = { $stdin ->
        [yes] l'entrée standard
       *[no] { $file }
    } contient autre chose que des parts de récupération (chacune commence par { $prefix })
err-shares-none = { $stdin ->
        [yes] l'entrée standard
       *[no] { $file }
    } ne contient aucune part de récupération (chacune commence par { $prefix })
share-number-of = part { $n } de { $stdin ->
        [yes] l'entrée standard
       *[no] { $file }
    }
share-arg-number = --share numéro { $n }
err-share-file-stdin-twice = --share-file - est donné deux fois ; l'entrée standard ne peut être lue qu'une fois
note-share-visible = note : les parts données avec --share sont visibles des autres utilisateurs de cette machine tant que carnet tourne, et restent dans l'historique de votre shell ; préférez --ask-shares ou --share-file FICHIER (- pour l'entrée standard).
err-ask-shares-terminal = --ask-shares a besoin d'un terminal pour demander les parts ; donnez-les avec --share-file FICHIER, ou --share-file - pour les lire sur l'entrée standard
prompt-share-n = Part de récupération { $n } sur { $total } (carnet-share1:..., non affichée ; Entrée seule pour arrêter) :{ " " }
prompt-share = Part de récupération (carnet-share1:..., non affichée ; Entrée seule pour arrêter) :{ " " }
err-share-read = impossible de lire la part de récupération
share-type-again = { $why } ; tapez-la à nouveau.
err-no-share-given = aucune part de récupération n'a été donnée ; restaurez avec la phrase de récupération (sans --ask-shares), ou donnez les parts
backup-unsigned = remarque : cette sauvegarde n'est pas signée : elle a été faite par une version de carnet antérieure à la signature des sauvegardes. Elle est restaurée et vérifiée (les clés qu'elle contient doivent être celles de cette personne, et chaque modification ainsi que le journal de consentement doivent être valides), mais rien ne prouve qui a écrit le fichier dans son ensemble. Une fois la restauration faite, faites une nouvelle sauvegarde (`carnet backup --out FICHIER`) : elle sera signée.
err-share-file-exists = { $file } existe déjà ; choisissez un autre dossier --out
share-released = La part de récupération que vous détenez pour { $name } (il en faut { $threshold } pour la récupération). Remettez-la-lui en main propre :

## Device link on the new device
note-code-visible = note : un code donné sur la ligne de commande est visible des autres utilisateurs de cette machine tant que carnet tourne, et reste dans l'historique de votre shell ; la prochaine fois, lancez `carnet device link` sans le code pour le taper, ou utilisez --code-file FICHIER.
err-link-no-code = aucun coffre dans { $vault } à partir duquel lier, ni de code de liaison pour rejoindre : sur le nouvel appareil, donnez le code affiché par votre autre appareil avec --code-file FICHIER (ou --code-file - pour le lire sur l'entrée standard), ou lancez dans un terminal pour le taper ; sur l'appareil existant, indiquez son --vault DOSSIER
link-new-device = Aucun coffre dans { $vault } : ce sera un nouvel appareil. Tapez le code affiché par `carnet device link` sur votre autre appareil.
prompt-link-code = Code de liaison (carnet-link1:..., non affiché) :{ " " }
err-link-code-read = impossible de lire le code de liaison
err-link-code-empty = aucun code de liaison n'a été tapé ; rien n'a été créé

## audit witness
err-witness-none = vous n'avez pas encore reçu de point de contrôle du journal de consentement de { $patient } : synchronisez-vous avec cette personne ou importez d'abord son paquet
witness-written = Point de contrôle du journal de consentement de { $patient }, que vous avez cosigné, écrit dans { $out } ; donnez-le à son auditeur (`carnet audit verify --cosigned FICHIER`).

## carnet hardening
harden-failed = attention : impossible de désactiver les fichiers core ({ $why }) ; si carnet plante, sa mémoire (secrets compris) pourrait être écrite sur le disque
hardening-core-limit = taille maximale des fichiers core : { $soft } (limite dure : { $hard })
hardening-unlimited = illimitée
hardening-dumpable = vidage mémoire autorisé : { $state ->
        [yes] oui
        [no] non
       *[unknown] inconnu sur ce système
    }

## Imports, charts, edit
err-not-imported = { $file } n'a pas été importé
err-unknown-tz = fuseau horaire « { $name } » inconnu : utilisez un nom IANA comme Europe/Paris
err-unknown-chart = type de graphique « { $kind } » inconnu : utilisez glucose, blood-pressure, weight, heart-rate, temperature, spo2, height ou un code LOINC
err-edit-no-value-fits = aucune valeur ne convient
err-edit-invalid = l'entrée modifiée n'est pas valide
err-edit-no-subfields = le champ « { $field } » n'a pas de sous-champs
err-network-runtime = impossible de démarrer le moteur réseau

# Pourquoi un pair a refusé une synchronisation (carnet_sync::PeerRefusal), et qui a refusé.
err-peer-refused = le pair a refusé : { $why }
err-we-refused = ce coffre ne se synchronise pas avec ce pair : { $why }
err-link-vault-exists = un coffre existe déjà dans { $vault } ; liez l'appareil dans un nouveau dossier (`--vault`)
refusal-not-linked = cet appareil n'est pas enregistré auprès de ce coffre, ou en a été retiré : liez-le d'abord (`carnet device link`)
refusal-not-primary = cet appareil n'échange pas avec d'autres : son propriétaire l'a retiré, ou ce n'est pas son appareil principal
refusal-blocked = bloqué : rien n'est envoyé et rien n'est accepté
refusal-unknown = inconnu de ce coffre : rien n'est partagé
refusal-nothing-shared = rien n'est partagé (aucune autorisation en vigueur)
refusal-nothing-shared-since = rien n'est partagé (aucune autorisation en vigueur) depuis le { $date }
refusal-batch = un lot a été refusé, rien n'en a été gardé : { $detail }
refusal-busy = l'appareil reçoit trop à la fois ({ $mib } Mio) ; réessayez plus tard
refusal-wrong-link-code = le code de liaison est faux (ou a déjà servi)
refusal-link-version = l'autre appareil utilise une autre version de Carnet : installez la même sur les deux
err-sync-access-ended = { $patient } ne vous partage plus son dossier : votre accès a pris fin le { $date }. Ce que vous avez reçu avant reste lisible (`carnet list --patient "{ $patient }"`), mais plus rien de nouveau n'arrive, et ce que vous écrivez reste chez vous.

# Ce que refusent les analyseurs de valeurs de la ligne de commande.
usage-not-an-entry-id = « { $text } » n'est pas un identifiant d'entrée : un identifiant fait 10 lettres et chiffres, tels que `carnet list` les montre, ou ses 4 premiers ou plus
usage-not-a-duration = « { $text } » n'est pas une durée : écrivez 900, 90s, 15m ou 2h
usage-duration-unit = « { $text } » : l'unité est s, m ou h
usage-session-length = une session dure de 1 seconde à 24 heures

# Les lignes de détail de la démonstration.
demo-detail-id = id :    { $id }
demo-detail-card = carte : { $card }...
demo-detail-imported = { $entries } entrées dans { $envelopes } enveloppe(s) ; { $skipped } ressources non gardées ({ $kinds })
demo-detail-import-again = l'importer une seconde fois ajoute { $entries } entrées
demo-detail-added = + { $id } dans { $section }
demo-detail-attached = + { $id } dans { $section } ({ $bytes } octets)
demo-detail-same-bytes = la pièce jointe se déchiffre en les mêmes octets
demo-detail-no-plaintext = { $files } fichiers, { $bytes } octets : aucun texte en clair ({ $names })
demo-detail-refused = refusé : { $why }
demo-detail-doctor-card = carte du Dr Bernard : { $card }...
demo-detail-grants = autorisations { $read } (lecture) et { $write } (écriture) ; les clés de chaque rubrique sont scellées pour sa clé age
demo-detail-ticket = ticket : { $ticket }...
demo-detail-received = reçu { $changes } modification(s), { $keys } clé(s), { $consent } entrées de consentement ; { $bytes_in } octets reçus, { $bytes_out } envoyés
demo-detail-private = son profil, ses vaccinations, ses mesures et ses documents restent privés
demo-detail-seen = { $entries } entrées en tout, de { $sections } rubriques
demo-detail-sent = { $changes } modification(s) envoyée(s)
demo-detail-patty-sees = Patty voit : « { $note } » par { $author } (signature vérifiée)
demo-nothing-new = rien de nouveau
demo-detail-next-sync = sa synchronisation suivante : { $outcome }
demo-detail-audit-ok = OK : { $entries } entrées, { $checkpoints } point(s) de contrôle
demo-detail-mailbox-ticket = ticket de la boîte aux lettres : { $ticket }...
demo-detail-deposited = élément { $item } à la boîte aux lettres : { $bytes } octets, { $changes } modification(s), scellé pour Patty, signé par le Dr Bernard
demo-detail-mailbox-knows = la boîte aux lettres sait qui a écrit à qui, la taille et l'heure ; son fichier ne contient pas un mot de l'ordonnance
demo-detail-collected = de { $from } : { $changes } modification(s), vérifiée(s) comme tout paquet (signature, autorisation en vigueur) et importée(s) ; { $left } élément(s) restant à la boîte aux lettres

# Titres des graphiques et légendes des graphiques du compte rendu.
chart-title-glucose = Glycémie
chart-title-blood-pressure = Pression artérielle
chart-title-weight = Poids
chart-title-heart-rate = Fréquence cardiaque
chart-title-temperature = Température corporelle
chart-title-spo2 = Saturation en oxygène
chart-title-height = Taille
report-chart-caption = { $title } : toutes les mesures du dossier ({ $n }).
progress-backup-rows = sauvegarde

## A transport's failures (live sync, link, mailbox), by kind
err-sync-bind = impossible de démarrer le point d'accès réseau : { $why }
bind-in-use = l'adresse { $addr } est déjà utilisée ; un autre processus y sert peut-être
bind-not-here = l'adresse { $addr } n'est pas une adresse de cette machine
bind-not-allowed = écoute interdite sur { $addr }
err-sync-connect = impossible de joindre le pair : { $why } ; sert-il, sur ce réseau ?
connect-no-answer = aucune réponse en { $secs } s
connect-no-address = aucune adresse n'est connue pour lui
err-sync-connection = la connexion a été perdue : { $why }{ $at }
lost-peer-ended = le pair a mis fin à la session
lost-peer-closed = le pair a fermé la connexion (il s'est arrêté, ou ne sert plus)
lost-peer-closed-why = le pair a fermé la connexion (ses mots : { $reason })
lost-silent = la liaison s'est tue : rien n'est revenu du pair pendant { $secs } s (il est parti, ou hors de portée)
lost-reset = le pair a coupé la connexion (il a redémarré, ou perdu son état)
lost-closed-here = ce côté a fermé la connexion
lost-stream-ended = le pair a terminé son flux trop tôt
lost-endpoint-closed = le point d'accès a été fermé
lost-unconfirmed = le pair a mis fin à la session avant de confirmer qu'il avait enregistré { $batches } { $batches ->
        [one] lot
       *[other] lots
    } des nôtres ; ils seront renvoyés la prochaine fois
at-received = , après { $bytes } octets reçus
at-mid-message = , au milieu d'un message (après { $got } octets sur { $of })
at-mid-message-open = , au milieu d'un message (après { $got } octets)
at-sent = , après { $bytes } octets envoyés
err-sync-ticket = ce n'est pas un ticket Carnet : { $why }
ticket-too-long = il est bien trop long
ticket-wrong-start = il ne commence pas par { $prefix }
ticket-bad-character = il contient un caractère qu'aucun ticket ne contient (à la position { $position })
ticket-undecodable = son contenu n'est pas celui d'un ticket (coupé, ou d'une autre version)
ticket-no-address = il ne contient aucune adresse utilisable
ticket-bad-key = la clé d'appareil qu'il nomme n'est pas valide
err-sync-protocol = le pair n'a pas respecté le protocole de synchronisation : { $why }
violation-version = il parle le protocole { $protocol } { $theirs }, cette version parle le { $ours } : installez la même version des deux côtés
violation-card = sa carte ne se vérifie pas
violation-cert = son certificat d'appareil ne se vérifie pas
err-wrong-peer = ce pair n'est pas celui demandé : l'appareil à cette adresse appartient à { $name } ({ $id })
err-link-not-stored = le nouvel appareil a fermé la liaison avant de dire qu'il avait enregistré le coffre ; il n'a pas été enregistré
err-link-not-registered = l'autre appareil n'a pas confirmé avoir enregistré celui-ci ({ $why }) ; rien n'a été gardé ici : liez-le à nouveau

## Why an envelope is not genuine (a tampered or damaged change)
err-bad-envelope = la modification { $id } (rubrique { $section }) n'est pas authentique : { $why } ; rien n'en a été gardé
envelope-undecodable = elle ne se décode pas ({ $detail })
envelope-signature = sa signature ne se vérifie pas ({ $detail })
envelope-id-mismatch = ses octets ne correspondent pas à son identifiant
envelope-missing = elle figure dans sa chaîne mais manque dans le coffre
envelope-unopenable = elle ne s'ouvre pas avec la clé de la rubrique ({ $detail })
envelope-changes = ses modifications ne se décodent pas ({ $detail })
envelope-others-changes = elle porte des modifications faites par un autre auteur
envelope-unknown-section = elle nomme une rubrique qui n'existe pas
envelope-unknown-writer = ses modifications s'appuient sur un auteur qui n'a rien écrit dans cette rubrique

## Les autres erreurs de la bibliothèque, une à une (les données qu'elles portent restent telles quelles)
err-not-allowed = la modification { $id } a été écrite par { $author }, qui n'a pas le droit d'écrire dans la rubrique { $section } de ce dossier ; rien n'a été importé
err-in-item = élément { $n } ({ $kind }) : { $why }
err-output-exists = { $path } existe déjà ; rien n'a été écrasé
err-not-carnet-file = { $path } n'est pas un fichier Carnet de type { $what } (un tel fichier commence par « { $magic } »)
err-io = { $action } { $path } : { $detail }
err-io-nopath = { $action } : { $detail }
err-encode = impossible d'encoder { $what } : { $detail } (une anomalie de Carnet : merci de la signaler)
err-vanished = { $what } a disparu pendant l'opération ; rien n'a été modifié (une anomalie de Carnet : merci de la signaler)
sharing-no-contact = aucun contact nommé « { $name } »
sharing-bad-contact-name = un nom de contact doit compter de 1 à { $max } caractères imprimables
sharing-own-card = c'est votre propre carte
sharing-name-taken = un contact nommé « { $name } » existe déjà
sharing-already-contact = cette carte figure déjà dans vos contacts, sous le nom « { $name } »
sharing-not-your-record = ce dossier n'a pas de journal de consentement tenu ici : ce n'est pas votre propre dossier
sharing-no-sections = indiquez au moins une rubrique à partager
sharing-bad-purpose = indiquez un motif (de 1 à { $max } caractères) : il figure dans votre journal des accès
sharing-end-in-past = la date de fin de l'autorisation est déjà passée
sharing-grant-to-blocked = { $name } est bloqué ; aucune autorisation ne peut lui être donnée
sharing-already-blocked = ce contact est déjà bloqué
sharing-no-grant = aucune autorisation { $id }
sharing-already-revoked = l'autorisation { $id } est déjà révoquée
sharing-no-patients = aucun patient ne vous a encore partagé son dossier ; importez d'abord un de ses paquets
sharing-no-patient = aucun patient « { $query } » parmi ceux qui vous ont partagé leur dossier
sharing-ambiguous-patient = « { $query } » désigne plusieurs patients ; utilisez leur identifiant
sharing-no-person = aucun contact ni patient nommé « { $query } »
sharing-ambiguous-person = « { $query } » désigne plusieurs personnes ; utilisez leur identifiant
exchange-truncated = { $what } s'arrête trop tôt : la fin a été coupée
exchange-no-header = { $what } ne commence pas par son en-tête : le fichier est endommagé ou ne vient pas de Carnet
exchange-second-header = { $what } contient un second en-tête : des morceaux y ont été raboutés
exchange-trailing-data = { $what } contient des données après sa signature : le contenu a été modifié
exchange-unsupported-version = { $what } est au format de version { $version }, que cette version de Carnet ne lit pas ; mettez Carnet à jour
exchange-frame-too-large = une trame de { $size } octets dépasse la limite de { $max } octets
exchange-undecodable = { $what } ne se décode pas ({ $detail }) : le fichier est endommagé ou ne vient pas de Carnet
exchange-unreadable = { $what } est illisible : { $why }
exchange-count-mismatch = { $what } annonce { $said } éléments, mais { $read } ont été lus : le contenu a été modifié
exchange-malformed-signature = { $what } : sa signature est mal formée
exchange-bad-signature = { $what } : sa signature ne se vérifie pas ; le contenu a été modifié, ou la signature n'est pas celle de la carte qu'il nomme
exchange-bad-backup-signature = la signature de la sauvegarde ne se vérifie pas : elle a été modifiée, ou elle n'a pas été faite par { $name } ({ $person }) comme elle le prétend ; rien n'a été écrit
exchange-altered = { $what } : { $part } ne correspond pas, le contenu a été modifié
exchange-backup-damaged = la sauvegarde est endommagée : { $why }
exchange-restored-invalid = le coffre reconstitué ne se vérifie pas, il n'a donc pas été gardé : { $why }
exchange-too-many = trop de { $what } dans un seul échange
exchange-unknown-section = une autorisation de clé nomme une rubrique inconnue ({ $code })
exchange-unannounced-attachment = une partie de pièce jointe qu'aucune modification n'a annoncée
exchange-attachment-too-large = une pièce jointe de { $size } octets dépasse la limite de { $max } octets
exchange-resume-mismatch = une pièce jointe reprend à partir d'un point que ce coffre ne détient pas
exchange-out-of-order = des parties de pièce jointe arrivent dans le désordre ou se chevauchent
exchange-attachment-altered = une pièce jointe ne correspond pas à son identifiant : elle a été modifiée
exchange-attachments-incomplete = { $count } pièce(s) jointe(s) annoncée(s) par des modifications ne sont pas arrivée(s) entière(s)
exchange-missing-checkpoint = des entrées de consentement sont arrivées sans point de contrôle
exchange-checkpoint-gap = le point de contrôle du journal de consentement du patient ne peut pas être comparé à celui que vous détenez ({ $held } entrées) : importez d'abord ses paquets précédents, ou demandez-lui un export complet ({ $why })
exchange-chain-gap = { $why } ; importez d'abord les paquets précédents de l'expéditeur, ou demandez-lui un export complet
exchange-bundle-gap = ce paquet fait suite à un paquet précédent de { $from } que ce coffre n'a pas importé ; importez d'abord ce paquet précédent, ou demandez un export complet
exchange-unexpected-row = une ligne d'état d'appareil d'un type qui ne voyage jamais ainsi
exchange-malformed-row = une ligne du journal de consentement est endommagée
exchange-own-logs-differ = les journaux de consentement de vos appareils diffèrent à l'entrée { $index } ; gardez celui de l'appareil principal
exchange-own-log-out-of-order = l'entrée { $index } de votre journal de consentement est arrivée avant l'entrée { $held }
exchange-link-closed = la liaison s'est fermée avant la fin du transfert
exchange-transport = la connexion a échoué : { $detail }
refused-from-yourself = ceci vient de vous-même ; importez-le plutôt de l'autre côté
refused-device-not-registered = cet appareil à vous n'est pas enregistré, ou a été retiré : rien de ce qu'il envoie n'est accepté
refused-only-from-patient = { $what } ne viennent que du patient du dossier, et ceci ne vient pas de lui
refused-own-state-not-from-primary = l'état du coffre ne vient que de votre appareil qui tient le journal de consentement
refused-not-senders-record = la modification { $envelope } appartient à un dossier dont l'expéditeur n'est pas le titulaire ; les modifications d'un dossier ne viennent que de son patient
refused-cosignature-not-from-grantee = une cosignature ne vient que d'un bénéficiaire, et porte sur le journal de son patient
refused-removal-not-from-owner = un retrait d'appareil ne vient que du propriétaire de l'appareil, et porte sur le dossier de la personne à qui il est envoyé
refused-not-for-you = ce paquet ne vous est pas adressé : il est scellé pour la clé d'une autre personne
refused-addressed-to-other = ce paquet est adressé à { $to }, pas à vous
recovery-no-recovery-key = ce coffre n'a pas de clé de récupération ; il a été créé avant que la récupération n'existe
recovery-phrase-does-not-open = cette phrase de récupération n'ouvre pas cette sauvegarde (une phrase erronée, ou la sauvegarde de quelqu'un d'autre) ; rien n'a été écrit
recovery-not-this-vaults-phrase = cette phrase de récupération n'est pas celle de ce coffre : un mot est faux, ou elle appartient à un autre coffre
recovery-not-declared-phrase = cette phrase de récupération n'est pas celle que votre dossier a déclarée : le dossier ne peut pas être repris avec elle
recovery-holder-twice = { $name } est nommé deux fois ; chaque détenteur reçoit une seule part
recovery-too-many-holders = au plus { $max } détenteurs
recovery-bad-threshold = le seuil doit être d'au moins 2 et d'au plus le nombre de détenteurs ({ $total })
recovery-foreign-checkpoint = le point de contrôle donné n'est pas un de ceux du journal de votre dossier : { $why }
recovery-not-a-patient = seul le dossier d'un patient a un journal de consentement à reprendre
device-no-device = aucun appareil « { $query } »
device-ambiguous = « { $query } » désigne plusieurs appareils ; donnez davantage de son identifiant
device-this-device = c'est cet appareil-ci ; retirez-le depuis un autre appareil
device-already-removed = cet appareil est déjà retiré
device-not-primary = les actions de consentement et les échanges avec d'autres (autorisations, révocations, contacts, paquets, synchronisations avec d'autres personnes) se font sur votre appareil principal ({ $primary }) ; faites-le là-bas, ou synchronisez cet appareil avec lui
device-no-identity-key = cet appareil ne détient pas votre clé d'identité, seulement la sienne : les actions de consentement, les échanges avec d'autres et les sauvegardes se font sur votre appareil principal ; faites-le là-bas
setting-unknown = aucun réglage « { $name } » ; réglages : { $known }
setting-invalid = { $name } prend { $values }, pas « { $value } »
setting-values-relay = on, off ou l'URL d'un serveur relais (http://hôte:port)
setting-values-port = auto ou un nombre de 1 à 65535
setting-values-switch = on ou off
damage-undecodable = impossible de lire { $what } de ce coffre ({ $detail }) : la donnée est endommagée ; restaurez le coffre depuis une sauvegarde
damage-invalid = une donnée de ce coffre est endommagée ({ $what }) ; restaurez le coffre depuis une sauvegarde
damage-missing = une donnée de ce coffre manque ({ $what }) ; restaurez le coffre depuis une sauvegarde
damage-attachment-missing = une pièce jointe de la modification { $envelope } manque dans ce coffre
damage-consent-cut-short = le journal de consentement contient moins d'entrées que cet appareil n'en a écrit ({ $wrote }) : il a été tronqué ; restaurez une sauvegarde
crypto-damaged-wrapped-key = la clé chiffrée du coffre est endommagée ({ $detail }) ; restaurez le coffre depuis une sauvegarde
crypto-encrypt = le chiffrement a échoué : { $detail }
crypto-output = l'écriture du résultat scellé a échoué : { $detail }
crypto-decrypt = impossible de déchiffrer { $what } : le contenu a été modifié ou endommagé, ou il est scellé avec une autre clé
crypto-bad-signature = { $what } : sa signature ne se vérifie pas ; le contenu a été modifié ou contrefait
crypto-malformed = { $what } n'a pas la forme attendue : { $detail }
crypto-too-large = { $what } dépasse la taille permise : { $size } octets, au plus { $max }
crypto-bad-card = ce n'est pas une carte d'identité Carnet : { $detail } ; demandez à son propriétaire de copier à nouveau sa carte, en entier
crypto-unsupported-version = { $what } est au format de version { $found }, cette version de Carnet lit la version { $supported } ; mettez Carnet à jour
crypto-not-for-you = ce fichier ne vous est pas adressé : il est scellé pour la clé d'une autre personne
crypto-bad-phrase = ce n'est pas une phrase de récupération : { $detail } ; tapez dans l'ordre les 24 mots montrés à la création du coffre
crypto-bad-share = les parts de récupération ne peuvent pas servir : { $detail }
crypto-random = le générateur de nombres aléatoires du système a échoué : { $detail }
consent-malformed = { $what } n'a pas la forme attendue : { $detail }
consent-bad-entry = entrée { $index } : { $why }
consent-bad-checkpoint = point de contrôle de taille { $size } : { $why }
consent-not-the-patient = ceci est le journal de consentement de la personne { $found } (dont la carte porte le nom « { $name } »), pas celui de { $expected }, le patient que vous avez désigné : n'importe qui peut faire une carte portant n'importe quel nom ; refusez-le et demandez à ce patient un export de son propre journal
consent-cut-back = le journal contient { $size } entrées, moins que les { $seen } connues par { $what } : il a été ramené à un état antérieur (ou c'est un export plus ancien) ; demandez au patient un export à jour
store-not-a-vault = { $path } n'est pas un coffre utilisable : { $why }
store-no-unlock-key = { $path } : aucune clé de déverrouillage n'a jamais été exportée de ce coffre ; ouvrez-le avec sa phrase de passe et exportez d'abord la clé
store-corrupted = le fichier du coffre { $path } est endommagé ({ $detail }) ; rien n'a été modifié. Restaurez-le depuis une sauvegarde
store-damaged = donnée stockée endommagée ({ $what }) : { $why }
store-chain-broken = la modification { $id } ne prolonge pas la chaîne de son auteur : { $why }
store-database = erreur de la base de données du coffre : { $detail }
record-invalid = { $what } « { $input } » n'est pas valable : { $expected }
record-empty = { $field } ne doit pas être vide
record-too-long = { $field } fait { $len } octets ; au plus { $max } sont acceptés
record-unit-mismatch = l'unité « { $unit } » ne convient pas au type de mesure « { $kind } » : utilisez l'une de celles-ci : { $accepted }
record-implausible = valeur non plausible pour { $what } ({ $value }) : { $why }
record-wrong-section = une entrée { $kind } va dans la rubrique { $expected }, pas { $found }
record-kind-change = l'entrée { $id } est de type { $existing } ; elle ne peut pas devenir { $new } (supprimez-la et ajoutez-en une nouvelle)
record-not-found = aucune entrée { $id } dans cette rubrique
record-profile-exists = le dossier a déjà un profil ({ $id }) ; modifiez-le au lieu d'en ajouter un autre
record-period-reversed = { $end_field } ({ $end }) précède { $start_field } ({ $start })
record-malformed = les données du dossier sont mal formées : { $detail }
record-unapplicable = les données du dossier sont mal formées : { $n } modification(s) ne peuvent pas être appliquées
record-undecodable = l'entrée { $id } ne se décode pas : { $why }
record-unusual = valeur inhabituelle pour { $what } ({ $value }) : { $why }
expected-one-of = utilisez l'une de ces valeurs : { $values }
expected-kind-or-loinc = utilisez l'un de ces types : { $values }, ou un code LOINC comme 2093-3
expected-entry-id = un identifiant d'entrée compte 10 lettres et chiffres
expected-ucum-unit = donnez une unité UCUM sans espace, par exemple mg/dL
expected-code = écrivez SYSTÈME:CODE ou SYSTÈME|CODE, par exemple snomed:44054006 ou http://loinc.org|29463-7 (systèmes : loinc, snomed, atc, cvx, rxnorm, icd10, ucum, ou une URI)
expected-date = utilisez AAAA, AAAA-MM ou AAAA-MM-JJ (une vraie date du calendrier)
expected-datetime = utilisez RFC 3339 (2024-03-01T08:30:00+01:00), ou AAAA-MM-JJ HH:MM[:SS] ou AAAA-MM-JJ en heure locale
expected-none-known = utilisez allergies, conditions, medications ou immunizations
why-not-a-number = ce n'est pas un nombre (écrivez 72.5 ou 72,5)
why-not-finite = ce n'est pas un nombre fini
why-not-finite-at = le { $at }, ce n'est pas un nombre fini
why-range = une valeur supérieure à { $low } et d'au plus { $high } est attendue
why-bp-form = écrivez-la sous la forme SYSTOLIQUE/DIASTOLIQUE, par exemple 120/80
why-bp-order = la valeur diastolique doit être inférieure à la systolique
why-after-today = c'est après aujourd'hui ({ $today }) ; donnez la date à laquelle c'est arrivé (AAAA, AAAA-MM ou AAAA-MM-JJ)
why-future = c'est dans le futur (il est { $now }) ; donnez le moment de la mesure
why-usual-bp = elle est habituellement comprise entre { $low } et { $high } mm[Hg]
fhir-too-large = le fichier fait { $size } octets ; Carnet importe au plus { $max } octets à la fois : découpez-le (par exemple un Bundle par année)
fhir-resource-too-large = l'entrée { $entry } du Bundle dépasse { $max } octets : Carnet lit des ressources d'au plus cette taille (le fichier est-il endommagé ?) ; retirez ou découpez cette ressource
fhir-held-too-large = le Bundle contient plus de { $max } octets de ressources autres que des relevés d'appareils (documents, entrées cliniques), plus que Carnet n'en garde pendant la lecture d'un Bundle : découpez-le (par exemple les documents à part)
fhir-not-json = le fichier n'est pas du JSON : { $detail } ; un import FHIR prend un Bundle R4 en JSON
fhir-not-fhir = le fichier est du JSON mais pas une ressource FHIR ({ $detail }) ; un import FHIR prend un Bundle R4
fhir-one-resource = le fichier contient une ressource { $rtype }, pas un Bundle ; un import FHIR prend un Bundle R4 (collection, document, transaction, batch ou searchset)
fhir-not-a-resource-type = resourceType « { $rtype } » n'est pas un type de ressource R4 ; un import FHIR prend un Bundle R4 (collection, document, transaction, batch ou searchset)
fhir-bundle-type = un Bundle.type « { $rtype } » n'est pas importé : utilisez un Bundle de type collection, document, transaction, batch ou searchset
fhir-invalid = le Bundle n'est pas du FHIR R4 valide ({ $n } { $n ->
    [one] problème
   *[other] problèmes
  }) ; rien n'a été importé :{ $problems }
fhir-problem-entry-resource = entrée { $entry } ({ $resource }) :
fhir-problem-entry = entrée { $entry } :
fhir-more-problems = ... et { $n } de plus
fhir-unsupported = { $detail } ; rien n'a été importé
fhir-too-many-readings = le fichier contient plus de { $max } relevés ; découpez-le (par exemple par année)
fhir-bundle-too-many-readings = le Bundle contient plus de { $max } relevés ; découpez-le (par exemple par année)
fhir-several-patients = le Bundle concerne { $n } patients ; un dossier Carnet est celui d'une seule personne, donc rien n'a été importé. Il contient :{ $people }
    Choisissez l'un d'eux (par exemple { $example })
fhir-no-such-patient = le Bundle ne contient aucun patient « { $wanted } » ; rien n'a été importé. Il contient :{ $people }
    Choisissez l'un de ceux-ci
fhir-row = { $file_kind }, ligne { $line }, colonne « { $column } » : { $message } ; rien n'a été importé
fhir-spool = un document du Bundle n'a pas pu être mis de côté pendant sa lecture { $detail } ; rien n'a été importé. Vérifiez que le dossier a la place pour les documents du Bundle et qu'on peut y écrire
fhir-export = impossible d'exporter : { $detail }
fhir-empty = il est vide
fhir-not-object = son niveau le plus haut n'est pas un objet
fhir-no-resource-type = il n'a pas de resourceType
mailbox-store = le stockage de la boîte aux lettres a échoué : { $detail }
mailbox-damaged = le stockage de la boîte aux lettres est endommagé : { $what } ne se décode pas
mailbox-no-item = la boîte aux lettres ne contient aucun dépôt { $id }
mailbox-timeout = le pair a cessé de répondre ({ $what })
mailbox-bad-certificate = le certificat de votre appareil ne se vérifie pas : { $why }
mailbox-cert-not-presented = il n'a pas été présenté en premier
mailbox-cert-card = la carte ne se vérifie pas
mailbox-cert-certificate = le certificat ne se vérifie pas pour cette connexion
mailbox-cert-of-another = il nomme une autre personne que la carte
mailbox-store-full = la boîte aux lettres est pleine ({ $bytes } octets conservés, limite { $max }) ; réessayez plus tard
mailbox-version = elle parle le protocole de boîte aux lettres { $theirs }, vous parlez le { $ours } ; mettez à jour le plus ancien
mailbox-unavailable = la boîte aux lettres n'a pas pu conserver le dépôt ; rien n'a été accepté, déposez à nouveau plus tard
mailbox-device-not-listed = cet appareil ne fait pas partie des appareils que votre appareil principal a déclarés à cette boîte aux lettres (retiré, ou lié depuis) : relevez une fois la boîte sur votre appareil principal, puis ici
internal-fault = anomalie interne : { $detail }
sync-timeout = le pair a cessé de répondre ({ $what }) ; rien de ce qu'il a envoyé après son dernier lot complet n'a été gardé
sync-stalled = la liaison est bloquée : aucun progrès depuis { $secs } s { $what } (après { $bytes } octets reçus) ; le pair s'est peut-être arrêté ou la liaison a été coupée. Rien de ce qu'il a envoyé après son dernier lot complet n'a été gardé ; synchronisez à nouveau pour continuer
sync-inside-runtime = la synchronisation en direct tourne sur son propre moteur : lancez-la depuis un fil d'exécution ordinaire, pas depuis du code asynchrone
sync-live-stopped = la synchronisation en direct a été arrêtée ; relancez-la
refusal-full = l'appareil sert déjà autant de sessions qu'il en accepte ({ $sessions }) ; réessayez plus tard

## Ce que nomment les erreurs de la bibliothèque (avec leur article quand la phrase en demande un)
thing-the-bundle = le paquet
thing-the-backup = la sauvegarde
thing-the-data = le flux de données
thing-a-frame = une trame
thing-the-sealed-data = le contenu scellé
thing-a-chunk-of-it = un de ses morceaux
thing-bundle = paquet
thing-backup = sauvegarde
thing-an-envelope-of-this-exchange = une modification de cet échange
thing-envelope = la modification
thing-key-grant = l'autorisation de clé
thing-endpoint-key = la clé réseau
thing-consent-entry = l'entrée de consentement
thing-device-removal = le retrait d'appareil
thing-device-certificate = le certificat d'appareil
thing-sealed-file = le fichier scellé
thing-recovery-share = la part de récupération
thing-consent-log = le journal de consentement
thing-identity-card = la carte d'identité
thing-patient-card = la carte du patient
thing-witness-card = la carte du témoin
thing-a-card = une carte
thing-attachment = la pièce jointe
thing-signing-key = la clé de signature
thing-stored-secret-keys = les clés secrètes stockées
thing-person-id = l'identifiant de personne
thing-grant-id = l'identifiant d'autorisation
thing-entry-id = l'identifiant d'entrée
thing-section = la rubrique
thing-measurement-kind = le type de mesure
thing-unit = l'unité
thing-code = le code
thing-code-system = le système de codes
thing-date = la date
thing-date-and-time = la date avec heure
thing-section-for-none-known = la rubrique pour « aucun connu »
thing-criticality = la criticité
thing-conditionstatus = le statut de la pathologie
thing-medicationstatus = le statut du médicament
thing-procedurestatus = le statut de l'acte
thing-immunizationstatus = le statut de la vaccination
thing-doctype = le type de document
thing-sex = le sexe
thing-bloodgroup = le groupe sanguin
thing-text = le texte
thing-title = le titre
thing-name = le nom
thing-value = la valeur
thing-kind = le type
thing-source = la source
thing-start = le début
thing-end = la fin
thing-onset = le début
thing-abatement = la fin
thing-status-reason = le motif du statut
thing-component-code = le code de la composante
thing-component-unit = l'unité de la composante
thing-component-value = la valeur de la composante
thing-blob-id = l'identifiant du fichier
thing-blob-key = la clé du fichier
thing-media-type = le type de média
thing-file-name = le nom de fichier
thing-advance-directives = les directives anticipées
thing-emergency-contact-name = le nom du contact d'urgence
thing-emergency-contact-phone = le téléphone du contact d'urgence
thing-emergency-contact-relationship = le lien avec le contact d'urgence
thing-measurement-time = l'heure de la mesure
thing-vaccination-date = la date de vaccination
thing-procedure-date = la date de l'acte
thing-medication-start = le début du traitement
thing-reading = le relevé
thing-systolic-pressure = la pression systolique
thing-diastolic-pressure = la pression diastolique
thing-blood-pressure = la tension artérielle
thing-weight = le poids
thing-height = la taille
thing-heart-rate = la fréquence cardiaque
thing-glucose = la glycémie
thing-temperature = la température
thing-spo2 = la SpO2
thing-header = son en-tête
thing-cannot-write = impossible d'écrire
thing-cannot-read = impossible de lire
thing-cannot-create = impossible de créer
thing-cannot-create-directory = impossible de créer le dossier
thing-cannot-replace = impossible de remplacer
thing-cannot-sync = impossible de synchroniser sur le disque
thing-cannot-read-the-attachment = impossible de lire la pièce jointe
thing-cannot-read-the-bundle = impossible de lire le paquet
thing-cannot-write-the-attachment = impossible d'écrire la pièce jointe
thing-cannot-write-the-backup = impossible d'écrire la sauvegarde
thing-cards = les cartes
thing-grants = les autorisations
thing-contacts = les contacts
thing-device-list = la liste des appareils
thing-the-device-list = la liste des appareils
thing-block-list = la liste des personnes bloquées
thing-entry-list = la liste des entrées
thing-checkpoints = les points de contrôle
thing-cosignatures = les cosignatures
thing-addresses = les adresses
thing-attempts = les tentatives
thing-proofs = preuves
thing-consent-checkpoints = les points de contrôle de consentement
thing-your-older-checkpoint = votre point de contrôle précédent
thing-the-size-you-pinned = la taille que vous avez retenue
thing-a-checkpoint-a-witness-cosigned = un point de contrôle cosigné par un témoin
wait-a-hello = un bonjour
wait-opening-its-stream = à l'ouverture de son flux
wait-waiting-for-the-new-device = en attendant le nouvel appareil
wait-waiting-for-the-caller-s-stream = en attendant le flux de l'appelant
wait-while-the-other-device-took-what-we-send = pendant que l'autre appareil prenait ce qui lui était envoyé
wait-waiting-for-the-other-device-s-next-message = en attendant le message suivant de l'autre appareil
wait-in-the-middle-of-a-message-from-the-other-device = au milieu d'un message de l'autre appareil
thing-card = carte
thing-item = dépôt
wait-reading = en lecture
fhir-layout = { $file_kind } : { $message }
fhir-no-brace = il ne commence pas par « { "{" } » (premiers octets : { $bytes })
fhir-unreadable = il n'a pas pu être lu : { $detail }
fhir-problem-resource = { $resource } :
patient-unnamed = un patient sans nom
patient-born = , né(e) le { $date }
patient-no-birth-date = , date de naissance non donnée
patient-identifiers = ; identifiants { $ids }
diff-names = les noms diffèrent (dossier : { $mine } ; paquet : { $theirs })
diff-birth-dates = les dates de naissance diffèrent (dossier : { $mine } ; paquet : { $theirs })
diff-identifiers = les identifiants { $system } diffèrent (dossier : { $mine } ; paquet : { $theirs })
err-cause = { $text } : { $cause }
err-hint = { $text } ; { $hint }

## Valeurs habituelles des mesures (ce que signifie probablement une valeur en dehors)
usual-a-body-weight-in-kg-is-between-0-3-and-400-was-it-g-or-lb = un poids en kg est compris entre 0,3 et 400 (était-ce des g ou des lb ?)
usual-a-body-weight-in-g-is-between-300-and-400-000-was-it-kg = un poids en g est compris entre 300 et 400 000 (était-ce des kg ?)
usual-a-body-weight-in-lb-is-between-0-7-and-900-was-it-kg = un poids en lb est compris entre 0,7 et 900 (était-ce des kg ?)
usual-a-body-height-in-cm-is-between-20-and-260-was-it-m-or-in = une taille en cm est comprise entre 20 et 260 (était-ce des m ou des pouces ?)
usual-a-body-height-in-m-is-between-0-2-and-2-6-was-it-cm = une taille en m est comprise entre 0,2 et 2,6 (était-ce des cm ?)
usual-a-body-height-in-inches-is-between-8-and-102-was-it-cm = une taille en pouces est comprise entre 8 et 102 (était-ce des cm ?)
usual-a-heart-rate-is-between-20-and-300-beats-per-minute = une fréquence cardiaque est comprise entre 20 et 300 battements par minute
usual-glucose-in-mg-dl-is-between-20-and-1500-was-it-mmol-l = une glycémie en mg/dL est comprise entre 20 et 1500 : était-ce des mmol/L ?
usual-glucose-in-mmol-l-is-between-1-and-85-was-it-mg-dl = une glycémie en mmol/L est comprise entre 1 et 85 : était-ce des mg/dL ?
usual-a-body-temperature-in-c-is-between-25-and-45-was-it-f = une température corporelle en °C est comprise entre 25 et 45 : était-ce des °F ?
usual-a-body-temperature-in-f-is-between-77-and-113-was-it-c = une température corporelle en °F est comprise entre 77 et 113 : était-ce des °C ?
usual-oxygen-saturation-is-between-50-and-100 = la saturation en oxygène est comprise entre 50 et 100 %
