//! signify (OpenBSD) signature files: detached (`signify -S`), embedded (`signify -S -e`) and
//! gzip (`signify -S -z`, streaming block hashes), read with signify's own rules so that what
//! `signify -V` accepts is accepted here and the other way round (docs/format.md §1.6 lists
//! the one intentional difference: the strict Ed25519 rule).
//!
//! signify's two lines (`parseb64file`): `untrusted comment: ` + 1..=1023 bytes, LF; then the
//! base64 of `Ed` ‖ keynum (8) ‖ Ed25519 signature (64), LF. Whitespace inside the base64 line
//! is skipped (`b64_pton`), so a CR before the LF is tolerated; a NUL anywhere in the two lines
//! refuses them; whatever follows the second LF is ignored (detached) or is the message
//! (embedded, gzip). The signature covers the message itself (no prehash).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use base64ct::{Base64, Encoding};
use sha2::{Digest, Sha512_256};

use crate::ed25519;
use crate::error::{fail, Error, ErrorCode, Result};
use crate::keys::{KeyId, PublicKey, KEY_ALG, UNTRUSTED_PREFIX};
use crate::limits::{
    MAX_SIGNIFY_BLOCK_BYTES, MAX_SIGNIFY_COMMENT_BYTES, MAX_SIGNIFY_GZIP_HEADER_BYTES,
    MAX_SIGNIFY_MESSAGE_BYTES,
};

/// How much of a detached signature file signify reads (`char b64[2048]`, one `read` of
/// 2047 bytes): whatever lies beyond is never seen.
pub const DETACHED_READ_BYTES: usize = 2047;
/// Decoded length of the signature line: `Ed` (2) ‖ keynum (8) ‖ signature (64).
const SIG_BLOB_LEN: usize = 74;
/// signify's default (and only written) block size for gzip signatures.
pub const GZIP_BLOCK_BYTES: usize = 65536;
/// The gzip header flags signify allows: FNAME (skipped) and FCOMMENT (the signature).
const FNAME: u8 = 8;
const FCOMMENT: u8 = 16;
/// Length of a gzip member's fixed header.
const GZIP_FIXED_HEADER: usize = 10;

/// A signify signature: the untrusted comment (raw bytes, never authenticated), the key
/// number and the Ed25519 signature over the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignifySignature {
    comment: Vec<u8>,
    key_num: KeyId,
    signature: [u8; 64],
}

/// C `isspace` in the C locale, as `b64_pton` skips it.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

impl SignifySignature {
    /// A signature from its parts (signing).
    pub fn from_parts(comment: &[u8], key_num: KeyId, signature: [u8; 64]) -> SignifySignature {
        SignifySignature {
            comment: comment.to_vec(),
            key_num,
            signature,
        }
    }

