//! All output goes through here: data to stdout (human or JSON), status to stderr, progress bars only on
//! a terminal and never in CI.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use modelreg::progress::Progress;

/// Version of every `--json` document's layout; bumped on incompatible changes.
pub const JSON_SCHEMA_VERSION: u32 = 1;

pub struct Ui {
    quiet: bool,
    progress: bool,
}

impl Ui {
    pub fn new(quiet: bool) -> Ui {
        let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
        Ui { quiet, progress: !quiet && !in_ci && std::io::stderr().is_terminal() }
    }

    /// A status line on stderr (silenced by `--quiet`).
    pub fn status(&self, message: impl AsRef<str>) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr(), "{}", message.as_ref());
        }
    }

    /// Data on stdout. A closed pipe (`| head`) ends the program quietly with success.
    pub fn data(&self, text: impl AsRef<str>) {
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(text.as_ref().as_bytes()).and_then(|()| out.flush())
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            std::process::exit(0);
        }
    }

    /// A JSON document on stdout, with `schema_version` first.
    pub fn json<T: Serialize>(&self, value: &T) {
        #[derive(Serialize)]
        struct Envelope<'a, T> {
            schema_version: u32,
            #[serde(flatten)]
            body: &'a T,
        }
        let text = serde_json::to_string_pretty(&Envelope { schema_version: JSON_SCHEMA_VERSION, body: value })
            .expect("reports serialise to JSON");
        self.data(format!("{text}\n"));
    }

    pub fn progress(&self) -> BarProgress {
        BarProgress { enabled: self.progress, bar: Mutex::new(None) }
    }
}

/// Draws a byte progress bar on stderr when enabled.
pub struct BarProgress {
    enabled: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Progress for BarProgress {
    fn start(&self, label: &str, total_bytes: u64) {
        if !self.enabled {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg:>20} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(label.to_owned());
        *self.bar.lock().expect("progress lock") = Some(bar);
    }

    fn advance(&self, bytes: u64) {
        if let Some(bar) = self.bar.lock().expect("progress lock").as_ref() {
            bar.inc(bytes);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.lock().expect("progress lock").take() {
            bar.finish_and_clear();
        }
    }
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::new();
        for (i, cell) in cells.enumerate() {
            if i + 1 == widths.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut headers.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

/// `1.5 KiB`, `12.0 MiB`, `3 B`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{n} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// A metric value without float noise: `0.94`, `12`, `0.000123`.
pub fn number(value: f64) -> String {
    let text = format!("{value}");
    if text.len() > 12 { format!("{value:.6}").trim_end_matches('0').to_owned() } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let text = table(&["A", "LONG"], &[vec!["xxx".into(), "1".into()], vec!["y".into(), "22".into()]]);
        assert_eq!(text, "A    LONG\nxxx  1\ny    22\n");
    }

    #[test]
    fn sizes() {
        assert_eq!(bytes(3), "3 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(128 << 20), "128.0 MiB");
    }
}
