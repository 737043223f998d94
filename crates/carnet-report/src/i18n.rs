//! The report's words in each language it speaks: a typed catalogue, so a language that
//! lacks a message does not compile. Placeholders are `{name}`, filled by [`fill`].

use std::fmt;
use std::str::FromStr;

/// A language the report is written in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// French.
    Fr,
}

impl Lang {
    /// Every language, for help texts and tests.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    /// The BCP 47 tag (`en`, `fr`), as HTML's `lang` attribute takes it.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    pub(crate) fn words(self) -> &'static Words {
        match self {
            Lang::En => &EN,
            Lang::Fr => &FR,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// A language tag the report does not speak.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("language \"{0}\" is not available for the report: use en or fr")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;
    /// `en`, `fr`, and regional or locale forms of them (`fr-FR`, `fr_CA.UTF-8`, `EN`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let primary = s
            .trim()
            .split(['-', '_', '.'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Ok(Lang::En),
            "fr" => Ok(Lang::Fr),
            _ => Err(UnknownLang(s.to_string())),
        }
    }
}

/// Replaces each `{key}` of `template` by its value.
pub(crate) fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut s = template.to_string();
    for (k, v) in args {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

/// Every text of the report, in one language.
pub(crate) struct Words {
    pub title: &'static str,
    pub subtitle: &'static str,
    pub footer: &'static str,
    pub born: &'static str,
    pub blood_group: &'static str,
    pub emergency_contact: &'static str,
    pub sex_female: &'static str,
    pub sex_male: &'static str,
    pub sex_other: &'static str,
    pub sex_unknown: &'static str,
    /// IPS section titles by LOINC, then the texts of empty sections.
    pub sections: [(&'static str, &'static str); 8],
    pub no_known: [(&'static str, &'static str); 4],
    pub no_info: [(&'static str, &'static str); 3],
    pub no_info_other: &'static str,
    pub notes: &'static str,
    pub documents: &'static str,
    pub untitled_note: &'static str,
    pub doc_types: [&'static str; 5],
    pub bytes: &'static str,
    pub times: &'static str,
    pub latest: &'static str,
    pub on: &'static str,
    pub since: &'static str,
    pub until: &'static str,
    pub reaction: &'static str,
    pub criticality_high: &'static str,
    pub criticality_low: &'static str,
    pub condition_status: [(&'static str, &'static str); 6],
    pub medication_status: [(&'static str, &'static str); 7],
    pub procedure_status: [(&'static str, &'static str); 7],
    pub not_given: &'static str,
    pub date_unknown: &'static str,
    pub reason: &'static str,
    pub unusual_confirmed: &'static str,
    pub flag_high: &'static str,
    pub flag_low: &'static str,
    pub flag_abnormal: &'static str,
    pub reference: &'static str,
    pub threshold: &'static str,
    // Charts.
    pub no_readings: &'static str,
    pub reading_one: &'static str,
    pub readings_n: &'static str,
    pub glucose_stats: &'static str,
    pub beyond_sensor: &'static str,
    pub bp_stats: &'static str,
    pub other_stats: &'static str,
    pub other_stats_one: &'static str,
    pub target: &'static str,
    pub bp_threshold: &'static str,
    pub legend_average: &'static str,
    pub legend_low_high: &'static str,
    pub legend_in_range: &'static str,
    pub legend_above: &'static str,
    pub legend_below: &'static str,
    pub legend_systolic: &'static str,
    pub legend_diastolic: &'static str,
    pub legend_weight: &'static str,
    pub legend_trend: &'static str,
    pub legend_readings: &'static str,
    pub months: [&'static str; 12],
    /// Date of a chart's period: `{d}` day, `{m}` month name, `{y}` year.
    pub date_long: &'static str,
    pub date_short: &'static str,
    // Glucose (AGP).
    pub agp_title: &'static str,
    pub agp_period: &'static str,
    pub agp_caption: &'static str,
    pub agp_legend_median: &'static str,
    pub agp_legend_iqr: &'static str,
    pub agp_legend_90: &'static str,
    pub tir_title: &'static str,
    pub tir_very_high: &'static str,
    pub tir_high: &'static str,
    pub tir_in_range: &'static str,
    pub tir_low: &'static str,
    pub tir_very_low: &'static str,
    pub metric_mean: &'static str,
    pub metric_gmi: &'static str,
    pub metric_cv: &'static str,
    pub metric_days: &'static str,
    pub metric_active: &'static str,
    pub metric_readings: &'static str,
    pub metric_censored: &'static str,
    pub cv_stable: &'static str,
    pub cv_unstable: &'static str,
    pub agp_too_few: &'static str,
    pub agp_method: &'static str,
    pub chart_glucose: &'static str,
    pub glucose_days: &'static str,
}

pub(crate) const EN: Words = Words {
    title: "Health summary of {name}",
    subtitle: "International Patient Summary · made by Carnet from the patient's own record",
    footer: "Generated on {when} from an end-to-end encrypted Carnet record. It shows what the record holds; it is not a diagnosis.",
    born: "born {date}",
    blood_group: "blood group {group}",
    emergency_contact: "emergency contact: {name}",
    sex_female: "female",
    sex_male: "male",
    sex_other: "other",
    sex_unknown: "sex unknown",
    sections: [
        ("48765-2", "Allergies and Intolerances"),
        ("11450-4", "Problem List"),
        ("10160-0", "Medication Summary"),
        ("11369-6", "Immunizations"),
        ("11348-0", "History of Past Illness"),
        ("47519-4", "History of Procedures"),
        ("8716-3", "Vital Signs"),
        ("30954-2", "Results"),
    ],
    no_known: [
        ("48765-2", "No known allergies"),
        ("11450-4", "No known problems"),
        ("10160-0", "No known medications"),
        ("11369-6", "No known immunizations"),
    ],
    no_info: [
        ("48765-2", "No information about allergies"),
        ("11450-4", "No information about problems"),
        ("10160-0", "No information about medications"),
    ],
    no_info_other: "No information",
    notes: "Notes",
    documents: "Documents",
    untitled_note: "Note",
    doc_types: ["report", "prescription", "imaging", "letter", "document"],
    bytes: "{n} bytes",
    times: "{n} times",
    latest: "latest {date}",
    on: "on {date}",
    since: "since {date}",
    until: "until {date}",
    reaction: "reaction: {what}",
    criticality_high: "high criticality",
    criticality_low: "low criticality",
    condition_status: [
        ("active", "active"),
        ("recurrence", "recurrence"),
        ("relapse", "relapse"),
        ("inactive", "inactive"),
        ("remission", "in remission"),
        ("resolved", "resolved"),
    ],
    medication_status: [
        ("active", "taken"),
        ("completed", "course finished"),
        ("stopped", "stopped"),
        ("on-hold", "on hold"),
        ("intended", "planned"),
        ("unknown", "whether it is taken is not known"),
        ("not-taken", "NOT TAKEN"),
    ],
    procedure_status: [
        ("completed", "done"),
        ("in-progress", "in progress"),
        ("preparation", "being prepared"),
        ("on-hold", "on hold"),
        ("stopped", "stopped"),
        ("unknown", "status unknown"),
        ("not-done", "NOT DONE"),
    ],
    not_given: "NOT GIVEN",
    date_unknown: "date unknown",
    reason: "reason: {why}",
    unusual_confirmed: "unusual, confirmed",
    flag_high: "high",
    flag_low: "low",
    flag_abnormal: "abnormal",
    reference: "reference {range}",
    threshold: "threshold {range}",
    no_readings: "No readings to show yet.",
    reading_one: "1 reading",
    readings_n: "{n} readings",
    glucose_stats: "In range {inr} · below {below} (below {l2}: {very_low}) · above {above} · average {mean} {unit} · {count}",
    beyond_sensor: " · {low} Low and {high} High (beyond the sensor range)",
    bp_stats: "Latest {sys}/{dia} {unit} · average {msys}/{mdia} · {count}",
    other_stats: "Latest {last} {unit} · change {change} {unit} over the period · {count}",
    other_stats_one: "{last} {unit} · {count}",
    target: "target {a}–{b} {unit}",
    bp_threshold: "{v} mmHg threshold",
    legend_average: "average",
    legend_low_high: "lowest–highest",
    legend_in_range: "in range",
    legend_above: "above range",
    legend_below: "below range",
    legend_systolic: "systolic",
    legend_diastolic: "diastolic",
    legend_weight: "weight",
    legend_trend: "trend (moving average)",
    legend_readings: "readings",
    months: [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ],
    date_long: "{m} {d}, {y}",
    date_short: "{m} {d}",
    agp_title: "Ambulatory Glucose Profile",
    agp_period: "{from} – {to} ({days} days)",
    agp_caption: "Glucose over a modal day: the readings of the period laid over one day, by time of day.",
    agp_legend_median: "median",
    agp_legend_iqr: "25–75 %",
    agp_legend_90: "5–95 %",
    tir_title: "Time in ranges",
    tir_very_high: "Very high",
    tir_high: "High",
    tir_in_range: "In range",
    tir_low: "Low",
    tir_very_low: "Very low",
    metric_mean: "Mean glucose",
    metric_gmi: "Glucose management indicator (GMI)",
    metric_cv: "Glucose variability (CV)",
    metric_days: "Days of readings",
    metric_active: "Time with readings",
    metric_readings: "Readings",
    metric_censored: "{low} Low and {high} High readings (beyond the sensor's range) are counted at the sensor's limit.",
    cv_stable: "target ≤ 36 %",
    cv_unstable: "above the 36 % target",
    agp_too_few: "Too few readings for a glucose profile (at least one day of sensor readings is needed).",
    agp_method: "Percentiles per 15-minute bin of the day (linear interpolation); GMI (%) = {a} + {k} × mean glucose in {unit}; CV = standard deviation / mean; ranges as the international consensus (Battelino 2019).",
    chart_glucose: "Glucose",
    glucose_days: "Glucose: the last {days} days of readings ({n}).",
};

pub(crate) const FR: Words = Words {
    title: "Synthèse de santé de {name}",
    subtitle: "Synthèse patient internationale (IPS) · établie par Carnet à partir du dossier du patient",
    footer: "Établi le {when} à partir d'un dossier Carnet chiffré de bout en bout. Ce document montre le contenu du dossier ; ce n'est pas un diagnostic.",
    born: "né·e le {date}",
    blood_group: "groupe sanguin {group}",
    emergency_contact: "personne à prévenir : {name}",
    sex_female: "femme",
    sex_male: "homme",
    sex_other: "autre",
    sex_unknown: "sexe inconnu",
    sections: [
        ("48765-2", "Allergies et intolérances"),
        ("11450-4", "Problèmes de santé"),
        ("10160-0", "Traitements"),
        ("11369-6", "Vaccinations"),
        ("11348-0", "Antécédents"),
        ("47519-4", "Actes et interventions"),
        ("8716-3", "Signes vitaux"),
        ("30954-2", "Résultats"),
    ],
    no_known: [
        ("48765-2", "Aucune allergie connue"),
        ("11450-4", "Aucun problème de santé connu"),
        ("10160-0", "Aucun traitement connu"),
        ("11369-6", "Aucune vaccination connue"),
    ],
    no_info: [
        ("48765-2", "Pas d'information sur les allergies"),
        ("11450-4", "Pas d'information sur les problèmes de santé"),
        ("10160-0", "Pas d'information sur les traitements"),
    ],
    no_info_other: "Pas d'information",
    notes: "Notes",
    documents: "Documents",
    untitled_note: "Note",
    doc_types: [
        "compte rendu",
        "ordonnance",
        "imagerie",
        "courrier",
        "document",
    ],
    bytes: "{n} octets",
    times: "{n} fois",
    latest: "dernière le {date}",
    on: "le {date}",
    since: "depuis {date}",
    until: "jusqu'au {date}",
    reaction: "réaction : {what}",
    criticality_high: "criticité élevée",
    criticality_low: "criticité faible",
    condition_status: [
        ("active", "actif"),
        ("recurrence", "récidive"),
        ("relapse", "rechute"),
        ("inactive", "inactif"),
        ("remission", "en rémission"),
        ("resolved", "guéri"),
    ],
    medication_status: [
        ("active", "pris"),
        ("completed", "traitement terminé"),
        ("stopped", "arrêté"),
        ("on-hold", "suspendu"),
        ("intended", "prévu"),
        ("unknown", "prise non connue"),
        ("not-taken", "NON PRIS"),
    ],
    procedure_status: [
        ("completed", "fait"),
        ("in-progress", "en cours"),
        ("preparation", "en préparation"),
        ("on-hold", "suspendu"),
        ("stopped", "interrompu"),
        ("unknown", "statut inconnu"),
        ("not-done", "NON FAIT"),
    ],
    not_given: "NON ADMINISTRÉ",
    date_unknown: "date inconnue",
    reason: "motif : {why}",
    unusual_confirmed: "inhabituel, confirmé",
    flag_high: "élevé",
    flag_low: "bas",
    flag_abnormal: "anormal",
    reference: "référence {range}",
    threshold: "seuil {range}",
    no_readings: "Pas encore de mesures à afficher.",
    reading_one: "1 mesure",
    readings_n: "{n} mesures",
    glucose_stats: "Dans la cible {inr} · sous la cible {below} (sous {l2} : {very_low}) · au-dessus {above} · moyenne {mean} {unit} · {count}",
    beyond_sensor: " · {low} « Bas » et {high} « Haut » (hors de la plage du capteur)",
    bp_stats: "Dernière {sys}/{dia} {unit} · moyenne {msys}/{mdia} · {count}",
    other_stats: "Dernière {last} {unit} · évolution {change} {unit} sur la période · {count}",
    other_stats_one: "{last} {unit} · {count}",
    target: "cible {a}–{b} {unit}",
    bp_threshold: "seuil {v} mmHg",
    legend_average: "moyenne",
    legend_low_high: "plus bas–plus haut",
    legend_in_range: "dans la cible",
    legend_above: "au-dessus",
    legend_below: "en dessous",
    legend_systolic: "systolique",
    legend_diastolic: "diastolique",
    legend_weight: "poids",
    legend_trend: "tendance (moyenne mobile)",
    legend_readings: "mesures",
    months: [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ],
    date_long: "{d} {m} {y}",
    date_short: "{d} {m}",
    agp_title: "Profil glycémique ambulatoire (AGP)",
    agp_period: "{from} – {to} ({days} jours)",
    agp_caption: "Glycémie sur une journée type : les mesures de la période superposées sur 24 heures, selon l'heure.",
    agp_legend_median: "médiane",
    agp_legend_iqr: "25–75 %",
    agp_legend_90: "5–95 %",
    tir_title: "Temps dans les plages",
    tir_very_high: "Très élevé",
    tir_high: "Élevé",
    tir_in_range: "Dans la cible",
    tir_low: "Bas",
    tir_very_low: "Très bas",
    metric_mean: "Glycémie moyenne",
    metric_gmi: "Indicateur de gestion du glucose (GMI)",
    metric_cv: "Variabilité glycémique (CV)",
    metric_days: "Jours de mesures",
    metric_active: "Temps avec mesures",
    metric_readings: "Mesures",
    metric_censored: "{low} mesures « Bas » et {high} « Haut » (hors de la plage du capteur) sont comptées à la limite du capteur.",
    cv_stable: "cible ≤ 36 %",
    cv_unstable: "au-dessus de la cible de 36 %",
    agp_too_few: "Trop peu de mesures pour un profil glycémique (il faut au moins une journée de mesures du capteur).",
    agp_method: "Percentiles par tranche de 15 minutes de la journée (interpolation linéaire) ; GMI (%) = {a} + {k} × glycémie moyenne en {unit} ; CV = écart type / moyenne ; plages du consensus international (Battelino 2019).",
    chart_glucose: "Glycémie",
    glucose_days: "Glycémie : les {days} derniers jours de mesures ({n}).",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_locales_parse() {
        assert_eq!("fr".parse::<Lang>().unwrap(), Lang::Fr);
        assert_eq!("fr_FR.UTF-8".parse::<Lang>().unwrap(), Lang::Fr);
        assert_eq!("EN-gb".parse::<Lang>().unwrap(), Lang::En);
        let e = "de".parse::<Lang>().unwrap_err().to_string();
        assert!(e.contains("\"de\"") && e.contains("en or fr"), "{e}");
    }

    #[test]
    fn placeholders_are_the_same_in_every_language() {
        // Every {key} of the English text is in the French one, and the other way round.
        let keys = |s: &str| {
            let mut k: Vec<String> = s
                .split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(k, _)| k.to_string()))
                .collect();
            k.sort();
            k
        };
        let pairs = [
            (EN.title, FR.title),
            (EN.footer, FR.footer),
            (EN.glucose_stats, FR.glucose_stats),
            (EN.beyond_sensor, FR.beyond_sensor),
            (EN.bp_stats, FR.bp_stats),
            (EN.other_stats, FR.other_stats),
            (EN.agp_period, FR.agp_period),
            (EN.metric_censored, FR.metric_censored),
            (EN.glucose_days, FR.glucose_days),
            (EN.agp_method, FR.agp_method),
            (EN.date_long, FR.date_long),
        ];
        for (en, fr) in pairs {
            assert_eq!(keys(en), keys(fr), "{en} / {fr}");
        }
    }
}