    /// Parses the two signature lines at the start of `text` as signify's `parseb64file` does;
    /// returns the signature and the number of bytes the two lines take (the embedded message
    /// starts there). `what` names the file in errors.
    pub fn parse_lines(text: &[u8], what: &str) -> Result<(SignifySignature, usize)> {
        // signify works on a C string: a NUL ends the text it looks at.
        let cstr = match text.iter().position(|&b| b == 0) {
            Some(i) => &text[..i],
            None => text,
        };
        let bad_comment = || {
            Error::new(
                ErrorCode::Malformed,
                format!("{what}: invalid comment; must start with {UNTRUSTED_PREFIX:?} followed by at least one byte, then a newline"),
            )
        };
        let comment_end = cstr
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(bad_comment)?;
        let line = &cstr[..comment_end];
        if line.len() <= UNTRUSTED_PREFIX.len() || !line.starts_with(UNTRUSTED_PREFIX.as_bytes()) {
            return Err(bad_comment());
        }
        let comment = &line[UNTRUSTED_PREFIX.len()..];
        if comment.len() > MAX_SIGNIFY_COMMENT_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!("{what}: untrusted comment longer than {MAX_SIGNIFY_COMMENT_BYTES} bytes"),
            );
        }
        let b64_start = comment_end + 1;
        let b64_len = cstr[b64_start..]
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::Malformed,
                    format!("{what}: missing newline after the base64 line"),
                )
            })?;
        let b64_line = &cstr[b64_start..b64_start + b64_len];
        let compact: Vec<u8> = b64_line
            .iter()
            .copied()
            .filter(|&b| !is_c_space(b))
            .collect();
        let mut blob = [0u8; SIG_BLOB_LEN];
        match Base64::decode(&compact, &mut blob) {
            Ok(d) if d.len() == SIG_BLOB_LEN => {}
            _ => {
                return fail(
                    ErrorCode::Malformed,
                    format!("{what}: line 2 is not the base64 of {SIG_BLOB_LEN} bytes"),
                )
            }
        }
        if blob[..2] != KEY_ALG {
            return fail(
                ErrorCode::UnsupportedVersion,
                format!("{what}: signature algorithm is not Ed25519 (`Ed`)"),
            );
        }
        let mut key_num = [0u8; 8];
        key_num.copy_from_slice(&blob[2..10]);
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&blob[10..]);
        Ok((
            SignifySignature {
                comment: comment.to_vec(),
                key_num: KeyId(key_num),
                signature,
            },
            b64_start + b64_len + 1,
        ))
    }

    /// Parses a detached signature file (`signify -S`): the two lines; whatever follows them,
    /// and anything past the first [`DETACHED_READ_BYTES`] bytes, is ignored as signify does.
    pub fn parse_detached(text: &[u8], what: &str) -> Result<SignifySignature> {
        let seen = &text[..text.len().min(DETACHED_READ_BYTES)];
        Ok(Self::parse_lines(seen, what)?.0)
    }

    /// The two lines as signify writes them (LF line ends).
    pub fn to_text(&self) -> Vec<u8> {
        let mut blob = [0u8; SIG_BLOB_LEN];
        blob[..2].copy_from_slice(&KEY_ALG);
        blob[2..10].copy_from_slice(&self.key_num.0);
        blob[10..].copy_from_slice(&self.signature);
        let mut out = Vec::with_capacity(UNTRUSTED_PREFIX.len() + self.comment.len() + 102);
        out.extend_from_slice(UNTRUSTED_PREFIX.as_bytes());
        out.extend_from_slice(&self.comment);
        out.push(b'\n');
        out.extend_from_slice(Base64::encode_string(&blob).as_bytes());
        out.push(b'\n');
        out
    }

    /// The untrusted comment, raw bytes (signify does not require UTF-8).
    pub fn comment(&self) -> &[u8] {
        &self.comment
    }
    /// The key number of the signing key.
    pub fn key_num(&self) -> KeyId {
        self.key_num
    }
    /// The raw Ed25519 signature.
    pub fn signature_bytes(&self) -> &[u8; 64] {
        &self.signature
    }

    /// signify's `verifymsg`: the key number must be the key's (`KEY_NOT_TRUSTED`: "checked
    /// against wrong key"), then the Ed25519 signature over `message` must verify.
    pub fn verify(&self, key: &PublicKey, message: &[u8]) -> Result<()> {
        if self.key_num != key.key_id() {
            return fail(
                ErrorCode::KeyNotTrusted,
                format!(
                    "signify signature made by key {}, not by key {}",
                    self.key_num,
                    key.key_id()
                ),
            );
        }
        if message.len() > MAX_SIGNIFY_MESSAGE_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!("message larger than {MAX_SIGNIFY_MESSAGE_BYTES} bytes (signify's limit)"),
            );
        }
        if !ed25519::verify_strict(key, message, &self.signature) {
            return fail(
                ErrorCode::SignatureInvalid,
                format!("signify signature by key {} does not verify", self.key_num),
            );
        }
        Ok(())
    }
}

/// Whether a signature file has signify's shape rather than minisign's: a minisign block has
/// a third line starting with `trusted comment: `; a signify file has two lines and whatever
/// follows them is not a trusted comment. Only the first block's third line is looked at.
pub fn is_signify_detached(text: &[u8]) -> bool {
    let mut rest = text;
    for _ in 0..2 {
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) => rest = &rest[i + 1..],
            None => return true,
        }
    }
    !rest.starts_with(crate::signature::TRUSTED_PREFIX.as_bytes())
}

