//! Command-line arguments (clap derive). The doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Ωpm: sign and verify files and packages, pin a project's packages, audit them.
///
/// Keys and signatures are minisign's: keys made by `minisign -G` work with omega and the other
/// way round, and `minisign -V` accepts the signatures omega makes.
#[derive(Debug, Parser)]
#[command(
    name = "omega",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(
    after_help = "Exit status: 0 ok, 1 verification failed, 2 usage or malformed input.\n\
Run `omega help <command>` for each command's options."
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of DESIGN §5.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make a key pair (minisign format).
    Keygen(KeygenArgs),
    /// Sign files: writes FILE.minisig next to each FILE (or signify's forms: --signify ...).
    Sign(SignArgs),
    /// Verify a file's minisign or signify signature.
    Verify(VerifyArgs),
    /// Print the b2tree: digest of a directory.
    Digest(DigestArgs),
    /// Write and sign a package's manifest (DIR/.omega/).
    Pack(PackArgs),
    /// Add another key's signature to a package's manifest.
    Cosign(CosignArgs),
    /// Check a package directory against a pinned digest and/or keys.
    Check(CheckArgs),
    /// Pin every package of ROOT/node_modules into ROOT/omega.lock.
    Lock(LockArgs),
    /// Verify every package of ROOT against ROOT/omega.lock (never changes the lock).
    Audit(AuditArgs),
    /// Apply a signed revocation statement to ROOT/omega.lock (the key leaves the pins).
    Revoke(RevokeArgs),
    // ---- the registry: publisher, witness, monitor (issue 14; cli/src/registry/) ----
    /// Create and maintain a registry folder: init, submit, cosign, refresh.
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Publish a packed package to a registry folder (objects + a `release` log entry).
    Publish(PublishArgs),
    /// Write a registry statement to sign and submit (owners, revoke, yank, notice, registry).
    #[command(subcommand)]
    Statement(StatementCommand),
    /// A witness: print its key, cosign a log's checkpoint.
    #[command(subcommand)]
    Witness(WitnessCommand),
    /// A monitor: verify a whole log, list the entries of a key.
    #[command(subcommand)]
    Log(LogCommand),
    /// Signed notes (C2SP signed-note).
    #[command(subcommand)]
    Note(NoteCommand),
    // ---- end of the registry block ----
    // ---- the registry client (issue 14; cli/src/install/) ----
    /// Install packages from a registry, every file verified against its transparency log
    /// (without NAME: lay out exactly what omega.lock pins).
    Install(InstallArgs),
    /// Move installed registry packages to their latest unyanked releases.
    Update(UpdateArgs),
    /// Notices, yanks and revocations the registry logged for what ROOT has installed.
    Status(StatusArgs),
    // ---- end of the registry client block ----
}

/// `omega keygen`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(
    after_help = "The password is read from the terminal (asked twice, not echoed) or \
from the OMEGA_PASSWORD environment variable. The secret key is encrypted as minisign does \
(scrypt, 1 GiB), so deriving the key takes a few seconds.\n\n\
Defaults as minisign: ./minisign.pub and ~/.minisign/minisign.key ($MINISIGN_CONFIG_DIR \
instead of ~/.minisign when set).\n\nExit status: 0 ok, 2 usage error (e.g. the key file \
exists and -f was not given)."
)]
pub struct KeygenArgs {
    /// Public key file to write [default: ./minisign.pub].
    #[arg(short = 'p', value_name = "PUB")]
    pub public_key: Option<PathBuf>,
    /// Secret key file to write, created with mode 0600 [default: ~/.minisign/minisign.key].
    #[arg(short = 's', value_name = "SEC")]
    pub secret_key: Option<PathBuf>,
    /// Do not encrypt the secret key (no password).
    #[arg(short = 'W')]
    pub unencrypted: bool,
    /// Untrusted comment written in the secret key file.
    #[arg(short = 'c', value_name = "COMMENT")]
    pub comment: Option<String>,
    /// Overwrite existing key files.
    #[arg(short = 'f')]
    pub force: bool,
}

