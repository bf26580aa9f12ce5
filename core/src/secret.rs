//! Signing (feature `sign`): Ed25519 secret keys, minisign's secret-key file format (scrypt +
//! XOR encryption with a BLAKE2b-256 checksum, or unencrypted), and minisign signature blocks.
//! Core draws no randomness: seeds, key ids and salts are arguments.

use alloc::format;
use alloc::string::String;

use base64ct::{Base64, Encoding};
use ed25519_dalek::{Signer, SigningKey};

use crate::error::{fail, Error, ErrorCode, Result};
use crate::hash::{blake2b512, Blake2b256, Blake2b512};
use crate::keys::{KeyId, PublicKey, KEY_ALG, UNTRUSTED_PREFIX};
use crate::limits::{
    MAX_KEY_FILE_BYTES, MAX_SCRYPT_MEMORY_BYTES, MAX_TRUSTED_COMMENT_BYTES,
    MAX_UNTRUSTED_COMMENT_BYTES,
};
use crate::signature::{Algorithm, SignatureBlock};
use crate::text::Lines;

/// minisign's KDF tag for scrypt.
const KDF_SCRYPT: [u8; 2] = *b"Sc";
/// minisign's KDF tag for an unencrypted key.
const KDF_NONE: [u8; 2] = [0, 0];
/// minisign's checksum tag (BLAKE2b-256).
const CHK_ALG: [u8; 2] = *b"B2";
/// Decoded length of a secret-key file's base64 line.
const SECRET_BLOB_LEN: usize = 158;
/// keynum (8) || secret key (64) || checksum (32).
const KEYNUM_SK_LEN: usize = 104;
/// minisign's default scrypt opslimit (`crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE`).
pub const DEFAULT_OPSLIMIT: u64 = 33_554_432;
/// minisign's default scrypt memlimit (1 GiB).
pub const DEFAULT_MEMLIMIT: u64 = 1_073_741_824;

/// An Ed25519 secret key with its minisign key id.
#[derive(Clone)]
pub struct SecretKey {
    key_id: KeyId,
    signing: SigningKey,
}

impl core::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SecretKey(id {})", self.key_id)
    }
}

/// How a secret-key file is protected.
#[derive(Clone, Copy, Debug)]
pub enum KeyProtection<'a> {
    /// No password (`minisign -W`).
    Unencrypted,
    /// scrypt with the given password, salt and libsodium limits.
    Password {
        /// The password bytes.
        password: &'a [u8],
        /// 32 random bytes.
        salt: [u8; 32],
        /// libsodium opslimit (minisign: [`DEFAULT_OPSLIMIT`]).
        opslimit: u64,
        /// libsodium memlimit (minisign: [`DEFAULT_MEMLIMIT`]).
        memlimit: u64,
    },
}

fn check_comment(text: &str, max: usize, what: &str) -> Result<()> {
    if text.len() > max {
        return fail(
            ErrorCode::TooLarge,
            format!("{what} is longer than {max} bytes"),
        );
    }
    if text.bytes().any(|b| b == b'\n' || b == b'\r' || b == 0) {
        return fail(
            ErrorCode::Malformed,
            format!("{what} may not contain a line break or NUL"),
        );
    }
    Ok(())
}

impl SecretKey {
    /// The key with Ed25519 seed `seed` and minisign key id `key_id` (both random, chosen by
    /// the caller).
    pub fn from_seed(seed: &[u8; 32], key_id: KeyId) -> SecretKey {
        SecretKey {
            key_id,
            signing: SigningKey::from_bytes(seed),
        }
    }