/// `signify -V -p KEY -x SIG -m MESSAGE`: verifies a detached signify signature file over
/// `message`. `what` names the signature file in errors.
pub fn verify_detached(key: &PublicKey, message: &[u8], sig_text: &[u8], what: &str) -> Result<()> {
    let sig = SignifySignature::parse_detached(sig_text, what)?;
    sig.verify(key, message).map_err(|e| e.context(what))
}

/// `signify -V -e -p KEY -x SIGFILE`: verifies an embedded signature file (the two lines, then
/// the message) and returns the verified message.
pub fn verify_embedded<'t>(key: &PublicKey, text: &'t [u8], what: &str) -> Result<&'t [u8]> {
    if text.len() > MAX_SIGNIFY_MESSAGE_BYTES {
        return fail(
            ErrorCode::TooLarge,
            format!("{what}: larger than {MAX_SIGNIFY_MESSAGE_BYTES} bytes (signify's limit)"),
        );
    }
    let (sig, used) = SignifySignature::parse_lines(text, what)?;
    let message = &text[used..];
    sig.verify(key, message).map_err(|e| e.context(what))?;
    Ok(message)
}

/// The embedded form: the two lines, then the message (`signify -S -e`).
pub fn embed(sig: &SignifySignature, message: &[u8]) -> Vec<u8> {
    let mut out = sig.to_text();
    out.extend_from_slice(message);
    out
}

/// The header of a gzip file signed by `signify -z`, as `readgz_header` reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GzipHeader {
    /// The XFL byte (copied into the header signify writes out).
    pub xfl: u8,
    /// The FCOMMENT text, without its NUL; `None` for an unsigned file.
    pub comment: Option<Vec<u8>>,
    /// Length of the whole header: the compressed payload starts here.
    pub len: usize,
}

/// Parses the gzip header at the start of `buf` (signify's `readgz_header`): magic `1f 8b 08`,
/// no flags but FNAME and FCOMMENT. `Ok(None)` when `buf` ends before the header does (read
/// more); `TOO_LARGE` once the header passes [`MAX_SIGNIFY_GZIP_HEADER_BYTES`].
pub fn parse_gzip_header(buf: &[u8], what: &str) -> Result<Option<GzipHeader>> {
    if buf.len() < GZIP_FIXED_HEADER {
        return Ok(None);
    }
    if buf[..3] != [0x1f, 0x8b, 8] {
        return fail(
            ErrorCode::Malformed,
            format!("{what}: not a gzip file (invalid magic)"),
        );
    }
    let flags = buf[3];
    if flags & !(FNAME | FCOMMENT) != 0 {
        return fail(
            ErrorCode::Malformed,
            format!("{what}: gzip header flags {flags:#04x}: only FNAME and FCOMMENT are allowed"),
        );
    }
    let mut pos = GZIP_FIXED_HEADER;
    let mut comment = None;
    for flag in [FNAME, FCOMMENT] {
        if flags & flag == 0 {
            continue;
        }
        let Some(end) = buf[pos..].iter().position(|&b| b == 0) else {
            if buf.len() > MAX_SIGNIFY_GZIP_HEADER_BYTES {
                return fail(
                    ErrorCode::TooLarge,
                    format!(
                        "{what}: gzip header larger than {MAX_SIGNIFY_GZIP_HEADER_BYTES} bytes"
                    ),
                );
            }
            return Ok(None);
        };
        if flag == FCOMMENT {
            comment = Some(buf[pos..pos + end].to_vec());
        }
        pos += end + 1;
    }
    if pos > MAX_SIGNIFY_GZIP_HEADER_BYTES {
        return fail(
            ErrorCode::TooLarge,
            format!("{what}: gzip header larger than {MAX_SIGNIFY_GZIP_HEADER_BYTES} bytes"),
        );
    }
    Ok(Some(GzipHeader {
        xfl: buf[8],
        comment,
        len: pos,
    }))
}

