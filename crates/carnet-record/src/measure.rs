//! Measurement kinds: friendly names, their LOINC codes and the UCUM units that fit them.

use crate::code::systems;
use crate::{Code, Component, DateTime, Measurement, RecordError};

/// One kind of measurement people type by name.
#[derive(Debug)]
pub struct MeasurementKind {
    /// The name on the command line, e.g. `weight`.
    pub name: &'static str,
    /// LOINC code and display per accepted unit: (UCUM unit, aliases, LOINC, display).
    pub units: &'static [(
        &'static str,
        &'static [&'static str],
        &'static str,
        &'static str,
    )],
    /// Lowest and highest plausible value (in each unit, checked loosely).
    pub range: (f64, f64),
}

impl MeasurementKind {
    /// Every kind known by name.
    pub const ALL: &'static [MeasurementKind] = &[
        MeasurementKind {
            name: "weight",
            units: &[
                (
                    "kg",
                    &["kgs", "kilogram", "kilograms"],
                    "29463-7",
                    "Body weight",
                ),
                ("g", &["gram", "grams"], "29463-7", "Body weight"),
                (
                    "[lb_av]",
                    &["lb", "lbs", "pound", "pounds"],
                    "29463-7",
                    "Body weight",
                ),
            ],
            range: (0.0, 700_000.0),
        },
        MeasurementKind {
            name: "height",
            units: &[
                ("cm", &[], "8302-2", "Body height"),
                ("m", &[], "8302-2", "Body height"),
                ("[in_i]", &["in", "inch", "inches"], "8302-2", "Body height"),
            ],
            range: (0.0, 300.0),
        },
        MeasurementKind {
            name: "blood-pressure",
            units: &[(
                "mm[Hg]",
                &["mmhg", "mm hg"],
                "85354-9",
                "Blood pressure panel",
            )],
            range: (0.0, 400.0),
        },
        MeasurementKind {
            name: "heart-rate",
            units: &[(
                "/min",
                &["bpm", "beats/min", "1/min"],
                "8867-4",
                "Heart rate",
            )],
            range: (0.0, 400.0),
        },
        MeasurementKind {
            name: "glucose",
            units: &[
                (
                    "mg/dL",
                    &["mg/dl"],
                    "2339-0",
                    "Glucose [Mass/volume] in Blood",
                ),
                (
                    "mmol/L",
                    &["mmol/l"],
                    "15074-8",
                    "Glucose [Moles/volume] in Blood",
                ),
            ],
            range: (0.0, 2000.0),
        },
        MeasurementKind {
            name: "temperature",
            units: &[
                (
                    "Cel",
                    &["c", "°c", "degc", "celsius"],
                    "8310-5",
                    "Body temperature",
                ),
                (
                    "[degF]",
                    &["f", "°f", "degf", "fahrenheit"],
                    "8310-5",
                    "Body temperature",
                ),
            ],
            range: (-50.0, 150.0),
        },
        MeasurementKind {
            name: "spo2",
            units: &[(
                "%",
                &["percent"],
                "59408-5",
                "Oxygen saturation in Arterial blood by Pulse oximetry",
            )],
            range: (0.0, 100.0),
        },
    ];

    /// The kind with that name.
    pub fn lookup(name: &str) -> Option<&'static MeasurementKind> {
        let n = name.trim().to_ascii_lowercase();
        Self::ALL.iter().find(|k| k.name == n)
    }

    /// The kind whose LOINC code this is, if one.
    pub fn by_loinc(code: &str) -> Option<&'static MeasurementKind> {
        Self::ALL
            .iter()
            .find(|k| k.units.iter().any(|u| u.2 == code))
    }

    /// Canonical UCUM unit for what was typed, with its LOINC code and display.
    fn unit(&self, typed: &str) -> Option<(&'static str, &'static str, &'static str)> {
        let t = typed.trim();
        let lower = t.to_ascii_lowercase();
        self.units
            .iter()
            .find(|(ucum, aliases, _, _)| {
                *ucum == t
                    || ucum.to_ascii_lowercase() == lower
                    || aliases.contains(&lower.as_str())
            })
            .map(|(ucum, _, loinc, display)| (*ucum, *loinc, *display))
    }

    fn accepted(&self) -> String {
        let mut names: Vec<String> = Vec::new();
        for (ucum, aliases, _, _) in self.units {
            names.push(ucum.to_string());
            names.extend(aliases.iter().take(1).map(|a| a.to_string()));
        }
        names.join(", ")
    }
}

