//! Entries in words for people, in their language: units as people write them (mmHg, °C,
//! lb, not UCUM's `mm[Hg]`, `Cel`, `[lb_av]`), numbers with the decimal mark of the
//! language, section and status names translated. Display only: what is stored, exported
//! and printed with `--json` keeps its codes.

use carnet::record::{Entry, SectionId, Series};

use crate::i18n::{self, Lang};
use crate::t;

/// A UCUM unit as people write it.
pub fn unit(ucum: &str) -> String {
    let known = match ucum {
        "mm[Hg]" => "mmHg",
        "Cel" => "°C",
        "[degF]" => "°F",
        "[lb_av]" => "lb",
        "[oz_av]" => "oz",
        "[in_i]" => "in",
        "[ft_i]" => "ft",
        "/min" | "{beats}/min" | "{beat}/min" => "/min",
        "{breaths}/min" => "/min",
        "kg/m2" => "kg/m²",
        "mL/min/{1.73_m2}" | "mL/min/1.73m2" => "mL/min/1,73 m²",
        "10*3/uL" => "10³/µL",
        "10*6/uL" => "10⁶/µL",
        "10*9/L" => "10⁹/L",
        "10*12/L" => "10¹²/L",
        "[iU]/L" => "UI/L",
        "[IU]/L" => "UI/L",
        "%{HemoglobinSaturation}" => "%",
        _ => "",
    };
    let text = if !known.is_empty() {
        known.to_string()
    } else {
        // General rules: annotations ({...}) are dropped, `u` before a unit is micro.
        let mut out = String::new();
        let mut depth = 0;
        for c in ucum.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ if depth > 0 => {}
                _ => out.push(c),
            }
        }
        for (from, to) in [("umol", "µmol"), ("ug", "µg"), ("uL", "µL"), ("uU", "µU")] {
            if out.starts_with(from) || out.contains(&format!("/{from}")) {
                out = out.replacen(from, to, 1);
            }
        }
        if out.is_empty() {
            ucum.to_string()
        } else {
            out
        }
    };
    // "UI" (unités internationales) is French; English writes IU.
    if i18n::lang() == Lang::En {
        text.replace("UI/L", "IU/L").replace("1,73", "1.73")
    } else {
        text
    }
}

/// A number as the language writes it (a decimal comma in French), without the noise of
/// binary floating point.
pub fn number(v: f64) -> String {
    let r = (v * 1e6).round() / 1e6;
    let text = if r.is_finite() {
        format!("{r}")
    } else {
        format!("{v}")
    };
    match i18n::lang() {
        Lang::Fr => text.replace('.', ","),
        Lang::En => text,
    }
}

/// A value with its unit: `120/80 mmHg`, `36,6 °C`, `72 /min`.
fn value_unit(value: &str, ucum: &str) -> String {
    let u = unit(ucum);
    if u.is_empty() {
        value.to_string()
    } else {
        format!("{value} {u}")
    }
}

