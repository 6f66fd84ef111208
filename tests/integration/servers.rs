//! Real object-store servers for the shared-store tests: moto (S3) and Azurite (Azure Blob), each
//! started on 127.0.0.1 at a free port and killed when the handle drops.
//!
//! Where the binaries are: `MODELREG_TEST_MOTO` (moto_server), `MODELREG_TEST_AZURITE` (azurite-blob)
//! and `MODELREG_TEST_PYTHON` (a python with azure-storage-blob, for creating containers), else the
//! project-local installs `.ci/run` makes (`.venv-test/`, `.ci/node/`), else PATH. A server that is
//! missing or does not start fails the test with the reason: these tests never skip.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Azurite account and its well-known key (public, in Azurite's documentation).
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

fn locate(var: &str, local: &str, name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(var) {
        return PathBuf::from(path);
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join(local);
    if local.exists() {
        return local;
    }
    let on_path = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join(name)).find(|p| p.is_file()));
    on_path.unwrap_or_else(|| {
        panic!(
            "{name} is not installed: run .ci/test-servers (or set {var}); the shared-store tests need the real server"
        )
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind a free port").local_addr().expect("local addr").port()
}

/// A running server process.
pub struct Server {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(program: &Path, args: &[String], port: u16, log: PathBuf) -> Server {
        let out = std::fs::File::create(&log).expect("server log");
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log"))
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let mut server = Server { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("{} exited ({status}) before listening:\n{}", program.display(), server.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "{} did not listen on {port}:\n{}",
                program.display(),
                server.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// moto's S3 server with one bucket.
pub struct Moto {
    pub server: Server,
    pub bucket: String,
}

impl Moto {
    pub fn start(dir: &Path, bucket: &str) -> Moto {
        let program = locate("MODELREG_TEST_MOTO", ".venv-test/bin/moto_server", "moto_server");
        let port = free_port();
        let args = ["-H".to_owned(), "127.0.0.1".to_owned(), "-p".to_owned(), port.to_string()];
        let server = Server::start(&program, &args, port, dir.join(format!("moto-{port}.log")));
        let moto = Moto { server, bucket: bucket.to_owned() };
        let (status, body) = moto.http("PUT", &format!("/{bucket}"), b"");
        assert!(status == 200, "creating bucket {bucket}: {status} {body}");
        moto
    }

    /// The environment a modelreg command needs to reach this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ENDPOINT_URL", self.server.endpoint()),
            ("AWS_ALLOW_HTTP", "true".into()),
        ]
    }

    /// A plain HTTP request (moto accepts unsigned ones): the way a test creates buckets and
    /// damages objects behind modelreg's back. Returns (status, body).
    pub fn http(&self, method: &str, path: &str, body: &[u8]) -> (u16, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.server.port)).expect("connect to moto");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.server.port,
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        (status, text)
    }

    /// Replaces the object at `key` (inside the bucket) with `bytes`, through boto3 (moto's own
    /// dependency) as any S3 client would.
    pub fn overwrite(&self, key: &str, bytes: &[u8]) {
        let body: Vec<String> = bytes.iter().map(u8::to_string).collect();
        self.python(&format!("s3.put_object(Bucket={:?}, Key={key:?}, Body=bytes([{}]))", self.bucket, body.join(",")));
    }

    /// Whether an object exists at `key`.
    pub fn exists(&self, key: &str) -> bool {
        let code = format!(
            "try:\n    s3.head_object(Bucket={:?}, Key={key:?})\nexcept Exception:\n    sys.exit(3)",
            self.bucket
        );
        self.python_status(&code) == Some(0)
    }

    fn python_status(&self, code: &str) -> Option<i32> {
        let python = locate("MODELREG_TEST_PYTHON", ".venv-test/bin/python", "python3");
        let script = format!(
            "import sys, boto3\ns3 = boto3.client('s3', endpoint_url={:?}, aws_access_key_id='testing', aws_secret_access_key='testing', region_name='us-east-1')\n{code}\n",
            self.server.endpoint()
        );
        let output = Command::new(&python).arg("-c").arg(&script).output().expect("run python");
        if !matches!(output.status.code(), Some(0) | Some(3)) {
            panic!("python (boto3) failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        output.status.code()
    }

    fn python(&self, code: &str) {
        assert_eq!(self.python_status(code), Some(0), "python (boto3): {code}");
    }
}

/// Azurite's blob service with one container.
pub struct Azurite {
    pub server: Server,
}

impl Azurite {
    pub fn start(dir: &Path, container: &str) -> Azurite {
        let program = locate("MODELREG_TEST_AZURITE", ".ci/node/node_modules/.bin/azurite-blob", "azurite-blob");
        let port = free_port();
        let args: Vec<String> = [
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            &port.to_string(),
            "--inMemoryPersistence",
            "--disableTelemetry",
            "--loose",
            // The Python SDK the tests create containers with may speak a newer API version.
            "--skipApiVersionCheck",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let server = Server::start(&program, &args, port, dir.join(format!("azurite-{port}.log")));
        let azurite = Azurite { server };
        azurite.python(&format!("service.create_container({container:?})"));
        azurite
    }

    /// The environment a modelreg command needs to reach this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![("AZURE_STORAGE_USE_EMULATOR", "true".into()), ("AZURITE_BLOB_STORAGE_URL", self.server.endpoint())]
    }

    /// Runs Python with `service`, a BlobServiceClient for this server.
    pub fn python(&self, code: &str) {
        let python = locate("MODELREG_TEST_PYTHON", ".venv-test/bin/python", "python3");
        let connection = format!(
            "DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};BlobEndpoint={}/{AZURITE_ACCOUNT};",
            self.server.endpoint()
        );
        let script = format!(
            "import sys\nfrom azure.storage.blob import BlobServiceClient\nservice = BlobServiceClient.from_connection_string({connection:?})\n{code}\n"
        );
        let output = Command::new(&python).arg("-c").arg(&script).output().expect("run python");
        assert!(
            output.status.success(),
            "python (azure-storage-blob) failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
