//! The HTTP(S) client of a registry source: ureq on rustls with the *ring* provider, the
//! system's root certificates (`SSL_CERT_FILE` / `SSL_CERT_DIR` replace them when set),
//! explicit timeouts, a size cap per request, our own redirect policy and conditional GETs.
//!
//! Decisions (docs/registry.md, "Fetching and the registry folder"):
//! - **Timeouts**: [`DEFAULT_TIMEOUT`] (or `OMEGA_HTTP_TIMEOUT` seconds) bounds name resolution,
//!   connecting with the TLS handshake, sending the request, waiting for the response headers,
//!   and every single read; the whole body must also arrive within the timeout plus
//!   cap / [`MIN_BODY_BYTES_PER_SEC`], so a server trickling bytes (slowloris) is cut off too.
//! - **Caps**: the caller gives the most bytes it will take; a `Content-Length` above it is
//!   refused (`TOO_LARGE`) before the body is read, and reading stops at cap + 1 bytes whatever
//!   the server claims. No compression is asked for or undone: bytes are hashed as served.
//! - **Statuses**: 200 and 203 give the body; 304 answers a conditional GET; 404 and 410 are
//!   `NOT_FOUND` naming the URL; every other status is `IO` naming the URL and the status.
//! - **Redirects**: at most [`MAX_REDIRECTS`], each only to `https://` or within the same origin
//!   (scheme, host and port); never to another scheme (`file:`, …) and never from https down to
//!   http. Nothing a redirect says is trusted: the bytes are verified as from the source.
//! - **ETags**: a conditional GET sends `If-None-Match` and returns [`Conditional::NotModified`]
//!   on 304; the caller keeps the bytes the ETag belongs to (`Cache::put_etag`).

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use omega_core::{Error, ErrorCode, Result};
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
use ureq::Agent;

/// Time allowed for each step of a request when `OMEGA_HTTP_TIMEOUT` is not set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The environment variable that overrides [`DEFAULT_TIMEOUT`], in whole seconds (1–3600).
pub const TIMEOUT_ENV: &str = "OMEGA_HTTP_TIMEOUT";
/// Largest timeout `OMEGA_HTTP_TIMEOUT` may set, in seconds.
pub const MAX_TIMEOUT_SECS: u64 = 3600;
/// Most redirects followed for one request.
pub const MAX_REDIRECTS: usize = 5;
/// The slowest body transfer accepted, in bytes per second, past the first timeout: a body of
/// up to `cap` bytes must arrive within `timeout + cap / MIN_BODY_BYTES_PER_SEC`.
pub const MIN_BODY_BYTES_PER_SEC: u64 = 32 * 1024;
/// Largest response header block accepted.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Longest ETag kept; a longer (or non-printable) one is ignored, as if absent.
pub const MAX_ETAG_BYTES: usize = 256;

/// Settings of the HTTP client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpConfig {
    /// Time allowed for each step (see the module documentation).
    pub timeout: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl HttpConfig {
    /// The settings from the environment (`OMEGA_HTTP_TIMEOUT`).
    pub fn from_env() -> Result<HttpConfig> {
        let value = std::env::var(TIMEOUT_ENV).ok();
        Ok(HttpConfig {
            timeout: HttpConfig::parse_timeout(value.as_deref())?,
        })
    }

    /// The timeout for a value of `OMEGA_HTTP_TIMEOUT`: [`DEFAULT_TIMEOUT`] when absent or
    /// empty, else whole seconds from 1 to [`MAX_TIMEOUT_SECS`]; `MALFORMED` otherwise.
    pub fn parse_timeout(value: Option<&str>) -> Result<Duration> {
        let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(DEFAULT_TIMEOUT);
        };
        match v.parse::<u64>() {
            Ok(s)
                if (1..=MAX_TIMEOUT_SECS).contains(&s) && v.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Ok(Duration::from_secs(s))
            }
            _ => Err(Error::new(
                ErrorCode::Malformed,
                format!("{TIMEOUT_ENV}={v:?}: expected whole seconds from 1 to {MAX_TIMEOUT_SECS}"),
            )),
        }
    }

    /// Time allowed for the whole body of a response of at most `cap` bytes.
    pub fn body_budget(&self, cap: u64) -> Duration {
        self.timeout
            .saturating_add(Duration::from_secs(cap / MIN_BODY_BYTES_PER_SEC))
    }
}

/// The answer to a (conditional) GET.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conditional {
    /// 304: the bytes the ETag belongs to are still current.
    NotModified,
    /// The current bytes, with their ETag when the server sent a usable one.
    Modified {
        /// The body.
        bytes: Vec<u8>,
        /// The `ETag` header, verbatim (weak ones included).
        etag: Option<String>,
    },
}

