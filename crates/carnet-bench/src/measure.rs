//! Timing, peak memory, and children: each measured run happens in a fresh process (this
//! binary started again with `child ...`), so one scenario's memory never shows in
//! another's peak, and every run starts from a cold process with a warm page cache.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

/// Seconds `f` takes, and what it returns.
pub fn time<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let start = Instant::now();
    let out = f();
    (start.elapsed().as_secs_f64(), out)
}

/// CPU seconds this thread has run so far (from /proc/thread-self/schedstat, in
/// nanoseconds): for CPU-bound figures on a shared machine, where wall time also counts
/// the other processes' turns.
pub fn thread_cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok())
        })
        .map_or(f64::NAN, |ns| ns as f64 / 1e9)
}

/// CPU seconds this whole process has used so far, every thread (user and system, from
/// /proc/self/stat in USER_HZ ticks, which Linux fixes at 100 a second): to show how much of
/// the machine's two cores a scenario kept busy.
pub fn process_cpu() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name, which is in parentheses and may hold spaces.
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let utime: u64 = f.get(11)?.parse().ok()?;
            let stime: u64 = f.get(12)?.parse().ok()?;
            Some((utime + stime) as f64 / 100.0)
        })
        .unwrap_or(f64::NAN)
}

/// CPU seconds (this thread) and wall seconds `f` takes, and what it returns.
pub fn cpu_time<T>(f: impl FnOnce() -> T) -> (f64, f64, T) {
    let (c, w) = (thread_cpu(), Instant::now());
    let out = f();
    (thread_cpu() - c, w.elapsed().as_secs_f64(), out)
}

/// The median of some numbers (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// This process's peak resident memory so far (VmHWM), in bytes.
pub fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// What a child prints as its last line: `RESULT {json}`.
pub fn report(values: Map<String, Value>) {
    let mut values = values;
    values
        .entry("peak_rss")
        .or_insert_with(|| Value::from(peak_rss()));
    println!("RESULT {}", Value::Object(values));
}

/// Runs this binary again as `child ARGS...` and returns what it reported.
pub fn child(args: &[String]) -> Result<Map<String, Value>> {
    let exe = std::env::current_exe().context("cannot find this program")?;
    let out = Command::new(exe)
        .arg("child")
        .args(args)
        .output()
        .context("cannot start a child run")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        // The status too: a child killed by a signal (out of memory, an abort) leaves
        // nothing on stderr, and "failed:" alone said nothing.
        bail!(
            "child {:?} failed ({}): {}\n{}",
            args,
            out.status,
            String::from_utf8_lossy(&out.stderr),
            stdout
        );
    }
    let line = stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("RESULT "))
        .with_context(|| format!("child {args:?} reported nothing"))?;
    match serde_json::from_str(line)? {
        Value::Object(m) => Ok(m),
        _ => bail!("child {args:?} reported something odd"),
    }
}

/// A number a child reported.
pub fn num(m: &Map<String, Value>, key: &str) -> f64 {
    m.get(key).and_then(Value::as_f64).unwrap_or(f64::NAN)
}

/// The median over runs of one reported number.
pub fn med(runs: &[Map<String, Value>], key: &str) -> f64 {
    median(&runs.iter().map(|r| num(r, key)).collect::<Vec<_>>())
}

/// Copies a vault directory (its files are closed: no vault is open on it).
pub fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let target = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &target)?;
        } else {
            std::fs::copy(e.path(), &target)?;
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Total size of the files in a directory.
pub fn dir_size(dir: &Path) -> Result<u64> {
    let mut n = 0;
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let m = e.metadata()?;
        n += if m.is_dir() {
            dir_size(&e.path())?
        } else {
            m.len()
        };
    }
    Ok(n)
}

/// Bytes as MB (10^6) with one decimal, or KiB under a megabyte.
pub fn bytes(n: f64) -> String {
    if n >= 1e6 {
        format!("{:.1} MB", n / 1e6)
    } else {
        format!("{:.1} KiB", n / 1024.0)
    }
}

/// Seconds, in the unit that reads best.
pub fn secs(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 0.001 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.0} us", s * 1e6)
    }
}