/// The header `signify -z` writes (and `signify -V -z` writes out): magic, FCOMMENT only,
/// mtime 0, the input's XFL, OS 3 (Unix).
pub fn gzip_fixed_header(xfl: u8) -> [u8; GZIP_FIXED_HEADER] {
    [0x1f, 0x8b, 8, FCOMMENT, 0, 0, 0, 0, xfl, 3]
}

/// Streaming verification of a signify gzip file's payload (the bytes after the header):
/// feed them with [`update`](Self::update); each block is checked against its signed
/// SHA-512/256 as soon as it is complete, before the caller uses it.
pub struct GzipVerifier {
    /// The signed hash lines, checked lazily as signify does (`copy_blocks`).
    hashes: Vec<u8>,
    block_size: usize,
    next: usize,
    in_block: usize,
    hasher: Sha512_256,
}

impl GzipVerifier {
    /// Verifies the signature in a signed gzip header's comment with `key` and reads the signed
    /// text after it: `date=`, `key=`, `algorithm=SHA512/256`, `blocksize=N` lines (any order,
    /// as signify), a blank line, then one lowercase-hex SHA-512/256 per block, each on its own
    /// line. Nothing of the signed text is looked at before the signature verifies.
    pub fn new(key: &PublicKey, header: &GzipHeader, what: &str) -> Result<GzipVerifier> {
        let Some(comment) = &header.comment else {
            return fail(
                ErrorCode::Malformed,
                format!("{what}: unsigned gzip archive (no comment in the gzip header)"),
            );
        };
        if comment.len() < SIG_BLOB_LEN {
            return fail(
                ErrorCode::Malformed,
                format!("{what}: signature too short in the gzip header"),
            );
        }
        let (sig, used) = SignifySignature::parse_lines(comment, what)?;
        let signed = &comment[used..];
        sig.verify(key, signed).map_err(|e| e.context(what))?;

        let malformed = |m: &str| Error::new(ErrorCode::Malformed, format!("{what}: {m}"));
        let mut block_size = GZIP_BLOCK_BYTES;
        let mut rest = signed;
        loop {
            let end = rest.iter().position(|&b| b == b'\n').ok_or_else(|| {
                malformed("signed header: missing the blank line before the block hashes")
            })?;
            let line = &rest[..end];
            rest = &rest[end + 1..];
            if line.is_empty() {
                break;
            }
            if line.starts_with(b"algorithm=SHA512/256")
                || line.starts_with(b"date=")
                || line.starts_with(b"key=")
            {
                continue;
            }
            let Some(n) = line.strip_prefix(b"blocksize=") else {
                return Err(malformed("signed header: unknown line (invalid signature)"));
            };
            block_size = parse_block_size(n).ok_or_else(|| {
                Error::new(
                    ErrorCode::Malformed,
                    format!(
                        "{what}: signed header: blocksize must be 1..={MAX_SIGNIFY_BLOCK_BYTES}"
                    ),
                )
            })?;
        }
        Ok(GzipVerifier {
            hashes: rest.to_vec(),
            block_size,
            next: 0,
            in_block: 0,
            hasher: Sha512_256::new(),
        })
    }

    /// The block size the signature declares.
    pub fn block_size(&self) -> usize {
        self.block_size
    }

    fn check_block(&mut self) -> Result<()> {
        let digest: [u8; 32] = core::mem::take(&mut self.hasher).finalize().into();
        let at = self.next * 65;
        // signify: at least 64 hex digits must remain, equal to the block's lowercase hex
        // SHA-512/256, followed by a newline.
        let Some(line) = self.hashes.get(at..at + 64) else {
            return fail(
                ErrorCode::SignatureInvalid,
                format!(
                    "gzip payload: block {} has no signed hash (signature truncated)",
                    self.next
                ),
            );
        };
        let hex = crate::hash::to_hex(&digest);
        if line != hex.as_bytes() || self.hashes.get(at + 64) != Some(&b'\n') {
            return fail(
                ErrorCode::SignatureInvalid,
                format!(
                    "gzip payload: block {} does not match its signed hash",
                    self.next
                ),
            );
        }
        self.next += 1;
        self.in_block = 0;
        Ok(())
    }

