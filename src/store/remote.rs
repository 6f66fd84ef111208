//! The shared store: S3, Azure Blob, GCS or a directory, through `object_store`.
//!
//! Objects live at `<prefix>/objects/<first 2 hex>/<remaining 62 hex>` of their BLAKE3 digest. They
//! are written create-only (`PutMode::Create`; an object that already exists is success once a HEAD
//! shows the recorded size), so two clones uploading the same digest at once is safe. Files above
//! [`MULTIPART_THRESHOLD`] go up in parts, several in flight; many files go up and down at once
//! (bounded, [`FILES_IN_FLIGHT`]). Every byte read back is hashed while it streams, and the caller
//! keeps the bytes only when digest and size match.
//!
//! `object_store` is async; a small tokio runtime (two workers) lives inside [`RemoteStore`] and the
//! rest of the library sees blocking calls. Credentials and endpoints come from a [`StoreEnv`] the
//! caller reads from the environment at the edge (`AWS_*`, `AZURE_*`, `GOOGLE_*`), never from the
//! repository. Without credentials, [`RemoteStore::connect`] refuses rather than let the client probe
//! a cloud metadata endpoint.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
#[cfg(feature = "remote-store")]
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, WriteMultipart};

use super::url::{Scheme, StoreUrl};
use super::{ObjectState, StoreError, io_error};
use crate::progress::Progress;
use crate::record::Digest;

/// Files at least this large are uploaded in parts.
pub const MULTIPART_THRESHOLD: u64 = 64 << 20;
/// The size of one uploaded part.
const PART_SIZE: usize = 16 << 20;
/// Parts of one file in flight at once.
const PARTS_IN_FLIGHT: usize = 4;
/// Files transferred at once (each a request or a stream).
pub const FILES_IN_FLIGHT: usize = 8;
/// HEAD requests in flight at once.
const HEADS_IN_FLIGHT: usize = 32;
/// How much of a file is read per step while uploading.
const READ_CHUNK: usize = 4 << 20;

/// The environment variables a store client may use: credentials, region, endpoint overrides. Read
/// at the CLI edge and passed in; only names starting `AWS_`, `AZURE_` or `GOOGLE_` are kept.
#[derive(Debug, Clone, Default)]
pub struct StoreEnv {
    // Only the remote backends read it; without them only `file://` stores exist.
    #[cfg_attr(not(feature = "remote-store"), allow(dead_code))]
    vars: BTreeMap<String, String>,
}

impl StoreEnv {
    /// Keeps the store-related variables of `vars` (e.g. `std::env::vars()`).
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> StoreEnv {
        let vars =
            vars.into_iter().filter(|(k, _)| ["AWS_", "AZURE_", "GOOGLE_"].iter().any(|p| k.starts_with(p))).collect();
        StoreEnv { vars }
    }

    #[cfg_attr(not(feature = "remote-store"), allow(dead_code))]
    fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    #[cfg_attr(not(feature = "remote-store"), allow(dead_code))]
    fn has_any(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.get(n).is_some())
    }

    /// The variables with `prefix`, as object_store configuration keys (lower case).
    #[cfg_attr(not(feature = "remote-store"), allow(dead_code))]
    fn config(&self, prefix: &str) -> impl Iterator<Item = (String, &str)> {
        self.vars.iter().filter(move |(k, _)| k.starts_with(prefix)).map(|(k, v)| (k.to_ascii_lowercase(), v.as_str()))
    }
}

/// What kind of failure a remote request met; the CLI turns each into its hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RemoteFailure {
    /// The endpoint did not answer (wrong host or port, no network, a timeout).
    Unreachable,
    /// The credentials were refused.
    Unauthenticated,
    /// The server refused the request (403): wrong credentials (S3 and Azure answer a bad
    /// signature this way) or too few permissions.
    PermissionDenied,
    /// The bucket, container or directory does not exist.
    NoContainer,
    /// Anything else the server answered.
    Other,
}

impl std::fmt::Display for RemoteFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RemoteFailure::Unreachable => "cannot reach the store",
            RemoteFailure::Unauthenticated => "the credentials were refused",
            RemoteFailure::PermissionDenied => "access denied (wrong credentials, or no permission for this)",
            RemoteFailure::NoContainer => "the bucket or container does not exist",
            RemoteFailure::Other => "the request failed",
        })
    }
}

