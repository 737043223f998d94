//! Carnet's pictures of a record: SVG charts of measurement series (glucose with its
//! target range, blood pressure, weight, any other kind) and a self-contained HTML summary
//! with the International Patient Summary's sections and the charts.
//!
//! This crate owns drawing. It must never read a vault or a file, print, or fetch
//! anything: it turns points and entries into SVG and HTML text, with no external
//! resource (no script, font, stylesheet or image link), so a report can be mailed,
//! archived or opened offline and shows the same everywhere.
//!
//! Reach first for [`chart_svg_in`] with [`ChartKind`] and [`Point`]s, and [`report_html`]
//! with a [`ReportInput`] (its `lang`: English or French, see [`Lang`]). For CGM the
//! report draws the Ambulatory Glucose Profile of the international consensus
//! ([`glucose_stats`], [`agp_svg`], [`tir_svg`]; definitions in the `glucose` module).
//!
//! # Guarantees
//! - Every text from the record is escaped: an entry cannot inject markup or script.
//! - Charts stay small: past [`MAX_DRAWN`] points, readings are summarised per pixel
//!   column (lowest to highest band and mean line), so a year of CGM is a light SVG.
//! - Deterministic: the same input gives the same bytes.
//! - One glucose unit in a report: every glucose value (figures, charts, results) is in
//!   the patient's preferred unit.
//! - A share of readings that is not zero never reads "0%" ("<1%"), and one that is not
//!   all never reads "100%" (">99%").

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod glucose;
mod i18n;

use std::fmt::Write as _;

use carnet_fhir::{RecordEntry, ips_sections};
use carnet_record::{
    Censor, DocType, Entry, ImmunizationStatus, Measurement, Onset, Profile, Sex,
    UNUSUAL_CONFIRMED, systems,
};
use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};

pub use glucose::{
    AGP_DAYS, BIN_SECONDS, Band, GlucoseStats, MG_PER_MMOL, agp_svg, band, glucose_stats,
    percentile, tir_svg,
};
use i18n::fill;
pub use i18n::{Lang, UnknownLang};

/// Above this many points a chart draws per-column summaries instead of every reading.
pub const MAX_DRAWN: usize = 1500;

/// One reading to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// Unix time in seconds.
    pub t: i64,
    /// The value (systolic pressure for blood pressure).
    pub value: f64,
    /// The second value (diastolic pressure), if any.
    pub second: Option<f64>,
    /// Set when the device said "beyond its range" ("Low", "High"): `value` is the limit,
    /// and the reading counts as below or above the target whatever the limit.
    pub censored: Option<Censor>,
    /// The reading's own UTC offset in seconds east (from the device file: it changes at
    /// daylight saving time), for the modal day and the days of readings; `None`: the
    /// offset the chart is drawn in.
    pub offset: Option<i32>,
}

/// What a chart shows, which decides its guides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChartKind {
    /// Glucose, with the consensus target range (3.9-10 mmol/L, 70-180 mg/dL).
    Glucose,
    /// Systolic and diastolic pressure, with the 140/90 mmHg thresholds.
    BloodPressure,
    /// Weight, with its trend.
    Weight,
    /// Anything else: the values and their range.
    Other,
}

/// A chart to draw.
#[derive(Clone, Debug)]
pub struct Chart<'a> {
    /// What it shows.
    pub kind: ChartKind,
    /// Its title ("Glucose").
    pub title: &'a str,
    /// UCUM unit of the values.
    pub unit: &'a str,
    /// The readings, oldest first.
    pub points: &'a [Point],
    /// Seconds east of UTC in which to write dates (the patient's).
    pub offset_seconds: i32,
}

const W: f64 = 960.0;
const H: f64 = 440.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 84.0;
const BOTTOM: f64 = 56.0;

/// Escapes text for XML and HTML.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