/// An absolute http(s) URL, split as far as the redirect policy needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpUrl {
    /// `https` (else `http`).
    pub https: bool,
    /// The host, lowercase, as written (`example.com`, `127.0.0.1`, `[::1]`).
    pub host: String,
    /// The port, when given.
    pub port: Option<u16>,
    /// The path with its query, starting with `/`.
    pub path: String,
}

fn url_char_ok(b: u8) -> bool {
    b.is_ascii_graphic()
        && !matches!(
            b,
            b'\\' | b'"' | b'<' | b'>' | b'^' | b'`' | b'{' | b'|' | b'}'
        )
}

impl HttpUrl {
    /// Parses `http://host[:port][/path][?query]` (scheme case-insensitive; a `#fragment` is
    /// dropped). Refused (`MALFORMED`): other schemes, user:password@, an empty host, a bad port,
    /// spaces, controls, backslashes and non-ASCII.
    pub fn parse(text: &str) -> Result<HttpUrl> {
        let bad = |why: &str| {
            Err(Error::new(
                ErrorCode::Malformed,
                format!("URL {text:?}: {why}"),
            ))
        };
        let text_nf = text.split('#').next().unwrap_or("");
        if let Some(b) = text_nf.bytes().find(|&b| !url_char_ok(b)) {
            return bad(&format!("byte 0x{b:02x} is not allowed in a URL"));
        }
        let lower = text_nf.get(..8).unwrap_or(text_nf).to_ascii_lowercase();
        let (https, rest) = if lower.starts_with("https://") {
            (true, text_nf.get(8..).unwrap_or(""))
        } else if lower.starts_with("http://") {
            (false, text_nf.get(7..).unwrap_or(""))
        } else {
            return bad("not an http:// or https:// URL");
        };
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        if authority.contains('@') {
            return bad("user names and passwords in URLs are not accepted");
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let Some((inside, after)) = v6.split_once(']') else {
                return bad("unclosed [ in the host");
            };
            if inside.is_empty()
                || !inside
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
            {
                return bad("bad IPv6 address");
            }
            (format!("[{}]", inside.to_ascii_lowercase()), after)
        } else {
            let end = authority.find(':').unwrap_or(authority.len());
            let (h, after) = authority.split_at(end);
            if h.is_empty()
                || !h
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
            {
                return bad("bad or empty host");
            }
            (h.to_ascii_lowercase(), after)
        };
        let port = match port {
            "" => None,
            p => match p.strip_prefix(':').and_then(|d| {
                if d.bytes().all(|b| b.is_ascii_digit()) {
                    d.parse::<u16>().ok()
                } else {
                    None
                }
            }) {
                Some(n) if n > 0 => Some(n),
                _ => return bad("bad port"),
            },
        };
        let path = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("/{path}")
        };
        Ok(HttpUrl {
            https,
            host,
            port,
            path,
        })
    }

    /// The port used: the one given, else 443 or 80.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(if self.https { 443 } else { 80 })
    }

    /// Whether both have the same scheme, host and port.
    pub fn same_origin(&self, other: &HttpUrl) -> bool {
        self.https == other.https
            && self.host == other.host
            && self.effective_port() == other.effective_port()
    }

    /// Whether the host is a loopback name or address (`localhost`, 127.0.0.0/8, `[::1]`).
    pub fn is_loopback(&self) -> bool {
        if self.host == "localhost" || self.host.ends_with(".localhost") {
            return true;
        }
        if let Some(v6) = self
            .host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
        {
            return v6
                .parse::<std::net::Ipv6Addr>()
                .is_ok_and(|a| a.is_loopback());
        }
        self.host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|a| a.is_loopback())
    }

    /// The `Location` of a redirect from `self`, resolved (absolute, scheme-relative,
    /// absolute-path or relative-path reference); `IO` for another scheme or a `..`.
    pub fn resolve(&self, location: &str) -> Result<HttpUrl> {
        let refuse = |why: &str| {
            Err(Error::new(
                ErrorCode::Io,
                format!("{self}: redirect to {location:?} refused: {why}"),
            ))
        };
        let loc = location.trim();
        let lower = loc.get(..8).unwrap_or(loc).to_ascii_lowercase();
        let absolute = if lower.starts_with("https://") || lower.starts_with("http://") {
            loc.to_string()
        } else if let Some(rest) = loc.strip_prefix("//") {
            format!("{}://{rest}", if self.https { "https" } else { "http" })
        } else if loc
            .find(':')
            .is_some_and(|c| loc.find(['/', '?']).is_none_or(|s| c < s))
        {
            return refuse("only http and https are followed");
        } else if loc.starts_with('/') {
            format!("{}{loc}", self.origin_text())
        } else {
            let path = self.path.split('?').next().unwrap_or("/");
            let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
            format!("{}{dir}/{loc}", self.origin_text())
        };
        match HttpUrl::parse(&absolute) {
            Ok(u) if u.path.split(['/', '?']).any(|c| c == ".." || c == ".") => {
                refuse("dot segments")
            }
            Ok(u) => Ok(u),
            Err(e) => refuse(e.message()),
        }
    }

    fn origin_text(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        match self.port {
            Some(p) => format!("{scheme}://{}:{p}", self.host),
            None => format!("{scheme}://{}", self.host),
        }
    }
}