/// A connection to the shared store named by a [`StoreUrl`].
pub struct RemoteStore {
    url: StoreUrl,
    store: Arc<dyn ObjectStore>,
    /// `<prefix>/objects` (or `objects` with no prefix; a `file://` store is rooted at its directory).
    objects: String,
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for RemoteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteStore").field("url", &self.url.to_string()).finish()
    }
}

impl RemoteStore {
    /// Builds a client for `url` from `env`. Makes no request; a missing credential is refused here.
    pub fn connect(url: &StoreUrl, env: &StoreEnv) -> Result<RemoteStore, StoreError> {
        let store = build(url, env)?;
        let objects = match (url.scheme(), url.prefix()) {
            (Scheme::File, _) | (_, "") => "objects".to_owned(),
            (_, prefix) => format!("{prefix}/objects"),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("modelreg-store")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Io { path: "tokio runtime".into(), source: e })?;
        Ok(RemoteStore { url: url.clone(), store, objects, runtime })
    }

    /// The store's URL.
    pub fn url(&self) -> &StoreUrl {
        &self.url
    }

    fn key(&self, digest: &Digest) -> ObjectPath {
        let hex = digest.hex();
        ObjectPath::from(format!("{}/{}/{}", self.objects, &hex[..2], &hex[2..]))
    }

    fn fail(&self, op: &str, error: object_store::Error) -> StoreError {
        remote_error(&self.url, op, error)
    }

    /// One cheap request that proves the store answers, the credentials work and the bucket exists
    /// (a HEAD of a missing object cannot tell a missing bucket from a missing object).
    pub fn probe(&self) -> Result<(), StoreError> {
        let prefix = ObjectPath::from(self.objects.as_str());
        self.runtime.block_on(async {
            match self.store.list_with_delimiter(Some(&prefix)).await {
                Ok(_) => Ok(()),
                // A 404 on listing is the missing bucket or container.
                Err(e) if http_status(&e) == Some(404) => Err(StoreError::Remote {
                    store: self.url.to_string(),
                    failure: RemoteFailure::NoContainer,
                    detail: "listing objects".into(),
                }),
                Err(e) => Err(self.fail("listing objects", e)),
            }
        })
    }

    /// The size of each object in the store (`None`: absent), by HEAD requests in parallel, after a
    /// [`RemoteStore::probe`].
    pub fn sizes(&self, digests: &[Digest]) -> Result<Vec<Option<u64>>, StoreError> {
        if digests.is_empty() {
            return Ok(Vec::new());
        }
        self.probe()?;
        self.runtime.block_on(async {
            futures_util::stream::iter(digests)
                .map(|digest| self.head(digest))
                .buffered(HEADS_IN_FLIGHT)
                .try_collect()
                .await
        })
    }