fn nice_step(span: f64, ticks: f64) -> f64 {
    let raw = (span / ticks).max(f64::MIN_POSITIVE);
    let mag = 10f64.powf(raw.log10().floor());
    let n = raw / mag;
    let nice = if n <= 1.0 {
        1.0
    } else if n <= 2.0 {
        2.0
    } else if n <= 2.5 {
        2.5
    } else if n <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        let s = format!("{v:.1}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A number with at most `decimals` decimals (trailing zeros dropped), with the decimal
/// comma in French.
pub(crate) fn num(lang: Lang, v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    let s = if s == "-0" { "0".to_string() } else { s };
    match lang {
        Lang::Fr => s.replace('.', ","),
        _ => s,
    }
}

/// A number with exactly `decimals` decimals (glucose in mmol/L reads 7.0, not 7), with
/// the decimal comma in French.
pub(crate) fn fixed(lang: Lang, v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    match lang {
        Lang::Fr => s.replace('.', ","),
        _ => s,
    }
}

/// `k` of `n` as a percentage for people: whole numbers, but a share that is not zero is
/// never "0%" ("<1%") and one that is not all never "100%" (">99%").
pub fn pct_text(k: usize, n: usize, lang: Lang) -> String {
    let sp = if lang == Lang::Fr { "\u{a0}" } else { "" };
    if n == 0 || k == 0 {
        return format!("0{sp}%");
    }
    if k >= n {
        return format!("100{sp}%");
    }
    let p = k as f64 * 100.0 / n as f64;
    if p < 1.0 {
        format!("<1{sp}%")
    } else if p > 99.0 {
        format!(">99{sp}%")
    } else {
        format!("{}{sp}%", p.round())
    }
}

/// `k` of `n` as a percentage with one decimal (time below 54 mg/dL, whose target is
/// under 1 %): never "0%" for a share that is not zero ("<0.1%"), nor "100%" for one that
/// is not all (">99.9%").
pub fn pct_text_1(k: usize, n: usize, lang: Lang) -> String {
    let sp = if lang == Lang::Fr { "\u{a0}" } else { "" };
    if n == 0 || k == 0 {
        return format!("0{sp}%");
    }
    if k >= n {
        return format!("100{sp}%");
    }
    let p = (k as f64 * 1000.0 / n as f64).round() / 10.0;
    if p < 0.1 {
        format!("<{}{sp}%", num(lang, 0.1, 1))
    } else if p > 99.9 {
        format!(">{}{sp}%", num(lang, 99.9, 1))
    } else {
        format!("{}{sp}%", num(lang, p, 1))
    }
}

/// A date as words, "Apr 12, 1961" or "12 avr. 1961".
pub(crate) fn long_date(t: i64, offset: i32, lang: Lang) -> String {
    let Ok(ts) = Timestamp::from_second(t) else {
        return String::new();
    };
    let d = ts.to_zoned(tz(offset)).date();
    let w = lang.words();
    fill(
        w.date_long,
        &[
            ("d", &d.day().to_string()),
            ("m", w.months[(d.month() - 1) as usize]),
            ("y", &d.year().to_string()),
        ],
    )
}

fn short_date(t: i64, offset: i32, lang: Lang) -> String {
    let Ok(ts) = Timestamp::from_second(t) else {
        return String::new();
    };
    let d = ts.to_zoned(tz(offset)).date();
    let w = lang.words();
    fill(
        w.date_short,
        &[
            ("d", &d.day().to_string()),
            ("m", w.months[(d.month() - 1) as usize]),
        ],
    )
}

fn tz(offset: i32) -> TimeZone {
    TimeZone::fixed(Offset::from_seconds(offset).unwrap_or(Offset::UTC))
}

/// Friendly unit names for axis labels and values: UCUM as people write it.
pub(crate) fn unit_label(unit: &str) -> &str {
    match unit {
        "mm[Hg]" => "mmHg",
        "/min" => "bpm",
        "mL/min/{1.73_m2}" => "mL/min/1.73 m²",
        "kg/m2" => "kg/m²",
        "10*3/uL" => "10³/µL",
        "10*6/uL" => "10⁶/µL",
        "10*9/L" => "10⁹/L",
        "10*12/L" => "10¹²/L",
        "umol/L" => "µmol/L",
        "ug/L" => "µg/L",
        "uL" => "µL",
        "[IU]/L" => "IU/L",
        "m[IU]/L" => "mIU/L",
        // A bare annotation ({score}, {nominal}) or "1" is no unit to a reader.
        u if u == "1" || (u.starts_with('{') && u.ends_with('}')) => "",
        "[lb_av]" => "lb",
        "Cel" => "°C",
        "[degF]" => "°F",
        u => u,
    }
}

struct Frame {
    t0: i64,
    t1: i64,
    y0: f64,
    y1: f64,
}

impl Frame {
    fn x(&self, t: i64) -> f64 {
        let span = (self.t1 - self.t0).max(1) as f64;
        LEFT + (t - self.t0) as f64 / span * (W - LEFT - RIGHT)
    }
    fn y(&self, v: f64) -> f64 {
        let span = (self.y1 - self.y0).max(f64::MIN_POSITIVE);
        H - BOTTOM - (v - self.y0) / span * (H - TOP - BOTTOM)
    }
}

/// Time ticks: hours, days, weeks or months depending on the span.
fn time_ticks(t0: i64, t1: i64, offset: i32, lang: Lang) -> Vec<(i64, String)> {
    let span = t1 - t0;
    let day = 86_400;
    let label = |t: i64, fmt: &str| -> String {
        let w = lang.words();
        let Ok(z) = Timestamp::from_second(t).map(|ts| ts.to_zoned(tz(offset))) else {
            return String::new();
        };
        let month = w.months[(z.date().month() - 1) as usize];
        match fmt {
            "day" => short_date(t, offset, lang),
            "month" => format!("{month} {}", z.date().year()),
            "year" => z.date().year().to_string(),
            _ => z.strftime("%H:%M").to_string(),
        }
    };
    let (step, fmt) = if span <= 2 * day {
        (if span <= day / 2 { 3600 * 2 } else { 3600 * 6 }, "hour")
    } else if span <= 16 * day {
        (day, "day")
    } else if span <= 120 * day {
        (7 * day, "day")
    } else if span <= 3 * 365 * day {
        (30 * day, "month")
    } else {
        (365 * day, "year")
    };
    // Align ticks to local midnight (or the hour) so labels read as round times.
    let local0 = t0 + i64::from(offset);
    let unit = if step < day { step } else { day };
    let mut t = local0 - local0.rem_euclid(unit) - i64::from(offset);
    if step >= 30 * day {
        // Months: start at the first of the next month.
        let z = Timestamp::from_second(t0).map(|ts| ts.to_zoned(tz(offset)));
        if let Ok(z) = z
            && let Ok(first) = z.date().first_of_month().to_zoned(tz(offset))
        {
            t = first.timestamp().as_second();
        }
    }
    let mut out = Vec::new();
    let mut guard = 0;
    while t <= t1 && guard < 200 {
        if t >= t0 {
            out.push((t, label(t, fmt)));
        }
        if step >= 30 * day && step < 365 * day {
            // Calendar months.
            let next = Timestamp::from_second(t)
                .ok()
                .map(|ts| ts.to_zoned(tz(offset)))
                .and_then(|z| {
                    z.date()
                        .first_of_month()
                        .checked_add(jiff::Span::new().months(1))
                        .ok()
                })
                .and_then(|d| d.to_zoned(tz(offset)).ok())
                .map(|z| z.timestamp().as_second());
            t = next.unwrap_or(t + step);
        } else {
            t += step;
        }
        guard += 1;
    }
    // Thin out to at most 10 labels.
    let keep = out.len().div_ceil(10).max(1);
    out.into_iter().step_by(keep).collect()
}

/// Picks one value of a point (systolic or diastolic).
type Pick = fn(&Point) -> Option<f64>;

/// Points summarised per pixel column: (x, low, high, mean).
fn columns(
    f: &Frame,
    pts: &[Point],
    pick: impl Fn(&Point) -> Option<f64>,
) -> Vec<(f64, f64, f64, f64)> {
    let n = (W - LEFT - RIGHT) as usize / 2;
    let mut cols: Vec<Option<(f64, f64, f64, usize)>> = vec![None; n + 1];
    for p in pts {
        let Some(v) = pick(p) else { continue };
        let i = (((f.x(p.t) - LEFT) / (W - LEFT - RIGHT)) * n as f64).clamp(0.0, n as f64) as usize;
        let c = cols[i].get_or_insert((v, v, 0.0, 0));
        c.0 = c.0.min(v);
        c.1 = c.1.max(v);
        c.2 += v;
        c.3 += 1;
    }
    cols.into_iter()
        .enumerate()
        .filter_map(|(i, c)| {
            c.map(|(lo, hi, sum, k)| {
                (
                    LEFT + i as f64 / n as f64 * (W - LEFT - RIGHT),
                    lo,
                    hi,
                    sum / k as f64,
                )
            })
        })
        .collect()
}

/// A polyline path, broken where readings are far apart (a sensor gap is not a line).
fn path(f: &Frame, pts: &[(i64, f64)], gap: i64) -> String {
    let mut d = String::new();
    let mut prev: Option<i64> = None;
    for &(t, v) in pts {
        let cmd = if prev.is_some_and(|p| t - p <= gap) {
            'L'
        } else {
            'M'
        };
        let _ = write!(d, "{cmd}{:.1},{:.1}", f.x(t), f.y(v));
        prev = Some(t);
    }
    d
}

fn typical_gap(pts: &[Point]) -> i64 {
    let mut d: Vec<i64> = pts
        .windows(2)
        .map(|w| w[1].t - w[0].t)
        .filter(|d| *d > 0)
        .collect();
    if d.is_empty() {
        return i64::MAX;
    }
    d.sort_unstable();
    // Three times the usual spacing, at least an hour: missed readings break the line.
    (d[d.len() / 2] * 3).max(3600)
}

/// Draws a chart as a standalone SVG document, in English (see [`chart_svg_in`]).
pub fn chart_svg(c: &Chart) -> String {
    chart_svg_in(c, Lang::En)
}

/// Draws a chart as a standalone SVG document, its words in `lang`.
pub fn chart_svg_in(c: &Chart, lang: Lang) -> String {
    let w = lang.words();
    let unit = unit_label(c.unit);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif" role="img" aria-label="{}">"#,
        esc(c.title)
    );
    svg.push_str(r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    if c.points.is_empty() {
        let _ = write!(
            svg,
            r##"<text x="{LEFT}" y="40" font-size="22" font-weight="600" fill="#1f2937">{}</text><text x="{LEFT}" y="90" font-size="16" fill="#6b7280">{}</text></svg>"##,
            esc(c.title),
            esc(w.no_readings)
        );
        return svg;
    }
    let pts = c.points;
    let t0 = pts.iter().map(|p| p.t).min().unwrap_or(0);
    let mut t1 = pts.iter().map(|p| p.t).max().unwrap_or(0);
    if t1 <= t0 {
        t1 = t0 + 3600;
    }
    let values = pts
        .iter()
        .flat_map(|p| std::iter::once(p.value).chain(p.second));
    let (mut lo, mut hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let mmol = c.unit.eq_ignore_ascii_case("mmol/L");
    let target = match c.kind {
        ChartKind::Glucose if mmol => Some((3.9, 10.0)),
        ChartKind::Glucose => Some((70.0, 180.0)),
        _ => None,
    };
    match c.kind {
        ChartKind::Glucose => {
            lo = lo.min(if mmol { 2.0 } else { 40.0 });
            hi = hi.max(if mmol { 13.0 } else { 250.0 });
        }
        ChartKind::BloodPressure => {
            lo = lo.min(50.0);
            hi = hi.max(160.0);
        }
        _ => {
            let pad = ((hi - lo) * 0.15).max(hi.abs() * 0.02).max(1e-6);
            lo -= pad;
            hi += pad;
        }
    }
    let step = nice_step(hi - lo, 6.0);
    let y0 = (lo / step).floor() * step;
    let y1 = (hi / step).ceil() * step;
    let f = Frame { t0, t1, y0, y1 };
    let (px0, px1) = (LEFT, W - RIGHT);
    let (py0, py1) = (TOP, H - BOTTOM);

    // Title and a line of plain-words statistics.
    let first = long_date(t0, c.offset_seconds, lang);
    let last = long_date(t1, c.offset_seconds, lang);
    let when = if first == last {
        first
    } else {
        format!("{first} – {last}")
    };
    let _ = write!(
        svg,
        r##"<text x="{LEFT}" y="34" font-size="22" font-weight="600" fill="#1f2937">{} <tspan font-weight="400" fill="#6b7280" font-size="16">{}</tspan></text>"##,
        esc(c.title),
        esc(&when)
    );
    let n = pts.len();
    let mean = pts.iter().map(|p| p.value).sum::<f64>() / n as f64;
    let count = if n == 1 {
        w.reading_one.to_string()
    } else {
        fill(w.readings_n, &[("n", &n.to_string())])
    };
    let stats = match (c.kind, target) {
        (ChartKind::Glucose, Some((a, b))) => {
            // A censored reading is beyond its limit: "Low" is below range even if the
            // device's limit were inside the target.
            let side = |p: &Point| match p.censored {
                Some(Censor::Below) => -1,
                Some(Censor::Above) => 1,
                None if p.value < a => -1,
                None if p.value > b => 1,
                None => 0,
            };
            let below = pts.iter().filter(|p| side(p) < 0).count();
            let above = pts.iter().filter(|p| side(p) > 0).count();
            let inr = n - below - above;
            let pc = |k: usize| pct_text(k, n, lang);
            let low = pts
                .iter()
                .filter(|p| p.censored == Some(Censor::Below))
                .count();
            let high = pts
                .iter()
                .filter(|p| p.censored == Some(Censor::Above))
                .count();
            let beyond = if low + high > 0 {
                fill(
                    w.beyond_sensor,
                    &[("low", &low.to_string()), ("high", &high.to_string())],
                )
            } else {
                String::new()
            };
            // Level 2 hypoglycaemia (international consensus on time in range): below
            // 54 mg/dL, 3.0 mmol/L; a "Low" is always under it (sensors stop near 40).
            let (l2, l2_text) = if a < 10.0 { (3.0, "3") } else { (54.0, "54") };
            let very_low = pts
                .iter()
                .filter(|p| {
                    p.censored == Some(Censor::Below) || (p.censored.is_none() && p.value < l2)
                })
                .count();
            let l2_text = if lang == Lang::Fr {
                l2_text.replace('.', ",")
            } else {
                l2_text.to_string()
            };
            fill(
                w.glucose_stats,
                &[
                    ("inr", &pc(inr)),
                    ("below", &pc(below)),
                    ("l2", &l2_text),
                    ("very_low", &pct_text_1(very_low, n, lang)),
                    ("above", &pc(above)),
                    ("mean", &num(lang, mean, 1)),
                    ("unit", unit),
                    ("count", &count),
                ],
            ) + &beyond
        }
        (ChartKind::BloodPressure, _) => {
            let last = &pts[n - 1];
            fill(
                w.bp_stats,
                &[
                    ("sys", &fmt_num(last.value.round())),
                    (
                        "dia",
                        &last.second.map(|v| fmt_num(v.round())).unwrap_or_default(),
                    ),
                    ("unit", unit),
                    ("msys", &fmt_num(mean.round())),
                    (
                        "mdia",
                        &fmt_num(
                            (pts.iter().filter_map(|p| p.second).sum::<f64>()
                                / pts.iter().filter(|p| p.second.is_some()).count().max(1) as f64)
                                .round(),
                        ),
                    ),
                    ("count", &count),
                ],
            )
        }
        _ => {
            let last = pts[n - 1].value;
            let change = last - pts[0].value;
            if n == 1 {
                // One reading has no change and no trend.
                fill(
                    w.other_stats_one,
                    &[
                        ("last", &num(lang, last, 1)),
                        ("unit", unit),
                        ("count", &count),
                    ],
                )
            } else {
                fill(
                    w.other_stats,
                    &[
                        ("last", &num(lang, last, 1)),
                        (
                            "change",
                            &format!(
                                "{}{}",
                                if change > 0.0 { "+" } else { "" },
                                num(lang, change, 1)
                            ),
                        ),
                        ("unit", unit),
                        ("count", &count),
                    ],
                )
            }
        }
    };
    let _ = write!(
        svg,
        r##"<text x="{LEFT}" y="60" font-size="14" fill="#374151">{}</text>"##,
        esc(&stats)
    );

    // Labels of the target band and thresholds go on top of the data, drawn last (with a
    // white halo), so no line ever crosses their words.
    let mut labels = String::new();
    // Target band first, under everything.
    if let Some((a, b)) = target {
        let (ya, yb) = (f.y(b), f.y(a));
        let _ = write!(
            svg,
            r##"<rect x="{px0}" y="{ya:.1}" width="{:.1}" height="{:.1}" fill="#dcfce7"/><line x1="{px0}" x2="{px1}" y1="{ya:.1}" y2="{ya:.1}" stroke="#16a34a" stroke-dasharray="4 4"/><line x1="{px0}" x2="{px1}" y1="{yb:.1}" y2="{yb:.1}" stroke="#16a34a" stroke-dasharray="4 4"/>"##,
            px1 - px0,
            yb - ya,
        );
        let _ = write!(
            labels,
            r##"<text x="{:.1}" y="{:.1}" font-size="12" fill="#15803d" text-anchor="end" stroke="#ffffff" stroke-width="4" paint-order="stroke">{}</text>"##,
            px1 - 6.0,
            ya - 6.0,
            esc(&fill(
                w.target,
                &[
                    ("a", &num(lang, a, 1)),
                    ("b", &num(lang, b, 1)),
                    ("unit", unit)
                ]
            ))
        );
    }
    // Grid and y axis.
    let mut v = y0;
    while v <= y1 + step / 2.0 {
        let y = f.y(v);
        let _ = write!(
            svg,
            r##"<line x1="{px0}" x2="{px1}" y1="{y:.1}" y2="{y:.1}" stroke="#e5e7eb"/><text x="{:.1}" y="{:.1}" font-size="13" fill="#4b5563" text-anchor="end">{}</text>"##,
            px0 - 8.0,
            y + 4.0,
            num(lang, v, 2)
        );
        v += step;
    }
    let _ = write!(
        svg,
        r##"<text transform="translate(18 {:.1}) rotate(-90)" font-size="13" fill="#4b5563" text-anchor="middle">{}</text>"##,
        (py0 + py1) / 2.0,
        esc(unit)
    );
    if c.kind == ChartKind::BloodPressure {
        for (v, value) in [(140.0, "140"), (90.0, "90")] {
            let label = fill(w.bp_threshold, &[("v", value)]);
            let y = f.y(v);
            let _ = write!(
                svg,
                r##"<line x1="{px0}" x2="{px1}" y1="{y:.1}" y2="{y:.1}" stroke="#f59e0b" stroke-dasharray="6 4"/>"##,
            );
            let _ = write!(
                labels,
                r##"<text x="{:.1}" y="{:.1}" font-size="12" fill="#b45309" text-anchor="end" stroke="#ffffff" stroke-width="4" paint-order="stroke">{label}</text>"##,
                px1 - 6.0,
                y - 5.0
            );
        }
    }
    // Time axis.
    for (t, label) in time_ticks(t0, t1, c.offset_seconds, lang) {
        let x = f.x(t);
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="{py0}" y2="{py1}" stroke="#f3f4f6"/><line x1="{x:.1}" x2="{x:.1}" y1="{py1}" y2="{:.1}" stroke="#9ca3af"/><text x="{x:.1}" y="{:.1}" font-size="13" fill="#4b5563" text-anchor="middle">{}</text>"##,
            py1 + 5.0,
            py1 + 22.0,
            esc(&label)
        );
    }
    let _ = write!(
        svg,
        r##"<line x1="{px0}" x2="{px1}" y1="{py1}" y2="{py1}" stroke="#9ca3af"/><line x1="{px0}" x2="{px0}" y1="{py0}" y2="{py1}" stroke="#9ca3af"/>"##
    );

    // The data.
    let gap = typical_gap(pts);
    let series: Vec<(&str, Pick)> = match c.kind {
        ChartKind::BloodPressure => vec![
            ("#b91c1c", (|p: &Point| Some(p.value)) as Pick),
            ("#1d4ed8", (|p: &Point| p.second) as Pick),
        ],
        ChartKind::Glucose => vec![("#1e3a8a", (|p: &Point| Some(p.value)) as Pick)],
        _ => vec![("#0f766e", (|p: &Point| Some(p.value)) as Pick)],
    };
    for (colour, pick) in &series {
        if n > MAX_DRAWN {
            let cols = columns(&f, pts, pick);
            // Runs of neighbouring columns: a band and an average line each; a gap in the
            // readings (wider than a few columns or the usual spacing) is left empty.
            let col_w = (W - LEFT - RIGHT) / ((W - LEFT - RIGHT) / 2.0).floor();
            let px_per_s = (W - LEFT - RIGHT) / (f.t1 - f.t0).max(1) as f64;
            let gap_px = (gap as f64 * px_per_s).max(col_w * 3.0);
            let mut runs: Vec<&[(f64, f64, f64, f64)]> = Vec::new();
            let mut start = 0;
            for k in 1..=cols.len() {
                if k == cols.len() || cols[k].0 - cols[k - 1].0 > gap_px {
                    runs.push(&cols[start..k]);
                    start = k;
                }
            }
            for run in runs {
                if let [(x, lo, hi, m)] = run {
                    let _ = write!(
                        svg,
                        r##"<line x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{:.1}" stroke="{colour}" stroke-opacity="0.35" stroke-width="3"/><circle cx="{x:.1}" cy="{:.1}" r="2.5" fill="{colour}"/>"##,
                        f.y(*lo),
                        f.y(*hi),
                        f.y(*m)
                    );
                    continue;
                }
                let mut band = String::new();
                let mut mean = String::new();
                for (x, _, hi, m) in run {
                    let cmd = if band.is_empty() { 'M' } else { 'L' };
                    let _ = write!(band, "{cmd}{x:.1},{:.1}", f.y(*hi));
                    let _ = write!(mean, "{cmd}{x:.1},{:.1}", f.y(*m));
                }
                for (x, lo, _, _) in run.iter().rev() {
                    let _ = write!(band, "L{x:.1},{:.1}", f.y(*lo));
                }
                let _ = write!(
                    svg,
                    r##"<path d="{band}Z" fill="{colour}" fill-opacity="0.18" stroke="none"/><path d="{mean}" fill="none" stroke="{colour}" stroke-width="1.6"/>"##
                );
            }
        } else {
            let line: Vec<(i64, f64)> = pts
                .iter()
                .filter_map(|p| pick(p).map(|v| (p.t, v)))
                .collect();
            let d = path(&f, &line, gap);
            if let Some((a, b)) = target {
                // The same line three times, each clipped to one zone: highs orange, lows
                // red, in range blue, so excursions show at a glance.
                let (ya, yb) = (f.y(b), f.y(a));
                let _ = write!(
                    svg,
                    r##"<defs><clipPath id="above"><rect x="0" y="0" width="{W}" height="{ya:.1}"/></clipPath><clipPath id="within"><rect x="0" y="{ya:.1}" width="{W}" height="{:.1}"/></clipPath><clipPath id="below"><rect x="0" y="{yb:.1}" width="{W}" height="{:.1}"/></clipPath></defs>"##,
                    yb - ya,
                    H - yb
                );
                for (zone, stroke) in [
                    ("above", "#ea580c"),
                    ("within", *colour),
                    ("below", "#dc2626"),
                ] {
                    let _ = write!(
                        svg,
                        r##"<path d="{d}" fill="none" stroke="{stroke}" stroke-width="2" stroke-linejoin="round" clip-path="url(#{zone})"/>"##
                    );
                }
            } else {
                let _ = write!(
                    svg,
                    r##"<path d="{d}" fill="none" stroke="{colour}" stroke-width="2" stroke-linejoin="round"/>"##
                );
            }
            if n <= 400 {
                for (t, v) in &line {
                    let out = target.is_some_and(|(a, b)| *v < a || *v > b);
                    let fill = if out && *v < target.map(|t| t.0).unwrap_or(0.0) {
                        "#dc2626"
                    } else if out {
                        "#ea580c"
                    } else {
                        colour
                    };
                    let _ = write!(
                        svg,
                        r##"<circle cx="{:.1}" cy="{:.1}" r="3.2" fill="{fill}" stroke="#fff" stroke-width="1"/>"##,
                        f.x(*t),
                        f.y(*v)
                    );
                }
            }
        }
    }
    // Weight: a moving average over a tenth of the period (at least a week), so the trend
    // reads through day-to-day noise without pretending the change is a straight line.
    if matches!(c.kind, ChartKind::Weight) && n >= 3 {
        let window = ((t1 - t0) / 10).max(7 * 86_400);
        let mut avg = Vec::with_capacity(n);
        let (mut lo_i, mut hi_i, mut sum) = (0usize, 0usize, 0.0);
        for p in pts {
            while hi_i < n && pts[hi_i].t <= p.t + window / 2 {
                sum += pts[hi_i].value;
                hi_i += 1;
            }
            while pts[lo_i].t < p.t - window / 2 {
                sum -= pts[lo_i].value;
                lo_i += 1;
            }
            avg.push((p.t, sum / (hi_i - lo_i) as f64));
        }
        let _ = write!(
            svg,
            r##"<path d="{}" fill="none" stroke="#7c3aed" stroke-width="2" stroke-dasharray="8 5"/>"##,
            path(&f, &avg, i64::MAX)
        );
    }
    // Legend.
    svg.push_str(&labels);
    let legend: Vec<(&str, &str)> = match c.kind {
        ChartKind::BloodPressure => vec![
            ("#b91c1c", w.legend_systolic),
            ("#1d4ed8", w.legend_diastolic),
        ],
        ChartKind::Glucose if n > MAX_DRAWN => vec![
            ("#1e3a8a", w.legend_average),
            ("#93a3c8", w.legend_low_high),
        ],
        ChartKind::Glucose => vec![
            ("#1e3a8a", w.legend_in_range),
            ("#ea580c", w.legend_above),
            ("#dc2626", w.legend_below),
        ],
        // No trend is drawn (nor named) under 3 readings.
        ChartKind::Weight if n >= 3 => {
            vec![("#0f766e", w.legend_weight), ("#7c3aed", w.legend_trend)]
        }
        ChartKind::Weight => vec![("#0f766e", w.legend_weight)],
        ChartKind::Other => vec![("#0f766e", w.legend_readings)],
    };
    let mut x = px1;
    for (colour, label) in legend.iter().rev() {
        x -= 14.0 + 7.5 * label.chars().count() as f64 + 16.0;
        let _ = write!(
            svg,
            r##"<rect x="{x:.1}" y="{:.1}" width="12" height="12" rx="2" fill="{colour}"/><text x="{:.1}" y="{:.1}" font-size="13" fill="#374151">{}</text>"##,
            H - 18.0,
            x + 17.0,
            H - 8.0,
            esc(label)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// CGM readings for the report's glucose profile and chart.
#[derive(Clone, Debug)]
pub struct GlucoseInput<'a> {
    /// The readings, oldest first (Low and High marked `censored`).
    pub points: &'a [Point],
    /// Their unit: mg/dL or mmol/L.
    pub unit: &'a str,
    /// Seconds east of UTC of the patient's days (bins of the modal day, dates).
    pub offset_seconds: i32,
}

/// What an HTML report shows.
#[derive(Clone, Debug, Default)]
pub struct ReportInput<'a> {
    /// The patient's name when the record has no profile.
    pub patient_name: &'a str,
    /// The record's entries.
    pub entries: &'a [RecordEntry],
    /// Charts already drawn (SVG documents), with a caption each (blood pressure,
    /// weight...; glucose is drawn by the report from `glucose`).
    pub charts: Vec<(String, String)>,
    /// When the report is made (shown in its footer), as text.
    pub generated: &'a str,
    /// The language of the report's words.
    pub lang: Lang,
    /// CGM and meter glucose readings: the Ambulatory Glucose Profile of the last 14 days
    /// and a chart of the last `glucose_days` days.
    pub glucose: Option<GlucoseInput<'a>>,
    /// Days of the glucose chart [default: 14].
    pub glucose_days: Option<u32>,
    /// The patient's glucose unit, `mg/dL` or `mmol/L`, for every glucose value of the
    /// report [default: the readings' unit, else the results' most common one].
    pub glucose_unit: Option<&'a str>,
}

fn profile_line(p: Option<&Profile>, fallback: &str, lang: Lang) -> (String, String) {
    let w = lang.words();
    let Some(p) = p else {
        return (fallback.to_string(), String::new());
    };
    let mut facts = Vec::new();
    if let Some(b) = &p.birth_date {
        facts.push(fill(w.born, &[("date", b.as_str())]));
    }
    if let Some(s) = p.sex {
        facts.push(
            match s {
                Sex::Female => w.sex_female,
                Sex::Male => w.sex_male,
                Sex::Other => w.sex_other,
                Sex::Unknown => w.sex_unknown,
            }
            .to_string(),
        );
    }
    if let Some(g) = p.blood_group {
        facts.push(fill(w.blood_group, &[("group", g.as_str())]));
    }
    if let Some(c) = &p.emergency_contact {
        let mut s = fill(w.emergency_contact, &[("name", &c.name)]);
        if let Some(r) = &c.relationship {
            s.push_str(&format!(" ({r})"));
        }
        if let Some(ph) = &c.phone {
            s.push_str(&format!(", {ph}"));
        }
        facts.push(s);
    }
    (p.name.clone(), facts.join(" · "))
}

/// A value as people read it: at most two decimals (devices and generators give fifteen).
fn readable(v: f64, lang: Lang) -> String {
    if v.abs() >= 100.0 {
        num(lang, v.round(), 0)
    } else {
        num(lang, v, 2)
    }
}

/// Glucose LOINC codes (blood, plasma, capillary, interstitial; mass and molar).
const GLUCOSE_CODES: &[&str] = &[
    "2339-0", "2345-7", "41653-7", "99504-3", "1558-6", "2340-8", "15074-8", "14749-6", "14743-9",
    "14745-4", "14771-0",
];

fn is_glucose(m: &Measurement) -> bool {
    m.kind.system == systems::LOINC && GLUCOSE_CODES.contains(&m.kind.code.as_str())
}

/// `v` in `from` as `to`, for glucose units; `None` when either is not a glucose unit.
fn convert_glucose(v: f64, from: &str, to: &str) -> Option<f64> {
    let mmol = |u: &str| u.eq_ignore_ascii_case("mmol/L");
    let mg = |u: &str| u.eq_ignore_ascii_case("mg/dL");
    match (mg(from) || mmol(from), mg(to) || mmol(to)) {
        (true, true) if mmol(from) == mmol(to) => Some(v),
        (true, true) if mmol(from) => Some(v * glucose::MG_PER_MMOL),
        (true, true) => Some(v / glucose::MG_PER_MMOL),
        _ => None,
    }
}

/// Whether a result is high, low or abnormal, and against what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flag {
    High,
    Low,
    Abnormal,
}

/// The flag of a measurement: from the source's interpretation codes first, then its
/// reference range, then, for vital signs, stated thresholds. Returns the flag (if any)
/// and the words of the range or threshold it was judged against.
fn flag_of(m: &Measurement, lang: Lang) -> (Option<Flag>, Option<String>) {
    let w = lang.words();
    let unit = unit_label(&m.unit);
    let range_text = m.reference_range.first().map(|r| {
        let u = r.unit.as_deref().map(unit_label).unwrap_or(unit);
        let t = match (r.low, r.high) {
            (Some(l), Some(h)) => format!("{}–{} {u}", readable(l, lang), readable(h, lang)),
            (Some(l), None) => format!("≥ {} {u}", readable(l, lang)),
            (None, Some(h)) => format!("≤ {} {u}", readable(h, lang)),
            (None, None) => r.text.clone().unwrap_or_default(),
        };
        fill(w.reference, &[("range", t.trim())])
    });
    for i in &m.interpretation {
        let f = match i.code.as_str() {
            "H" | "HH" | "HU" | ">" => Some(Flag::High),
            "L" | "LL" | "LU" | "<" => Some(Flag::Low),
            "A" | "AA" => Some(Flag::Abnormal),
            _ => None,
        };
        if f.is_some() {
            return (f, range_text);
        }
    }
    if let Some(v) = m.value {
        for r in &m.reference_range {
            match r.judge(v, &m.unit) {
                Some(std::cmp::Ordering::Greater) => return (Some(Flag::High), range_text),
                Some(std::cmp::Ordering::Less) => return (Some(Flag::Low), range_text),
                Some(std::cmp::Ordering::Equal) => return (None, range_text),
                None => {}
            }
        }
    }
    if range_text.is_some() {
        return (None, range_text);
    }
    // Vital signs: thresholds stated here (ESC/ESH 2018 office blood pressure; adult
    // resting heart rate; BTS oxygen target; fever and hypothermia).
    let threshold = |t: &str| Some(fill(w.threshold, &[("range", t)]));
    let part = |code: &str| {
        m.components
            .iter()
            .find(|c| c.code.code == code)
            .map(|c| c.value)
    };
    let panel = part("8480-6").is_some() || part("8462-4").is_some();
    // eGFR (MDRD, CKD-EPI): below 60 mL/min/1.73 m² is decreased (KDIGO G3a and worse).
    const EGFR: &[&str] = &[
        "33914-3", "48642-3", "48643-1", "50044-7", "62238-1", "69405-9", "77147-7", "98979-8",
    ];
    if m.kind.system == systems::LOINC
        && EGFR.contains(&m.kind.code.as_str())
        && m.unit == "mL/min/{1.73_m2}"
        && let Some(v) = m.value
    {
        return (
            (v < 60.0).then_some(Flag::Low),
            threshold("≥ 60 mL/min/1.73 m²"),
        );
    }
    match (m.kind_name(), m.value, m.unit.as_str()) {
        // Any blood pressure panel (85354-9, Synthea's 55284-4...): by its parts.
        (Some("blood-pressure"), _, _) | (_, None, _) if panel => {
            let (s, d) = (part("8480-6"), part("8462-4"));
            let f = if s.is_some_and(|s| s >= 140.0) || d.is_some_and(|d| d >= 90.0) {
                Some(Flag::High)
            } else if s.is_some_and(|s| s < 90.0) {
                Some(Flag::Low)
            } else {
                None
            };
            (f, threshold("< 140/90 mmHg"))
        }
        (Some("heart-rate"), Some(v), _) => (
            (v > 100.0)
                .then_some(Flag::High)
                .or((v < 50.0).then_some(Flag::Low)),
            threshold("50–100 bpm"),
        ),
        (Some("spo2"), Some(v), _) => ((v < 94.0).then_some(Flag::Low), threshold("≥ 94 %")),
        (Some("temperature"), Some(v), "Cel") => (
            (v >= 38.0)
                .then_some(Flag::High)
                .or((v < 35.0).then_some(Flag::Low)),
            threshold(&format!("{}–{} °C", num(lang, 35.0, 1), num(lang, 37.9, 1))),
        ),
        (Some("temperature"), Some(v), "[degF]") => (
            (v >= 100.4)
                .then_some(Flag::High)
                .or((v < 95.0).then_some(Flag::Low)),
            threshold(&format!(
                "{}–{} °F",
                num(lang, 95.0, 1),
                num(lang, 100.3, 1)
            )),
        ),
        _ => (None, None),
    }
}

/// A measurement for the summary: its name, its value rounded for reading (glucose in
/// `glucose_unit`), a high/low flag and the range it was judged against, its day. HTML.
fn measurement_line(m: &Measurement, lang: Lang, glucose_unit: Option<&str>) -> String {
    let w = lang.words();
    let mut m = m.clone();
    if is_glucose(&m)
        && let Some(to) = glucose_unit
        && let Some(v) = m.value
        && let Some(nv) = convert_glucose(v, &m.unit, to)
    {
        for r in &mut m.reference_range {
            let from = r.unit.clone().unwrap_or_else(|| m.unit.clone());
            r.low = r.low.and_then(|x| convert_glucose(x, &from, to));
            r.high = r.high.and_then(|x| convert_glucose(x, &from, to));
            r.unit = Some(to.to_string());
        }
        m.value = Some(nv);
        m.unit = to.to_string();
    }
    let name = m
        .kind_name()
        .map(|n| {
            let mut c = n.replace('-', " ");
            if let Some(f) = c.get_mut(0..1) {
                f.make_ascii_uppercase();
            }
            c
        })
        .or_else(|| m.kind.display.clone())
        .unwrap_or_else(|| format!("LOINC {}", m.kind.code));
    let unit = unit_label(&m.unit);
    // The mark of a confirmed unusual value is said after the value, not instead of it.
    let confirmed = m.value_text.as_deref() == Some(UNUSUAL_CONFIRMED);
    let text = m.value_text.as_ref().filter(|_| !confirmed);
    let mut value = match (m.value, &m.value_code, text) {
        (Some(v), _, _) if is_glucose(&m) && m.unit == "mg/dL" => {
            format!("{} {unit}", num(lang, v, 0))
        }
        (Some(v), _, _) if is_glucose(&m) && m.unit == "mmol/L" => {
            format!("{} {unit}", fixed(lang, v, 1))
        }
        (Some(v), _, _) => format!("{} {unit}", readable(v, lang))
            .trim_end()
            .to_string(),
        (None, Some(c), _) => c.display.clone().unwrap_or_else(|| c.code.clone()),
        (None, None, Some(t)) => t.clone(),
        (None, None, None) => {
            let part = |code: &str| m.components.iter().find(|c| c.code.code == code);
            match (part("8480-6"), part("8462-4")) {
                (Some(s), Some(d)) => format!(
                    "{}/{} {unit}",
                    readable(s.value.round(), lang),
                    readable(d.value.round(), lang)
                ),
                _ => {
                    m.components
                        .iter()
                        .map(|c| readable(c.value, lang))
                        .collect::<Vec<_>>()
                        .join("/")
                        + " "
                        + unit
                }
            }
        }
    };
    if confirmed {
        value.push_str(&format!(" ({})", w.unusual_confirmed));
    }
    let (flag, range) = flag_of(&m, lang);
    let mut html = format!("{}: <b>{}</b>", esc(&name), esc(&value));
    if let Some(f) = flag {
        let (class, word) = match f {
            Flag::High => ("high", w.flag_high),
            Flag::Low => ("low", w.flag_low),
            Flag::Abnormal => ("abnormal", w.flag_abnormal),
        };
        let _ = write!(html, " <span class=\"flag {class}\">{}</span>", esc(word));
    }
    let _ = write!(html, " · {}", esc(&m.at.date().to_string()));
    if let Some(r) = range {
        let _ = write!(html, " <span class=\"range\">({})</span>", esc(&r));
    }
    html
}

fn status_word(table: &[(&'static str, &'static str)], status: &str) -> String {
    table
        .iter()
        .find(|(k, _)| *k == status)
        .map(|(_, v)| v.to_string())
        .unwrap_or_else(|| status.to_string())
}

fn onset_text(o: &Onset, lang: Lang) -> String {
    match (o, lang) {
        (Onset::Age { value, unit }, Lang::Fr) => {
            let word = match unit.as_str() {
                "a" => "ans",
                "mo" => "mois",
                "wk" => "semaines",
                "d" => "jours",
                other => other,
            };
            format!("l'âge de {} {word}", num(lang, *value, 1))
        }
        (Onset::Period { start, end }, _) => {
            let show = |d: &Option<carnet_record::Date>| {
                d.as_ref().map_or("?".to_string(), ToString::to_string)
            };
            format!("{} – {}", show(start), show(end))
        }
        (other, _) => other.to_string(),
    }
}

/// One entry of an IPS section as HTML words (not measurements).
fn entry_text(e: &Entry, lang: Lang) -> String {
    let w = lang.words();
    match e {
        Entry::Allergy(a) => {
            let mut extra = Vec::new();
            match a.criticality {
                Some(carnet_record::Criticality::High) => extra.push(w.criticality_high.into()),
                Some(carnet_record::Criticality::Low) => extra.push(w.criticality_low.into()),
                _ => {}
            }
            if let Some(r) = &a.reaction {
                extra.push(fill(w.reaction, &[("what", r)]));
            }
            if let Some(o) = &a.onset {
                extra.push(fill(w.since, &[("date", &onset_text(o, lang))]));
            }
            if extra.is_empty() {
                esc(&a.substance)
            } else {
                format!("{} ({})", esc(&a.substance), esc(&extra.join(", ")))
            }
        }
        Entry::Condition(c) => {
            let mut s = format!(
                "{} ({})",
                esc(&c.name),
                esc(&status_word(&w.condition_status, c.status.as_str()))
            );
            if let Some(o) = &c.onset {
                let _ = write!(s, ", {}", esc(&fill(w.since, &[("date", o.as_str())])));
            }
            s
        }
        Entry::Medication(m) => {
            let mut s = esc(&m.name);
            if let Some(d) = &m.dosage {
                let _ = write!(s, ", {}", esc(d));
            }
            let status = status_word(&w.medication_status, m.status.as_str());
            if m.status == carnet_record::MedicationStatus::NotTaken {
                let _ = write!(s, " <b class=\"negated\">({})</b>", esc(&status));
            } else {
                let _ = write!(s, " ({})", esc(&status));
            }
            if let Some(r) = &m.status_reason {
                let _ = write!(s, " ({})", esc(&fill(w.reason, &[("why", r)])));
            }
            if let Some(d) = &m.start {
                let _ = write!(s, ", {}", esc(&fill(w.since, &[("date", d.as_str())])));
            }
            if let Some(d) = &m.end {
                let _ = write!(s, ", {}", esc(&fill(w.until, &[("date", d.as_str())])));
            }
            s
        }
        other => esc(&other.summary()),
    }
}

/// List items, most recent first; repeated vaccinations and procedures are one line with
/// how many times and the latest date ("Influenza vaccine — 11 times, latest 1979-04-02").
/// A vaccination not given, or a procedure not done, is never grouped with given ones, and
/// two with different reasons are never one line (each reason is said).
fn lines(items: &[&RecordEntry], lang: Lang, glucose_unit: Option<&str>) -> Vec<String> {
    let w = lang.words();
    let mut sorted: Vec<&RecordEntry> = items.to_vec();
    sorted.sort_by_key(|e| std::cmp::Reverse(e.entry.clinical_date().unwrap_or(i64::MIN)));
    // (group key, date, times, html)
    let mut groups: Vec<(String, Option<String>, usize, String)> = Vec::new();
    for e in sorted {
        let (key, when, html) = match &e.entry {
            Entry::Immunization(i) => {
                let when = i
                    .date
                    .as_ref()
                    .map(ToString::to_string)
                    .or_else(|| i.date_text.clone())
                    .or_else(|| Some(w.date_unknown.to_string()));
                if i.status == ImmunizationStatus::NotDone {
                    let mut html = format!(
                        "<b class=\"negated\">{}</b>: {}",
                        esc(w.not_given),
                        esc(&i.vaccine)
                    );
                    if let Some(r) = &i.status_reason {
                        let _ = write!(html, " ({})", esc(&fill(w.reason, &[("why", r)])));
                    }
                    let why = i.status_reason.as_deref().unwrap_or("");
                    (format!("not-done\u{0}{}\u{0}{why}", i.vaccine), when, html)
                } else {
                    (format!("given\u{0}{}", i.vaccine), when, esc(&i.vaccine))
                }
            }
            Entry::Procedure(p) => {
                let status = p.status.as_str();
                let mut html = esc(&p.name);
                if status == "not-done" {
                    html = format!(
                        "<b class=\"negated\">{}</b>: {html}",
                        esc(&status_word(&w.procedure_status, status))
                    );
                } else if status != "completed" {
                    let _ = write!(
                        html,
                        " ({})",
                        esc(&status_word(&w.procedure_status, status))
                    );
                }
                if let Some(r) = &p.status_reason {
                    let _ = write!(html, " ({})", esc(&fill(w.reason, &[("why", r)])));
                }
                let why = p.status_reason.as_deref().unwrap_or("");
                (
                    format!("{status}\u{0}{}\u{0}{why}", p.name),
                    p.date.as_ref().map(ToString::to_string),
                    html,
                )
            }
            Entry::Measurement(m) => {
                groups.push((
                    String::new(),
                    None,
                    1,
                    measurement_line(m, lang, glucose_unit),
                ));
                continue;
            }
            other => {
                groups.push((String::new(), None, 1, entry_text(other, lang)));
                continue;
            }
        };
        match groups.iter_mut().find(|g| !g.0.is_empty() && g.0 == key) {
            Some(g) => g.2 += 1,
            None => groups.push((key, when, 1, html)),
        }
    }
    groups
        .into_iter()
        .map(|(_, when, times, html)| {
            let mut li = format!("<li>{html}");
            if times > 1 {
                let _ = write!(
                    li,
                    " <span class=\"times\">— {}</span>",
                    esc(&fill(w.times, &[("n", &times.to_string())]))
                );
            }
            if let Some(d) = when {
                let t = if times > 1 { w.latest } else { w.on };
                let _ = write!(
                    li,
                    " <span class=\"when\">{}</span>",
                    esc(&fill(t, &[("date", &d)]))
                );
            }
            li.push_str("</li>");
            li
        })
        .collect()
}

/// The report's glucose unit: the one asked for, else the readings', else the most
/// common among glucose results.
fn preferred_glucose_unit<'a>(input: &'a ReportInput) -> Option<&'a str> {
    if let Some(u) = input.glucose_unit {
        return Some(if u.eq_ignore_ascii_case("mmol/L") {
            "mmol/L"
        } else {
            "mg/dL"
        });
    }
    if let Some(g) = &input.glucose {
        return Some(if g.unit.eq_ignore_ascii_case("mmol/L") {
            "mmol/L"
        } else {
            "mg/dL"
        });
    }
    let (mut mg, mut mmol) = (0, 0);
    for e in input.entries {
        if let Entry::Measurement(m) = &e.entry
            && is_glucose(m)
        {
            if m.unit.eq_ignore_ascii_case("mmol/L") {
                mmol += 1;
            } else if m.unit.eq_ignore_ascii_case("mg/dL") {
                mg += 1;
            }
        }
    }
    match (mg, mmol) {
        (0, 0) => None,
        (a, b) if b > a => Some("mmol/L"),
        _ => Some("mg/dL"),
    }
}

