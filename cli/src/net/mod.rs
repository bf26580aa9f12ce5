//! The registry client's I/O (issue 14, REGISTRY R1/R3/R6): where a registry's files come from
//! and how they are fetched and cached. Every rule about what the bytes mean lives in
//! omega-core; this module only moves bytes, with limits.
//!
//! | module | owns |
//! |---|---|
//! | `path` | [`RelPath`]: the path rule below a registry prefix |
//! | `root` | [`RootDir`]: a folder read and written without following links, atomic and write-once writes, `flock` |
//! | `http` | [`HttpClient`]: ureq + rustls (*ring*), timeouts, caps, redirects, ETags |
//! | `source` | [`Source`]: `https://`, `http://`, `file://` and paths; single, parallel and conditional fetches |
//! | `cache` | [`Cache`]: `$XDG_CACHE_HOME/omega/<origin>/`: verified immutable files, the latest checkpoint, ETags |
//!
//! docs/registry.md ("Fetching and the registry folder") records every decision; the attacks
//! are rows RH* of docs/threat-model.md.

pub mod cache;
pub mod http;
pub mod path;
pub mod root;
pub mod source;

pub use cache::{cache_base, fetch_mutable, origin_dir_name, Cache, EtagEntry, Mutable};
pub use http::{Conditional, HttpClient, HttpConfig, HttpUrl};
pub use path::RelPath;
pub use root::{DirLock, RootDir, WriteOnce};
pub use source::{Location, Source};