    async fn head(&self, digest: &Digest) -> Result<Option<u64>, StoreError> {
        match self.store.head(&self.key(digest)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.fail("HEAD", e)),
        }
    }

    /// Uploads each `(file, digest, size)` the store lacks; returns which were uploaded. The file is
    /// hashed again while it is read, so bytes that no longer match the digest are never stored.
    pub fn upload(&self, files: &[(&Path, Digest, u64)], progress: &dyn Progress) -> Result<Vec<bool>, StoreError> {
        if files.is_empty() {
            return Ok(Vec::new());
        }
        self.probe()?;
        self.runtime.block_on(async {
            futures_util::stream::iter(files)
                .map(|(path, digest, size)| self.upload_one(path, digest, *size, progress))
                .buffered(FILES_IN_FLIGHT)
                .try_collect()
                .await
        })
    }

    /// Replaces each `(file, digest, size)` in the store with the file's bytes, whatever is there now
    /// (damage that a size check cannot see: same size, other bytes). The file is hashed while it is
    /// read, so only bytes matching the digest are ever stored.
    pub fn replace(&self, files: &[(&Path, Digest, u64)], progress: &dyn Progress) -> Result<(), StoreError> {
        if files.is_empty() {
            return Ok(());
        }
        self.probe()?;
        self.runtime.block_on(async {
            futures_util::stream::iter(files)
                .map(|(path, digest, size)| self.put_file(path, digest, *size, PutMode::Overwrite, progress))
                .buffered(FILES_IN_FLIGHT)
                .try_collect::<Vec<bool>>()
                .await
        })?;
        Ok(())
    }

    async fn upload_one(
        &self,
        path: &Path,
        digest: &Digest,
        size: u64,
        progress: &dyn Progress,
    ) -> Result<bool, StoreError> {
        // A small file goes up in one create-only request (one round trip for a new object, which is
        // what thousands of small files need); a large one is looked for first, so bytes the store
        // has are never sent twice.
        let mode = if size < MULTIPART_THRESHOLD {
            PutMode::Create
        } else {
            match self.head(digest).await? {
                Some(found) if found == size => {
                    progress.advance(size);
                    return Ok(false);
                }
                // A truncated or otherwise wrong-sized object under this digest can only be damage:
                // the verified bytes replace it.
                Some(_) => PutMode::Overwrite,
                None => PutMode::Create,
            }
        };
        self.put_file(path, digest, size, mode, progress).await
    }

    async fn put_file(
        &self,
        path: &Path,
        digest: &Digest,
        size: u64,
        mode: PutMode,
        progress: &dyn Progress,
    ) -> Result<bool, StoreError> {
        let key = self.key(digest);
        let mut file = File::open(path).map_err(io_error(path))?;
        let mut hasher = blake3::Hasher::new();
        if size < MULTIPART_THRESHOLD {
            let mut bytes = Vec::with_capacity(size as usize);
            file.read_to_end(&mut bytes).map_err(io_error(path))?;
            hasher.update(&bytes);
            if Digest::from_hash(hasher.finalize()) != *digest || bytes.len() as u64 != size {
                return Err(StoreError::SourceChanged { path: path.into() });
            }
            let payload = PutPayload::from(bytes);
            let options = PutOptions { mode: mode.clone(), ..PutOptions::default() };
            let uploaded = match self.store.put_opts(&key, payload.clone(), options).await {
                Ok(_) => true,
                // Already there (stored earlier, or by a concurrent upload): fine with the recorded
                // size; a wrong-sized object under this digest is damage, replaced by these bytes.
                Err(object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. }) => {
                    if self.head(digest).await? == Some(size) {
                        false
                    } else {
                        let options = PutOptions { mode: PutMode::Overwrite, ..PutOptions::default() };
                        self.store.put_opts(&key, payload, options).await.map_err(|e| self.fail("upload", e))?;
                        true
                    }
                }
                Err(e) => return Err(self.fail("upload", e)),
            };
            progress.advance(size);
            return Ok(uploaded);
        }
        let upload = self.store.put_multipart(&key).await.map_err(|e| self.fail("upload", e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut buf = vec![0u8; READ_CHUNK];
        let mut sent = 0u64;
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(StoreError::Io { path: path.into(), source: e });
                }
            };
            hasher.update(&buf[..n]);
            if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                return Err(self.fail("upload", e));
            }
            writer.write(&buf[..n]);
            sent += n as u64;
            progress.advance(n as u64);
        }
        if Digest::from_hash(hasher.finalize()) != *digest || sent != size {
            let _ = writer.abort().await;
            return Err(StoreError::SourceChanged { path: path.into() });
        }
        writer.finish().await.map_err(|e| self.fail("upload", e))?;
        Ok(true)
    }

    fn corrupt(&self, digest: &Digest, size: u64, why: &str) -> StoreError {
        StoreError::Corrupt {
            name: format!("{}/{}", self.url, digest.hex()),
            expected: format!("{digest} ({size} bytes)"),
            actual: why.to_owned(),
        }
    }

    /// Downloads each `(digest, size, destination file)`, hashing while it streams; a destination
    /// whose bytes do not match is reported as [`StoreError::Corrupt`] and must be discarded by the
    /// caller (it is written only to files the caller renames after success).
    pub fn download(&self, objects: &[(Digest, u64, &Path)], progress: &dyn Progress) -> Result<(), StoreError> {
        if objects.is_empty() {
            return Ok(());
        }
        self.runtime.block_on(async {
            futures_util::stream::iter(objects)
                .map(|(digest, size, dest)| async move {
                    let mut out = File::create(dest).map_err(io_error(dest))?;
                    self.stream_verified(digest, *size, Some((&mut out, dest)), progress).await?;
                    out.sync_all().map_err(io_error(dest))
                })
                .buffer_unordered(FILES_IN_FLIGHT)
                .try_collect::<Vec<()>>()
                .await
                .map(|_| ())
        })
    }

    /// Re-reads each object in full and hashes it, writing nothing.
    pub fn verify(&self, objects: &[(Digest, u64)], progress: &dyn Progress) -> Result<Vec<ObjectState>, StoreError> {
        self.probe()?;
        self.runtime.block_on(async {
            futures_util::stream::iter(objects)
                .map(|(digest, size)| async move {
                    match self.stream_hashed(digest, *size, None, progress).await {
                        Ok((actual, read)) if actual == *digest && read == *size => Ok(ObjectState::Intact),
                        Ok((actual, read)) => Ok(ObjectState::Corrupt { actual, size: read }),
                        Err(StoreError::Missing { .. }) => Ok(ObjectState::Missing),
                        Err(e) => Err(e),
                    }
                })
                .buffered(FILES_IN_FLIGHT)
                .try_collect()
                .await
        })
    }

    async fn stream_verified(
        &self,
        digest: &Digest,
        size: u64,
        out: Option<(&mut File, &Path)>,
        progress: &dyn Progress,
    ) -> Result<(), StoreError> {
        let (actual, read) = self.stream_hashed(digest, size, out, progress).await?;
        if read != size || actual != *digest {
            let found =
                if read > size { format!("more than {size} bytes") } else { format!("{actual} ({read} bytes)") };
            return Err(self.corrupt(digest, size, &found));
        }
        Ok(())
    }

    /// Streams an object through the hasher (and into `out`), stopping once it exceeds `size`.
    async fn stream_hashed(
        &self,
        digest: &Digest,
        size: u64,
        mut out: Option<(&mut File, &Path)>,
        progress: &dyn Progress,
    ) -> Result<(Digest, u64), StoreError> {
        let result = match self.store.get(&self.key(digest)).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(StoreError::Missing { digest: *digest, store: self.url.to_string() });
            }
            Err(e) => return Err(self.fail("download", e)),
        };
        let mut stream = result.into_stream();
        let mut hasher = blake3::Hasher::new();
        let mut read = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.fail("download", e))?;
            read += chunk.len() as u64;
            // More bytes than recorded: no need to read the rest of a wrong object.
            if read > size {
                break;
            }
            hasher.update(&chunk);
            if let Some((file, path)) = out.as_mut() {
                file.write_all(&chunk).map_err(io_error(path))?;
            }
            progress.advance(chunk.len() as u64);
        }
        Ok((Digest::from_hash(hasher.finalize()), read))
    }

    /// Every object in the store, with its size and when it was last written (unix seconds); keys that
    /// are not digests are skipped.
    pub fn list(&self) -> Result<Vec<(Digest, u64, i64)>, StoreError> {
        self.probe()?;
        let prefix = ObjectPath::from(self.objects.as_str());
        self.runtime.block_on(async {
            let mut found = Vec::new();
            let mut listing = self.store.list(Some(&prefix));
            while let Some(meta) = listing.next().await {
                let meta = meta.map_err(|e| self.fail("listing objects", e))?;
                let mut parts = meta.location.parts().skip(prefix.parts().count());
                let (Some(fan), Some(rest), None) = (parts.next(), parts.next(), parts.next()) else { continue };
                if let Ok(digest) = format!("blake3:{}{}", fan.as_ref(), rest.as_ref()).parse::<Digest>() {
                    found.push((digest, meta.size, meta.last_modified.timestamp()));
                }
            }
            found.sort();
            Ok(found)
        })
    }

    /// Deletes objects (garbage collection; the caller proves no record names them).
    pub fn delete(&self, digests: &[Digest]) -> Result<(), StoreError> {
        self.runtime.block_on(async {
            futures_util::stream::iter(digests)
                .map(|digest| async move {
                    match self.store.delete(&self.key(digest)).await {
                        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                        Err(e) => Err(self.fail("delete", e)),
                    }
                })
                .buffer_unordered(FILES_IN_FLIGHT)
                .try_collect::<Vec<()>>()
                .await
                .map(|_| ())
        })
    }
}