    /// Feeds the next payload bytes; returns how many of them now belong to checked blocks
    /// (the caller may use exactly that many more bytes of what it fed). Fails on the first
    /// block whose hash differs.
    pub fn update(&mut self, mut data: &[u8]) -> Result<usize> {
        let mut checked = 0;
        while !data.is_empty() {
            let take = (self.block_size - self.in_block).min(data.len());
            self.hasher.update(&data[..take]);
            self.in_block += take;
            data = &data[take..];
            if self.in_block == self.block_size {
                let fed = self.in_block;
                self.check_block()?;
                checked += fed;
            }
        }
        Ok(checked)
    }

    /// Bytes fed but not yet part of a checked block.
    pub fn pending(&self) -> usize {
        self.in_block
    }

    /// The end of the payload: the last, short (possibly empty) block is checked as signify
    /// does: a payload that ends on a block boundary needs the hash of an empty block.
    /// Hashes signed beyond the last block are ignored, as signify ignores them.
    pub fn finish(mut self) -> Result<()> {
        self.check_block()
    }
}

fn parse_block_size(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() || digits.len() > 12 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits
        .iter()
        .fold(0usize, |n, d| n * 10 + usize::from(d - b'0'));
    (1..=MAX_SIGNIFY_BLOCK_BYTES).contains(&n).then_some(n)
}

/// Verifies a whole signify-signed gzip file in memory; returns the file signify writes out
/// (`signify -V -z -m OUT`): its fixed header, the comment with its NUL, the payload.
pub fn verify_gzip(key: &PublicKey, file: &[u8], what: &str) -> Result<Vec<u8>> {
    let header = parse_gzip_header(file, what)?.ok_or_else(|| {
        Error::new(
            ErrorCode::Malformed,
            format!("{what}: gzip header truncated"),
        )
    })?;
    let mut v = GzipVerifier::new(key, &header, what)?;
    let payload = &file[header.len..];
    v.update(payload)?;
    v.finish()?;
    let mut out = gzip_output_prefix(&header);
    out.extend_from_slice(payload);
    Ok(out)
}

/// What `signify -V -z` writes before the payload: the fixed header and the comment with its
/// NUL (empty when the header has no comment).
pub fn gzip_output_prefix(header: &GzipHeader) -> Vec<u8> {
    let mut out = gzip_fixed_header(header.xfl).to_vec();
    if let Some(c) = &header.comment {
        out.extend_from_slice(c);
        out.push(0);
    }
    out
}

/// The signed text of a gzip signature (`signify -z`): the header lines, a blank line, the
/// SHA-512/256 of each `block_size` block of `payload`. Unlike `signify -S -z`, a payload that
/// ends on a block boundary gets the hash of the empty block that `signify -V -z` asks for, so
/// that every file Ωpm signs verifies with signify.
pub fn gzip_signed_text(date: &str, key_name: &str, payload_hashes: &[[u8; 32]]) -> String {
    let mut s = format!(
        "date={date}\nkey={key_name}\nalgorithm=SHA512/256\nblocksize={GZIP_BLOCK_BYTES}\n\n"
    );
    for h in payload_hashes {
        s.push_str(&crate::hash::to_hex(h));
        s.push('\n');
    }
    s
}

/// Streaming SHA-512/256 of payload blocks for signing (see [`gzip_signed_text`]).
#[derive(Default)]
pub struct GzipHasher {
    hashes: Vec<[u8; 32]>,
    in_block: usize,
    hasher: Sha512_256,
}

impl GzipHasher {
    /// A fresh hasher for [`GZIP_BLOCK_BYTES`] blocks.
    pub fn new() -> Self {
        Self::default()
    }
    /// Feeds payload bytes.
    pub fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let take = (GZIP_BLOCK_BYTES - self.in_block).min(data.len());
            self.hasher.update(&data[..take]);
            self.in_block += take;
            data = &data[take..];
            if self.in_block == GZIP_BLOCK_BYTES {
                self.hashes
                    .push(core::mem::take(&mut self.hasher).finalize().into());
                self.in_block = 0;
            }
        }
    }
    /// Every block's hash, the last (short or empty) block included.
    pub fn finish(mut self) -> Vec<[u8; 32]> {
        self.hashes.push(self.hasher.finalize().into());
        self.hashes
    }
}