    /// The key id.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        // A key derived from a seed is always a valid point.
        PublicKey::from_parts(self.key_id, self.signing.verifying_key().as_bytes())
            .unwrap_or_else(|_| unreachable_key())
    }

    /// Raw Ed25519 signature of `message`.
    pub fn sign_raw(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    /// A prehashed (`ED`) minisign signature block over `message`.
    pub fn sign(
        &self,
        message: &[u8],
        trusted_comment: &str,
        untrusted_comment: &str,
    ) -> Result<SignatureBlock> {
        self.sign_prehashed(&blake2b512(message), trusted_comment, untrusted_comment)
    }

    /// A prehashed block from the BLAKE2b-512 of the message (see [`StreamSigner`]).
    pub fn sign_prehashed(
        &self,
        prehash: &[u8; 64],
        trusted_comment: &str,
        untrusted_comment: &str,
    ) -> Result<SignatureBlock> {
        self.block(
            Algorithm::Prehashed,
            prehash,
            trusted_comment,
            untrusted_comment,
        )
    }

    /// A legacy (`Ed`, non-prehashed) block; only for interoperability tests.
    pub fn sign_legacy(
        &self,
        message: &[u8],
        trusted_comment: &str,
        untrusted_comment: &str,
    ) -> Result<SignatureBlock> {
        self.block(
            Algorithm::Legacy,
            message,
            trusted_comment,
            untrusted_comment,
        )
    }

    fn block(
        &self,
        alg: Algorithm,
        signed: &[u8],
        trusted: &str,
        untrusted: &str,
    ) -> Result<SignatureBlock> {
        check_comment(trusted, MAX_TRUSTED_COMMENT_BYTES, "trusted comment")?;
        check_comment(
            untrusted,
            MAX_UNTRUSTED_COMMENT_BYTES - UNTRUSTED_PREFIX.len(),
            "untrusted comment",
        )?;
        let signature = self.sign_raw(signed);
        let mut global = alloc::vec::Vec::with_capacity(64 + trusted.len());
        global.extend_from_slice(&signature);
        global.extend_from_slice(trusted.as_bytes());
        let global_signature = self.sign_raw(&global);
        Ok(SignatureBlock::from_parts(
            untrusted.into(),
            alg,
            self.key_id,
            signature,
            trusted.into(),
            global_signature,
        ))
    }

    fn keynum_sk(&self) -> [u8; KEYNUM_SK_LEN] {
        let mut out = [0u8; KEYNUM_SK_LEN];
        out[..8].copy_from_slice(&self.key_id.0);
        out[8..40].copy_from_slice(self.signing.as_bytes());
        out[40..72].copy_from_slice(self.signing.verifying_key().as_bytes());
        let chk = checksum(&out[..8], &out[8..72]);
        out[72..].copy_from_slice(&chk);
        out
    }

    /// The secret-key file minisign reads: comment line and base64 line.
    pub fn to_file_text(
        &self,
        protection: KeyProtection<'_>,
        untrusted_comment: &str,
    ) -> Result<String> {
        check_comment(
            untrusted_comment,
            MAX_UNTRUSTED_COMMENT_BYTES - UNTRUSTED_PREFIX.len(),
            "untrusted comment",
        )?;
        let mut blob = [0u8; SECRET_BLOB_LEN];
        blob[..2].copy_from_slice(&KEY_ALG);
        blob[4..6].copy_from_slice(&CHK_ALG);
        let mut keynum = self.keynum_sk();
        match protection {
            KeyProtection::Unencrypted => blob[2..4].copy_from_slice(&KDF_NONE),
            KeyProtection::Password {
                password,
                salt,
                opslimit,
                memlimit,
            } => {
                blob[2..4].copy_from_slice(&KDF_SCRYPT);
                blob[6..38].copy_from_slice(&salt);
                blob[38..46].copy_from_slice(&opslimit.to_le_bytes());
                blob[46..54].copy_from_slice(&memlimit.to_le_bytes());
                xor_stream(&mut keynum, password, &salt, opslimit, memlimit)?;
            }
        }
        blob[54..].copy_from_slice(&keynum);
        Ok(format!(
            "{UNTRUSTED_PREFIX}{untrusted_comment}\n{}\n",
            Base64::encode_string(&blob)
        ))
    }
}