/// Sorts an object_store error into what the user can act on: the HTTP status (401/403/404) when the
/// server answered, a connection failure when it did not.
fn remote_error(url: &StoreUrl, op: &str, error: object_store::Error) -> StoreError {
    let failure = match http_status(&error) {
        Some(401) => RemoteFailure::Unauthenticated,
        Some(403) => RemoteFailure::PermissionDenied,
        _ if connect_failure(&error) => RemoteFailure::Unreachable,
        _ => RemoteFailure::Other,
    };
    // Server bodies (XML) span lines; the message stays one line.
    let detail = match failure {
        RemoteFailure::Unreachable => op.to_owned(),
        _ => {
            let text = error.to_string();
            let flat: Vec<&str> = text.split_whitespace().collect();
            let mut flat = flat.join(" ");
            if flat.len() > 300 {
                flat.truncate(flat.char_indices().nth(300).map_or(flat.len(), |(i, _)| i));
                flat.push('…');
            }
            format!("{op}: {flat}")
        }
    };
    StoreError::Remote { store: url.to_string(), failure, detail }
}

/// The HTTP status a request failed with. object_store types 401/403/404 for object requests but
/// reports a failed listing as a generic error whose status is not exposed as a type (its retry
/// error is private), so for those the status is read from the error's fixed "status code: N" text.
fn http_status(error: &object_store::Error) -> Option<u16> {
    match error {
        object_store::Error::NotFound { .. } => Some(404),
        object_store::Error::PermissionDenied { .. } => Some(403),
        object_store::Error::Unauthenticated { .. } => Some(401),
        object_store::Error::Generic { .. } => {
            let text = error.to_string();
            let at = text.find("status code: ")? + "status code: ".len();
            text.get(at..at + 3)?.parse().ok()
        }
        _ => None,
    }
}