/// Checks an untrusted comment signify can read back: 1..=1023 bytes, no LF, no NUL.
pub fn check_comment(comment: &[u8]) -> Result<()> {
    if comment.is_empty() || comment.len() > MAX_SIGNIFY_COMMENT_BYTES {
        return fail(
            ErrorCode::Malformed,
            format!("signify untrusted comment: must be 1..={MAX_SIGNIFY_COMMENT_BYTES} bytes"),
        );
    }
    if comment.iter().any(|&b| b == b'\n' || b == 0) {
        return fail(
            ErrorCode::Malformed,
            "signify untrusted comment: must not contain a newline or NUL",
        );
    }
    Ok(())
}

/// Signs `message` (the message itself, as signify does) with `secret`; `comment` is the
/// untrusted comment (see [`check_comment`]).
#[cfg(feature = "sign")]
pub fn sign(
    secret: &crate::secret::SecretKey,
    message: &[u8],
    comment: &[u8],
) -> Result<SignifySignature> {
    check_comment(comment)?;
    if message.len() > MAX_SIGNIFY_MESSAGE_BYTES {
        return fail(
            ErrorCode::TooLarge,
            format!("message larger than {MAX_SIGNIFY_MESSAGE_BYTES} bytes (signify's limit)"),
        );
    }
    Ok(SignifySignature::from_parts(
        comment,
        secret.key_id(),
        secret.sign_raw(message),
    ))
}

/// The header of a signed gzip file (`signify -S -z`) for a payload whose block hashes
/// ([`GzipHasher`]) are `hashes`: the fixed header with `xfl`, then the comment (signature
/// lines and signed text) and its NUL. The payload (the input's bytes after its own header)
/// follows unchanged.
#[cfg(feature = "sign")]
pub fn sign_gzip_header(
    secret: &crate::secret::SecretKey,
    xfl: u8,
    comment: &[u8],
    date: &str,
    key_name: &str,
    hashes: &[[u8; 32]],
) -> Result<Vec<u8>> {
    if date.contains(['\n', '\0']) || key_name.contains(['\n', '\0']) {
        return fail(
            ErrorCode::Malformed,
            "signify gzip signature: date and key name must not contain a newline or NUL",
        );
    }
    let signed = gzip_signed_text(date, key_name, hashes);
    let sig = sign(secret, signed.as_bytes(), comment)?;
    let mut out = gzip_fixed_header(xfl).to_vec();
    out.extend_from_slice(&sig.to_text());
    out.extend_from_slice(signed.as_bytes());
    out.push(0);
    if out.len() > MAX_SIGNIFY_GZIP_HEADER_BYTES {
        return fail(
            ErrorCode::TooLarge,
            format!("gzip header larger than {MAX_SIGNIFY_GZIP_HEADER_BYTES} bytes"),
        );
    }
    Ok(out)
}

/// A signify secret-key file (`signify -G`): `Ed` ‖ `BK` ‖ kdfrounds (u32, big-endian) ‖
/// salt (16) ‖ checksum (8, the SHA-512 of the secret key, truncated) ‖ keynum (8) ‖ the
/// 64-byte Ed25519 secret key (seed ‖ public key) XOR bcrypt_pbkdf(passphrase, salt, rounds).
/// Rounds 0 means unencrypted (`signify -G -n`).
#[cfg(feature = "sign")]
#[derive(Clone)]
pub struct SignifySecretKeyFile {
    rounds: u32,
    salt: [u8; 16],
    checksum: [u8; 8],
    key_num: KeyId,
    sealed: [u8; 64],
}