/// `omega sign`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(after_help = "The default trusted comment is minisign's: \
\"timestamp:<unix seconds>\\tfile:<file name>\\thashed\". Signatures are prehashed (ED), as \
minisign makes them. The password of an encrypted key is read from the terminal or from \
OMEGA_PASSWORD.\n\n--signify, --embedded and --gzip write signify's three forms, with a signify secret key \
(signify -G, with or without a passphrase) or an omega/minisign one.\n\nExit status: 0 ok, 2 usage error, unreadable file or wrong password \
(nothing is written then).")]
pub struct SignArgs {
    /// Files to sign.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Secret key file [default: ~/.minisign/minisign.key].
    #[arg(short = 's', value_name = "SEC")]
    pub secret_key: Option<PathBuf>,
    /// Trusted comment (signed too).
    #[arg(short = 't', value_name = "TRUSTED_COMMENT")]
    pub trusted_comment: Option<String>,
    /// Signature file to write (only with a single FILE) [default: FILE.minisig; FILE.sig
    /// with --signify and --embedded].
    #[arg(short = 'x', value_name = "SIGFILE")]
    pub signature: Option<PathBuf>,
    /// Write a signify signature (`signify -S`: two lines, Ed25519 over the file itself).
    #[arg(long, conflicts_with_all = ["trusted_comment", "embedded", "gzip"])]
    pub signify: bool,
    /// Write a signify embedded signature (`signify -S -e`): the signature lines, then FILE.
    #[arg(long, conflicts_with_all = ["trusted_comment", "gzip"])]
    pub embedded: bool,
    /// Sign a gzip file as `signify -S -z` does: -x OUT (required) gets FILE with the
    /// signature and its SHA-512/256 block hashes in the gzip header.
    #[arg(long, conflicts_with = "trusted_comment", requires = "signature")]
    pub gzip: bool,
    /// Append the new block to the signature file instead of replacing it (each further
    /// signer of a registry statement: `omega sign STATEMENT -s SEC --append`).
    #[arg(long, conflicts_with_all = ["signify", "embedded", "gzip"])]
    pub append: bool,
}

/// `omega verify`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(
    after_help = "Of a signature file with several blocks, the block made by the key \
is verified. Legacy (Ed, non-prehashed) signatures are refused unless --legacy is given. \
signify signature files are recognised by their shape (two lines, no trusted comment; default \
FILE.sig when FILE.minisig does not exist); --embedded and --gzip read signify's other two \
forms.\n\n\
Exit status: 0 verified; 1 SIGNATURE_INVALID, KEY_NOT_TRUSTED (signed by another key), \
LEGACY_SIGNATURE_REFUSED; 2 usage error, MALFORMED, NOT_FOUND, IO, TOO_LARGE, \
UNSUPPORTED_VERSION."
)]
pub struct VerifyArgs {
    /// File to verify.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Public key file [default: ./minisign.pub when -P is not given].
    #[arg(short = 'p', value_name = "PUBFILE", conflicts_with = "key")]
    pub public_key_file: Option<PathBuf>,
    /// Public key, as the base64 line (RW…).
    #[arg(short = 'P', value_name = "KEY")]
    pub key: Option<String>,
    /// Signature file [default: FILE.minisig].
    #[arg(short = 'x', value_name = "SIGFILE")]
    pub signature: Option<PathBuf>,
    /// Quiet: print nothing, only set the exit status.
    #[arg(short = 'q')]
    pub quiet: bool,
    /// Accept legacy (Ed, non-prehashed) signatures.
    #[arg(long)]
    pub legacy: bool,
    /// FILE is a signify embedded signature (`signify -S -e`): the signature lines, then the
    /// message.
    #[arg(long, conflicts_with_all = ["gzip", "signature", "legacy"])]
    pub embedded: bool,
    /// FILE is a signify-signed gzip file (`signify -S -z`): every block is checked against
    /// the signed SHA-512/256 list in the gzip header as it is read.
    #[arg(long, conflicts_with_all = ["signature", "legacy"])]
    pub gzip: bool,
    /// With --embedded: write the verified message to OUT; with --gzip: write the verified
    /// file, as `signify -V -z -m OUT` does. Written only once everything verified.
    #[arg(short = 'o', value_name = "OUT")]
    pub output: Option<PathBuf>,
}