/// Without the remote backends there is no HTTP client, so no connection to fail.
#[cfg(not(feature = "remote-store"))]
fn connect_failure(_: &object_store::Error) -> bool {
    false
}

#[cfg(feature = "remote-store")]
fn connect_failure(error: &object_store::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(http) = e.downcast_ref::<object_store::client::HttpError>() {
            return matches!(
                http.kind(),
                object_store::client::HttpErrorKind::Connect | object_store::client::HttpErrorKind::Timeout
            );
        }
        source = e.source();
    }
    false
}

#[cfg(feature = "remote-store")]
fn client_options() -> object_store::ClientOptions {
    object_store::ClientOptions::new()
        .with_connect_timeout(Duration::from_secs(5))
        .with_timeout(Duration::from_secs(300))
}

#[cfg(feature = "remote-store")]
fn retry() -> object_store::RetryConfig {
    object_store::RetryConfig {
        backoff: object_store::BackoffConfig::default(),
        max_retries: 3,
        retry_timeout: Duration::from_secs(30),
    }
}

#[cfg(feature = "remote-store")]
fn no_credentials(url: &StoreUrl, needed: &str) -> StoreError {
    StoreError::NoCredentials { store: url.to_string(), needed: needed.to_owned() }
}

fn bad_config(url: &StoreUrl, error: object_store::Error) -> StoreError {
    StoreError::Remote {
        store: url.to_string(),
        failure: RemoteFailure::Other,
        detail: format!("configuration: {error}"),
    }
}