fn unreachable_key() -> PublicKey {
    // Not reachable: dalek's verifying key of a signing key always decompresses. Kept total
    // (no panic) by returning the basepoint key.
    let bp = curve25519_dalek::constants::ED25519_BASEPOINT_COMPRESSED.to_bytes();
    match PublicKey::from_parts(KeyId([0; 8]), &bp) {
        Ok(k) => k,
        Err(_) => unreachable_key(),
    }
}

fn checksum(keynum: &[u8], sk: &[u8]) -> [u8; 32] {
    let mut h = Blake2b256::new();
    h.update(&KEY_ALG);
    h.update(keynum);
    h.update(sk);
    h.finalize()
}

/// libsodium's `pickparams` for scryptsalsa208sha256: (log2 N, r, p) from opslimit/memlimit.
pub fn scrypt_params(opslimit: u64, memlimit: u64) -> (u8, u32, u32) {
    let opslimit = opslimit.max(32_768);
    let r: u64 = 8;
    let pick_log_n = |max_n: u64| {
        let mut log_n = 1u32;
        while log_n < 63 && (1u64 << log_n) <= max_n / 2 {
            log_n += 1;
        }
        log_n
    };
    if opslimit < memlimit / 32 {
        let log_n = pick_log_n(opslimit / (r * 4));
        (log_n as u8, r as u32, 1)
    } else {
        let log_n = pick_log_n(memlimit / (r * 128));
        let maxrp = ((opslimit / 4) / (1u64 << log_n)).min(0x3fff_ffff);
        let p = (maxrp as u32) / r as u32;
        (log_n as u8, r as u32, p)
    }
}

fn xor_stream(
    keynum: &mut [u8; KEYNUM_SK_LEN],
    password: &[u8],
    salt: &[u8; 32],
    opslimit: u64,
    memlimit: u64,
) -> Result<()> {
    let (log_n, r, p) = scrypt_params(opslimit, memlimit);
    let memory = 128u64
        .saturating_mul(u64::from(r))
        .saturating_mul(1u64.checked_shl(u32::from(log_n)).unwrap_or(u64::MAX));
    if memory > MAX_SCRYPT_MEMORY_BYTES || p > 16 || p == 0 {
        return fail(
            ErrorCode::TooLarge,
            format!("secret key: scrypt parameters (N=2^{log_n}, r={r}, p={p}) exceed the limits"),
        );
    }
    let params = scrypt::Params::new(log_n, r, p).map_err(|_| {
        Error::new(
            ErrorCode::Malformed,
            "secret key: invalid scrypt parameters",
        )
    })?;
    let mut stream = [0u8; KEYNUM_SK_LEN];
    scrypt::scrypt(password, salt, &params, &mut stream)
        .map_err(|_| Error::new(ErrorCode::Malformed, "secret key: scrypt failed"))?;
    for (k, s) in keynum.iter_mut().zip(stream.iter()) {
        *k ^= s;
    }
    Ok(())
}

/// A parsed (still protected) minisign secret-key file.
#[derive(Clone)]
pub struct SecretKeyFile {
    kdf: [u8; 2],
    salt: [u8; 32],
    opslimit: u64,
    memlimit: u64,
    keynum_sk: [u8; KEYNUM_SK_LEN],
}