/// `omega digest`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(
    after_help = "The digest covers every regular file below DIR except the top-level \
.omega/ folder (docs/format.md §2); scripts/b2tree.sh recomputes it with standard tools.\n\n\
Exit status: 0 ok; 1 UNSAFE_PATH or UNSUPPORTED_FILE_TYPE (a link, device, socket or FIFO); \
2 NOT_FOUND, IO, TOO_LARGE."
)]
pub struct DigestArgs {
    /// Directory to digest.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// `omega pack`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(after_help = "Writes DIR/.omega/manifest.json (canonical bytes) and \
DIR/.omega/manifest.json.minisig (one block, by SEC), each atomically, replacing earlier ones. \
Without --signer the signing key is the only signer; with --signer the signing key must be \
one of them. --next pre-commits keys that may sign the next release (rotation).\n\n\
Exit status: 0 ok; 1 UNSAFE_PATH or UNSUPPORTED_FILE_TYPE in DIR; 2 usage error, MALFORMED \
(bad name, version, key or threshold), NOT_FOUND, IO, TOO_LARGE.")]
pub struct PackArgs {
    /// Package directory.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Package name (npm rules: lowercase, optional @scope/).
    #[arg(long, value_name = "N")]
    pub name: String,
    /// Version (printable ASCII, no spaces).
    #[arg(long = "version", value_name = "V")]
    pub pkg_version: String,
    /// Release counter, strictly increasing from release to release.
    #[arg(long, value_name = "S")]
    pub sequence: u64,
    /// Secret key that signs the manifest [default: ~/.minisign/minisign.key].
    #[arg(short = 's', value_name = "SEC")]
    pub secret_key: Option<PathBuf>,
    /// A key allowed to sign the next release (RW…); repeat for several.
    #[arg(long = "signer", value_name = "KEY")]
    pub signers: Vec<String>,
    /// A key pre-committed for rotation (RW…); repeat for several.
    #[arg(long = "next", value_name = "KEY")]
    pub next: Vec<String>,
    /// How many distinct signers must sign a release [default: 1].
    #[arg(long, value_name = "K")]
    pub threshold: Option<u32>,
    /// Exact pin of a dependency, NAME=b2tree:…; repeat for several.
    #[arg(long = "dep", value_name = "NAME=DIGEST")]
    pub deps: Vec<String>,
    /// Also write a reproducible npm-style tarball of the package, .omega/ included
    /// (sorted entries, fixed mtime/uid/gid/modes, fixed gzip header; set SOURCE_DATE_EPOCH
    /// to make the signature's timestamp, and so the whole file, reproducible).
    #[arg(long = "tgz", value_name = "OUT")]
    pub tgz: Option<PathBuf>,
}

/// `omega cosign`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(
    after_help = "The manifest must be valid, DIR's files must match it, and the key \
must be one of its keys.signers or keys.next and must not have signed it already.\n\n\
Exit status: 0 ok; 1 the files do not match the manifest (FILE_CHANGED, FILE_MISSING, \
FILE_EXTRA, DIGEST_MISMATCH, UNSAFE_PATH, UNSUPPORTED_FILE_TYPE); 2 usage error, MALFORMED, \
NOT_FOUND, IO, TOO_LARGE."
)]
pub struct CosignArgs {
    /// Package directory (with .omega/manifest.json).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Secret key of the co-signer [default: ~/.minisign/minisign.key].
    #[arg(short = 's', value_name = "SEC")]
    pub secret_key: Option<PathBuf>,
}