#[cfg(feature = "remote-store")]
fn build(url: &StoreUrl, env: &StoreEnv) -> Result<Arc<dyn ObjectStore>, StoreError> {
    match url.scheme() {
        Scheme::File => build_file(url),
        Scheme::S3 => {
            use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
            let credentialed = env.has_any(&[
                "AWS_ACCESS_KEY_ID",
                "AWS_WEB_IDENTITY_TOKEN_FILE",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            ]) || env.get("AWS_SKIP_SIGNATURE") == Some("true");
            if !credentialed {
                return Err(no_credentials(url, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"));
            }
            // Client options first: the environment may adjust them (e.g. `*_ALLOW_HTTP`).
            let mut builder = AmazonS3Builder::new().with_client_options(client_options()).with_retry(retry());
            for (key, value) in env.config("AWS_") {
                if let Ok(key) = key.parse::<AmazonS3ConfigKey>() {
                    builder = builder.with_config(key, value);
                }
            }
            let store = builder.with_bucket_name(url.container()).build().map_err(|e| bad_config(url, e))?;
            Ok(Arc::new(store))
        }
        Scheme::Azure => {
            use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
            let credentialed = env.get("AZURE_STORAGE_USE_EMULATOR") == Some("true")
                || env.has_any(&[
                    "AZURE_STORAGE_ACCOUNT_KEY",
                    "AZURE_STORAGE_ACCESS_KEY",
                    "AZURE_STORAGE_MASTER_KEY",
                    "AZURE_STORAGE_SAS_KEY",
                    "AZURE_STORAGE_SAS_TOKEN",
                    "AZURE_STORAGE_TOKEN",
                    "AZURE_CLIENT_SECRET",
                    "AZURE_FEDERATED_TOKEN_FILE",
                    "AZURE_USE_AZURE_CLI",
                ]);
            if !credentialed {
                return Err(no_credentials(
                    url,
                    "AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY (or a SAS token)",
                ));
            }
            // Client options first: the environment may adjust them (e.g. `*_ALLOW_HTTP`).
            let mut builder = MicrosoftAzureBuilder::new().with_client_options(client_options()).with_retry(retry());
            for (key, value) in env.config("AZURE_") {
                if let Ok(key) = key.parse::<AzureConfigKey>() {
                    builder = builder.with_config(key, value);
                }
            }
            let store = builder.with_container_name(url.container()).build().map_err(|e| bad_config(url, e))?;
            Ok(Arc::new(store))
        }
        Scheme::Gcs => {
            use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
            let credentialed = env.has_any(&[
                "GOOGLE_SERVICE_ACCOUNT",
                "GOOGLE_SERVICE_ACCOUNT_PATH",
                "GOOGLE_SERVICE_ACCOUNT_KEY",
                "GOOGLE_APPLICATION_CREDENTIALS",
            ]) || env.get("GOOGLE_SKIP_SIGNATURE") == Some("true");
            if !credentialed {
                return Err(no_credentials(url, "GOOGLE_APPLICATION_CREDENTIALS (a service account key file)"));
            }
            // Client options first: the environment may adjust them (e.g. `*_ALLOW_HTTP`).
            let mut builder =
                GoogleCloudStorageBuilder::new().with_client_options(client_options()).with_retry(retry());
            for (key, value) in env.config("GOOGLE_") {
                if let Ok(key) = key.parse::<GoogleConfigKey>() {
                    builder = builder.with_config(key, value);
                }
            }
            let store = builder.with_bucket_name(url.container()).build().map_err(|e| bad_config(url, e))?;
            Ok(Arc::new(store))
        }
    }
}

#[cfg(not(feature = "remote-store"))]
fn build(url: &StoreUrl, _env: &StoreEnv) -> Result<Arc<dyn ObjectStore>, StoreError> {
    match url.scheme() {
        Scheme::File => build_file(url),
        _ => Err(StoreError::Unsupported { store: url.to_string() }),
    }
}

fn build_file(url: &StoreUrl) -> Result<Arc<dyn ObjectStore>, StoreError> {
    let dir = url.directory().expect("a file:// URL has a directory");
    if !dir.is_dir() {
        return Err(StoreError::Remote {
            store: url.to_string(),
            failure: RemoteFailure::NoContainer,
            detail: format!("{} is not a directory", dir.display()),
        });
    }
    let store = object_store::local::LocalFileSystem::new_with_prefix(&dir).map_err(|e| bad_config(url, e))?;
    Ok(Arc::new(store.with_automatic_cleanup(true)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> StoreEnv {
        StoreEnv::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn keeps_only_store_variables() {
        let env = env(&[("AWS_REGION", "eu-west-1"), ("HOME", "/root"), ("GOOGLE_X", "y"), ("AZURE_Z", "w")]);
        assert_eq!(env.vars.keys().collect::<Vec<_>>(), ["AWS_REGION", "AZURE_Z", "GOOGLE_X"]);
    }

    #[test]
    fn refuses_every_cloud_backend_without_credentials() {
        for (url, needed) in [
            ("s3://bucket/p", "AWS_ACCESS_KEY_ID"),
            ("az://container/p", "AZURE_STORAGE_ACCOUNT_KEY"),
            ("gs://bucket/p", "GOOGLE_APPLICATION_CREDENTIALS"),
        ] {
            let err = RemoteStore::connect(&url.parse().unwrap(), &env(&[("AWS_REGION", "us-east-1")])).unwrap_err();
            assert!(matches!(&err, StoreError::NoCredentials { needed: n, .. } if n.contains(needed)), "{url}: {err}");
        }
    }

    /// No GCS emulator here accepts object_store's uploads, so GCS is covered by configuration: with
    /// the environment's say-so (here an anonymous client, as for a public bucket) a client is built
    /// without any request, and keys land under the URL's prefix.
    #[test]
    fn gcs_builds_from_the_environment() {
        let url: StoreUrl = "gs://models/registry".parse().unwrap();
        let store = RemoteStore::connect(&url, &env(&[("GOOGLE_SKIP_SIGNATURE", "true")])).unwrap();
        assert_eq!(store.url().to_string(), "gs://models/registry");
        let key = store.key(&Digest::of_bytes(b"x"));
        assert_eq!(key.as_ref().split('/').take(2).collect::<Vec<_>>(), ["registry", "objects"]);
    }

    #[test]
    fn a_file_store_must_exist() {
        let err = RemoteStore::connect(&"file:///no/such/dir".parse().unwrap(), &StoreEnv::default()).unwrap_err();
        assert!(matches!(err, StoreError::Remote { failure: RemoteFailure::NoContainer, .. }), "{err}");
    }
}
