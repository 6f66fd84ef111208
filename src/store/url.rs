//! `[store] url`: where a registry's shared artifact store is, parsed once into a validated type.
//!
//! Four schemes, each a container (bucket, Azure container, directory) and an optional key prefix:
//! `s3://bucket/prefix`, `az://container/prefix`, `gs://bucket/prefix` and `file:///absolute/path`.
//! Nothing else is accepted: no credentials, query strings or fragments (credentials come only from
//! the environment, never from the signed configuration), no `..` or empty segments in a prefix.

use std::fmt;
use std::path::PathBuf;

/// The kind of backend a [`StoreUrl`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Amazon S3 or an S3-compatible server (`s3://`).
    S3,
    /// Azure Blob Storage (`az://`).
    Azure,
    /// Google Cloud Storage (`gs://`).
    Gcs,
    /// A directory on this machine or a shared mount (`file://`).
    File,
}

/// A validated store URL. Displayed exactly as written in `modelreg.toml` (normalised: no trailing
/// slash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreUrl {
    scheme: Scheme,
    /// Bucket or container; empty for `file://`.
    container: String,
    /// Key prefix inside the container (no leading or trailing `/`), or the absolute directory for
    /// `file://`.
    prefix: String,
}

/// Why a store URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("store.url `{url}`: {why}")]
pub struct UrlError {
    /// The URL as given.
    pub url: String,
    /// What is wrong with it.
    pub why: String,
}

impl StoreUrl {
    /// The backend.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The bucket or container (empty for `file://`).
    pub fn container(&self) -> &str {
        &self.container
    }

    /// The key prefix inside the container (`""` for none); for `file://`, the directory.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The directory of a `file://` store.
    pub fn directory(&self) -> Option<PathBuf> {
        (self.scheme == Scheme::File).then(|| PathBuf::from(&self.prefix))
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scheme {
            Scheme::File => write!(f, "file://{}", self.prefix),
            scheme => {
                let name = match scheme {
                    Scheme::S3 => "s3",
                    Scheme::Azure => "az",
                    _ => "gs",
                };
                write!(f, "{name}://{}", self.container)?;
                if !self.prefix.is_empty() {
                    write!(f, "/{}", self.prefix)?;
                }
                Ok(())
            }
        }
    }
}

impl std::str::FromStr for StoreUrl {
    type Err = UrlError;

    fn from_str(text: &str) -> Result<StoreUrl, UrlError> {
        let refuse = |why: &str| UrlError { url: text.to_owned(), why: why.to_owned() };
        let (scheme_text, rest) =
            text.split_once("://").ok_or_else(|| refuse("expected s3://, az://, gs:// or file://"))?;
        let scheme = match scheme_text {
            "s3" => Scheme::S3,
            "az" => Scheme::Azure,
            "gs" => Scheme::Gcs,
            "file" => Scheme::File,
            _ => return Err(refuse("the scheme must be s3, az, gs or file")),
        };
        if rest.contains(['?', '#', '@', '\\']) || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(refuse("no credentials, query, fragment, backslash or whitespace may appear in it"));
        }
        let rest = rest.trim_end_matches('/');
        if scheme == Scheme::File {
            if !rest.starts_with('/') {
                return Err(refuse("a file:// URL names an absolute directory, e.g. file:///mnt/models"));
            }
            check_segments(&rest[1..]).map_err(|why| refuse(&why))?;
            return Ok(StoreUrl { scheme, container: String::new(), prefix: rest.to_owned() });
        }
        let (container, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_container = !container.is_empty()
            && container.len() <= 63
            && container.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && !container.starts_with(['-', '.']);
        if !valid_container {
            return Err(refuse("the bucket or container is 1-63 of a-z 0-9 . - (e.g. s3://ml-models/registry)"));
        }
        check_segments(prefix).map_err(|why| refuse(&why))?;
        Ok(StoreUrl { scheme, container: container.to_owned(), prefix: prefix.to_owned() })
    }
}

fn check_segments(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Ok(());
    }
    for segment in path.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err("the path has an empty, `.` or `..` segment".into());
        }
    }
    Ok(())
}

impl serde::Serialize for StoreUrl {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for StoreUrl {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<StoreUrl, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_scheme_and_round_trips() {
        for (text, scheme, container, prefix) in [
            ("s3://ml-models/registry", Scheme::S3, "ml-models", "registry"),
            ("s3://ml-models", Scheme::S3, "ml-models", ""),
            ("az://models/team/a", Scheme::Azure, "models", "team/a"),
            ("gs://bucket.example/p", Scheme::Gcs, "bucket.example", "p"),
            ("file:///mnt/models", Scheme::File, "", "/mnt/models"),
        ] {
            let url: StoreUrl = text.parse().unwrap();
            assert_eq!((url.scheme(), url.container(), url.prefix()), (scheme, container, prefix));
            assert_eq!(url.to_string(), text);
        }
        assert_eq!("s3://b/p/".parse::<StoreUrl>().unwrap().to_string(), "s3://b/p");
        assert_eq!("gs://bucket/x".parse::<StoreUrl>().unwrap().scheme(), Scheme::Gcs);
    }

    #[test]
    fn refuses_credentials_and_odd_paths() {
        for bad in [
            "http://host/x",
            "s3:/bucket",
            "s3://",
            "s3://Bucket/x",
            "s3://key:secret@bucket/x",
            "s3://bucket/a?x=1",
            "s3://bucket/a/../b",
            "s3://bucket//b",
            "file://relative/dir",
            "file:///a/./b",
            "az://-x/y",
        ] {
            assert!(bad.parse::<StoreUrl>().is_err(), "{bad} was accepted");
        }
    }
}