/// An instant as people read it: the date and the time to the minute on the local clock
/// (`TZ`, else the system's time zone), `2026-12-01 07:13`; a date alone stays a date.
/// Display only: JSON keeps RFC 3339 with its offset.
pub fn moment(d: &carnet::record::DateTime) -> String {
    if d.is_date_only() {
        return d.date().to_string();
    }
    d.timestamp()
        .to_zoned(jiff::tz::TimeZone::system())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// [`moment`] of Unix seconds.
pub fn moment_unix(secs: u64) -> String {
    carnet::record::DateTime::from_unix(secs as i64)
        .map(|d| moment(&d))
        .unwrap_or_else(|| secs.to_string())
}

/// [`moment`] of a date or date-time as the record writes it (RFC 3339); other text as it is.
pub fn moment_text(text: &str) -> String {
    text.parse::<carnet::record::DateTime>()
        .map(|d| moment(&d))
        .unwrap_or_else(|_| text.to_string())
}

/// A section's name for people (its command-line name in English).
pub fn section(s: SectionId) -> String {
    match s {
        SectionId::Profile => t!("section-profile"),
        SectionId::Allergies => t!("section-allergies"),
        SectionId::Conditions => t!("section-conditions"),
        SectionId::Medications => t!("section-medications"),
        SectionId::Immunizations => t!("section-immunizations"),
        SectionId::Measurements => t!("section-measurements"),
        SectionId::Documents => t!("section-documents"),
        SectionId::Notes => t!("section-notes"),
    }
}

/// A code word (a status, a criticality, a kind of document...) in the language, when
/// the messages have it (`word-<value>`), else as it is.
pub fn word(value: &str) -> String {
    let id = format!("word-{value}");
    let text = i18n::message(&id, &[]);
    if text == id { value.to_string() } else { text }
}

/// The name of a kind of measurement (`weight`, `blood-pressure`...), capitalised.
fn kind_name(name: &str) -> String {
    let id = format!("kind-{name}");
    let text = i18n::message(&id, &[]);
    if text != id {
        return text;
    }
    let mut c = name.replace('-', " ");
    if let Some(f) = c.get_mut(0..1) {
        f.make_ascii_uppercase();
    }
    c
}

/// The name of a code Carnet knows (the LOINC codes of its measurement kinds and of a
/// blood pressure's two parts), in the language; `None` for any other code, whose name is
/// the source's own.
pub fn code_name(system: &str, code: &str) -> Option<String> {
    if system != carnet::record::systems::LOINC {
        return None;
    }
    if let Some(k) = carnet::record::MeasurementKind::by_loinc(code) {
        return Some(kind_name(k.name));
    }
    Some(match code {
        "85354-9" | "55284-4" => t!("kind-blood-pressure"),
        "8480-6" => t!("kind-systolic"),
        "8462-4" => t!("kind-diastolic"),
        _ => return None,
    })
}

/// The name of a series' kind (LOINC), in words.
pub fn series_name(s: &Series) -> String {
    let loinc = s.kind.system == carnet::record::systems::LOINC;
    if loinc {
        if let Some(k) = carnet::record::MeasurementKind::by_loinc(&s.kind.code) {
            return kind_name(k.name).to_lowercase();
        }
        match s.kind.code.as_str() {
            "99504-3" | "14745-4" => return t!("kind-glucose").to_lowercase(),
            "41653-7" | "14743-9" => return t!("kind-glucose-finger"),
            _ => {}
        }
    }
    s.kind
        .display
        .clone()
        .unwrap_or_else(|| format!("LOINC {}", s.kind.code))
}

/// One line about an entry, in the language, units as people write them.
pub fn summary(entry: &Entry) -> String {
    match entry {
        Entry::Allergy(a) => {
            let mut extra = Vec::new();
            if let Some(c) = a.criticality {
                extra.push(t!("allergy-criticality", value = word(&c.to_string())));
            }
            if let Some(r) = &a.reaction {
                extra.push(t!("allergy-reaction", value = r.as_str()));
            }
            if extra.is_empty() {
                a.substance.clone()
            } else {
                format!("{} ({})", a.substance, extra.join(", "))
            }
        }
        Entry::Condition(c) => {
            let mut s = format!("{} ({})", c.name, word(&c.status.to_string()));
            if let Some(o) = &c.onset {
                s.push_str(&t!("condition-since", date = o.to_string()));
            }
            s
        }
        Entry::Medication(m) => {
            let mut s = m.name.clone();
            if let Some(d) = &m.dosage {
                s.push_str(&format!(", {d}"));
            }
            let reason = m
                .status_reason
                .as_ref()
                .map(|r| t!("status-reason", reason = r.as_str()))
                .unwrap_or_default();
            s.push_str(&format!(" ({}{reason})", word(&m.status.to_string())));
            s
        }
        Entry::Immunization(i) => t!(
            "immunization-summary",
            vaccine = i.vaccine.as_str(),
            date = i
                .date
                .as_ref()
                .map(|d| d.to_string())
                .unwrap_or_else(|| t!("date-unknown"))
        ),
        Entry::Measurement(m) => {
            let name = m
                .kind_name()
                .map(kind_name)
                .or_else(|| m.kind.display.clone())
                .unwrap_or_else(|| format!("LOINC {}", m.kind.code));
            let confirmed = m.value_text.as_deref() == Some(carnet::record::UNUSUAL_CONFIRMED);
            let text = m.value_text.as_ref().filter(|_| !confirmed);
            let mut value = match (m.value, &m.value_code, text) {
                (Some(v), _, _) => value_unit(&number(v), &m.unit),
                (None, Some(c), _) => c.display.clone().unwrap_or_else(|| c.to_string()),
                (None, None, Some(t)) => t.clone(),
                (None, None, None) => value_unit(
                    &m.components
                        .iter()
                        .map(|c| number(c.value))
                        .collect::<Vec<_>>()
                        .join("/"),
                    &m.unit,
                ),
            };
            if confirmed {
                value.push_str(&t!("measurement-unusual-confirmed"));
            }
            t!(
                "measurement-summary",
                name = name,
                value = value,
                at = moment(&m.at)
            )
        }
        Entry::Procedure(p) => {
            let reason = p
                .status_reason
                .as_ref()
                .map(|r| t!("status-reason", reason = r.as_str()))
                .unwrap_or_default();
            let mut s = format!("{} ({}{reason})", p.name, word(&p.status.to_string()));
            if let Some(d) = &p.date {
                s.push_str(&t!("procedure-on", date = d.to_string()));
            }
            s
        }
        Entry::Series(s) => series_summary(s),
        Entry::Note(n) => {
            let first: String = n
                .text
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(80)
                .collect();
            match &n.title {
                Some(t) => format!("{t}: {first}"),
                None => first,
            }
        }
        Entry::Document(d) => t!(
            "document-summary",
            title = d.title.as_str(),
            kind = word(&d.doc_type.to_string()),
            size = d.blob.size
        ),
        Entry::Profile(p) => {
            let mut s = p.name.clone();
            if let Some(b) = &p.birth_date {
                s.push_str(&t!("profile-born", date = b.to_string()));
            }
            if let Some(g) = p.blood_group {
                s.push_str(&t!("profile-blood-group", group = g.to_string()));
            }
            s
        }
        Entry::NoneKnown(n) => match n.section {
            SectionId::Allergies => t!("none-known-allergies"),
            SectionId::Conditions => t!("none-known-conditions"),
            SectionId::Medications => t!("none-known-medications"),
            SectionId::Immunizations => t!("none-known-immunizations"),
            _ => n.ips_code().display.unwrap_or_default(),
        },
    }
}

/// One block of a series: kind, count, days, range.
fn series_summary(s: &Series) -> String {
    let name = series_name(s);
    let (lo, hi) = s.data.range();
    let (start, end) = (s.data.start().date(), s.data.end().date());
    let days = if start == end {
        start.to_string()
    } else {
        t!(
            "days-range",
            first = start.to_string(),
            last = end.to_string()
        )
    };
    let n = s.data.len();
    let mut text = match s.censored {
        Some(c) => {
            let below = c == carnet::record::Censor::Below;
            t!(
                "series-censored",
                name = name,
                n = n,
                side = if below { "below" } else { "above" },
                limit = value_unit(
                    &format!("{}{}", c.comparator(), number(if below { lo } else { hi })),
                    &s.unit
                ),
                days = days
            )
        }
        None => t!(
            "series-block",
            name = name,
            n = n,
            days = days,
            range = value_unit(&format!("{}-{}", number(lo), number(hi)), &s.unit)
        ),
    };
    if let Some(src) = &s.source {
        text.push_str(", ");
        text.push_str(src);
    }
    text
}

/// A series' latest reading, with its unit: `7,2 mmol/L`.
pub fn series_latest(s: &Series) -> Option<(carnet::record::DateTime, String)> {
    let (t, v) = s.data.readings().max_by_key(|(t, _)| *t)?;
    let value = match s.censored {
        Some(c) => format!("{}{}", c.comparator(), number(v)),
        None => number(v),
    };
    Some((s.data.datetime(t), value_unit(&value, &s.unit)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ucum_units_read_as_people_write_them() {
        // English (the default language of a test process).
        assert_eq!(unit("mm[Hg]"), "mmHg");
        assert_eq!(unit("[lb_av]"), "lb");
        assert_eq!(unit("Cel"), "°C");
        assert_eq!(unit("kg"), "kg");
        assert_eq!(unit("mmol/L"), "mmol/L");
        assert_eq!(unit("mg/dL"), "mg/dL");
        assert_eq!(unit("umol/L"), "µmol/L");
        assert_eq!(unit("{beats}/min"), "/min");
        assert_eq!(unit("[iU]/L"), "IU/L");
        assert_eq!(unit("mL/min/{1.73_m2}"), "mL/min/1.73 m²");
        assert_eq!(number(36.6), "36.6");
        assert_eq!(number(0.1 + 0.2), "0.3");
    }
}
