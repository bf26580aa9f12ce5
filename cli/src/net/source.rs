//! [`Source`]: where a registry's files come from — an `https://` or `http://` URL prefix, a
//! `file://` URL or a plain path — and fetching [`RelPath`]s below it, one at a time, in
//! parallel, or conditionally (ETag) for the two mutable files.
//!
//! Plain `http://` is accepted: everything fetched is verified (signatures, tree hashes,
//! BLAKE2b names), so the transport is not trusted for integrity. It still lets anyone on the
//! path see what is fetched and hold back updates until freshness (`max_age`) runs out, so
//! [`Source::warning`] gives a text for the caller to print when the host is not loopback.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use omega_core::{Error, ErrorCode, Result};

use super::http::{Conditional, HttpClient, HttpConfig, HttpUrl};
use super::path::RelPath;
use super::root::RootDir;
use crate::progress::Progress;

/// Most fetches [`Source::fetch_all`] runs at once, whatever the caller asks.
pub const MAX_PARALLEL_FETCHES: usize = 16;
/// A sensible parallelism for tiles and bundles.
pub const DEFAULT_PARALLEL_FETCHES: usize = 8;

/// Where a source's files are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// An http(s) URL prefix (its path without a trailing `/`).
    Http(HttpUrl),
    /// A folder (from `file://` or a plain path).
    Dir(PathBuf),
}

/// A registry source: a prefix below which [`RelPath`]s are fetched.
#[derive(Debug)]
pub struct Source {
    location: Location,
    config: HttpConfig,
    client: OnceLock<HttpClient>,
}

fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            let v = u8::from_str_radix(hex, 16).ok()?;
            if v == 0 {
                return None;
            }
            out.push(v);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    Some(out)
}

impl Source {
    /// Parses a source: `https://host[:port][/prefix]`, `http://…` (same), `file:///path`
    /// (or `file://localhost/path`, percent-escapes decoded) or a plain path. `MALFORMED` for
    /// another scheme, a `file://` URL naming another host, a query or fragment in the prefix,
    /// or credentials in the URL. The timeout comes from `OMEGA_HTTP_TIMEOUT`.
    pub fn parse(text: &str) -> Result<Source> {
        Source::parse_with(text, HttpConfig::from_env()?)
    }

    /// [`Source::parse`] with explicit HTTP settings.
    pub fn parse_with(text: &str, config: HttpConfig) -> Result<Source> {
        let bad = |why: &str| {
            Err(Error::new(
                ErrorCode::Malformed,
                format!("registry source {text:?}: {why}"),
            ))
        };
        if text.is_empty() {
            return bad("empty");
        }
        let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
        let location = if lower.starts_with("https://") || lower.starts_with("http://") {
            if text.contains(['?', '#']) {
                return bad("a registry prefix has no query or fragment");
            }
            let mut url = HttpUrl::parse(text)?;
            while url.path.len() > 1 && url.path.ends_with('/') {
                url.path.pop();
            }
            if url.path == "/" {
                url.path.clear();
            }
            Location::Http(url)
        } else if lower.starts_with("file://") {
            let rest = text.get(7..).unwrap_or("");
            let path = if rest.starts_with('/') {
                rest
            } else if rest.to_ascii_lowercase().starts_with("localhost/") {
                rest.get(9..).unwrap_or("")
            } else {
                return bad("a file URL names a local folder: file:///path");
            };
            let Some(decoded) = percent_decode(path) else {
                return bad("bad percent-escape");
            };
            #[cfg(unix)]
            let path = {
                use std::os::unix::ffi::OsStringExt;
                PathBuf::from(std::ffi::OsString::from_vec(decoded))
            };
            #[cfg(not(unix))]
            let path = PathBuf::from(String::from_utf8_lossy(&decoded).into_owned());
            Location::Dir(path)
        } else if text.contains("://") {
            return bad("only https://, http://, file:// and folder paths are registry sources");
        } else {
            Location::Dir(PathBuf::from(text))
        };
        Ok(Source {
            location,
            config,
            client: OnceLock::new(),
        })
    }

    /// Where the files are.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Whether the files are in a local folder.
    pub fn is_local(&self) -> bool {
        matches!(self.location, Location::Dir(_))
    }

    /// The source as text (the normalised URL, or the folder path): it names the source in
    /// messages and keys its ETags in the cache.
    pub fn text(&self) -> String {
        match &self.location {
            Location::Http(u) => u.to_string(),
            Location::Dir(p) => p.display().to_string(),
        }
    }