/// `omega check`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(after_help = CHECK_HELP)]
pub struct CheckArgs {
    /// Package directory.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Pinned b2tree: digest of the files.
    #[arg(long, value_name = "D", required_unless_present = "keys")]
    pub digest: Option<String>,
    /// A pinned key (RW…); repeat for several.
    #[arg(short = 'P', long = "key", value_name = "KEY")]
    pub keys: Vec<String>,
    /// How many distinct pinned keys must have signed [default: 1].
    #[arg(long, value_name = "K", requires = "keys")]
    pub threshold: Option<u32>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

const CHECK_HELP: &str =
    "Give a digest, keys, or both. Every signature and every missing, extra and changed file is \
listed, one line each, with its code; the first line's code is the verdict (signatures, then \
files in path order, then DIGEST_MISMATCH).\n\n\
--json prints one object: ok, code, message, package, version, sequence, files, tree, \
manifest_tree, pinned_digest, threshold, signed_by, signatures[{key_id, key, trusted_comment, \
error}], problems[{code, path, key, message}].\n\n\
Exit status:
  0  the package verified
  1  verification failed: SIGNATURE_INVALID, KEY_NOT_TRUSTED, KEY_REVOKED, THRESHOLD_NOT_MET,
     LEGACY_SIGNATURE_REFUSED, DIGEST_MISMATCH, FILE_CHANGED, FILE_MISSING, FILE_EXTRA,
     UNSAFE_PATH, UNSUPPORTED_FILE_TYPE
  2  usage error or input that cannot be read: MALFORMED, UNSUPPORTED_VERSION, NOT_FOUND (no
     such directory, or keys pinned and no manifest), IO, TOO_LARGE";

/// `omega lock`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(after_help = "Walks ROOT/node_modules: every node_modules/<name> and \
node_modules/@scope/<name>, and the nested node_modules of each (entries starting with `.`, \
such as .bin, are skipped; a package's own node_modules/ is not part of its files). A package \
seen for the first time is pinned from its own signed manifest (trust on first use, the keys \
are shown), or by the key named with --trust, or, unsigned, by its digest alone. A pinned \
package is re-admitted only if signed by its pinned signers or next keys, with a higher \
sequence. Installs of a name already used higher up are keyed by their install path. A name no \
longer installed anywhere keeps its pins as one retired entry (keys, sequence floor, revoked \
keys; docs/format.md §4.7): when it returns it is admitted as an update, never as a first \
sight; --forget NAME drops them deliberately. Other entries of packages no longer installed \
are removed.\n\n\
Pins are per name: a new install of a name already pinned elsewhere in omega.lock is admitted \
like an update, by the keys of one of the name's pins and not older than its highest pinned \
sequence (docs/format.md §4). Keys are learned only on a name's first sight: a package pinned \
by digest only that becomes signed needs --trust. --trust NAME=KEY on a pinned name must name \
one of its pinned signers or next keys (KEY_NOT_TRUSTED otherwise). --repin NAME sets aside the \
pins of NAME (its revoked keys stay revoked) and pins every install of it as if first seen, \
with --trust NAME=KEY to name the key deliberately.\n\n\
Nothing is written unless every package is admitted. Symlinked package directories (npm link, \
pnpm) are refused with UNSUPPORTED_FILE_TYPE.\n\n\
--json prints one object: ok, code, message, lockfile, written, packages[{key, name, path, ok, \
change, version, sequence, tree, keys, signed_by, previous, code, message}], removed, \
retired, forgotten, problems[{code, path, key, message}].\n\n\
Exit status: 0 omega.lock written (or already up to date); 1 a package was refused (its code is \
printed; omega.lock is left as it was); 2 usage error, or omega.lock or ROOT cannot be read \
(MALFORMED, UNSUPPORTED_VERSION, NOT_FOUND, IO, TOO_LARGE).")]
pub struct LockArgs {
    /// Project root.
    #[arg(value_name = "ROOT", default_value = ".")]
    pub root: PathBuf,
    /// Pin NAME to a key (RW…) that must have signed it; repeat for several.
    #[arg(long = "trust", value_name = "NAME=KEY")]
    pub trust: Vec<String>,
    /// Re-pin NAME deliberately: set aside its pins, pin every install of it as if first seen
    /// (its revoked keys stay revoked); combine with --trust NAME=KEY.
    #[arg(long = "repin", value_name = "NAME")]
    pub repin: Vec<String>,
    /// Drop the retired pins of NAME (a name no longer installed): its keys, sequence floor
    /// and revoked keys are forgotten, and a returning NAME is pinned as if first seen.
    #[arg(long = "forget", value_name = "NAME")]
    pub forget: Vec<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `omega revoke`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(after_help = "A revocation statement is the JSON object \
{\"omega-revoke\": 1, \"name\": NAME, \"key\": \"RW...\", \"reason\": \"...\"}, signed with \
omega sign (or minisign) by the revoked key itself or by threshold of the package's pinned \
signers (several blocks in one .minisig: concatenate them). Every omega.lock entry of NAME \
(all its installs) that pins the key must accept the statement; the key then leaves their \
signers and next keys and is recorded as revoked for NAME, so no release signed by it or \
declaring it is admitted again. omega.lock is replaced atomically, or left as it was on any \
refusal.\n\n\
--json prints one object: ok, code, message, lockfile, written, package, key, reason, \
entries.\n\n\
Exit status: 0 applied; 1 refused (SIGNATURE_INVALID, KEY_NOT_TRUSTED, THRESHOLD_NOT_MET, \
KEY_REVOKED: already revoked, LEGACY_SIGNATURE_REFUSED); 2 usage error, or a file cannot be \
read or names nothing pinned (MALFORMED, UNSUPPORTED_VERSION, NOT_FOUND: no omega.lock, package \
or key not pinned, IO, TOO_LARGE).")]
pub struct RevokeArgs {
    /// The statement file (its exact bytes are what was signed).
    #[arg(value_name = "STATEMENT")]
    pub statement: PathBuf,
    /// Signature file [default: STATEMENT.minisig].
    #[arg(short = 'x', value_name = "SIGFILE")]
    pub signature: Option<PathBuf>,
    /// Project root holding omega.lock.
    #[arg(value_name = "ROOT", default_value = ".")]
    pub root: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `omega audit`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(
    after_help = "Every lock entry is checked at its path with the pinned digest and, \
for signed pins, all of its signed_by keys (one batch verification for the whole project). \
A pinned package that is not installed, and an installed package that is not pinned, are \
reported as NOT_FOUND. Every entry of each node_modules/.bin (npm scripts run them) must be a \
link to a file of a pinned package below the same node_modules, outside its .omega/ and its own \
node_modules/: a file or directory there is UNSUPPORTED_FILE_TYPE, a link elsewhere (or \
dangling) NOT_FOUND. The signed dependencies of each verified package must be what Node \
resolves from it, pinned with the same tree (DIGEST_MISMATCH, NOT_FOUND).\n\n\
--json prints one object: ok, code, message, lockfile, packages[{key, path, ok, code, message, \
package, version, sequence, tree, pinned_digest, signed_by, signatures, problems}], \
problems[{code, path, key, message}].\n\n\
Exit status: 0 every package verified; 1 any package failed (including NOT_FOUND for a \
missing or unpinned package); 2 usage error, or omega.lock is missing (NOT_FOUND) or cannot \
be read (MALFORMED, UNSUPPORTED_VERSION, IO, TOO_LARGE)."
)]
pub struct AuditArgs {
    /// Project root.
    #[arg(value_name = "ROOT", default_value = ".")]
    pub root: PathBuf,
    /// Also check the registry packages against their registries (checkpoint, consistency
    /// with the lock, inclusion, notices, yanks, revocations).
    #[arg(long)]
    pub online: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

// ---- the registry: publisher, witness, monitor (issue 14; cli/src/registry/) ----

const REGISTRY_EXIT: &str = "Exit status: 0 ok; 1 refused (SIGNATURE_INVALID, KEY_NOT_TRUSTED, \
KEY_REVOKED, THRESHOLD_NOT_MET, ROLLBACK, LOG_INCONSISTENT, NOT_IN_LOG, QUORUM_NOT_MET, STALE); \
2 usage error or unreadable input (MALFORMED, UNSUPPORTED_VERSION, NOT_FOUND, IO, TOO_LARGE).";

/// `omega registry …`.
#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Create a registry folder: log and index keys (DIR/.keys/), the genesis entry, DIR/policy.
    Init(RegistryInitArgs),
    /// Validate a signed statement at the log's end and append it.
    Submit(RegistrySubmitArgs),
    /// Add witness cosignature lines to DIR/checkpoint (each verified against DIR/policy).
    Cosign(RegistryCosignArgs),
    /// Re-sign the index notes that expire soon (and finish an interrupted write).
    Refresh(RegistryRefreshArgs),
}

/// `omega registry init`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(
    after_help = "The log key (note name ORIGIN) and the index key (ORIGIN/index) are \
written to DIR/.keys/ as minisign secret keys, unencrypted unless --encrypt (password from \
OMEGA_REGISTRY_PASSWORD or the terminal). Never serve DIR/.keys/. The genesis `registry` entry \
(serial 0) is signed by every -s key; it needs the threshold of the --janitor keys. DIR/policy \
gets the log key, one `witness` line per --witness, and `quorum none` without witnesses.\n\n\
Exit status: 0 ok; 1 THRESHOLD_NOT_MET, KEY_NOT_TRUSTED; 2 usage error, DIR already a \
registry, MALFORMED, NOT_FOUND, IO."
)]
pub struct RegistryInitArgs {
    /// The registry folder (created when absent; must not hold a registry).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The log's origin (its checkpoint's first line and its log key's name), e.g.
    /// example.com/omega.
    #[arg(long, value_name = "ORIGIN")]
    pub origin: String,
    /// A janitor key (RW…); repeat for several.
    #[arg(long = "janitor", value_name = "KEY", required = true)]
    pub janitors: Vec<String>,
    /// How many janitors must sign [default: 1].
    #[arg(long, value_name = "K")]
    pub threshold: Option<u32>,
    /// open (anyone claims an unclaimed name) or curated (janitors authorise owners).
    #[arg(long, value_name = "MODE", default_value = "curated")]
    pub mode: String,
    /// A witness's cosigner vkey (from `omega witness key`); repeat for several.
    #[arg(long = "witness", value_name = "VKEY")]
    pub witnesses: Vec<String>,
    /// How many witnesses must cosign [default: all of them].
    #[arg(long, value_name = "K", requires = "witnesses")]
    pub quorum: Option<usize>,
    /// A janitor's secret key signing the genesis; repeat for several.
    #[arg(short = 's', value_name = "JANITOR_SEC", required = true)]
    pub secret_keys: Vec<PathBuf>,
    /// Encrypt the registry's keys (password from OMEGA_REGISTRY_PASSWORD or the terminal).
    #[arg(long)]
    pub encrypt: bool,
    /// Seconds an index note stays valid [default: 604800, 7 days].
    #[arg(long, value_name = "SECONDS")]
    pub index_ttl: Option<u64>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `omega registry submit`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(after_help = REGISTRY_EXIT)]
