//! The Ambulatory Glucose Profile of the international consensus (Battelino et al.,
//! Diabetes Care 2019; Bergenstal et al. 2018 for GMI): figures and pictures.
//!
//! Definitions (the tests check them against an independent computation on real CGM
//! data, `tests/agp.rs` and `scripts/agp-reference.py`):
//! - Period: the last 14 days of readings, ending at the last one (a reading exactly 14
//!   days before the last is outside); shorter when the readings are.
//! - Ranges, per reading, in the readings' own unit (so 10.0 mmol/L is in range): very
//!   low < 54 mg/dL (< 3.0 mmol/L), low 54-69 (3.0-3.8), in range 70-180 (3.9-10.0), high
//!   181-250 (10.1-13.9), very high > 250 (> 13.9). A "Low" reading is very low, a "High"
//!   one very high, whatever the limit stored. Percentages are of readings.
//! - Mean and standard deviation (population) of every reading, Low and High at the
//!   sensor's limit (stored value); in mg/dL (mmol/L x 18.016). GMI (%) = 3.31 + 0.02392
//!   x mean mg/dL. CV (%) = SD / mean x 100.
//! - Days of readings: local calendar days (in each reading's own offset when known, else
//!   the chart's) with at least one reading. Time with readings (%): readings x the usual spacing (median gap) / (the
//!   period + one spacing), at most 100.
//! - Modal day: 96 bins of 15 minutes of local time of day (each reading's own offset, as
//!   the device file gives it, so a DST change shifts nothing); in each, the 5th, 25th,
//!   50th, 75th and 95th percentiles by linear interpolation between closest ranks
//!   (numpy's default); a bin with fewer than 5 readings is left empty.

use std::fmt::Write as _;

use carnet_record::Censor;

use crate::i18n::{Lang, fill};
use crate::{Point, esc, num, pct_text};

/// mg/dL per mmol/L of glucose (molar mass 180.16 g/mol).
pub const MG_PER_MMOL: f64 = 18.016;

/// Length of the profile's period.
pub const AGP_DAYS: i64 = 14;

/// Width of a bin of the modal day, in seconds.
pub const BIN_SECONDS: i64 = 900;

/// The consensus ranges, very low to very high.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Band {
    /// < 54 mg/dL, < 3.0 mmol/L (level 2 hypoglycaemia).
    VeryLow,
    /// 54-69 mg/dL, 3.0-3.8 mmol/L.
    Low,
    /// 70-180 mg/dL, 3.9-10.0 mmol/L.
    InRange,
    /// 181-250 mg/dL, 10.1-13.9 mmol/L.
    High,
    /// > 250 mg/dL, > 13.9 mmol/L.
    VeryHigh,
}

/// The range a reading is in (see the module docs).
pub fn band(p: &Point, mmol: bool) -> Band {
    match p.censored {
        Some(Censor::Below) => return Band::VeryLow,
        Some(Censor::Above) => return Band::VeryHigh,
        _ => {}
    }
    let v = p.value;
    let (a, b, c, d) = if mmol {
        (3.0, 3.9, 10.0, 13.9)
    } else {
        (54.0, 70.0, 180.0, 250.0)
    };
    if v < a {
        Band::VeryLow
    } else if v < b {
        Band::Low
    } else if v <= c {
        Band::InRange
    } else if v <= d {
        Band::High
    } else {
        Band::VeryHigh
    }
}

/// The figures of a glucose profile.
#[derive(Clone, Debug, PartialEq)]
pub struct GlucoseStats {
    /// First reading of the period (Unix seconds).
    pub start: i64,
    /// Last reading.
    pub end: i64,
    /// Readings in the period.
    pub readings: usize,
    /// Readings per range: very low, low, in range, high, very high.
    pub bands: [usize; 5],
    /// "Low" and "High" readings (beyond the sensor's range).
    pub censored: (usize, usize),
    /// Mean, in mg/dL.
    pub mean_mg_dl: f64,
    /// Standard deviation (population), in mg/dL.
    pub sd_mg_dl: f64,
    /// Glucose management indicator, %.
    pub gmi_percent: f64,
    /// Coefficient of variation, %.
    pub cv_percent: f64,
    /// Local days with at least one reading.
    pub days: usize,
    /// Share of the period with readings, %.
    pub active_percent: f64,
    /// The usual spacing of readings, seconds.
    pub spacing: i64,
    /// Per 15-minute bin of the day: the 5th, 25th, 50th, 75th and 95th percentiles in
    /// mg/dL, or `None` for a bin with fewer than 5 readings.
    pub percentiles: Vec<Option<[f64; 5]>>,
}

