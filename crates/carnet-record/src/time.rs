//! Dates as FHIR writes them (possibly partial), and instants with an offset.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil;
use jiff::tz::TimeZone;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::RecordError;

/// A FHIR date: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, always a real calendar date.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Date(String);

/// A sort key shared by dates and instants: seconds since the Unix epoch (a partial date
/// sorts at its first instant, UTC).
pub type SortKey = i64;

const DATE_FORMS: &str = "use YYYY, YYYY-MM or YYYY-MM-DD (a real calendar date)";

impl Date {
    /// The text, as given (normalised).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first civil day this date covers.
    pub fn first_day(&self) -> civil::Date {
        let parts: Vec<i32> = self.0.split('-').filter_map(|p| p.parse().ok()).collect();
        let y = parts.first().copied().unwrap_or(1970) as i16;
        let m = parts.get(1).copied().unwrap_or(1) as i8;
        let d = parts.get(2).copied().unwrap_or(1) as i8;
        civil::Date::new(y, m, d).unwrap_or(civil::date(1970, 1, 1))
    }

    /// Where this date sorts on a timeline.
    pub fn sort_key(&self) -> SortKey {
        self.first_day()
            .to_zoned(TimeZone::UTC)
            .map(|z| z.timestamp().as_second())
            .unwrap_or(0)
    }

    /// Today in the local time zone.
    pub fn today() -> Self {
        Date(jiff::Zoned::now().date().to_string())
    }
}

impl FromStr for Date {
    type Err = RecordError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let bad = || RecordError::invalid("date", s, DATE_FORMS);
        let parts: Vec<&str> = t.split('-').collect();
        let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
        match parts.as_slice() {
            [y] if digits(y, 4) => {}
            [y, m] if digits(y, 4) && digits(m, 2) => {
                let m: i8 = m.parse().map_err(|_| bad())?;
                if !(1..=12).contains(&m) {
                    return Err(bad());
                }
            }
            [y, m, d] if digits(y, 4) && digits(m, 2) && digits(d, 2) => {
                civil::Date::new(
                    y.parse().map_err(|_| bad())?,
                    m.parse().map_err(|_| bad())?,
                    d.parse().map_err(|_| bad())?,
                )
                .map_err(|_| bad())?;
            }
            _ => return Err(bad()),
        }
        Ok(Date(t.to_string()))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// An instant with the offset it was recorded in, kept as RFC 3339 text.
#[derive(Clone, Debug)]
pub struct DateTime {
    text: String,
    at: Timestamp,
}

const DATETIME_FORMS: &str = "use RFC 3339 (2024-03-01T08:30:00+01:00), or YYYY-MM-DD HH:MM[:SS] or YYYY-MM-DD in local time";

impl DateTime {
    /// Now, to the second, with the local offset.
    pub fn now() -> Self {
        let now = jiff::Zoned::now();
        let secs = Timestamp::from_second(now.timestamp().as_second()).unwrap_or(now.timestamp());
        Self::from_zoned(&secs.to_zoned(now.time_zone().clone()))
    }

    fn from_zoned(z: &jiff::Zoned) -> Self {
        let offset = z.offset();
        // One text per instant and offset: a zero offset is always written `Z`.
        let text = if offset == jiff::tz::Offset::UTC {
            z.timestamp().to_string()
        } else {
            z.timestamp().display_with_offset(offset).to_string()
        };
        DateTime {
            text,
            at: z.timestamp(),
        }
    }

    /// From a Unix time in seconds, written in UTC.
    pub fn from_unix(secs: i64) -> Option<Self> {
        let at = Timestamp::from_second(secs).ok()?;
        Some(DateTime {
            text: at.to_string(),
            at,
        })
    }

    /// From a Unix time in seconds, written at `offset_seconds` east of UTC.
    pub fn from_unix_offset(secs: i64, offset_seconds: i32) -> Option<Self> {
        let at = Timestamp::from_second(secs).ok()?;
        let offset = jiff::tz::Offset::from_seconds(offset_seconds).ok()?;
        Some(Self::from_zoned(&at.to_zoned(TimeZone::fixed(offset))))
    }

    /// A day (or month, or year) with no time of day, as FHIR allows in
    /// `effectiveDateTime`: it stays that date (text `2024-03-01`), and sorts at the first
    /// instant of its first day, UTC. Making it midnight UTC would invent a time and, east
    /// or west of Greenwich, another day.
    pub fn from_date(date: &Date) -> Self {
        DateTime {
            text: date.as_str().to_string(),
            at: Timestamp::from_second(date.sort_key()).unwrap_or(Timestamp::UNIX_EPOCH),
        }
    }

    /// Whether this is a date without a time of day (see [`DateTime::from_date`]).
    pub fn is_date_only(&self) -> bool {
        !self.text.contains('T')
    }

    /// Seconds east of UTC this instant was recorded at (0 for a date without a time).
    pub fn offset_seconds(&self) -> i32 {
        let t = &self.text;
        if t.ends_with('Z') || t.len() < 6 || self.is_date_only() {
            return 0;
        }
        let tail = &t[t.len() - 6..];
        let sign = match tail.as_bytes()[0] {
            b'+' => 1,
            b'-' => -1,
            _ => return 0,
        };
        let h: i32 = tail[1..3].parse().unwrap_or(0);
        let m: i32 = tail[4..6].parse().unwrap_or(0);
        sign * (h * 3600 + m * 60)
    }

