//! Validated names and values that appear in records and on the command line.
//!
//! Every type here is built only through a validating constructor (`FromStr` / `TryFrom`), so code
//! that holds a [`ModelName`] or an [`ArtifactPath`] never has to check it again. The same rules apply
//! to a value typed by a user and to one read from a record file.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Why a value is not a valid name, version, key, path, timestamp, key id or stage; holds the value as given.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NameError {
    /// Not a model name (1–64 of `[a-z0-9._-]`, starting with a letter or digit, no `..`).
    #[error(
        "invalid model name `{0}`: use 1-64 characters from a-z, 0-9, `.`, `_`, `-`, starting with a letter or digit, without `..`, a trailing `.` or a Windows device name (con, nul, com1…)"
    )]
    Model(String),
    /// Not a version (a whole number from 1, optionally prefixed `v`).
    #[error("invalid version `{0}`: versions are whole numbers from 1")]
    Version(String),
    /// Not a tag, metric, parameter or dataset key (1–64 of `[A-Za-z0-9._-]`).
    #[error("invalid key `{0}`: use 1-64 characters from A-Z, a-z, 0-9, `.`, `_`, `-`")]
    MetaKey(String),
    /// Not a relative, `/`-separated printable-ASCII path without empty, `.` or `..` components.
    #[error(
        "invalid artifact path `{0}`: use a relative path of printable ASCII without `.`/`..`/`.git` components, backslashes, leading `/` or `-`, Windows device names or reserved characters, or a trailing `.` or space"
    )]
    ArtifactPath(String),
    /// Not an RFC 3339 UTC instant with whole seconds (`2026-11-22T10:00:00Z`).
    #[error("invalid timestamp `{0}`: expected RFC 3339 UTC like 2026-11-22T10:00:00Z")]
    Timestamp(String),
    /// Not a key id (16 lowercase hex characters).
    #[error("invalid key id `{0}`: expected 16 lowercase hex characters")]
    KeyId(String),
    /// Not a stage name (1–32 of `[a-z0-9_-]`, starting with a letter, not `latest` or `v<number>`).
    #[error(
        "invalid stage name `{0}`: use 1-32 characters from a-z, 0-9, `_`, `-`, starting with a letter (not `latest` or `v<number>`)"
    )]
    Stage(String),
}

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident, $validate:expr, $err:path) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The validated text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = NameError;
            fn from_str(text: &str) -> Result<Self, NameError> {
                let valid: fn(&str) -> bool = $validate;
                if valid(text) { Ok($name(text.to_owned())) } else { Err($err(text.to_owned())) }
            }
        }

        impl TryFrom<String> for $name {
            type Error = NameError;
            fn try_from(text: String) -> Result<Self, NameError> {
                text.parse()
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }
    };
}

fn is_model_name(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 64
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'))
        && !text.contains("..")
        && is_portable_component(text)
}

/// A path component every file system a clone may land on stores as written, and that no git or
/// Windows machine treats specially: not `.git` in any case or its 8.3 short name `git~1`, not a
/// Windows device name (`con`, `nul.txt`, `com1`…), not ending in `.` or a space (Windows drops them,
/// so `x.` would become `x`), without Windows' reserved characters `<>:"|?*`, and not starting with
/// `-` (read as an option by the tools that get handed the path).
fn is_portable_component(part: &str) -> bool {
    const DEVICES: [&str; 6] = ["con", "prn", "aux", "nul", "conin$", "conout$"];
    let lower = part.to_ascii_lowercase();
    let stem = lower.split('.').next().unwrap_or("");
    let numbered_device =
        stem.len() == 4 && (stem.starts_with("com") || stem.starts_with("lpt")) && stem.as_bytes()[3].is_ascii_digit();
    lower != ".git"
        && !lower.starts_with("git~")
        && !DEVICES.contains(&stem)
        && !numbered_device
        && !part.ends_with('.')
        && !part.ends_with(' ')
        && !part.starts_with('-')
        && !part.contains(['<', '>', ':', '"', '|', '?', '*'])
}