/// Percentile `p` (0-100) of sorted values, linear between closest ranks.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = p / 100.0 * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
}

/// The profile of `points` (oldest first, in `unit`, mg/dL or mmol/L), with local times in
/// `offset` seconds east of UTC. `None` without readings.
pub fn glucose_stats(points: &[Point], unit: &str, offset: i32) -> Option<GlucoseStats> {
    let end = points.iter().map(|p| p.t).max()?;
    let mmol = unit.eq_ignore_ascii_case("mmol/L");
    let per = if mmol { MG_PER_MMOL } else { 1.0 };
    let from = end - AGP_DAYS * 86_400;
    let mut pts: Vec<&Point> = points.iter().filter(|p| p.t > from).collect();
    pts.sort_by_key(|p| p.t);
    let start = pts.first()?.t;
    let n = pts.len();
    let mut bands = [0usize; 5];
    for p in &pts {
        bands[band(p, mmol) as usize] += 1;
    }
    let censored = (
        pts.iter()
            .filter(|p| p.censored == Some(Censor::Below))
            .count(),
        pts.iter()
            .filter(|p| p.censored == Some(Censor::Above))
            .count(),
    );
    let mg: Vec<f64> = pts.iter().map(|p| p.value * per).collect();
    let mean = mg.iter().sum::<f64>() / n as f64;
    let sd = (mg.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
    let mut gaps: Vec<i64> = pts
        .windows(2)
        .map(|w| w[1].t - w[0].t)
        .filter(|g| *g > 0)
        .collect();
    gaps.sort_unstable();
    let spacing = gaps.get(gaps.len() / 2).copied().unwrap_or(300);
    let active = (n as f64 * spacing as f64 / ((end - start) + spacing) as f64 * 100.0).min(100.0);
    // Local time of each reading in its own offset (a DST change inside the period moves
    // no reading to another hour of the modal day), else in the chart's.
    let local = |p: &Point| p.t + i64::from(p.offset.unwrap_or(offset));
    let mut days: Vec<i64> = pts.iter().map(|p| local(p).div_euclid(86_400)).collect();
    days.sort_unstable();
    days.dedup();
    let bins = (86_400 / BIN_SECONDS) as usize;
    let mut by_bin: Vec<Vec<f64>> = vec![Vec::new(); bins];
    for (p, v) in pts.iter().zip(&mg) {
        let i = (local(p).rem_euclid(86_400) / BIN_SECONDS) as usize;
        by_bin[i].push(*v);
    }
    let percentiles = by_bin
        .into_iter()
        .map(|mut b| {
            if b.len() < 5 {
                return None;
            }
            b.sort_by(f64::total_cmp);
            Some([5.0, 25.0, 50.0, 75.0, 95.0].map(|q| percentile(&b, q)))
        })
        .collect();
    Some(GlucoseStats {
        start,
        end,
        readings: n,
        bands,
        censored,
        mean_mg_dl: mean,
        sd_mg_dl: sd,
        gmi_percent: 3.31 + 0.02392 * mean,
        cv_percent: if mean > 0.0 { sd / mean * 100.0 } else { 0.0 },
        days: days.len(),
        active_percent: active,
        spacing,
        percentiles,
    })
}

impl GlucoseStats {
    /// Whether there is enough for a profile: a day of readings and 100 readings.
    pub fn enough(&self) -> bool {
        self.end - self.start >= 86_400 - self.spacing && self.readings >= 100
    }
}

/// A glucose value in mg/dL shown in `unit`: mg/dL as a whole number, mmol/L with one
/// decimal.
pub(crate) fn shown(mg: f64, unit: &str, lang: Lang) -> String {
    if unit.eq_ignore_ascii_case("mmol/L") {
        crate::fixed(lang, mg / MG_PER_MMOL, 1)
    } else {
        num(lang, mg, 0)
    }
}

const AW: f64 = 960.0;
const AH: f64 = 380.0;
const AL: f64 = 64.0;
const AR: f64 = 24.0;
const AT: f64 = 40.0;
const AB: f64 = 48.0;

/// The modal day as an SVG document: 5-95 % and 25-75 % bands, the median, the target.
pub fn agp_svg(s: &GlucoseStats, unit: &str, lang: Lang) -> String {
    let w = lang.words();
    let mmol = unit.eq_ignore_ascii_case("mmol/L");
    let per = if mmol { MG_PER_MMOL } else { 1.0 };
    let top_mg = s
        .percentiles
        .iter()
        .flatten()
        .map(|p| p[4])
        .fold(350.0f64, f64::max);
    let (y_max, step) = if mmol {
        (((top_mg / per) / 5.0).ceil() * 5.0, 5.0)
    } else {
        ((top_mg / 50.0).ceil() * 50.0, 50.0)
    };
    let x = |sec: f64| AL + sec / 86_400.0 * (AW - AL - AR);
    let y = |mg: f64| AH - AB - (mg / per) / y_max * (AH - AT - AB);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {AW} {AH}" width="{AW}" height="{AH}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif" role="img" aria-label="{}">"#,
        esc(w.agp_title)
    );
    svg.push_str(r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    // Target range.
    let (lo_t, hi_t) = if mmol {
        (3.9 * MG_PER_MMOL, 10.0 * MG_PER_MMOL)
    } else {
        (70.0, 180.0)
    };
    let _ = write!(
        svg,
        r##"<rect x="{AL}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#dcfce7"/>"##,
        y(hi_t),
        AW - AL - AR,
        y(lo_t) - y(hi_t),
    );
    // Grid.
    let mut v = 0.0;
    while v <= y_max + 1e-9 {
        let yy = y(v * per);
        let _ = write!(
            svg,
            r##"<line x1="{AL}" x2="{:.1}" y1="{yy:.1}" y2="{yy:.1}" stroke="#e5e7eb"/><text x="{:.1}" y="{:.1}" font-size="13" fill="#4b5563" text-anchor="end">{}</text>"##,
            AW - AR,
            AL - 8.0,
            yy + 4.0,
            num(lang, v, 0)
        );
        v += step;
    }
    for mgv in [lo_t, hi_t] {
        let yy = y(mgv);
        let label = shown(mgv, unit, lang);
        let _ = write!(
            svg,
            r##"<line x1="{AL}" x2="{:.1}" y1="{yy:.1}" y2="{yy:.1}" stroke="#16a34a" stroke-width="1.5"/><text x="{:.1}" y="{:.1}" font-size="12" fill="#15803d" stroke="#ffffff" stroke-width="4" paint-order="stroke">{label}</text>"##,
            AW - AR,
            AW - AR - 30.0,
            yy - 4.0
        );
    }
    for h in (0..=24).step_by(3) {
        let xx = x(f64::from(h) * 3600.0);
        let _ = write!(
            svg,
            r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{AT}" y2="{:.1}" stroke="#f3f4f6"/><text x="{xx:.1}" y="{:.1}" font-size="13" fill="#4b5563" text-anchor="middle">{:02}:00</text>"##,
            AH - AB,
            AH - AB + 20.0,
            h
        );
    }
    let _ = write!(
        svg,
        r##"<text transform="translate(16 {:.1}) rotate(-90)" font-size="13" fill="#4b5563" text-anchor="middle">{}</text>"##,
        (AT + AH - AB) / 2.0,
        esc(crate::unit_label(unit))
    );
    // Runs of bins with data: a band per run, so an empty bin is a gap, not a line.
    let bx = |i: usize| x((i as f64 + 0.5) * BIN_SECONDS as f64);
    let mut runs: Vec<Vec<(usize, [f64; 5])>> = Vec::new();
    let mut cur = Vec::new();
    for (i, p) in s.percentiles.iter().enumerate() {
        match p {
            Some(p) => cur.push((i, *p)),
            None if !cur.is_empty() => runs.push(std::mem::take(&mut cur)),
            None => {}
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    for run in &runs {
        for (lo_i, hi_i, fill, opacity) in [(0, 4, "#93c5fd", "0.55"), (1, 3, "#3b82f6", "0.55")] {
            let mut d = String::new();
            for (k, (i, p)) in run.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{:.1},{:.1}",
                    if k == 0 { 'M' } else { 'L' },
                    bx(*i),
                    y(p[hi_i])
                );
            }
            for (i, p) in run.iter().rev() {
                let _ = write!(d, "L{:.1},{:.1}", bx(*i), y(p[lo_i]));
            }
            let _ = write!(
                svg,
                r##"<path d="{d}Z" fill="{fill}" fill-opacity="{opacity}" stroke="none"/>"##
            );
        }
        let mut d = String::new();
        for (k, (i, p)) in run.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1},{:.1}",
                if k == 0 { 'M' } else { 'L' },
                bx(*i),
                y(p[2])
            );
        }
        let _ = write!(
            svg,
            r##"<path d="{d}" fill="none" stroke="#1e3a8a" stroke-width="2.5" stroke-linejoin="round"/>"##
        );
    }
    let _ = write!(
        svg,
        r##"<line x1="{AL}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#9ca3af"/><line x1="{AL}" x2="{AL}" y1="{AT}" y2="{:.1}" stroke="#9ca3af"/>"##,
        AW - AR,
        AH - AB,
        AH - AB,
        AH - AB
    );
    // Legend, top right.
    let legend = [
        ("#1e3a8a", "1", w.agp_legend_median),
        ("#3b82f6", "0.55", w.agp_legend_iqr),
        ("#93c5fd", "0.55", w.agp_legend_90),
    ];
    let mut lx = AW - AR;
    for (colour, op, label) in legend.iter().rev() {
        lx -= 14.0 + 7.5 * label.chars().count() as f64 + 16.0;
        let _ = write!(
            svg,
            r##"<rect x="{lx:.1}" y="14" width="12" height="12" rx="2" fill="{colour}" fill-opacity="{op}"/><text x="{:.1}" y="25" font-size="13" fill="#374151">{}</text>"##,
            lx + 17.0,
            esc(label)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The ranges as one stacked bar, very high on top, with each share and its limits.
pub fn tir_svg(s: &GlucoseStats, unit: &str, lang: Lang) -> String {
    let w = lang.words();
    let mmol = unit.eq_ignore_ascii_case("mmol/L");
    let limits: [&str; 5] = if mmol {
        ["<3,0", "3,0–3,8", "3,9–10,0", "10,1–13,9", ">13,9"]
    } else {
        ["<54", "54–69", "70–180", "181–250", ">250"]
    };
    let names = [
        w.tir_very_low,
        w.tir_low,
        w.tir_in_range,
        w.tir_high,
        w.tir_very_high,
    ];
    let colours = ["#991b1b", "#f87171", "#16a34a", "#fbbf24", "#ea580c"];
    let (bw, bh, top, bx) = (52.0, 300.0, 20.0, 12.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 330 340" width="330" height="340" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif" role="img" aria-label="{}">"#,
        esc(w.tir_title)
    );
    svg.push_str(r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let n = s.readings.max(1) as f64;
    // Segments bottom (very low) to top (very high); a non-empty range is at least 2 px,
    // so a few minutes of very low glucose still show.
    let heights: Vec<f64> = s
        .bands
        .iter()
        .map(|&k| {
            if k == 0 {
                0.0
            } else {
                (k as f64 / n * bh).max(2.0)
            }
        })
        .collect();
    let scale = bh / heights.iter().sum::<f64>().max(1.0);
    let mut y = top + bh;
    let mut centres = [0.0; 5];
    for i in 0..5 {
        let h = heights[i] * scale;
        y -= h;
        centres[i] = y + h / 2.0;
        if h > 0.0 {
            let _ = write!(
                svg,
                r##"<rect x="{bx}" y="{y:.1}" width="{bw}" height="{h:.1}" fill="{}"/>"##,
                colours[i]
            );
        }
    }
    // Labels in a column, spaced so they never overlap, from very high down.
    let mut label_y: [f64; 5] = centres;
    let gap = 44.0;
    label_y[4] = label_y[4].max(top + 14.0);
    for i in (0..4).rev() {
        label_y[i] = label_y[i].max(label_y[i + 1] + gap);
    }
    if label_y[0] > top + bh + 4.0 {
        label_y[0] = top + bh + 4.0;
        for i in 1..5 {
            label_y[i] = label_y[i].min(label_y[i - 1] - gap);
        }
    }
    for i in 0..5 {
        let ly = label_y[i];
        let lx = bx + bw + 30.0;
        let _ = write!(
            svg,
            r##"<line x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{ly:.1}" stroke="#9ca3af"/><text x="{lx:.1}" y="{:.1}" font-size="14" fill="#111827"><tspan font-weight="600">{}</tspan> <tspan fill="#6b7280">{} {}</tspan></text><text x="{lx:.1}" y="{:.1}" font-size="18" font-weight="700" fill="{}">{}</text>"##,
            bx + bw + 4.0,
            lx - 6.0,
            centres[i],
            ly - 4.0,
            esc(names[i]),
            esc(&if lang == Lang::En {
                limits[i].replace(',', ".")
            } else {
                limits[i].to_string()
            }),
            esc(crate::unit_label(unit)),
            ly + 16.0,
            if i == 2 { "#15803d" } else { colours[i] },
            esc(&pct_text(s.bands[i], s.readings, lang))
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The profile's section of the report: period, figures, bar and modal day.
pub(crate) fn agp_html(s: &GlucoseStats, unit: &str, offset: i32, lang: Lang) -> String {
    let w = lang.words();
    let mut h = String::new();
    let date = |t: i64| crate::long_date(t, offset, lang);
    let _ = write!(
        h,
        "<section class=\"agp\"><h2>{}</h2><p class=\"period\">{}</p>",
        esc(w.agp_title),
        esc(&fill(
            w.agp_period,
            &[
                ("from", &date(s.start)),
                ("to", &date(s.end)),
                ("days", &num(lang, (s.end - s.start) as f64 / 86_400.0, 1)),
            ]
        ))
    );
    if !s.enough() {
        let _ = write!(h, "<p class=\"empty\">{}</p></section>", esc(w.agp_too_few));
        return h;
    }
    let u = crate::unit_label(unit);
    let cv_note = if s.cv_percent <= 36.0 {
        w.cv_stable
    } else {
        w.cv_unstable
    };
    let metrics = [
        (
            w.metric_mean,
            format!("{} {u}", shown(s.mean_mg_dl, unit, lang)),
        ),
        (w.metric_gmi, format!("{} %", num(lang, s.gmi_percent, 1))),
        (
            w.metric_cv,
            format!("{} % ({cv_note})", num(lang, s.cv_percent, 1)),
        ),
        (w.metric_days, s.days.to_string()),
        (
            w.metric_active,
            format!("{} %", num(lang, s.active_percent, 1)),
        ),
        (w.metric_readings, s.readings.to_string()),
    ];
    h.push_str("<div class=\"agp-top\"><table class=\"metrics\">");
    for (k, v) in metrics {
        let _ = write!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
    }
    h.push_str("</table>");
    let _ = write!(
        h,
        "<div class=\"tir\">{}</div></div>",
        tir_svg(s, unit, lang)
    );
    let _ = write!(
        h,
        "<figure class=\"agp-chart\">{}<figcaption>{}</figcaption></figure>",
        agp_svg(s, unit, lang),
        esc(w.agp_caption)
    );
    if s.censored.0 + s.censored.1 > 0 {
        let _ = write!(
            h,
            "<p class=\"note\">{}</p>",
            esc(&fill(
                w.metric_censored,
                &[
                    ("low", &s.censored.0.to_string()),
                    ("high", &s.censored.1.to_string())
                ]
            ))
        );
    }
    // The GMI formula in the report's unit: 0.02392 per mg/dL is 0.43094 per mmol/L.
    let k = if unit.eq_ignore_ascii_case("mmol/L") {
        0.02392 * MG_PER_MMOL
    } else {
        0.02392
    };
    let _ = write!(
        h,
        "<p class=\"method\">{}</p></section>",
        esc(&fill(
            w.agp_method,
            &[
                ("a", &num(lang, 3.31, 2)),
                ("k", &num(lang, k, 5)),
                ("unit", u)
            ]
        ))
    );
    h
}