    /// The instant.
    pub fn timestamp(&self) -> Timestamp {
        self.at
    }

    /// Where this instant sorts on a timeline.
    pub fn sort_key(&self) -> SortKey {
        self.at.as_second()
    }

    /// The civil date in the offset it was recorded in.
    pub fn date(&self) -> Date {
        if self.is_date_only() {
            return Date(self.text.clone());
        }
        Date(self.text.get(..10).unwrap_or("1970-01-01").to_string())
    }

    /// The RFC 3339 text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl PartialEq for DateTime {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}
impl Eq for DateTime {}

impl PartialOrd for DateTime {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for DateTime {
    fn cmp(&self, other: &Self) -> Ordering {
        self.at
            .cmp(&other.at)
            .then_with(|| self.text.cmp(&other.text))
    }
}

impl FromStr for DateTime {
    type Err = RecordError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let bad = || RecordError::invalid("date and time", s, DATETIME_FORMS);
        if t.len() > 64 {
            return Err(bad());
        }
        // With an explicit offset (Z or +hh:mm): keep that offset.
        if let Ok(at) = t.parse::<Timestamp>() {
            let offset = match jiff::fmt::temporal::Pieces::parse(t)
                .ok()
                .and_then(|p| p.offset())
            {
                Some(jiff::fmt::temporal::PiecesOffset::Numeric(n)) => n.offset(),
                _ => jiff::tz::Offset::UTC,
            };
            return Ok(Self::from_zoned(&at.to_zoned(TimeZone::fixed(offset))));
        }
        // Without an offset: local time.
        let civil_dt = if t.len() == 10 {
            t.parse::<civil::Date>()
                .map(|d| d.to_datetime(civil::Time::midnight()))
                .map_err(|_| bad())?
        } else {
            t.replacen(' ', "T", 1)
                .parse::<civil::DateTime>()
                .map_err(|_| bad())?
        };
        let z = civil_dt.to_zoned(TimeZone::system()).map_err(|_| bad())?;
        Ok(Self::from_zoned(&z))
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for DateTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        // Stored text without a time of day is a date kept as a date (`from_date`), not
        // a local midnight as typed on the command line.
        if !text.contains('T')
            && let Ok(date) = text.parse::<Date>()
        {
            return Ok(DateTime::from_date(&date));
        }
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_accept_fhir_forms_and_refuse_impossible_days() {
        for ok in ["2024", "2024-02", "2024-02-29", "1999-12-31"] {
            assert_eq!(ok.parse::<Date>().unwrap().as_str(), ok);
        }
        for bad in [
            "2023-02-30",
            "2024-13-01",
            "2024-00",
            "tomorrow",
            "24-01-01",
            "2024-1-1",
            "",
            "2024-02-29T10:00",
        ] {
            let err = bad.parse::<Date>().unwrap_err().to_string();
            assert!(err.contains("YYYY-MM-DD"), "{bad}: {err}");
        }
        assert!(
            "2024-03".parse::<Date>().unwrap().sort_key()
                < "2024-03-02".parse::<Date>().unwrap().sort_key()
        );
    }

    #[test]
    fn datetimes_keep_their_offset_and_compare_by_instant() {
        let a: DateTime = "2024-03-01T08:30:00+01:00".parse().unwrap();
        assert_eq!(a.as_str(), "2024-03-01T08:30:00+01:00");
        let b: DateTime = "2024-03-01T07:30:00Z".parse().unwrap();
        assert_eq!(a.sort_key(), b.sort_key());
        assert_eq!(a.date().as_str(), "2024-03-01");
        let local: DateTime = "2024-03-01 08:30".parse().unwrap();
        let _ = local.sort_key();
        let day: DateTime = "2024-03-01".parse().unwrap();
        assert!(day.as_str().starts_with("2024-03-01T00:00:00"));
        for bad in [
            "25:99",
            "tomorrow",
            "2024-02-30 10:00",
            "2024-03-01T25:00:00Z",
            "",
        ] {
            let err = bad.parse::<DateTime>().unwrap_err().to_string();
            assert!(err.contains("RFC 3339"), "{bad}: {err}");
        }
        let now = DateTime::now();
        let back: DateTime = now.as_str().parse().unwrap();
        assert_eq!(back, now);
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<DateTime>(&json).unwrap(), a);
    }

    #[test]
    fn a_date_without_a_time_stays_a_date() {
        for text in ["2024-03-01", "2024-03", "2024"] {
            let d = DateTime::from_date(&text.parse().unwrap());
            assert_eq!(d.as_str(), text);
            assert!(d.is_date_only());
            assert_eq!(d.offset_seconds(), 0);
            assert_eq!(d.date().as_str(), text);
            let json = serde_json::to_string(&d).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            let back: DateTime = serde_json::from_str(&json).unwrap();
            assert_eq!(back, d);
            assert!(back.is_date_only());
        }
        let d = DateTime::from_date(&"2024-03-01".parse().unwrap());
        let midnight: DateTime = "2024-03-01T00:00:00Z".parse().unwrap();
        assert_eq!(d.sort_key(), midnight.sort_key());
        assert_ne!(d, midnight, "a date is not midnight UTC");
        assert!(!midnight.is_date_only());
    }
}