fn is_meta_key(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn is_stage(text: &str) -> bool {
    let bytes = text.as_bytes();
    // `NAME@latest` and `NAME@v3` name versions, so no stage may be spelled like one.
    let names_a_version =
        text == "latest" || text.strip_prefix('v').is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()));
    !bytes.is_empty()
        && bytes.len() <= 32
        && bytes[0].is_ascii_lowercase()
        && bytes.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-'))
        && !names_a_version
}

fn is_artifact_path(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 1024
        && !text.starts_with('/')
        && text.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'\\')
        && text.split('/').all(|part| !part.is_empty() && part != "." && part != ".." && is_portable_component(part))
}

string_newtype!(
    /// A model's name, also its directory under `models/`: 1–64 characters of `[a-z0-9._-]`, starting
    /// with a letter or digit, never containing `..` (so it is always one safe path component).
    ModelName,
    is_model_name,
    NameError::Model
);
string_newtype!(
    /// A tag, metric, parameter, dataset or environment key: 1–64 characters of `[A-Za-z0-9._-]`.
    MetaKey,
    is_meta_key,
    NameError::MetaKey
);
string_newtype!(
    /// A lifecycle stage (`staging`, `production`…): 1–32 characters of `[a-z0-9_-]`, starting with a
    /// letter, never spelled like a version selector (`latest`, `v3`).
    Stage,
    is_stage,
    NameError::Stage
);
string_newtype!(
    /// An artifact's path inside a version: relative, `/`-separated printable ASCII without `\`, empty,
    /// `.` or `..` components, at most 1024 bytes (so it can never escape a destination directory).
    ArtifactPath,
    is_artifact_path,
    NameError::ArtifactPath
);
string_newtype!(
    /// A key id: the first 8 bytes of the key's SHA-256 fingerprint as 16 lowercase hex characters.
    /// It names signature files and appears in `signer`; trust is decided by the key inside a verified
    /// signature, never by this id.
    KeyId,
    is_key_id,
    NameError::KeyId
);

