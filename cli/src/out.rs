//! Output: colours (only on a terminal), key fingerprints, reports as text and as JSON, and
//! progress indicators (stderr, only on a terminal).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use omega_core::{Error, ErrorCode, Problem, PublicKey};
use serde::Serialize;

/// Colours for one stream: on only when it is a terminal and `NO_COLOR` is not set.
#[derive(Clone, Copy, Debug)]
pub struct Paint {
    on: bool,
}

fn colour_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

impl Paint {
    /// Colours for stdout.
    pub fn stdout() -> Paint {
        Paint {
            on: std::io::stdout().is_terminal() && colour_allowed(),
        }
    }
    /// Colours for stderr.
    pub fn stderr() -> Paint {
        Paint {
            on: std::io::stderr().is_terminal() && colour_allowed(),
        }
    }
    fn wrap(self, sgr: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    /// Success.
    pub fn good(self, text: &str) -> String {
        self.wrap("1;32", text)
    }
    /// Failure.
    pub fn bad(self, text: &str) -> String {
        self.wrap("1;31", text)
    }
    /// Attention (unsigned, removed …).
    pub fn warn(self, text: &str) -> String {
        self.wrap("1;33", text)
    }
    /// Less important detail.
    pub fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }
}

/// Text from input (a revocation reason, a trusted comment, a message naming a file or a
/// package) made safe to print on a terminal: every character a terminal acts on — C0 controls
/// but tab (including newline, carriage return and ESC), DEL, C1 controls, and the Unicode
/// bidirectional and line-separator controls — is shown as `\u{XX}`, so the input can neither
/// move the cursor, clear the screen, set the title nor disguise itself as another line. Tab
/// is kept (minisign's trusted comments hold tabs, and `omega verify` prints them as minisign
/// does); backslashes are left as they are (the escapes are for a reader, not a parser). Used for all text-mode output of input; `--json` output is
/// exact JSON and does not go through it.
pub fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    fn active(c: char) -> bool {
        (c.is_control() && c != '\t')
            || matches!(
                c,
                '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}'
            )
            || ('\u{202A}'..='\u{202E}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
            // Every other invisible format character too (zero-width spaces and joiners,
            // U+FEFF, tags): text that looks like other text (RR23).
            || omega_core::vkey::is_format_char(c)
    }
    if !text.chars().any(active) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if active(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A key as people compare it: `RW… (id XXXXXXXXXXXXXXXX)`.
pub fn key_text(k: &PublicKey) -> String {
    format!("{k} (id {})", k.key_id())
}

/// A list of keys, comma-separated, or `-` when empty.
pub fn keys_text(keys: &[PublicKey]) -> String {
    if keys.is_empty() {
        "-".to_string()
    } else {
        keys.iter().map(key_text).collect::<Vec<_>>().join(", ")
    }
}

/// Prints a core error on stderr as `omega: CODE: message`.
pub fn print_error(e: &Error) {
    let p = Paint::stderr();
    esay!(
        "omega: {}: {}",
        p.bad(e.code().as_str()),
        shown(e.message())
    );
}

/// One problem line: `CODE message`.
pub fn problem_line(p: Paint, pr: &Problem) -> String {
    format!("{} {}", p.bad(pr.code.as_str()), shown(&pr.message))
}

/// A problem that is not part of a core report (a package not installed, not pinned …).
pub fn problem_from(
    code: ErrorCode,
    path: Option<&str>,
    key: Option<&str>,
    message: String,
) -> Problem {
    Problem {
        code,
        path: path.map(str::to_string),
        key: key.map(str::to_string),
        message,
    }
}

/// Prints one JSON object on stdout (pretty, final newline); keys in the order the value
/// serialises them (declaration order for core's report structs).
pub fn print_json<T: Serialize + ?Sized>(v: &T) {
    match serde_json::to_string_pretty(v) {
        Ok(s) => say!("{s}"),
        Err(e) => esay!("omega: IO: cannot serialise JSON: {e}"),
    }
}

/// A spinner on stderr while `f` runs, only when stderr is a terminal.
pub fn with_spinner<T>(message: &str, f: impl FnOnce() -> T) -> T {
    if !std::io::stderr().is_terminal() {
        return f();
    }
    let pb = ProgressBar::new_spinner();
    pb.set_message(message.to_string());
    pb.enable_steady_tick(Duration::from_millis(100));
    let out = f();
    pb.finish_and_clear();
    out
}

/// A progress bar over `len` steps on stderr, hidden when stderr is not a terminal.
pub fn progress(len: usize, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() || len < 2 {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {wide_msg}") {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_prefix(what.to_string());
    pb
}

#[cfg(test)]
mod shown_tests {
    use super::shown;

    #[test]
    fn invisible_format_characters_are_escaped() {
        assert_eq!(shown("plain text\tok"), "plain text\tok");
        assert_eq!(
            shown("left\u{200B}pad\u{200D}\u{2060}\u{FEFF}\u{202E}"),
            "left\\u{200b}pad\\u{200d}\\u{2060}\\u{feff}\\u{202e}"
        );
        assert_eq!(shown("a\u{E0041}b"), "a\\u{e0041}b");
    }
}