    /// A warning to print when the source is plain `http://` to a host that is not loopback.
    pub fn warning(&self) -> Option<String> {
        match &self.location {
            Location::Http(u) if !u.https && !u.is_loopback() => Some(format!(
                "{u} is plain http: every file is still verified (signatures, log proofs, hashes), \
                 but anyone on the way sees what is fetched and can hold back updates until \
                 they are stale; prefer https"
            )),
            _ => None,
        }
    }

    /// Where `rel` is fetched from, for messages: its URL or its path.
    pub fn shown(&self, rel: &RelPath) -> String {
        match &self.location {
            Location::Http(u) => self.url_of(u, rel).to_string(),
            Location::Dir(p) => p.join(rel.as_str()).display().to_string(),
        }
    }

    fn url_of(&self, base: &HttpUrl, rel: &RelPath) -> HttpUrl {
        let mut u = base.clone();
        u.path = format!("{}/{}", base.path, rel.as_str());
        u
    }

    fn client(&self) -> &HttpClient {
        self.client.get_or_init(|| HttpClient::new(self.config))
    }

    /// Fetches `rel` (at most `cap` bytes). `NOT_FOUND` naming the URL or path when absent;
    /// `TOO_LARGE` over the cap; `IO` for the rest (with the URL, the status or the timeout).
    pub fn get(&self, rel: &RelPath, cap: u64) -> Result<Vec<u8>> {
        match &self.location {
            Location::Http(base) => self.client().get(&self.url_of(base, rel), cap),
            Location::Dir(dir) => {
                let root = RootDir::open(dir)?;
                root.read(rel, cap)?.ok_or_else(|| {
                    Error::new(
                        ErrorCode::NotFound,
                        format!("{}: not found", root.shown(rel).display()),
                    )
                })
            }
        }
    }

    /// Fetches `rel` with `If-None-Match: etag` when an ETag is given (HTTP only; a folder
    /// has no ETags and always answers [`Conditional::Modified`] with `etag: None`).
    pub fn get_conditional(
        &self,
        rel: &RelPath,
        etag: Option<&str>,
        cap: u64,
    ) -> Result<Conditional> {
        match &self.location {
            Location::Http(base) => {
                self.client()
                    .get_conditional(&self.url_of(base, rel), etag, cap)
            }
            Location::Dir(_) => Ok(Conditional::Modified {
                bytes: self.get(rel, cap)?,
                etag: None,
            }),
        }
    }

    /// Fetches every path (each at most `cap` bytes) with up to `max_parallel` at a time
    /// (clamped to 1..=[`MAX_PARALLEL_FETCHES`]); the results are in the order of `paths`.
    pub fn fetch_all(
        &self,
        paths: &[RelPath],
        cap: u64,
        max_parallel: usize,
    ) -> Vec<Result<Vec<u8>>> {
        self.fetch_all_with(paths, cap, max_parallel, &Progress::hidden())
    }

    /// [`Source::fetch_all`], advancing `progress` by one per finished path.
    pub fn fetch_all_with(
        &self,
        paths: &[RelPath],
        cap: u64,
        max_parallel: usize,
        progress: &Progress,
    ) -> Vec<Result<Vec<u8>>> {
        let workers = max_parallel.clamp(1, MAX_PARALLEL_FETCHES).min(paths.len());
        if workers <= 1 {
            return paths
                .iter()
                .map(|p| {
                    let r = self.get(p, cap);
                    progress.inc(1);
                    r
                })
                .collect();
        }
        let next = AtomicUsize::new(0);
        let mut done: Vec<(usize, Result<Vec<u8>>)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    s.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(p) = paths.get(i) else { break };
                            mine.push((i, self.get(p, cap)));
                            progress.inc(1);
                        }
                        mine
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| {
                    h.join().unwrap_or_else(|_| {
                        vec![(
                            usize::MAX,
                            Err(Error::new(ErrorCode::Io, "a fetch thread panicked")),
                        )]
                    })
                })
                .collect()
        });
        done.sort_by_key(|(i, _)| *i);
        let mut out: Vec<Result<Vec<u8>>> = Vec::with_capacity(paths.len());
        let mut it = done.into_iter().peekable();
        for (i, p) in paths.iter().enumerate() {
            match it.peek() {
                Some((j, _)) if *j == i => {
                    if let Some((_, r)) = it.next() {
                        out.push(r);
                    }
                }
                _ => out.push(Err(Error::new(
                    ErrorCode::Io,
                    format!("{}: not fetched (a fetch thread failed)", self.shown(p)),
                ))),
            }
        }
        out
    }
}