impl std::fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.origin_text(), self.path)
    }
}

/// The redirect rule: to https, or within the same origin.
pub fn redirect_allowed(from: &HttpUrl, to: &HttpUrl) -> bool {
    to.https || from.same_origin(to)
}

/// A blocking HTTP(S) client: one connection pool, shared by the threads of a parallel fetch.
#[derive(Debug)]
pub struct HttpClient {
    agent: Agent,
    config: HttpConfig,
    /// Why no root certificate could be loaded (then every https request fails with it).
    roots_problem: Option<String>,
}

/// The system's root certificates, or those of `SSL_CERT_FILE` / `SSL_CERT_DIR` when set.
fn load_roots() -> (Vec<Certificate<'static>>, Option<String>) {
    let found = rustls_native_certs::load_native_certs();
    let certs: Vec<Certificate<'static>> = found
        .certs
        .iter()
        .map(|c| Certificate::from_der(c.as_ref()).to_owned())
        .collect();
    if certs.is_empty() {
        let why = found
            .errors
            .first()
            .map_or_else(|| "none found".to_string(), |e| e.to_string());
        return (
            certs,
            Some(format!(
                "no trusted root certificate ({why}); install the system's CA certificates or set SSL_CERT_FILE"
            )),
        );
    }
    (certs, None)
}

impl HttpClient {
    /// A client with these settings and the system's roots (read once, here).
    pub fn new(config: HttpConfig) -> HttpClient {
        let (roots, roots_problem) = load_roots();
        // rustls 0.23.48 deprecates the *ring* provider because it has no post-quantum key
        // exchange. What is fetched is public and signed, so secrecy against a future quantum
        // computer is not what TLS gives here; *ring* keeps the static cross builds free of
        // cmake (aws-lc-rs). Revisit when *ring* gains ML-KEM.
        #[allow(deprecated)]
        let provider = rustls::crypto::ring::default_provider();
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(RootCerts::Specific(Arc::new(roots)))
            .unversioned_rustls_crypto_provider(Arc::new(provider))
            .build();
        let t = Some(config.timeout);
        let agent = Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(format!("omega/{}", env!("CARGO_PKG_VERSION")))
            .max_response_header_size(MAX_HEADER_BYTES)
            .timeout_resolve(t)
            .timeout_connect(t)
            .timeout_send_request(t)
            .timeout_recv_response(t)
            .timeout_per_read(t)
            .build()
            .new_agent();
        HttpClient {
            agent,
            config,
            roots_problem,
        }
    }

    /// The settings in use.
    pub fn config(&self) -> HttpConfig {
        self.config
    }

    /// GETs `url` (following redirects by the policy): the body of at most `cap` bytes.
    pub fn get(&self, url: &HttpUrl, cap: u64) -> Result<Vec<u8>> {
        match self.get_conditional(url, None, cap)? {
            Conditional::Modified { bytes, .. } => Ok(bytes),
            // Only an If-None-Match can earn a 304; without one it is a protocol error.
            Conditional::NotModified => Err(Error::new(
                ErrorCode::Io,
                format!("{url}: HTTP 304 to a request that was not conditional"),
            )),
        }
    }

