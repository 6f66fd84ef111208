//! Keys and signatures.
//!
//! Signatures are detached OpenSSH SSHSIG envelopes (namespace [`NAMESPACE`]) over a file's exact bytes,
//! so stock `ssh-keygen -Y verify` checks them and existing ed25519 SSH or git-signing keys work.
//! Verification is strict Ed25519 (`verify_strict`), and the namespace is checked before the maths:
//! together with the `schema` line inside every signed file, a signature made for one purpose cannot
//! be replayed for another. A [`KeyId`] is only a hint (it names signature files); who signed is decided
//! by the public key inside a verified signature.

mod trust;

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use ssh_key::{Algorithm, HashAlg, LineEnding, SshSig, public::KeyData};

use crate::record::KeyId;
pub use trust::{Role, Trust, TrustError, TrustedKey};

/// The SSHSIG namespace of every modelreg signature.
pub const NAMESPACE: &str = "modelreg";

/// Environment variable naming the signing key file (after `--key`).
pub const KEY_ENV: &str = "MODELREG_KEY";
/// Environment variable holding the passphrase of an encrypted key.
pub const PASSPHRASE_ENV: &str = "MODELREG_KEY_PASSPHRASE";

/// Why a key could not be loaded, found or written. Each is a failure of the command, not a finding.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The private key file could not be read.
    #[error("cannot read key `{path}`: {source}")]
    KeyRead {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not an OpenSSH private key.
    #[error("`{path}` is not an OpenSSH private key: {reason}")]
    KeyFormat {
        /// The key file.
        path: PathBuf,
        /// The parser's explanation.
        reason: String,
    },
    /// The key is not ed25519 (RSA, ECDSA…), which modelreg does not sign with.
    #[error("`{path}` is a {algorithm} key; modelreg signs with ed25519 keys only")]
    NotEd25519 {
        /// The key file.
        path: PathBuf,
        /// The key's algorithm as OpenSSH names it.
        algorithm: String,
    },
    /// The key is encrypted and no passphrase was given (see [`PASSPHRASE_ENV`]).
    #[error("key `{path}` is passphrase-protected and {PASSPHRASE_ENV} is not set")]
    Encrypted {
        /// The key file.
        path: PathBuf,
    },
    /// The passphrase given does not decrypt the key.
    #[error("the passphrase in {PASSPHRASE_ENV} does not decrypt `{path}`")]
    WrongPassphrase {
        /// The key file.
        path: PathBuf,
    },
    /// No source named a key file ([`KeySources::resolve`]).
    #[error("no signing key found (tried {})", tried.join(", "))]
    NoKey {
        /// Each source tried, in order, with why it gave no key.
        tried: Vec<String>,
    },
    /// A public key line did not parse or is not ed25519; the string says why.
    #[error("invalid public key: {0}")]
    PublicKey(String),
    /// Writing a new key file failed.
    #[error("cannot write `{path}`: {source}")]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A new key would overwrite this existing file.
    #[error("`{0}` already exists")]
    Exists(PathBuf),
}

/// Why a signature did not verify. Findings, not failures of the program.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadSignature {
    /// Not an armored SSHSIG envelope; the string is the parser's reason.
    #[error("not an SSH signature ({0})")]
    Malformed(String),
    /// Made for another purpose: the envelope's namespace is not [`NAMESPACE`].
    #[error("signature namespace is `{0}`, expected `{NAMESPACE}`")]
    Namespace(String),
    /// Made with a key other than ed25519.
    #[error("signature uses {0}; only ed25519 is accepted")]
    Algorithm(String),
    /// A valid envelope whose signature is not over these bytes (the file changed, or the wrong file).
    #[error("signature does not match the file's bytes")]
    Mismatch,
}

/// An ed25519 public key, as written in OpenSSH format.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    raw: [u8; 32],
    id: KeyId,
    openssh: String,
}

impl PublicKey {
    /// Parses `ssh-ed25519 AAAA… [comment]`.
    pub fn parse(text: &str) -> Result<PublicKey, SignError> {
        let key = ssh_key::PublicKey::from_openssh(text.trim()).map_err(|e| SignError::PublicKey(e.to_string()))?;
        match key.key_data() {
            KeyData::Ed25519(pk) => Ok(PublicKey::from_raw(pk.0, key.comment())),
            other => {
                Err(SignError::PublicKey(format!("{} keys are not supported; use an ed25519 key", other.algorithm())))
            }
        }
    }

    fn from_raw(raw: [u8; 32], comment: &str) -> PublicKey {
        let key = ssh_key::PublicKey::new(KeyData::Ed25519(ssh_key::public::Ed25519PublicKey(raw)), comment);
        let fingerprint = key.fingerprint(HashAlg::Sha256);
        let id = fingerprint.as_bytes()[..8].iter().map(|b| format!("{b:02x}")).collect::<String>();
        PublicKey {
            raw,
            id: id.parse().expect("16 hex characters form a key id"),
            openssh: key.to_openssh().expect("an ed25519 public key always encodes"),
        }
    }