const CSS: &str = "\
body{margin:0;background:#f3f4f6;color:#111827;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif}\
main{max-width:1000px;margin:0 auto;padding:24px}\
header{background:#1e3a8a;color:#fff;padding:24px 28px;border-radius:12px;margin-bottom:20px}\
header h1{margin:0 0 4px;font-size:28px}header p{margin:0;opacity:.9}\
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px;align-items:start}\
section{background:#fff;border-radius:12px;padding:16px 20px;box-shadow:0 1px 2px rgba(0,0,0,.06)}\
section h2{margin:0 0 8px;font-size:18px;color:#1e3a8a}\
.wide{grid-column:1/-1}.wide ul{columns:2 360px;column-gap:36px}.wide li{break-inside:avoid}\
ul{margin:0;padding-left:20px}li{margin:2px 0}.when{color:#6b7280;white-space:nowrap}.times{color:#6b7280}\
.empty{color:#6b7280;font-style:italic;margin:0}\
.none-known{color:#065f46;font-weight:600;margin:0}\
.flag{display:inline-block;padding:0 6px;border-radius:4px;font-size:13px;font-weight:700;text-transform:uppercase}\
.flag.high{background:#fee2e2;color:#991b1b}.flag.low{background:#dbeafe;color:#1e40af}.flag.abnormal{background:#fef3c7;color:#92400e}\
.range{color:#6b7280;font-size:14px}.negated{color:#991b1b}\
.agp{margin:16px 0}.agp .period{color:#374151;margin:0 0 12px}\
.agp-top{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}\
.metrics{border-collapse:collapse;flex:1 1 320px}.metrics th{text-align:left;font-weight:500;color:#374151;padding:6px 12px 6px 0;border-bottom:1px solid #e5e7eb}\
.metrics td{font-weight:700;padding:6px 0;border-bottom:1px solid #e5e7eb;white-space:nowrap}\
.tir{flex:0 0 330px}.tir svg{width:100%;height:auto;display:block}\
.note,.method{color:#6b7280;font-size:13px;margin:6px 0 0}\
figure{background:#fff;border-radius:12px;padding:12px;margin:16px 0;box-shadow:0 1px 2px rgba(0,0,0,.06)}\
figure svg{width:100%;height:auto;display:block}figcaption{color:#6b7280;font-size:14px;margin:4px 8px}\
.agp figure{box-shadow:none;padding:0;margin:12px 0 0}\
footer{color:#6b7280;font-size:13px;margin:24px 4px}\
@media print{\
@page{size:A4;margin:14mm 12mm}\
body{background:#fff;font-size:10.5pt;-webkit-print-color-adjust:exact;print-color-adjust:exact}\
main{max-width:none;padding:0}\
header{padding:10px 14px;border-radius:6px;margin-bottom:10px}header h1{font-size:18pt}\
.grid{display:block}\
section,figure{box-shadow:none;border:1px solid #d1d5db;border-radius:6px;break-inside:avoid;page-break-inside:avoid;margin:0 0 8px;padding:8px 12px}\
.grid section{break-inside:avoid}\
.agp{break-before:page;page-break-before:always}\
.agp-top{flex-wrap:nowrap}.tir{flex:0 0 72mm}.metrics th{width:50%}\
figure svg{max-height:95mm}\
footer{margin:8px 0}\
}";

