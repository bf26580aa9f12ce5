//! [`Progress`]: the progress bar of long registry operations (install, log verify, publish of
//! large packages, REGISTRY R7). It draws on stderr only when stderr is a terminal (and `TERM`
//! is not `dumb`), never with `--json`, and is silent when piped; a hidden one costs nothing,
//! so callers use it unconditionally. It is `Sync`: the threads of a parallel fetch advance it.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar on stderr, or a hidden one; see the module documentation.
#[derive(Clone, Debug)]
pub struct Progress {
    bar: ProgressBar,
}

/// Whether a progress display may draw: stderr is a terminal, `TERM` is not `dumb`, and the
/// command was not asked for `--json` (`quiet`).
pub fn may_draw(quiet: bool) -> bool {
    !quiet
        && std::io::stderr().is_terminal()
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

impl Progress {
    /// One that never draws.
    pub fn hidden() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
        }
    }

    /// A bar over `len` items (`12/40 tiles`), labelled `label`; hidden when it may not draw.
    pub fn items(len: u64, label: &str, quiet: bool) -> Progress {
        Progress::styled(
            len,
            label,
            quiet,
            "{prefix} [{bar:30}] {pos}/{len} {wide_msg}",
        )
    }

    /// A bar over `total` bytes (`1.2 MiB/3.4 MiB`), labelled `label`.
    pub fn bytes(total: u64, label: &str, quiet: bool) -> Progress {
        Progress::styled(
            total,
            label,
            quiet,
            "{prefix} [{bar:30}] {bytes}/{total_bytes} {wide_msg}",
        )
    }

    /// A spinner for work of unknown length.
    pub fn spinner(label: &str, quiet: bool) -> Progress {
        if !may_draw(quiet) {
            return Progress::hidden();
        }
        let bar = ProgressBar::new_spinner();
        bar.set_prefix(label.to_string());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix} {wide_msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(100));
        Progress { bar }
    }

    fn styled(len: u64, label: &str, quiet: bool, template: &str) -> Progress {
        if !may_draw(quiet) {
            return Progress::hidden();
        }
        let bar = ProgressBar::new(len);
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(label.to_string());
        Progress { bar }
    }

    /// Advances by `n`.
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Sets the text after the bar (the file being fetched …).
    pub fn set_message(&self, message: &str) {
        self.bar.set_message(message.to_string());
    }

    /// Whether it draws nothing.
    pub fn is_hidden(&self) -> bool {
        self.bar.is_hidden()
    }

    /// Where it is (also counted when hidden).
    pub fn position(&self) -> u64 {
        self.bar.position()
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
