//! Structural validation of FHIR R4 JSON against HL7's R4 JSON Schema, reduced by
//! `scripts/gen-r4-schema.py` to `r4.json`: element names and types, repetition,
//! required elements, required-binding codes, choice groups, primitive formats.
//!
//! Why not a generic JSON Schema engine: the messages. A patient or a clinician's IT
//! person must read "entry 266 (Observation/abc): effectivePeriod.stop is not an R4
//! element of Period; did you mean effectivePeriod.end?", not a schema path.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use regex::Regex;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Raw {
    resources: Vec<String>,
    primitives: HashMap<String, RawPrim>,
    types: HashMap<String, RawType>,
}

#[derive(Deserialize)]
struct RawPrim {
    t: String,
    re: Option<String>,
}

#[derive(Deserialize)]
struct RawType {
    p: HashMap<String, (String, u8)>,
    #[serde(default)]
    r: Vec<String>,
    #[serde(default)]
    e: HashMap<String, Vec<String>>,
    #[serde(default)]
    c: HashMap<String, Vec<String>>,
}

pub(crate) struct Schema {
    resources: HashSet<String>,
    prims: HashMap<String, (String, Option<Regex>)>,
    types: HashMap<String, RawType>,
}

/// Resource types Carnet maps, and so validates element by element.
pub(crate) const MAPPED: &[&str] = &[
    "Patient",
    "AllergyIntolerance",
    "Condition",
    "Procedure",
    "MedicationStatement",
    "MedicationRequest",
    "Medication",
    "Immunization",
    "Observation",
    "DiagnosticReport",
    "DocumentReference",
];

/// Words people and systems put for an element that has another name in R4.
const SYNONYMS: &[(&str, &str)] = &[
    ("stop", "end"),
    ("finish", "end"),
    ("to", "end"),
    ("begin", "start"),
    ("from", "start"),
    ("units", "unit"),
    ("dob", "birthDate"),
    ("sex", "gender"),
];

pub(crate) fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        // Generated at build time of the source tree and tested: it parses.
        let raw: Raw = serde_json::from_str(include_str!("r4.json")).unwrap_or(Raw {
            resources: Vec::new(),
            primitives: HashMap::new(),
            types: HashMap::new(),
        });
        Schema {
            resources: raw.resources.into_iter().collect(),
            prims: raw
                .primitives
                .into_iter()
                .map(|(k, p)| (k, (p.t, p.re.and_then(|r| Regex::new(&r).ok()))))
                .collect(),
            types: raw.types,
        }
    })
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(!ca.eq_ignore_ascii_case(cb));
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// A problem found at a path inside one resource.
pub(crate) struct Found {
    pub path: String,
    pub message: String,
}

impl Schema {
    pub fn is_resource_type(&self, name: &str) -> bool {
        self.resources.contains(name)
    }

    /// The closest resource type names, for "did you mean".
    pub fn closest_resource(&self, name: &str) -> Option<&str> {
        self.resources
            .iter()
            .map(|r| (edit_distance(name, r), r))
            .filter(|(d, r)| *d <= 3.max(r.len() / 4))
            .min()
            .map(|(_, r)| r.as_str())
    }

    fn suggest(&self, def: &RawType, key: &str) -> Option<String> {
        if let Some((_, to)) = SYNONYMS.iter().find(|(from, _)| *from == key)
            && def.p.contains_key(*to)
        {
            return Some(to.to_string());
        }
        def.p
            .keys()
            .filter(|k| !k.starts_with('_'))
            .map(|k| (edit_distance(key, k), k))
            .filter(|(d, k)| *d <= 2.max(k.len() / 4))
            .min()
            .map(|(_, k)| k.clone())
    }

    /// Validates a bundle entry without its resource (fullUrl, request, search...).
    pub fn validate_shell(&self, v: &Value, out: &mut Vec<Found>) {
        self.validate(v, "Bundle_Entry", "", out, 0);
    }

    /// Validates a resource of a type Carnet maps (others: only their type name is
    /// checked by the caller).
    pub fn validate_resource(&self, v: &Value, path: &str, out: &mut Vec<Found>) {
        let Some(rt) = v.get("resourceType").and_then(Value::as_str) else {
            out.push(Found {
                path: path.to_string(),
                message: format!(
                    "{}has no resourceType",
                    if path.is_empty() {
                        String::new()
                    } else {
                        format!("{path} ")
                    }
                ),
            });
            return;
        };
        if !self.is_resource_type(rt) {
            let hint = self
                .closest_resource(rt)
                .map(|r| format!("; did you mean {r}?"))
                .unwrap_or_default();
            out.push(Found {
                path: join(path, "resourceType"),
                message: format!("resourceType \"{rt}\" is not an R4 resource type{hint}"),
            });
            return;
        }
        if self.types.contains_key(rt) {
            self.validate(v, rt, path, out, 0);
        }
    }