/// A self-contained HTML page: the patient, the IPS sections (with explicit "no known" and
/// "no information"), results with their reference ranges and high/low flags, notes and
/// documents, the glucose profile and charts inline; in `input.lang`, printable on A4.
pub fn report_html(input: &ReportInput) -> String {
    let lang = input.lang;
    let w = lang.words();
    let gunit = preferred_glucose_unit(input);
    let profile = input.entries.iter().find_map(|e| match &e.entry {
        Entry::Profile(p) => Some(p),
        _ => None,
    });
    let (name, facts) = profile_line(profile, input.patient_name, lang);
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">",
        lang.tag()
    );
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(
        h,
        "<title>{}</title><style>{CSS}</style></head><body><main>",
        esc(&fill(w.title, &[("name", &name)]))
    );
    let _ = write!(
        h,
        "<header><h1>{}</h1><p>{}</p><p>{}</p></header>",
        esc(&name),
        esc(&facts),
        esc(w.subtitle)
    );
    h.push_str("<div class=\"grid\">");
    for sec in ips_sections(input.entries) {
        if sec.members.is_empty() && !sec.required && !sec.none_known {
            continue;
        }
        let title = w
            .sections
            .iter()
            .find(|(k, _)| *k == sec.loinc)
            .map(|(_, t)| *t)
            .unwrap_or(sec.title);
        // Results and vital signs are long lists of short lines: the whole width.
        let class = match sec.loinc {
            "30954-2" | "8716-3" => "wide",
            _ if sec.required => "required",
            _ => "",
        };
        let _ = write!(h, "<section class=\"{class}\"><h2>{}</h2>", esc(title));
        let items: Vec<&RecordEntry> = sec
            .members
            .iter()
            .map(|&i| &input.entries[i])
            .filter(|e| !matches!(e.entry, Entry::NoneKnown(_)))
            .collect();
        if items.is_empty() {
            let (class, table): (&str, &[(&str, &str)]) = if sec.none_known {
                ("none-known", &w.no_known)
            } else {
                ("empty", &w.no_info)
            };
            let text = table
                .iter()
                .find(|(k, _)| *k == sec.loinc)
                .map(|(_, t)| *t)
                .unwrap_or(w.no_info_other);
            let _ = write!(h, "<p class=\"{class}\">{}</p>", esc(text));
        } else {
            h.push_str("<ul>");
            for line in lines(&items, lang, gunit) {
                h.push_str(&line);
            }
            h.push_str("</ul>");
        }
        h.push_str("</section>");
    }
    // Notes and documents: listed, newest first.
    let mut notes: Vec<&RecordEntry> = input
        .entries
        .iter()
        .filter(|e| matches!(e.entry, Entry::Note(_)))
        .collect();
    notes.sort_by_key(|e| std::cmp::Reverse(e.created.sort_key()));
    if !notes.is_empty() {
        let _ = write!(h, "<section class=\"notes\"><h2>{}</h2><ul>", esc(w.notes));
        for e in notes {
            if let Entry::Note(n) = &e.entry {
                let first: String = n
                    .text
                    .lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(160)
                    .collect();
                let title = n.title.as_deref().unwrap_or(w.untitled_note);
                let _ = write!(
                    h,
                    "<li><b>{}</b>: {} <span class=\"when\">{}</span></li>",
                    esc(title),
                    esc(&first),
                    esc(&fill(w.on, &[("date", &e.created.date().to_string())]))
                );
            }
        }
        h.push_str("</ul></section>");
    }
    let mut docs: Vec<&RecordEntry> = input
        .entries
        .iter()
        .filter(|e| matches!(e.entry, Entry::Document(_)))
        .collect();
    docs.sort_by_key(|e| std::cmp::Reverse(e.entry.clinical_date().unwrap_or(i64::MIN)));
    if !docs.is_empty() {
        let _ = write!(
            h,
            "<section class=\"documents\"><h2>{}</h2><ul>",
            esc(w.documents)
        );
        for e in docs {
            if let Entry::Document(d) = &e.entry {
                let kind = match d.doc_type {
                    DocType::Report => w.doc_types[0],
                    DocType::Prescription => w.doc_types[1],
                    DocType::Imaging => w.doc_types[2],
                    DocType::Letter => w.doc_types[3],
                    _ => w.doc_types[4],
                };
                let _ = write!(
                    h,
                    "<li><b>{}</b> ({}, {}) <span class=\"when\">{}</span></li>",
                    esc(&d.title),
                    esc(kind),
                    esc(&fill(w.bytes, &[("n", &d.blob.size.to_string())])),
                    esc(&fill(w.on, &[("date", &d.date.date().to_string())]))
                );
            }
        }
        h.push_str("</ul></section>");
    }
    h.push_str("</div>");
    // Glucose: the profile of the last 14 days, then the chart of the last days, both in
    // the report's glucose unit.
    if let Some(g) = &input.glucose
        && !g.points.is_empty()
    {
        let unit = gunit.unwrap_or(g.unit);
        // The ranges are judged in the unit the device measured in (70 mg/dL is in range;
        // converted, 3.885 mmol/L would not be), then shown in the report's unit.
        if let Some(stats) = glucose_stats(g.points, g.unit, g.offset_seconds) {
            h.push_str(&glucose::agp_html(&stats, unit, g.offset_seconds, lang));
        }
        // The chart's readings in the report's unit, rounded as a device shows them.
        let pts: Vec<Point> = g
            .points
            .iter()
            .filter_map(|p| {
                let v = convert_glucose(p.value, g.unit, unit)?;
                let v = if unit == g.unit {
                    v
                } else if unit == "mmol/L" {
                    (v * 10.0).round() / 10.0
                } else {
                    v.round()
                };
                Some(Point {
                    value: v,
                    ..p.clone()
                })
            })
            .collect();
        let days = input.glucose_days.unwrap_or(14);
        let end = pts.iter().map(|p| p.t).max().unwrap_or(0);
        let recent: Vec<Point> = pts
            .iter()
            .filter(|p| p.t > end - i64::from(days) * 86_400)
            .cloned()
            .collect();
        let svg = chart_svg_in(
            &Chart {
                kind: ChartKind::Glucose,
                title: w.chart_glucose,
                unit,
                points: &recent,
                offset_seconds: g.offset_seconds,
            },
            lang,
        );
        let caption = fill(
            w.glucose_days,
            &[
                ("days", &days.to_string()),
                ("n", &recent.len().to_string()),
            ],
        );
        let _ = write!(
            h,
            "<figure>{svg}<figcaption>{}</figcaption></figure>",
            esc(&caption)
        );
    }
    h.push_str("<div id=\"charts\">");
    for (caption, svg) in &input.charts {
        let _ = write!(
            h,
            "<figure>{svg}<figcaption>{}</figcaption></figure>",
            esc(caption)
        );
    }
    h.push_str("</div>");
    let _ = writeln!(
        h,
        "<footer>{}</footer></main></body></html>",
        esc(&fill(w.footer, &[("when", input.generated)]))
    );
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: usize, step: i64, base: f64) -> Vec<Point> {
        (0..n)
            .map(|i| Point {
                t: 1_740_787_200 + step * i as i64,
                value: base + ((i * 17) % 120) as f64,
                second: None,
                censored: None,
                offset: None,
            })
            .collect()
    }

    #[test]
    fn glucose_chart_has_axes_target_band_and_stats() {
        let pts = day(288, 300, 60.0);
        let svg = chart_svg(&Chart {
            kind: ChartKind::Glucose,
            title: "Glucose",
            unit: "mg/dL",
            points: &pts,
            offset_seconds: 3600,
        });
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("target 70–180 mg/dL"), "no target band label");
        assert!(svg.contains("fill=\"#dcfce7\""), "no target band");
        assert!(svg.contains("In range"));
        assert!(
            svg.contains(">00:00<") || svg.contains(">06:00<"),
            "no time ticks"
        );
        assert!(svg.contains("288 readings"));
    }

    #[test]
    fn censored_readings_count_on_their_side_of_the_range() {
        // 8 readings: 2 "Low" (stored at the limit 40), 1 "High" (400), 1 at 60 (below),
        // 4 in range.
        let mut pts = day(8, 300, 100.0);
        for p in &mut pts {
            p.value = 120.0;
        }
        pts[0].value = 40.0;
        pts[0].censored = Some(Censor::Below);
        pts[1].value = 40.0;
        pts[1].censored = Some(Censor::Below);
        pts[2].value = 400.0;
        pts[2].censored = Some(Censor::Above);
        pts[3].value = 60.0;
        // A censored "Above" at a limit inside the target still counts above.
        pts[4].value = 150.0;
        pts[4].censored = Some(Censor::Above);
        let svg = chart_svg(&Chart {
            kind: ChartKind::Glucose,
            title: "Glucose",
            unit: "mg/dL",
            points: &pts,
            offset_seconds: 0,
        });
        // below 3/8 = 38 %, of which below 54: the 2 Lows, 25 %; above 2/8 = 25 %, in
        // range 3/8 = 38 %.
        assert!(
            svg.contains("In range 38% · below 38% (below 54: 25%) · above 25%"),
            "{}",
            &svg[..svg.len().min(2000)]
        );
        assert!(svg.contains("2 Low and 2 High (beyond the sensor range)"));
    }

    #[test]
    fn a_confirmed_unusual_value_is_shown_with_its_mark() {
        let mut m = carnet_record::Measurement::from_input(
            "blood-pressure",
            "120/80",
            "mmHg",
            "2024-01-01T08:00:00Z".parse().unwrap(),
            None,
        )
        .unwrap();
        m.confirm_unusual();
        let line = measurement_line(&m, Lang::En, None);
        assert!(
            line.contains("120/80") && line.contains("(unusual, confirmed)"),
            "{line}"
        );
    }

    #[test]
    fn a_year_is_summarised_not_drawn_point_by_point() {
        let pts = day(105_120, 300, 60.0);
        let svg = chart_svg(&Chart {
            kind: ChartKind::Glucose,
            title: "Glucose",
            unit: "mg/dL",
            points: &pts,
            offset_seconds: 0,
        });
        assert!(svg.len() < 150_000, "{} bytes", svg.len());
        assert!(svg.contains("lowest–highest"));
        assert!(!svg.contains("<circle"));
    }

    #[test]
    fn record_text_is_escaped() {
        assert_eq!(esc("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
        let svg = chart_svg(&Chart {
            kind: ChartKind::Other,
            title: "<b>x</b>",
            unit: "u",
            points: &[],
            offset_seconds: 0,
        });
        assert!(!svg.contains("<b>"));
    }
}