#[cfg(feature = "sign")]
impl SignifySecretKeyFile {
    /// Whether `text` looks like a signify secret-key file (its second line decodes to a
    /// blob starting `EdBK`); the secret-key loaders use it to pick the format.
    pub fn is_signify(text: &[u8]) -> bool {
        text.len() <= crate::limits::MAX_KEY_FILE_BYTES
            && SignifySignature::decode_line2::<104>(text).is_some_and(|b| b[..4] == *b"EdBK")
    }

    /// Parses a signify secret-key file with signify's rules (comment line, base64 line).
    pub fn parse(text: &[u8]) -> Result<SignifySecretKeyFile> {
        if text.len() > crate::limits::MAX_KEY_FILE_BYTES {
            return fail(
                ErrorCode::TooLarge,
                "signify secret key file: larger than 4 KiB",
            );
        }
        let Some(blob) = SignifySignature::decode_line2::<104>(text) else {
            return fail(
                ErrorCode::Malformed,
                "signify secret key file: not an untrusted comment line and the base64 of 104 bytes",
            );
        };
        if blob[..2] != KEY_ALG || blob[2..4] != *b"BK" {
            return fail(
                ErrorCode::UnsupportedVersion,
                "signify secret key file: algorithm is not Ed25519 with bcrypt_pbkdf (`EdBK`)",
            );
        }
        let rounds = u32::from_be_bytes([blob[4], blob[5], blob[6], blob[7]]);
        if rounds > crate::limits::MAX_SIGNIFY_KDF_ROUNDS {
            return fail(
                ErrorCode::TooLarge,
                format!(
                    "signify secret key file: {rounds} bcrypt_pbkdf rounds (at most {})",
                    crate::limits::MAX_SIGNIFY_KDF_ROUNDS
                ),
            );
        }
        let mut f = SignifySecretKeyFile {
            rounds,
            salt: [0; 16],
            checksum: [0; 8],
            key_num: KeyId([0; 8]),
            sealed: [0; 64],
        };
        f.salt.copy_from_slice(&blob[8..24]);
        f.checksum.copy_from_slice(&blob[24..32]);
        f.key_num.0.copy_from_slice(&blob[32..40]);
        f.sealed.copy_from_slice(&blob[40..104]);
        Ok(f)
    }

    /// Whether a passphrase is needed (rounds > 0).
    pub fn is_encrypted(&self) -> bool {
        self.rounds != 0
    }

    /// The key number.
    pub fn key_num(&self) -> KeyId {
        self.key_num
    }

    /// Decrypts the key (`passphrase` ignored when unencrypted; required and non-empty
    /// otherwise). A wrong passphrase fails the checksum: `MALFORMED` "incorrect passphrase",
    /// as signify. The public half must be the seed's.
    pub fn decrypt(&self, passphrase: Option<&[u8]>) -> Result<crate::secret::SecretKey> {
        use sha2::Sha512;
        let mut key = self.sealed;
        if self.rounds != 0 {
            let pass = match passphrase {
                Some(p) if !p.is_empty() => p,
                _ => {
                    return fail(
                        ErrorCode::Malformed,
                        "signify secret key: encrypted, a passphrase is needed",
                    )
                }
            };
            let mut xor = [0u8; 64];
            let mut memory = [0u8; 64];
            bcrypt_pbkdf::bcrypt_pbkdf_with_memory(
                pass,
                &self.salt,
                self.rounds,
                &mut xor,
                &mut memory,
            )
            .map_err(|_| {
                Error::new(
                    ErrorCode::Malformed,
                    "signify secret key: bcrypt_pbkdf failed",
                )
            })?;
            for (k, x) in key.iter_mut().zip(xor) {
                *k ^= x;
            }
        }
        let digest = Sha512::digest(key);
        if digest[..8] != self.checksum {
            return fail(
                ErrorCode::Malformed,
                "signify secret key: incorrect passphrase (checksum mismatch)",
            );
        }
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&key[..32]);
        let sk = crate::secret::SecretKey::from_seed(&seed, self.key_num);
        if sk.public_key().as_bytes()[..] != key[32..] {
            return fail(
                ErrorCode::Malformed,
                "signify secret key: the public half does not match the secret seed",
            );
        }
        Ok(sk)
    }
}