pub struct RegistrySubmitArgs {
    /// The registry folder.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The statement file (from `omega statement`; its exact bytes are what was signed).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Signature file with one block per signer [default: FILE.minisig].
    #[arg(short = 'x', value_name = "SIGFILE")]
    pub signature: Option<PathBuf>,
    /// Seconds an index note stays valid [default: 604800, 7 days].
    #[arg(long, value_name = "SECONDS")]
    pub index_ttl: Option<u64>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `omega registry cosign`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(after_help = REGISTRY_EXIT)]
pub struct RegistryCosignArgs {
    /// The registry folder.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Cosignature lines (`— NAME BASE64`, as `omega witness cosign` prints them).
    #[arg(value_name = "LINE", required = true)]
    pub lines: Vec<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `omega registry refresh`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(after_help = REGISTRY_EXIT)]
pub struct RegistryRefreshArgs {
    /// The registry folder.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Re-sign index notes expiring within this many seconds [default: 172800, 2 days].
    #[arg(long, value_name = "SECONDS")]
    pub within: Option<u64>,
    /// Seconds a re-signed index note stays valid [default: 604800, 7 days].
    #[arg(long, value_name = "SECONDS")]
    pub index_ttl: Option<u64>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `omega publish`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(
    after_help = "PKGDIR must be packed (`omega pack`): its files must match \
.omega/manifest.json and the manifest's signatures its keys. Writes the deterministic .tgz, \
manifest.json and manifest.json.minisig as objects and appends a `release` entry signed by \
every -s key (the owners' threshold). In an open registry an unclaimed name is first claimed \
by an `owners` entry listing the manifest's keys, signed by the same -s keys.\n\n"
)]
pub struct PublishArgs {
    /// The packed package folder.
    #[arg(value_name = "PKGDIR")]
    pub dir: PathBuf,
    /// The registry folder.
    #[arg(long, value_name = "DIR")]
    pub registry: PathBuf,
    /// An owner's secret key; repeat for several.
    #[arg(short = 's', value_name = "SEC", required = true)]
    pub secret_keys: Vec<PathBuf>,
    /// Seconds an index note stays valid [default: 604800, 7 days].
    #[arg(long, value_name = "SECONDS")]
    pub index_ttl: Option<u64>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `omega statement …`: writes the canonical statement bytes to -o FILE.
#[derive(Debug, Subcommand)]
pub enum StatementCommand {
    /// Authorise NAME's owners (janitors sign; in an open registry a first claim by its keys).
    Owners(StatementOwnersArgs),
    /// Revoke a key for NAME.
    Revoke(StatementRevokeArgs),
    /// Yank a release of NAME.
    Yank(StatementYankArgs),
    /// A security notice for NAME.
    Notice(StatementNoticeArgs),
    /// A new janitor set (registry serial + 1).
    Registry(StatementRegistryArgs),
}

/// What a statement's registry log is checked against (threat model RR9), shared by every
/// `omega statement` command.
#[derive(Debug, Args)]
pub struct StatementTrust {
    /// The registry's policy (tlog-policy), obtained another way: the checkpoint must be
    /// signed by its log key [default: the policy omega.lock pins for this registry URL; for
    /// a registry folder, DIR/policy].
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The project whose omega.lock pins the registry (policy and genesis).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `omega statement owners`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
pub struct StatementOwnersArgs {
    /// Package name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The registry (folder or URL) whose state gives the serial.
    #[arg(long, value_name = "DIR|URL")]
    pub registry: String,
    /// An owner key (RW…); repeat for several.
    #[arg(long = "owner", value_name = "KEY", required = true)]
    pub owners: Vec<String>,
    /// How many owners must sign a release [default: 1].
    #[arg(long, value_name = "K")]
    pub threshold: Option<u32>,
    /// A pre-committed successor key (RW…); repeat for several.
    #[arg(long = "next", value_name = "KEY")]
    pub next: Vec<String>,
    /// Why.
    #[arg(long, value_name = "T", default_value = "")]
    pub reason: String,
    /// Output file.
    #[arg(short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// How the registry's log is trusted, and --json.
    #[command(flatten)]
    pub trust: StatementTrust,
}

/// `omega statement revoke`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
pub struct StatementRevokeArgs {
    /// Package name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The registry (folder or URL).
    #[arg(long, value_name = "DIR|URL")]
    pub registry: String,
    /// The key revoked (RW…).
    #[arg(long, value_name = "KEY")]
    pub key: String,
    /// Why.
    #[arg(long, value_name = "T", default_value = "")]
    pub reason: String,
    /// Output file.
    #[arg(short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// How the registry's log is trusted, and --json.
    #[command(flatten)]
    pub trust: StatementTrust,
}

/// `omega statement yank`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
pub struct StatementYankArgs {
    /// Package name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The registry (folder or URL).
    #[arg(long, value_name = "DIR|URL")]
    pub registry: String,
    /// The yanked version.
    #[arg(long = "version", value_name = "V")]
    pub pkg_version: String,
    /// Its sequence.
    #[arg(long, value_name = "S")]
    pub sequence: u64,
    /// Why.
    #[arg(long, value_name = "T", default_value = "")]
    pub reason: String,
    /// Output file.
    #[arg(short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// How the registry's log is trusted, and --json.
    #[command(flatten)]
    pub trust: StatementTrust,
}

/// `omega statement notice`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
pub struct StatementNoticeArgs {
    /// Package name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The registry (folder or URL).
    #[arg(long, value_name = "DIR|URL")]
    pub registry: String,
    /// Notice id (1–128 printable ASCII, no spaces; once per name).
    #[arg(long, value_name = "ID")]
    pub id: String,
    /// low, moderate, high or critical.
    #[arg(long, value_name = "SEVERITY")]
    pub severity: String,
    /// An affected sequence range FROM-TO (inclusive); repeat for several.
    #[arg(long, value_name = "FROM-TO", required = true)]
    pub affected: Vec<String>,
    /// The first fixed sequence.
    #[arg(long, value_name = "SEQ")]
    pub fixed: Option<u64>,
    /// One-line summary.
    #[arg(long, value_name = "T")]
    pub summary: String,
    /// An https:// URL with details.
    #[arg(long, value_name = "U")]
    pub url: Option<String>,
    /// Output file.
    #[arg(short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// How the registry's log is trusted, and --json.
    #[command(flatten)]
    pub trust: StatementTrust,
}

/// `omega statement registry`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
pub struct StatementRegistryArgs {
    /// The registry (folder or URL).
    #[arg(long, value_name = "DIR|URL")]
    pub registry: String,
    /// A janitor key of the new set (RW…); repeat for several.
    #[arg(long = "janitor", value_name = "KEY", required = true)]
    pub janitors: Vec<String>,
    /// How many janitors must sign [default: 1].
    #[arg(long, value_name = "K")]
    pub threshold: Option<u32>,
    /// open or curated [default: unchanged].
    #[arg(long, value_name = "M")]
    pub mode: Option<String>,
    /// Output file.
    #[arg(short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// How the registry's log is trusted, and --json.
    #[command(flatten)]
    pub trust: StatementTrust,
}

/// `omega witness …`.
#[derive(Debug, Subcommand)]
pub enum WitnessCommand {
    /// Print the witness's cosigner vkey (type 0x04) for SEC.
    Key(WitnessKeyArgs),
    /// Cosign a checkpoint after checking it extends the last one this witness cosigned.
    Cosign(WitnessCosignArgs),
}

/// `omega witness key`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
pub struct WitnessKeyArgs {
    /// The witness's secret key.
    #[arg(value_name = "SEC")]
    pub secret_key: PathBuf,
    /// The witness's name (its note key name).
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `omega witness cosign`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(
    after_help = "The checkpoint is a URL (…/checkpoint) or a file; tiles for the \
consistency proof come from the same prefix (the folder holding the file). STATE/<origin>/ \
keeps the last cosigned checkpoint; STATE/name the witness's name (set by --name). A smaller \
size, or a checkpoint that does not extend the last one, is LOG_INCONSISTENT. A log the \
state has never seen is cosigned only with --new-log (trust on first use, said explicitly; \
otherwise KEY_NOT_TRUSTED), so a witness that lost its state cannot be made to cosign a fork. \
Prints one cosignature line.\n\n"
)]
pub struct WitnessCosignArgs {
    /// The checkpoint: URL or file.
    #[arg(value_name = "CHECKPOINT_URL_OR_FILE")]
    pub checkpoint: String,
    /// The log's key (vkey); its name must be the checkpoint's origin.
    #[arg(long, value_name = "VKEY")]
    pub log_key: String,
    /// The witness's state folder.
    #[arg(long, value_name = "DIR")]
    pub state: PathBuf,
    /// The witness's secret key.
    #[arg(short = 's', value_name = "SEC")]
    pub secret_key: PathBuf,
    /// The witness's name [default: STATE/name].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Allow the first cosignature of a log this state has never cosigned (trust on first
    /// use); without it such a checkpoint is refused.
    #[arg(long)]
    pub new_log: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `omega log …`.
#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Fetch a log, check every entry against its tiles and replay it.
    Verify(LogVerifyArgs),
    /// List the entries that name KEY or were signed by it.
    Monitor(LogMonitorArgs),
}

/// `omega log verify`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(after_help = REGISTRY_EXIT)]
pub struct LogVerifyArgs {
    /// The registry's URL (or folder).
    #[arg(value_name = "URL")]
    pub url: String,
    /// The policy to verify the checkpoint with [default: URL/policy].
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `omega log monitor`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(after_help = REGISTRY_EXIT)]
pub struct LogMonitorArgs {
    /// The registry's URL (or folder).
    #[arg(value_name = "URL")]
    pub url: String,
    /// The key to look for (RW…).
    #[arg(long, value_name = "KEY")]
    pub key: String,
    /// Start at entry N.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub since: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `omega note …`.
#[derive(Debug, Subcommand)]
pub enum NoteCommand {
    /// Verify a signed note; prints the names of the given keys that signed it.
    Verify(NoteVerifyArgs),
}

/// `omega note verify`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(
    after_help = "Exit status: 0 signed by at least one of the keys; 1 KEY_NOT_TRUSTED \
(none of them signed), SIGNATURE_INVALID; 2 MALFORMED, NOT_FOUND, TOO_LARGE."
)]
pub struct NoteVerifyArgs {
    /// The note file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// A verifier key (vkey, name+hex8+base64); repeat for several.
    #[arg(long = "key", value_name = "VKEY", required = true)]
    pub keys: Vec<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

// ---- the registry client (issue 14; cli/src/install/) ----

const CLIENT_EXIT: &str = "Exit status: 0 ok; 1 refused (LOG_INCONSISTENT with an evidence \
file, NOT_IN_LOG, QUORUM_NOT_MET, STALE, KEY_NOT_TRUSTED (also a critical notice or an owner \
change not accepted), KEY_REVOKED, SIGNATURE_INVALID, ROLLBACK, DIGEST_MISMATCH); 2 usage error \
or unreadable input (MALFORMED, NOT_FOUND, IO, TOO_LARGE). On any refusal nothing is written to \
node_modules or omega.lock.";

/// `omega install`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(after_help = CLIENT_EXIT)]
pub struct InstallArgs {
    /// Packages to add (latest unyanked release, or NAME@VERSION); none: lay out omega.lock.
    #[arg(value_name = "NAME[@VERSION]")]
    pub packages: Vec<String>,
    /// The registry (https://…, http://…, file://… or a folder) [default: the lock's only
    /// registry].
    #[arg(long, value_name = "URL")]
    pub registry: Option<String>,
    /// The trust policy to pin on first use [default: the registry's own URL/policy, shown].
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Project root.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,
    /// Do not check freshness (the checkpoint's cosignature times, index expiry).
    #[arg(long)]
    pub offline: bool,
    /// Install despite the critical notice ID; repeat for several.
    #[arg(long = "accept-notice", value_name = "ID")]
    pub accept_notice: Vec<String>,
    /// Let NAME's pin move to the owners the janitors set; repeat for several.
    #[arg(long = "accept-owner-change", value_name = "NAME")]
    pub accept_owner_change: Vec<String>,
}

/// `omega update`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(after_help = CLIENT_EXIT)]
pub struct UpdateArgs {
    /// Packages to update [default: every registry package of the lock].
    #[arg(value_name = "NAME")]
    pub packages: Vec<String>,
    /// Project root.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,
}

/// `omega status`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
#[command(after_help = CLIENT_EXIT)]
pub struct StatusArgs {
    /// Project root.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}