fn is_key_id(text: &str) -> bool {
    text.len() == 16 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A model version: a whole number from 1. Versions only go up.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct Version(u64);

impl Version {
    /// Version 1, the first a model registers.
    pub const FIRST: Version = Version(1);

    /// The version number.
    pub fn get(self) -> u64 {
        self.0
    }

    /// The version after this one; `None` past the largest version (2^63 - 1).
    pub fn next(self) -> Option<Version> {
        Version::try_from(self.0 + 1).ok()
    }
}

impl TryFrom<u64> for Version {
    type Error = NameError;
    fn try_from(value: u64) -> Result<Self, NameError> {
        if value == 0 || value > i64::MAX as u64 {
            Err(NameError::Version(value.to_string()))
        } else {
            Ok(Version(value))
        }
    }
}

impl From<Version> for u64 {
    fn from(v: Version) -> u64 {
        v.0
    }
}

impl FromStr for Version {
    type Err = NameError;
    fn from_str(text: &str) -> Result<Self, NameError> {
        let digits = text.strip_prefix('v').unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NameError::Version(text.to_owned()));
        }
        digits.parse::<u64>().map_err(|_| NameError::Version(text.to_owned()))?.try_into()
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

/// A UTC instant with one-second precision, written as RFC 3339 (`2026-11-22T10:00:00Z`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(u64);

impl Timestamp {
    /// The system clock. The library never calls it below `ops`' callers: the time a command judges and
    /// dates records at is passed in (the CLI pins it with `MODELREG_TIMESTAMP` for tests and
    /// reproducible builds).
    pub fn now() -> Timestamp {
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        Timestamp(secs)
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(self) -> u64 {
        self.0
    }

    /// The instant `secs` seconds after the Unix epoch (any `u64` is valid).
    pub fn from_unix_seconds(secs: u64) -> Timestamp {
        Timestamp(secs)
    }
}

impl FromStr for Timestamp {
    type Err = NameError;
    fn from_str(text: &str) -> Result<Self, NameError> {
        let err = || NameError::Timestamp(text.to_owned());
        // humantime also accepts fractional seconds and lowercase separators; records keep one spelling.
        if text.len() != 20 || !text.ends_with('Z') || text.as_bytes()[10] != b'T' {
            return Err(err());
        }
        let time = humantime::parse_rfc3339(text).map_err(|_| err())?;
        let secs = time.duration_since(UNIX_EPOCH).map_err(|_| err())?.as_secs();
        Ok(Timestamp(secs))
    }
}

impl TryFrom<String> for Timestamp {
    type Error = NameError;
    fn try_from(text: String) -> Result<Self, NameError> {
        text.parse()
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.to_string()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let time = UNIX_EPOCH + Duration::from_secs(self.0);
        write!(f, "{}", humantime::format_rfc3339_seconds(time))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn model_names() {
        for ok in ["fraud-detector", "a", "0", "resnet50.v2", "x_y", &"a".repeat(64)] {
            assert!(ok.parse::<ModelName>().is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Fraud",
            "-a",
            ".a",
            "a..b",
            "a/b",
            "../x",
            "a b",
            "é",
            &"a".repeat(65),
            "con",
            "nul.x",
            "com1",
            "lpt9",
            "x.",
        ] {
            assert!(bad.parse::<ModelName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn artifact_paths() {
        for ok in
            ["model.pkl", "weights/layer 1.bin", "a/b/c", "git/config", "console.txt", "com10", "x.y/z", ".gitignore"]
        {
            assert!(ok.parse::<ArtifactPath>().is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../b",
            "a//b",
            "a/./b",
            "a\\b",
            "a/",
            "tab\there",
            ".git/hooks/post-checkout",
            ".GIT/config",
            "a/.Git/x",
            "git~1/config",
            "CON",
            "aux.bin",
            "x.",
            "d/x ",
            "-x",
            "a/-rf",
            "a:b",
            "w?.bin",
        ] {
            assert!(bad.parse::<ArtifactPath>().is_err(), "{bad}");
        }
    }

    #[test]
    fn versions_and_timestamps() {
        assert_eq!("v3".parse::<Version>().unwrap().get(), 3);
        assert!("0".parse::<Version>().is_err());
        assert!("-1".parse::<Version>().is_err());
        assert!("+1".parse::<Version>().is_err());
        let t: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        assert_eq!(t.to_string(), "2026-11-22T10:00:00Z");
        assert!("2026-11-22T10:00:00.5Z".parse::<Timestamp>().is_err());
        assert!("2026-11-22 10:00:00Z".parse::<Timestamp>().is_err());
    }

    proptest! {
        #[test]
        fn model_name_validation_matches_the_documented_pattern(name in "\\PC{0,70}") {
            let pattern_ok = name.len() <= 64
                && !name.contains("..")
                && name.chars().enumerate().all(|(i, c)| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || (i > 0 && matches!(c, '.' | '_' | '-'))
                })
                && !name.is_empty()
                // Device names and a trailing `.` (tested by name in `model_names`).
                && is_portable_component(&name);
            prop_assert_eq!(name.parse::<ModelName>().is_ok(), pattern_ok);
        }

        #[test]
        fn valid_names_round_trip(name in "[a-z0-9][a-z0-9_-]{0,63}") {
            prop_assume!(is_portable_component(&name));
            let parsed: ModelName = name.parse().unwrap();
            prop_assert_eq!(parsed.to_string(), name);
        }

        #[test]
        fn timestamps_round_trip(secs in 0u64..253_402_300_799) {
            let t = Timestamp::from_unix_seconds(secs);
            prop_assert_eq!(t.to_string().parse::<Timestamp>().unwrap(), t);
        }
    }
}