impl SecretKeyFile {
    /// Parses the two-line file (`untrusted comment: …`, base64). CRLF and a missing final
    /// newline are tolerated.
    pub fn parse(text: &[u8]) -> Result<SecretKeyFile> {
        let what = "secret key file";
        if text.len() > MAX_KEY_FILE_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!("{what}: larger than {MAX_KEY_FILE_BYTES} bytes"),
            );
        }
        let mut lines = Lines::new(text);
        let first = lines.next_line(what)?.unwrap_or_default();
        if !first.starts_with(UNTRUSTED_PREFIX) {
            return fail(
                ErrorCode::Malformed,
                format!("{what}: line 1 should start with {UNTRUSTED_PREFIX:?}"),
            );
        }
        let line = lines.next_line(what)?.unwrap_or_default();
        let mut blob = [0u8; SECRET_BLOB_LEN];
        match Base64::decode(line, &mut blob) {
            Ok(d) if d.len() == SECRET_BLOB_LEN => {}
            _ => {
                return fail(
                    ErrorCode::Malformed,
                    format!(
                        "{what}: line 2 is not the base64 of a {SECRET_BLOB_LEN}-byte secret key"
                    ),
                )
            }
        }
        if !lines.rest_is_blank() {
            return fail(
                ErrorCode::Malformed,
                format!("{what}: trailing data after line 2"),
            );
        }
        if blob[..2] != KEY_ALG {
            return fail(
                ErrorCode::UnsupportedVersion,
                format!("{what}: signature algorithm is not Ed25519"),
            );
        }
        let kdf = [blob[2], blob[3]];
        if kdf != KDF_SCRYPT && kdf != KDF_NONE {
            return fail(
                ErrorCode::UnsupportedVersion,
                format!("{what}: unsupported key derivation function"),
            );
        }
        if blob[4..6] != CHK_ALG {
            return fail(
                ErrorCode::UnsupportedVersion,
                format!("{what}: unsupported checksum algorithm"),
            );
        }
        let mut f = SecretKeyFile {
            kdf,
            salt: [0; 32],
            opslimit: 0,
            memlimit: 0,
            keynum_sk: [0; KEYNUM_SK_LEN],
        };
        f.salt.copy_from_slice(&blob[6..38]);
        let mut le = [0u8; 8];
        le.copy_from_slice(&blob[38..46]);
        f.opslimit = u64::from_le_bytes(le);
        le.copy_from_slice(&blob[46..54]);
        f.memlimit = u64::from_le_bytes(le);
        f.keynum_sk.copy_from_slice(&blob[54..]);
        Ok(f)
    }

    /// Whether a password is needed.
    pub fn is_encrypted(&self) -> bool {
        self.kdf == KDF_SCRYPT
    }

    /// Decrypts (when encrypted) and checks the checksum. A wrong password gives `MALFORMED`
    /// ("wrong password or corrupt key").
    pub fn decrypt(&self, password: Option<&[u8]>) -> Result<SecretKey> {
        let mut keynum = self.keynum_sk;
        if self.is_encrypted() {
            let Some(pw) = password else {
                return fail(
                    ErrorCode::Malformed,
                    "secret key file: the key is encrypted and no password was given",
                );
            };
            xor_stream(&mut keynum, pw, &self.salt, self.opslimit, self.memlimit)?;
        }
        let chk = checksum(&keynum[..8], &keynum[8..72]);
        // `minisign -G -W` writes an all-zero checksum for unencrypted keys (and never checks
        // it); accept exactly that, or the real checksum.
        let unencrypted_zero_chk = !self.is_encrypted() && keynum[72..].iter().all(|&b| b == 0);
        if chk[..] != keynum[72..] && !unencrypted_zero_chk {
            return fail(
                ErrorCode::Malformed,
                "secret key file: wrong password or corrupt key (checksum mismatch)",
            );
        }
        let mut id = [0u8; 8];
        id.copy_from_slice(&keynum[..8]);
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&keynum[8..40]);
        let sk = SecretKey::from_seed(&seed, KeyId(id));
        if sk.signing.verifying_key().as_bytes()[..] != keynum[40..72] {
            return fail(
                ErrorCode::Malformed,
                "secret key file: public half does not match the secret key",
            );
        }
        Ok(sk)
    }
}

/// Streaming signing: hash a large file in pieces, then sign the BLAKE2b-512 (prehashed `ED`).
#[derive(Clone, Default)]
pub struct StreamSigner(Blake2b512);

impl StreamSigner {
    /// A fresh signer state.
    pub fn new() -> Self {
        Self::default()
    }
    /// Feeds the next piece.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
    /// Signs what was fed.
    pub fn finalize(
        self,
        key: &SecretKey,
        trusted_comment: &str,
        untrusted_comment: &str,
    ) -> Result<SignatureBlock> {
        key.sign_prehashed(&self.0.finalize(), trusted_comment, untrusted_comment)
    }
}