    /// GETs `url` with `If-None-Match: etag` when given: [`Conditional::NotModified`] on 304,
    /// else the body of at most `cap` bytes and its ETag.
    pub fn get_conditional(
        &self,
        url: &HttpUrl,
        etag: Option<&str>,
        cap: u64,
    ) -> Result<Conditional> {
        let mut current = url.clone();
        let mut hops = 0usize;
        loop {
            let shown = if hops == 0 {
                url.to_string()
            } else {
                format!("{url} (redirected to {current})")
            };
            if current.https {
                if let Some(why) = &self.roots_problem {
                    return Err(Error::new(ErrorCode::Io, format!("{shown}: {why}")));
                }
            }
            let mut req = self.agent.get(current.to_string());
            if let Some(e) = etag {
                req = req.header("If-None-Match", e);
            }
            let resp = req
                .config()
                .timeout_recv_body(Some(self.config.body_budget(cap)))
                .build()
                .call()
                .map_err(|e| self.call_error(&shown, &e))?;
            let status = resp.status().as_u16();
            match status {
                301 | 302 | 303 | 307 | 308 => {
                    let Some(location) = resp
                        .headers()
                        .get("location")
                        .and_then(|v| v.to_str().ok())
                        .filter(|v| !v.trim().is_empty())
                    else {
                        return Err(Error::new(
                            ErrorCode::Io,
                            format!("{shown}: HTTP {status} without a usable Location"),
                        ));
                    };
                    let next = current.resolve(location)?;
                    if !redirect_allowed(&current, &next) {
                        return Err(Error::new(
                            ErrorCode::Io,
                            format!(
                                "{shown}: redirect to {next} refused (redirects go only to https, \
                                 or within the same origin)"
                            ),
                        ));
                    }
                    hops += 1;
                    if hops > MAX_REDIRECTS {
                        return Err(Error::new(
                            ErrorCode::Io,
                            format!("{url}: more than {MAX_REDIRECTS} redirects"),
                        ));
                    }
                    current = next;
                }
                304 if etag.is_some() => return Ok(Conditional::NotModified),
                200 | 203 => {
                    let etag = resp
                        .headers()
                        .get("etag")
                        .and_then(|v| v.to_str().ok())
                        .filter(|v| {
                            !v.is_empty()
                                && v.len() <= MAX_ETAG_BYTES
                                && v.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
                        })
                        .map(str::to_string);
                    let length = resp
                        .headers()
                        .get("content-length")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok());
                    if let Some(n) = length {
                        if n > cap {
                            return Err(Error::new(
                                ErrorCode::TooLarge,
                                format!(
                                    "{shown}: Content-Length {n} is over the limit of {cap} bytes"
                                ),
                            ));
                        }
                    }
                    let bytes = self.read_body(&shown, resp.into_body(), length, cap)?;
                    return Ok(Conditional::Modified { bytes, etag });
                }
                404 | 410 => {
                    return Err(Error::new(
                        ErrorCode::NotFound,
                        format!("{shown}: HTTP {status} (not found)"),
                    ))
                }
                _ => {
                    let reason = resp.status().canonical_reason().unwrap_or("");
                    return Err(Error::new(
                        ErrorCode::Io,
                        format!("{shown}: HTTP {status} {reason}")
                            .trim_end()
                            .to_string(),
                    ));
                }
            }
        }
    }

    fn read_body(
        &self,
        shown: &str,
        body: ureq::Body,
        length: Option<u64>,
        cap: u64,
    ) -> Result<Vec<u8>> {
        let hint = length.unwrap_or(0).min(cap).min(1 << 20);
        let mut out = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
        let mut reader = body.into_reader().take(cap.saturating_add(1));
        if let Err(e) = reader.read_to_end(&mut out) {
            let timed_out = e.kind() == std::io::ErrorKind::TimedOut
                || e.get_ref()
                    .and_then(|inner| inner.downcast_ref::<ureq::Error>())
                    .is_some_and(|u| matches!(u, ureq::Error::Timeout(_)));
            return Err(if timed_out {
                self.timeout_error(shown, "while reading the body")
            } else {
                Error::new(ErrorCode::Io, format!("{shown}: reading the body: {e}"))
            });
        }
        if out.len() as u64 > cap {
            return Err(Error::new(
                ErrorCode::TooLarge,
                format!("{shown}: the body is over the limit of {cap} bytes"),
            ));
        }
        Ok(out)
    }

    fn timeout_error(&self, shown: &str, when: &str) -> Error {
        Error::new(
            ErrorCode::Io,
            format!(
                "{shown}: timed out {when} (step limit {} s, {TIMEOUT_ENV} changes it)",
                self.config.timeout.as_secs()
            ),
        )
    }

    fn call_error(&self, shown: &str, e: &ureq::Error) -> Error {
        match e {
            ureq::Error::Timeout(t) => self.timeout_error(shown, &format!("({t})")),
            ureq::Error::HostNotFound => {
                Error::new(ErrorCode::Io, format!("{shown}: host not found"))
            }
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                self.timeout_error(shown, "")
            }
            other => Error::new(ErrorCode::Io, format!("{shown}: {other}")),
        }
    }
}
