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
    /// Project root [default: .].
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
    /// Project root [default: .].
    #[arg(value_name = "ROOT", default_value = ".")]
    pub root: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}