    /// The 32 raw key bytes: the key's identity, as opposed to the [`KeyId`] hint.
    pub fn raw(&self) -> &[u8; 32] {
        &self.raw
    }

    /// A short id derived from the SHA-256 fingerprint; names signature files.
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// The `ssh-ed25519 AAAA… comment` line.
    pub fn openssh(&self) -> &str {
        &self.openssh
    }

    /// The fingerprint as `ssh-keygen -l` prints it (`SHA256:…`).
    pub fn fingerprint(&self) -> String {
        ssh_key::PublicKey::new(KeyData::Ed25519(ssh_key::public::Ed25519PublicKey(self.raw)), "")
            .fingerprint(HashAlg::Sha256)
            .to_string()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.id)
    }
}

/// A private ed25519 key loaded from an OpenSSH key file, with where it came from.
pub struct SigningKey {
    private: ssh_key::PrivateKey,
    public: PublicKey,
    origin: String,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({}, from {})", self.public.id, self.origin)
    }
}

impl SigningKey {
    /// Loads an unencrypted OpenSSH private key file; `origin` says how it was chosen (for messages).
    pub fn load(path: &Path, origin: &str) -> Result<SigningKey, SignError> {
        SigningKey::load_with(path, origin, None)
    }

    /// Loads an OpenSSH private key file, decrypting it with `passphrase` when it is encrypted.
    pub fn load_with(path: &Path, origin: &str, passphrase: Option<&str>) -> Result<SigningKey, SignError> {
        let text = std::fs::read(path).map_err(|source| SignError::KeyRead { path: path.into(), source })?;
        let mut private = ssh_key::PrivateKey::from_openssh(&text)
            .map_err(|e| SignError::KeyFormat { path: path.into(), reason: e.to_string() })?;
        if private.algorithm() != Algorithm::Ed25519 {
            return Err(SignError::NotEd25519 { path: path.into(), algorithm: private.algorithm().to_string() });
        }
        if private.is_encrypted() {
            let passphrase = passphrase.ok_or_else(|| SignError::Encrypted { path: path.into() })?;
            private = private.decrypt(passphrase).map_err(|_| SignError::WrongPassphrase { path: path.into() })?;
        }
        let KeyData::Ed25519(pk) = private.public_key().key_data() else {
            return Err(SignError::NotEd25519 { path: path.into(), algorithm: private.algorithm().to_string() });
        };
        let public = PublicKey::from_raw(pk.0, private.comment());
        Ok(SigningKey { private, public, origin: format!("{origin} {}", path.display()) })
    }

    /// A fresh random key.
    pub fn generate(comment: &str) -> SigningKey {
        let mut private = ssh_key::PrivateKey::random(&mut ssh_key::rand_core::OsRng, Algorithm::Ed25519)
            .expect("the OS random source is available");
        private.set_comment(comment);
        let KeyData::Ed25519(pk) = private.public_key().key_data() else { unreachable!("generated ed25519") };
        let public = PublicKey::from_raw(pk.0, comment);
        SigningKey { private, public, origin: "generated".into() }
    }

    /// Writes the private key (mode 0600) and `<path>.pub`, refusing to overwrite either.
    pub fn write(&self, path: &Path) -> Result<(), SignError> {
        let pub_path = PathBuf::from(format!("{}.pub", path.display()));
        for p in [path, pub_path.as_path()] {
            if p.exists() {
                return Err(SignError::Exists(p.into()));
            }
        }
        let private = self.private.to_openssh(LineEnding::LF).expect("an ed25519 key always encodes");
        let write = |p: &Path, bytes: &[u8], mode: u32| -> Result<(), SignError> {
            let err = |source| SignError::Write { path: p.into(), source };
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(err)?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
            let mut file = options.open(p).map_err(err)?;
            file.write_all(bytes).and_then(|()| file.sync_all()).map_err(err)
        };
        write(path, private.as_bytes(), 0o600)?;
        write(&pub_path, format!("{}\n", self.public.openssh).as_bytes(), 0o644)
    }

    /// The key's public half.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// The public key's id, which names the signature files it writes.
    pub fn id(&self) -> &KeyId {
        &self.public.id
    }

    /// How this key was found, e.g. `--key ./alice` or `~/.ssh/id_ed25519`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Signs exact bytes; returns the armored SSHSIG text to store beside the file.
    pub fn sign(&self, message: &[u8]) -> String {
        self.private
            .sign(NAMESPACE, HashAlg::Sha512, message)
            .and_then(|sig| sig.to_pem(LineEnding::LF))
            .expect("ed25519 signing of in-memory bytes cannot fail")
    }
}