#[cfg(feature = "sign")]
impl SignifySignature {
    /// The base64 line of a two-line signify file, decoded to exactly `N` bytes (signify's
    /// `parseb64file` rules), or `None`.
    fn decode_line2<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
        let cstr = match text.iter().position(|&b| b == 0) {
            Some(i) => &text[..i],
            None => text,
        };
        let nl = cstr.iter().position(|&b| b == b'\n')?;
        if nl <= UNTRUSTED_PREFIX.len() || !cstr.starts_with(UNTRUSTED_PREFIX.as_bytes()) {
            return None;
        }
        let rest = &cstr[nl + 1..];
        let end = rest.iter().position(|&b| b == b'\n')?;
        let compact: Vec<u8> = rest[..end]
            .iter()
            .copied()
            .filter(|&b| !is_c_space(b))
            .collect();
        let mut out = [0u8; N];
        match Base64::decode(&compact, &mut out) {
            Ok(d) if d.len() == N => Some(out),
            _ => None,
        }
    }
}

#[cfg(all(test, feature = "sign"))]
mod tests {
    use super::*;
    use crate::secret::SecretKey;

    fn signed_file(payload: &[u8]) -> (PublicKey, Vec<u8>) {
        let sk = SecretKey::from_seed(&[3u8; 32], KeyId(*b"unittest"));
        let mut h = GzipHasher::new();
        h.update(payload);
        let header =
            sign_gzip_header(&sk, 0, b"t", "1970-01-01T00:00:00Z", "k", &h.finish()).unwrap();
        (sk.public_key(), [header.as_slice(), payload].concat())
    }

    #[test]
    fn gzip_blocks_are_checked_as_they_complete_whatever_the_feeding() {
        let payload: Vec<u8> = (0..(2 * GZIP_BLOCK_BYTES + 5)).map(|i| i as u8).collect();
        let (pk, file) = signed_file(&payload);
        let header = parse_gzip_header(&file, "f").unwrap().unwrap();
        for step in [
            1usize,
            4095,
            GZIP_BLOCK_BYTES,
            GZIP_BLOCK_BYTES + 1,
            payload.len(),
        ] {
            let mut v = GzipVerifier::new(&pk, &header, "f").unwrap();
            let mut checked = 0;
            for piece in payload.chunks(step) {
                checked += v.update(piece).unwrap();
            }
            assert_eq!(checked, 2 * GZIP_BLOCK_BYTES, "step {step}");
            assert_eq!(v.pending(), 5);
            v.finish().unwrap();
        }
        // A changed byte in block 1 fails as soon as block 1 is complete.
        let mut bad = payload.clone();
        bad[GZIP_BLOCK_BYTES + 7] ^= 1;
        let mut v = GzipVerifier::new(&pk, &header, "f").unwrap();
        assert_eq!(
            v.update(&bad[..GZIP_BLOCK_BYTES]).unwrap(),
            GZIP_BLOCK_BYTES
        );
        let e = v
            .update(&bad[GZIP_BLOCK_BYTES..2 * GZIP_BLOCK_BYTES])
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::SignatureInvalid);
        assert!(e.message().contains("block 1"), "{e}");
    }

    #[test]
    fn gzip_block_boundary_payloads_need_the_empty_block_hash() {
        for len in [0, GZIP_BLOCK_BYTES, 2 * GZIP_BLOCK_BYTES] {
            let payload = alloc::vec![7u8; len];
            let (pk, file) = signed_file(&payload);
            assert_eq!(verify_gzip(&pk, &file, "f").unwrap(), file, "len {len}");
        }
    }

    #[test]
    fn block_sizes() {
        assert_eq!(parse_block_size(b"65536"), Some(65536));
        assert_eq!(parse_block_size(b"1"), Some(1));
        for bad in [
            &b""[..],
            b"0",
            b"+1",
            b" 1",
            b"1x",
            b"67108865",
            b"999999999999999",
        ] {
            assert_eq!(parse_block_size(bad), None, "{bad:?}");
        }
    }
}
