//! Progress for commands that can take more than a second (import, export, backup,
//! restore, report, sync), drawn on stderr only for a person at a terminal: hidden with
//! --json, when stderr is not a terminal, or with TERM=dumb. NO_COLOR draws it without
//! colour. Counts are what the command knows: items for an import or an export, bytes
//! written so far for a backup or a restore (whose work the library does in one call),
//! beside the size of what is backed up or restored.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::Cli;
use crate::t;

/// Whether progress is drawn for this run.
pub fn shown(cli: &Cli) -> bool {
    !cli.json
        && std::io::stderr().is_terminal()
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

fn plain() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// A bar with a count (`done/total`), labelled `what`.
pub fn bar(cli: &Cli, len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if !shown(cli) {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    let template = if plain() {
        "{msg:>12} [{bar:40}] {pos}/{len}"
    } else {
        "{msg:>12} [{bar:40.cyan/blue}] {pos}/{len}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

/// A spinner with a message and the time elapsed, ticking on its own.
pub fn spinner(cli: &Cli, what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if !shown(cli) {
        bar.set_draw_target(ProgressDrawTarget::hidden());
        return bar;
    }
    let template = if plain() {
        "{spinner} {msg} ({elapsed})"
    } else {
        "{spinner:.cyan} {msg} ({elapsed})"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar.tick();
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// The bytes written at `path`: a file, or every file under a directory. A file the
/// library writes whole under a hidden sibling name first (`.NAME.tmp-...`, then renamed)
/// is measured there until it is in place.
fn written(path: &Path) -> u64 {
    if path.exists() {
        return size_of(path);
    }
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return 0;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                .map(|e| size_of(&e.path()))
                .sum()
        })
        .unwrap_or(0)
}

/// The bytes of a file, or of every file under a directory.
fn size_of(path: &Path) -> u64 {
    let Ok(meta) = std::fs::metadata(path) else {
        return 0;
    };
    if meta.is_file() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|rd| rd.flatten().map(|e| size_of(&e.path())).sum())
        .unwrap_or(0)
}

/// While `work` runs, a spinner labelled by `label(bytes)` with the bytes written so far
/// at `path` (a file or a directory), measured every quarter second.
pub fn while_writing<T>(
    cli: &Cli,
    path: PathBuf,
    label: impl Fn(String) -> String + Send + 'static,
    work: impl FnOnce() -> T,
) -> T {
    let bar = spinner(cli, &label(indicatif::HumanBytes(0).to_string()));
    if bar.is_hidden() {
        return work();
    }
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (bar, done) = (bar.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                bar.set_message(label(indicatif::HumanBytes(written(&path)).to_string()));
                std::thread::sleep(Duration::from_millis(250));
            }
        })
    };
    let out = work();
    done.store(true, Ordering::Relaxed);
    let _ = watcher.join();
    bar.finish_and_clear();
    out
}

/// The label of a restore from the backup `file`: the bytes written so far beside the
/// size of the backup being restored.
pub fn restoring(file: &Path) -> impl Fn(String) -> String + Send + 'static {
    let total = indicatif::HumanBytes(size_of(file)).to_string();
    move |bytes| t!("progress-restore", bytes = bytes, total = total.as_str())
}