/// Verifies an armored SSHSIG over `message`; returns the public key that made it.
pub fn verify(armored: &[u8], message: &[u8]) -> Result<PublicKey, BadSignature> {
    let sig = SshSig::from_pem(armored).map_err(|e| BadSignature::Malformed(e.to_string()))?;
    if sig.namespace() != NAMESPACE {
        return Err(BadSignature::Namespace(sig.namespace().to_owned()));
    }
    let KeyData::Ed25519(pk) = sig.public_key() else {
        return Err(BadSignature::Algorithm(sig.public_key().algorithm().to_string()));
    };
    let signed = SshSig::signed_data(NAMESPACE, sig.hash_alg(), message).map_err(|_| BadSignature::Mismatch)?;
    let verifying = ed25519_dalek::VerifyingKey::from_bytes(&pk.0).map_err(|_| BadSignature::Mismatch)?;
    let bytes: [u8; 64] = sig.signature_bytes().try_into().map_err(|_| BadSignature::Mismatch)?;
    verifying
        .verify_strict(&signed, &ed25519_dalek::Signature::from_bytes(&bytes))
        .map_err(|_| BadSignature::Mismatch)?;
    Ok(PublicKey::from_raw(pk.0, ""))
}

/// Where a signing key may come from, in the order they are tried. The caller fills it in from its
/// arguments and environment (the library reads no environment variable itself).
#[derive(Debug, Default)]
pub struct KeySources {
    /// `--key PATH`.
    pub explicit: Option<PathBuf>,
    /// The path in [`KEY_ENV`], if set and not empty.
    pub from_env: Option<PathBuf>,
    /// git's `user.signingKey`, as configured.
    pub git_signing_key: Option<String>,
    /// The home directory, for `~/.ssh/id_ed25519` and `~/` in `user.signingKey`.
    pub home: Option<PathBuf>,
    /// The passphrase for an encrypted key ([`PASSPHRASE_ENV`]).
    pub passphrase: Option<String>,
}

impl KeySources {
    /// Picks the first configured key: `--key`, then `MODELREG_KEY`, then git's `user.signingKey`, then
    /// `~/.ssh/id_ed25519`. A configured key that fails to load is an error (not silently skipped); the
    /// error for no key at all lists what was tried.
    pub fn resolve(&self) -> Result<SigningKey, SignError> {
        let load = |path: &Path, origin: &str| SigningKey::load_with(path, origin, self.passphrase.as_deref());
        if let Some(path) = &self.explicit {
            return load(path, "--key");
        }
        let mut tried = vec!["--key (not given)".to_owned()];
        match &self.from_env {
            Some(path) if !path.as_os_str().is_empty() => return load(path, KEY_ENV),
            _ => tried.push(format!("{KEY_ENV} (not set)")),
        }
        match self.git_signing_key.as_deref().map(str::trim) {
            Some(literal) if literal.starts_with("key::") => {
                tried.push("git user.signingKey (a literal public key; modelreg needs the private key file)".into())
            }
            Some(configured) if !configured.is_empty() => {
                let path = self.expand_home(configured);
                // git lets user.signingKey name the public half; the private key sits beside it.
                let private = match path.to_str().and_then(|p| p.strip_suffix(".pub")) {
                    Some(stripped) => PathBuf::from(stripped),
                    None => path,
                };
                return load(&private, "git user.signingKey");
            }
            _ => tried.push("git user.signingKey (not set)".into()),
        }
        if let Some(home) = &self.home {
            let default = home.join(".ssh").join("id_ed25519");
            if default.exists() {
                return load(&default, "default key");
            }
            tried.push(format!("{} (absent)", default.display()));
        }
        Err(SignError::NoKey { tried })
    }

    fn expand_home(&self, path: &str) -> PathBuf {
        match (path.strip_prefix("~/"), &self.home) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_verify_and_reject_tampering() {
        let key = SigningKey::generate("test");
        let sig = key.sign(b"schema = \"x\"\n");
        let signer = verify(sig.as_bytes(), b"schema = \"x\"\n").unwrap();
        assert_eq!(signer.raw(), key.public().raw());
        assert_eq!(verify(sig.as_bytes(), b"schema = \"y\"\n"), Err(BadSignature::Mismatch));
        assert!(matches!(verify(b"garbage", b""), Err(BadSignature::Malformed(_))));
    }

    #[test]
    fn other_namespaces_are_refused() {
        let key = SigningKey::generate("test");
        let sig = key.private.sign("git", HashAlg::Sha512, b"m").unwrap().to_pem(LineEnding::LF).unwrap();
        assert_eq!(verify(sig.as_bytes(), b"m"), Err(BadSignature::Namespace("git".into())));
    }

    #[test]
    fn key_id_is_stable_for_a_public_key() {
        let key = SigningKey::generate("c");
        let reparsed = PublicKey::parse(key.public().openssh()).unwrap();
        assert_eq!(reparsed.id(), key.id());
        assert!(reparsed.fingerprint().starts_with("SHA256:"));
    }
}