    fn validate(&self, v: &Value, ty: &str, path: &str, out: &mut Vec<Found>, depth: usize) {
        if out.len() >= 50 || depth > 64 {
            return;
        }
        let at = |p: &str| if p.is_empty() { "the resource" } else { p }.to_string();
        if ty == "ResourceList" {
            self.validate_resource(v, path, out);
            return;
        }
        if let Some((json, re)) = self.prims.get(ty) {
            self.primitive(v, ty, json, re.as_ref(), path, out);
            return;
        }
        let Some(def) = self.types.get(ty) else {
            return;
        };
        let Some(obj) = v.as_object() else {
            out.push(Found {
                path: path.to_string(),
                message: format!(
                    "{} must be an object (a {ty}), not {}{}",
                    at(path),
                    kind_of(v),
                    if ty == "Reference" && v.is_string() {
                        ": write {\"reference\": \"...\"}"
                    } else {
                        ""
                    }
                ),
            });
            return;
        };
        for (key, val) in obj {
            let p = join(path, key);
            if key == "resourceType" {
                continue;
            }
            let Some((t, arr)) = def.p.get(key) else {
                let hint = self
                    .suggest(def, key)
                    .map(|s| format!("; did you mean {}?", join(path, &s)))
                    .unwrap_or_default();
                out.push(Found {
                    path: p.clone(),
                    message: format!("{p} is not an R4 element of {ty}{hint}"),
                });
                continue;
            };
            if val.is_null() {
                out.push(Found {
                    path: p.clone(),
                    message: format!("{p} is null; leave the element out instead"),
                });
                continue;
            }
            if *arr == 1 {
                let Some(items) = val.as_array() else {
                    out.push(Found {
                        path: p.clone(),
                        message: format!(
                            "{p} must be a list (the element repeats), not {}: write [ ... ]",
                            kind_of(val)
                        ),
                    });
                    continue;
                };
                for (i, item) in items.iter().enumerate() {
                    // Nulls line up primitive lists with their `_name` extension lists.
                    if item.is_null() {
                        continue;
                    }
                    self.check_one(def, key, t, item, &format!("{p}[{i}]"), out, depth);
                }
            } else {
                if val.is_array() {
                    out.push(Found {
                        path: p.clone(),
                        message: format!(
                            "{p} must be a single {t}, not a list (the element does not repeat)"
                        ),
                    });
                    continue;
                }
                self.check_one(def, key, t, val, &p, out, depth);
            }
        }
        for r in &def.r {
            if !obj.contains_key(r) {
                let p = join(path, r);
                out.push(Found {
                    path: p.clone(),
                    message: format!("{p} is required in {ty} but missing"),
                });
            }
        }
        let mut groups: Vec<_> = def.c.iter().collect();
        groups.sort();
        for (base, members) in groups {
            let present: Vec<&String> = members.iter().filter(|m| obj.contains_key(*m)).collect();
            if present.len() > 1 {
                let names: Vec<String> = present.iter().map(|m| join(path, m)).collect();
                out.push(Found {
                    path: join(path, &format!("{base}[x]")),
                    message: format!(
                        "{} has {} values ({}); a choice element takes exactly one",
                        join(path, &format!("{base}[x]")),
                        present.len(),
                        names.join(" and ")
                    ),
                });
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn check_one(
        &self,
        def: &RawType,
        key: &str,
        t: &str,
        v: &Value,
        p: &str,
        out: &mut Vec<Found>,
        depth: usize,
    ) {
        if t == "const" {
            return;
        }
        if let Some(codes) = def.e.get(key) {
            match v.as_str() {
                Some(s) if codes.iter().any(|c| c == s) => {}
                Some(s) => out.push(Found {
                    path: p.to_string(),
                    message: format!(
                        "{p} \"{s}\" is not an R4 code here: use one of {}",
                        codes.join(", ")
                    ),
                }),
                None => out.push(Found {
                    path: p.to_string(),
                    message: format!("{p} must be a code (a string), not {}", kind_of(v)),
                }),
            }
            return;
        }
        self.validate(v, t, p, out, depth + 1);
    }

    fn primitive(
        &self,
        v: &Value,
        ty: &str,
        json: &str,
        re: Option<&Regex>,
        path: &str,
        out: &mut Vec<Found>,
    ) {
        let mut bad = |why: String| {
            out.push(Found {
                path: path.to_string(),
                message: format!("{path} {why}"),
            })
        };
        match (json, v) {
            ("boolean", Value::Bool(_)) => {}
            ("number", Value::Number(n)) => {
                let integral = matches!(ty, "integer" | "positiveInt" | "unsignedInt");
                if integral && !(n.is_i64() || n.is_u64()) {
                    bad(format!("must be a whole number ({ty}), not {n}"));
                } else if ty == "positiveInt" && n.as_i64().is_some_and(|i| i < 1) {
                    bad(format!("must be at least 1, not {n}"));
                } else if ty == "unsignedInt" && n.as_i64().is_some_and(|i| i < 0) {
                    bad(format!("must not be negative, not {n}"));
                }
            }
            ("string", Value::String(s)) => {
                if let Some(re) = re
                    && !re.is_match(s)
                {
                    let shown: String = s.chars().take(40).collect();
                    bad(format!(
                        "\"{shown}\" is not a valid {ty}{}",
                        format_hint(ty)
                    ));
                } else if matches!(ty, "date" | "dateTime" | "instant") && !real_date(s) {
                    bad(format!("\"{s}\" is not a real calendar date"));
                }
            }
            ("number", Value::String(s)) => bad(format!(
                "must be a JSON number ({ty}), not the string \"{}\": write it without quotes",
                s.chars().take(40).collect::<String>()
            )),
            ("boolean", Value::String(s)) => bad(format!(
                "must be true or false without quotes, not the string \"{s}\""
            )),
            _ => bad(format!("must be a {ty} ({json}), not {}", kind_of(v))),
        }
    }
}

fn format_hint(ty: &str) -> &'static str {
    match ty {
        "date" => ": use YYYY, YYYY-MM or YYYY-MM-DD",
        "dateTime" => {
            ": use YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss+zz:zz (a time needs its time zone)"
        }
        "instant" => ": use YYYY-MM-DDThh:mm:ss+zz:zz",
        "code" => ": a code has no leading, trailing or double spaces",
        "id" => ": 1 to 64 letters, digits, '-' and '.'",
        _ => "",
    }
}

/// The regexes let 2023-02-30 through; a date must exist.
fn real_date(s: &str) -> bool {
    let day = s.get(..10).unwrap_or("");
    if day.len() < 10 {
        return true;
    }
    let parts: Vec<i16> = day.split('-').filter_map(|p| p.parse().ok()).collect();
    match parts.as_slice() {
        [y, m, d] => jiff::civil::Date::new(*y, *m as i8, *d as i8).is_ok(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(v: Value) -> Vec<String> {
        let mut out = Vec::new();
        schema().validate_resource(&v, "", &mut out);
        out.into_iter().map(|f| f.message).collect()
    }

    #[test]
    fn the_table_loads_and_knows_r4() {
        let s = schema();
        assert!(s.is_resource_type("Observation") && s.is_resource_type("Claim"));
        assert!(!s.is_resource_type("Observashun"));
        assert_eq!(s.closest_resource("Observashun"), Some("Observation"));
        for m in MAPPED {
            assert!(s.types.contains_key(*m), "{m}");
        }
    }

    #[test]
    fn each_kind_of_defect_gets_a_precise_message() {
        let ok = json!({"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8302-2"}]},
            "effectivePeriod": {"start": "2020-01-01T10:00:00Z"},
            "valueQuantity": {"value": 170.2, "unit": "cm"}});
        assert!(
            problems(ok.clone()).is_empty(),
            "{:?}",
            problems(ok.clone())
        );
        let mut v = ok.clone();
        v["effectivePeriod"]["stop"] = json!("2020-01-02T10:00:00Z");
        assert_eq!(
            problems(v),
            vec![
                "effectivePeriod.stop is not an R4 element of Period; did you mean effectivePeriod.end?"
            ]
        );
        let mut v = ok.clone();
        v["valueString"] = json!("x");
        assert!(problems(v)[0].contains("valueQuantity and valueString"));
        let mut v = ok.clone();
        v["valueQuantity"]["value"] = json!("12.5");
        assert!(problems(v)[0].contains("valueQuantity.value must be a JSON number"));
        let mut v = ok.clone();
        v["status"] = json!("done-ish");
        assert!(problems(v)[0].contains("status \"done-ish\" is not an R4 code"));
        let mut v = ok.clone();
        v.as_object_mut().unwrap().remove("code");
        assert_eq!(
            problems(v),
            vec!["code is required in Observation but missing"]
        );
        let mut v = ok.clone();
        v["subject"] = json!("urn:uuid:x");
        assert!(problems(v)[0].contains("subject must be an object (a Reference)"));
        let mut v = ok.clone();
        v["category"] = json!({"text": "vital"});
        assert!(problems(v)[0].contains("category must be a list"));
        let mut v = ok.clone();
        v["effectivePeriod"]["start"] = json!("2023-02-30");
        assert!(problems(v)[0].contains("not a real calendar date"));
        let p = problems(json!({"resourceType": "Patient", "birthDate": "1970-13-45"}));
        assert!(
            p[0].contains("birthDate \"1970-13-45\" is not a valid date"),
            "{p:?}"
        );
        let mut v = ok;
        let q = v["valueQuantity"].take();
        v.as_object_mut().unwrap().remove("valueQuantity");
        v["valueQuantityy"] = q;
        assert!(problems(v)[0].contains("did you mean valueQuantity?"));
    }
}