/// Names of every kind, for help and error texts.
pub fn kind_names() -> String {
    let names: Vec<_> = MeasurementKind::ALL.iter().map(|k| k.name).collect();
    names.join(", ")
}

fn is_loinc(code: &str) -> bool {
    match code.split_once('-') {
        Some((num, check)) => {
            !num.is_empty()
                && num.len() <= 7
                && num.bytes().all(|b| b.is_ascii_digit())
                && check.len() == 1
                && check.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// A number as people type it: `72.5`, or `72,5` with a decimal comma (one comma, no
/// point: `1,500` is refused rather than guessed).
pub fn parse_decimal(text: &str) -> Option<f64> {
    let t = text.trim();
    let v = match t.parse::<f64>() {
        Ok(v) => v,
        Err(_) if t.matches(',').count() == 1 && !t.contains('.') => {
            let (int, frac) = t.split_once(',')?;
            // "1,500" is a thousands separator as often as a decimal comma: not guessed.
            if frac.len() == 3 {
                return None;
            }
            format!("{int}.{frac}").parse().ok()?
        }
        Err(_) => return None,
    };
    v.is_finite().then_some(v)
}

/// Common UCUM units, for spellings that differ only in case (`mg/dl`, `MMOL/L`, `mmhg`).
const UCUM_COMMON: &[&str] = &[
    "mg/dL",
    "mmol/L",
    "g/dL",
    "g/L",
    "mg/L",
    "umol/L",
    "nmol/L",
    "pmol/L",
    "ng/mL",
    "pg/mL",
    "ug/L",
    "U/L",
    "[IU]/L",
    "m[IU]/L",
    "mU/L",
    "meq/L",
    "mL/min",
    "mL/min/{1.73_m2}",
    "mm[Hg]",
    "%",
    "kg",
    "g",
    "cm",
    "m",
    "/min",
    "Cel",
    "[degF]",
    "10*3/uL",
    "10*9/L",
    "10*6/uL",
    "10*12/L",
    "fL",
    "pg",
    "kg/m2",
    "mm/h",
    "s",
    "L",
    "mL",
];

/// The UCUM spelling of a unit typed with other case or a common alias (`mmhg`, `bpm`).
pub fn ucum_unit(typed: &str) -> String {
    let t = typed.trim();
    if UCUM_COMMON.contains(&t) {
        return t.to_string();
    }
    let lower = t.to_ascii_lowercase();
    match lower.as_str() {
        "mmhg" | "mm hg" => return "mm[Hg]".into(),
        "bpm" | "beats/min" | "1/min" => return "/min".into(),
        "°c" | "degc" => return "Cel".into(),
        "°f" | "degf" => return "[degF]".into(),
        "µmol/l" => return "umol/L".into(),
        _ => {}
    }
    UCUM_COMMON
        .iter()
        .find(|u| u.to_ascii_lowercase() == lower)
        .map(|u| u.to_string())
        .unwrap_or_else(|| t.to_string())
}

/// A value that is possible but unusual for its kind and unit: stored only when the person
/// confirms it (a typo such as 7250 kg, or glucose 7.2 in mg/dL meant in mmol/L, is far
/// more likely than the value).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{what} {value} is unusual: {why}")]
pub struct Unusual {
    /// What was measured.
    pub what: String,
    /// The value with its unit.
    pub value: String,
    /// What is expected, and what was probably meant.
    pub why: String,
}

/// The text a measurement carries beside its number when an unusual value was confirmed
/// (see [`Measurement::check_usual`]).
pub const UNUSUAL_CONFIRMED: &str = "unusual value, confirmed when entered";

/// Usual values of a kind in a unit: wide enough for every patient (a newborn's weight, a
/// fever, a diabetic emergency), narrow enough to catch a slipped digit or a wrong unit.
/// (kind, UCUM unit, lowest, highest, what a value outside probably means).
const USUAL: &[(&str, &str, f64, f64, &str)] = &[
    (
        "weight",
        "kg",
        0.3,
        400.0,
        "a body weight in kg is between 0.3 and 400 (was it g or lb?)",
    ),
    (
        "weight",
        "g",
        300.0,
        400_000.0,
        "a body weight in g is between 300 and 400,000 (was it kg?)",
    ),
    (
        "weight",
        "[lb_av]",
        0.7,
        900.0,
        "a body weight in lb is between 0.7 and 900 (was it kg?)",
    ),
    (
        "height",
        "cm",
        20.0,
        260.0,
        "a body height in cm is between 20 and 260 (was it m or in?)",
    ),
    (
        "height",
        "m",
        0.2,
        2.6,
        "a body height in m is between 0.2 and 2.6 (was it cm?)",
    ),
    (
        "height",
        "[in_i]",
        8.0,
        102.0,
        "a body height in inches is between 8 and 102 (was it cm?)",
    ),
    (
        "heart-rate",
        "/min",
        20.0,
        300.0,
        "a heart rate is between 20 and 300 beats per minute",
    ),
    (
        "glucose",
        "mg/dL",
        20.0,
        1500.0,
        "glucose in mg/dL is between 20 and 1500: was it mmol/L?",
    ),
    (
        "glucose",
        "mmol/L",
        1.0,
        85.0,
        "glucose in mmol/L is between 1 and 85: was it mg/dL?",
    ),
    (
        "temperature",
        "Cel",
        25.0,
        45.0,
        "a body temperature in °C is between 25 and 45: was it °F?",
    ),
    (
        "temperature",
        "[degF]",
        77.0,
        113.0,
        "a body temperature in °F is between 77 and 113: was it °C?",
    ),
    (
        "spo2",
        "%",
        50.0,
        100.0,
        "oxygen saturation is between 50 and 100 %",
    ),
];

/// Usual blood pressure parts in mm[Hg].
const SYSTOLIC_USUAL: (f64, f64) = (50.0, 300.0);
const DIASTOLIC_USUAL: (f64, f64) = (20.0, 200.0);

fn number(what: &str, text: &str) -> Result<f64, RecordError> {
    let v: f64 = parse_decimal(text).ok_or_else(|| RecordError::Implausible {
        what: what.to_string(),
        value: format!("\"{text}\""),
        why: "it is not a number (write 72.5 or 72,5)".into(),
    })?;
    if !v.is_finite() {
        return Err(RecordError::Implausible {
            what: what.to_string(),
            value: text.to_string(),
            why: "it is not a finite number".into(),
        });
    }
    Ok(v)
}

fn check_range(kind: &MeasurementKind, v: f64, text: &str) -> Result<(), RecordError> {
    if v < kind.range.0
        || v > kind.range.1
        || (kind.range.0 == 0.0 && v == 0.0 && kind.name != "spo2")
    {
        return Err(RecordError::Implausible {
            what: kind.name.to_string(),
            value: text.trim().to_string(),
            why: format!(
                "expected a value above {} and at most {}",
                kind.range.0, kind.range.1
            ),
        });
    }
    Ok(())
}

impl Measurement {
    /// Builds a measurement from what a person typed: a kind name (see
    /// [`MeasurementKind::ALL`]) or a LOINC code, a value (`SYS/DIA` for blood pressure)
    /// and a unit that must fit the kind.
    pub fn from_input(
        kind: &str,
        value: &str,
        unit: &str,
        at: DateTime,
        source: Option<String>,
    ) -> Result<Measurement, RecordError> {
        let known = MeasurementKind::lookup(kind);
        let Some(k) = known else {
            let code = kind.trim();
            if !is_loinc(code) {
                return Err(RecordError::invalid(
                    "measurement kind",
                    kind,
                    format!(
                        "use one of {}, or a LOINC code such as 2093-3",
                        kind_names()
                    ),
                ));
            }
            if let Some(k) = MeasurementKind::by_loinc(code) {
                return Self::from_input(k.name, value, unit, at, source);
            }
            let unit = ucum_unit(unit);
            let unit = unit.as_str();
            if unit.is_empty() || unit.len() > 64 || unit.chars().any(char::is_whitespace) {
                return Err(RecordError::invalid(
                    "unit",
                    unit,
                    "give a UCUM unit without spaces, e.g. mg/dL",
                ));
            }
            return Ok(Measurement {
                kind: Code::new(systems::LOINC, code, None),
                value: Some(number(code, value)?),
                unit: unit.to_string(),
                components: Vec::new(),
                at,
                source,
                value_code: None,
                value_text: None,
                category: None,
                status: None,
                reference_range: Vec::new(),
                interpretation: Vec::new(),
            });
        };
        let (ucum, loinc, display) = k.unit(unit).ok_or_else(|| RecordError::UnitMismatch {
            unit: unit.to_string(),
            kind: k.name.to_string(),
            accepted: k.accepted(),
        })?;
        if k.name == "blood-pressure" {
            let (sys, dia) = value
                .split_once('/')
                .ok_or_else(|| RecordError::Implausible {
                    what: "blood pressure".into(),
                    value: value.to_string(),
                    why: "write it as SYSTOLIC/DIASTOLIC, e.g. 120/80".into(),
                })?;
            let (s, d) = (
                number("systolic pressure", sys)?,
                number("diastolic pressure", dia)?,
            );
            check_range(k, s, sys)?;
            check_range(k, d, dia)?;
            if d >= s {
                return Err(RecordError::Implausible {
                    what: "blood pressure".into(),
                    value: value.to_string(),
                    why: "the diastolic value must be below the systolic one".into(),
                });
            }
            return Ok(Measurement {
                kind: Code::new(systems::LOINC, loinc, Some(display)),
                value: None,
                unit: ucum.to_string(),
                components: vec![
                    Component {
                        code: Code::new(systems::LOINC, "8480-6", Some("Systolic blood pressure")),
                        value: s,
                        unit: ucum.to_string(),
                    },
                    Component {
                        code: Code::new(systems::LOINC, "8462-4", Some("Diastolic blood pressure")),
                        value: d,
                        unit: ucum.to_string(),
                    },
                ],
                at,
                source,
                value_code: None,
                value_text: None,
                category: None,
                status: None,
                reference_range: Vec::new(),
                interpretation: Vec::new(),
            });
        }
        let v = number(k.name, value)?;
        check_range(k, v, value)?;
        Ok(Measurement {
            kind: Code::new(systems::LOINC, loinc, Some(display)),
            value: Some(v),
            unit: ucum.to_string(),
            components: Vec::new(),
            at,
            source,
            value_code: None,
            value_text: None,
            category: None,
            status: None,
            reference_range: Vec::new(),
            interpretation: Vec::new(),
        })
    }

    /// Whether the value is usual for its kind and unit (weight, height, heart rate,
    /// glucose, temperature, SpO2, blood pressure; other kinds are not checked). An
    /// unusual value says what was probably meant; it is stored only once confirmed, and
    /// then marked with [`UNUSUAL_CONFIRMED`] (see [`Measurement::confirm_unusual`]).
    pub fn check_usual(&self) -> Result<(), Unusual> {
        if self.value_text.as_deref() == Some(UNUSUAL_CONFIRMED) {
            return Ok(());
        }
        let Some(kind) = self.kind_name() else {
            return Ok(());
        };
        let shown = |v: f64| format!("{} {}", crate::entry::number_text(v), self.unit);
        if kind == "blood-pressure" {
            let part = |code: &str| {
                self.components
                    .iter()
                    .find(|c| c.code.code == code)
                    .map(|c| c.value)
            };
            for (code, name, (lo, hi)) in [
                ("8480-6", "systolic pressure", SYSTOLIC_USUAL),
                ("8462-4", "diastolic pressure", DIASTOLIC_USUAL),
            ] {
                if let Some(v) = part(code)
                    && !(lo..=hi).contains(&v)
                {
                    return Err(Unusual {
                        what: name.into(),
                        value: shown(v),
                        why: format!("it is usually between {lo} and {hi} mm[Hg]"),
                    });
                }
            }
            return Ok(());
        }
        let Some(v) = self.value else {
            return Ok(());
        };
        let Some((_, _, lo, hi, why)) = USUAL
            .iter()
            .find(|(k, u, ..)| *k == kind && *u == self.unit)
        else {
            return Ok(());
        };
        if (*lo..=*hi).contains(&v) {
            return Ok(());
        }
        Err(Unusual {
            what: kind.replace('-', " "),
            value: shown(v),
            why: why.to_string(),
        })
    }

    /// Marks an unusual value as confirmed by the person who entered it: the mark travels
    /// with the measurement (in FHIR, as the Observation's note).
    pub fn confirm_unusual(&mut self) {
        if self.value.is_some() || !self.components.is_empty() {
            self.value_text = Some(UNUSUAL_CONFIRMED.to_string());
        }
    }

    /// The friendly kind name, when the LOINC code is one of the known kinds.
    pub fn kind_name(&self) -> Option<&'static str> {
        if self.kind.system != systems::LOINC {
            return None;
        }
        MeasurementKind::by_loinc(&self.kind.code).map(|k| k.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime {
        "2024-01-01T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn kinds_map_to_loinc_and_units_normalise_to_ucum() {
        let m = Measurement::from_input("weight", "70.5", "kg", at(), None).unwrap();
        assert_eq!(
            (m.kind.code.as_str(), m.unit.as_str(), m.value),
            ("29463-7", "kg", Some(70.5))
        );
        let m = Measurement::from_input("weight", "150", "lbs", at(), None).unwrap();
        assert_eq!(m.unit, "[lb_av]");
        let m = Measurement::from_input("heart-rate", "62", "bpm", at(), None).unwrap();
        assert_eq!((m.kind.code.as_str(), m.unit.as_str()), ("8867-4", "/min"));
        let m = Measurement::from_input("glucose", "98", "mg/dl", at(), None).unwrap();
        assert_eq!((m.kind.code.as_str(), m.unit.as_str()), ("2339-0", "mg/dL"));
        let m = Measurement::from_input("glucose", "5.4", "mmol/L", at(), None).unwrap();
        assert_eq!(m.kind.code, "15074-8");
        let m = Measurement::from_input("temperature", "37.2", "°C", at(), None).unwrap();
        assert_eq!(m.unit, "Cel");
        let m = Measurement::from_input("spo2", "97", "%", at(), None).unwrap();
        assert_eq!(m.kind_name(), Some("spo2"));
        let m = Measurement::from_input("2093-3", "190", "mg/dL", at(), None).unwrap();
        assert_eq!((m.kind.code.as_str(), m.kind_name()), ("2093-3", None));
        let m = Measurement::from_input("29463-7", "70", "kg", at(), None).unwrap();
        assert_eq!(m.kind_name(), Some("weight"));
    }

    #[test]
    fn blood_pressure_has_two_components() {
        let m = Measurement::from_input("blood-pressure", "120/80", "mmHg", at(), None).unwrap();
        assert_eq!(m.kind.code, "85354-9");
        assert_eq!(m.value, None);
        assert_eq!(m.components.len(), 2);
        assert_eq!(
            (m.components[0].code.code.as_str(), m.components[0].value),
            ("8480-6", 120.0)
        );
        assert_eq!(
            (m.components[1].code.code.as_str(), m.components[1].value),
            ("8462-4", 80.0)
        );
        for bad in ["120", "80/120", "abc/def", "120/80/60"] {
            assert!(
                Measurement::from_input("blood-pressure", bad, "mmHg", at(), None).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn decimal_commas_and_unit_case_are_accepted() {
        let m = Measurement::from_input("weight", "72,5", "kg", at(), None).unwrap();
        assert_eq!(m.value, Some(72.5));
        assert_eq!(
            parse_decimal("1,500"),
            None,
            "a thousands separator is not guessed"
        );
        assert_eq!(parse_decimal("1,5,0"), None);
        let m = Measurement::from_input("glucose", "98", "MG/DL", at(), None).unwrap();
        assert_eq!(m.unit, "mg/dL");
        let m = Measurement::from_input("blood-pressure", "120/80", "mmhg", at(), None).unwrap();
        assert_eq!(m.unit, "mm[Hg]");
        let m = Measurement::from_input("2093-3", "190", "mg/dl", at(), None).unwrap();
        assert_eq!(m.unit, "mg/dL");
        let m = Measurement::from_input("2093-3", "4,9", "mmol/l", at(), None).unwrap();
        assert_eq!((m.value, m.unit.as_str()), (Some(4.9), "mmol/L"));
    }

    #[test]
    fn unusual_values_say_what_was_probably_meant() {
        let check = |k: &str, v: &str, u: &str| {
            Measurement::from_input(k, v, u, at(), None)
                .unwrap()
                .check_usual()
        };
        assert!(check("weight", "72.5", "kg").is_ok());
        assert!(check("weight", "3.2", "kg").is_ok(), "a newborn");
        let e = check("weight", "7250", "kg").unwrap_err().to_string();
        assert!(e.contains("7250 kg") && e.contains("g or lb"), "{e}");
        let e = check("glucose", "7.2", "mg/dL").unwrap_err().to_string();
        assert!(e.contains("7.2 mg/dL") && e.contains("mmol/L?"), "{e}");
        assert!(check("glucose", "7.2", "mmol/L").is_ok());
        let e = check("glucose", "126", "mmol/L").unwrap_err().to_string();
        assert!(e.contains("mg/dL?"), "{e}");
        let e = check("temperature", "98.6", "Cel").unwrap_err().to_string();
        assert!(e.contains("°F?"), "{e}");
        assert!(check("temperature", "98.6", "[degF]").is_ok());
        assert!(check("heart-rate", "12", "/min").is_err());
        assert!(check("spo2", "40", "%").is_err());
        assert!(check("blood-pressure", "350/80", "mmHg").is_err());
        assert!(check("blood-pressure", "128/82", "mmHg").is_ok());
        assert!(
            check("2093-3", "99999", "mg/dL").is_ok(),
            "unknown kinds are not judged"
        );
        let mut m = Measurement::from_input("weight", "7250", "kg", at(), None).unwrap();
        m.confirm_unusual();
        assert_eq!(m.value_text.as_deref(), Some(UNUSUAL_CONFIRMED));
        assert!(m.check_usual().is_ok());
    }

    #[test]
    fn units_that_do_not_fit_and_implausible_values_are_refused() {
        let err = Measurement::from_input("weight", "70", "mmHg", at(), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("mmHg") && err.contains("kg"), "{err}");
        assert!(Measurement::from_input("heart-rate", "70", "kg", at(), None).is_err());
        assert!(Measurement::from_input("weight", "-3", "kg", at(), None).is_err());
        assert!(Measurement::from_input("weight", "0", "kg", at(), None).is_err());
        assert!(Measurement::from_input("spo2", "101", "%", at(), None).is_err());
        assert!(Measurement::from_input("weight", "heavy", "kg", at(), None).is_err());
        assert!(Measurement::from_input("weight", "NaN", "kg", at(), None).is_err());
        let err = Measurement::from_input("mood", "5", "1", at(), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("weight") && err.contains("mood"), "{err}");
        assert!(Measurement::from_input("2093-3", "1", "mg dL", at(), None).is_err());
    }
}
