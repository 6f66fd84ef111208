//! The test environment: a temp directory with its own HOME, fixed keys, a pinned clock and hermetic
//! git, so every run of the binary is reproducible and snapshots are byte-stable.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// The pinned clock: records, commits and signatures are identical on every run.
pub const NOW: &str = "2026-11-22T10:00:00Z";

pub struct TestEnv {
    dir: TempDir,
}

/// What one run of a command produced.
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Run {
    /// stdout, stderr and the exit status in one block, with temp paths replaced, for snapshots.
    pub fn snapshot(&self) -> String {
        let mut text = self.stdout.clone();
        if !self.stderr.is_empty() {
            text.push_str("----- stderr -----\n");
            text.push_str(&self.stderr);
        }
        text.push_str(&format!("[exit status: {}]\n", self.code));
        text
    }

    #[track_caller]
    pub fn success(self) -> Run {
        assert_eq!(self.code, 0, "command failed:\n{}", self.snapshot());
        self
    }

    #[track_caller]
    pub fn failure(self, code: i32) -> Run {
        assert_eq!(self.code, code, "unexpected exit status:\n{}", self.snapshot());
        self
    }
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl TestEnv {
    pub fn new() -> TestEnv {
        let dir = tempfile::Builder::new().prefix("modelreg-test-").tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("home")).expect("home");
        TestEnv { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn home(&self) -> PathBuf {
        self.path().join("home")
    }

    /// A fixture key copied into the environment with private-key permissions; returns its path.
    pub fn key(&self, name: &str) -> PathBuf {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keys");
        let dir = self.home().join("keys");
        std::fs::create_dir_all(&dir).expect("keys dir");
        let dest = dir.join(name);
        if !dest.exists() {
            std::fs::copy(fixtures.join(name), &dest).expect("copy key");
            std::fs::copy(fixtures.join(format!("{name}.pub")), dir.join(format!("{name}.pub"))).expect("copy pub");
            set_mode(&dest, 0o600);
        }
        dest
    }

    fn hermetic(&self, command: &mut Command) {
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("LANG", "C")
            .env("CI", "true")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_DATE", NOW)
            .env("GIT_COMMITTER_DATE", NOW)
            .env("MODELREG_TIMESTAMP", NOW);
    }

    /// `modelreg ARGS` run in `dir`.
    pub fn modelreg(&self, dir: &Path, args: &[&str]) -> Run {
        self.modelreg_with(dir, args, &[])
    }

    pub fn modelreg_with(&self, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = self.command(dir, args, env);
        self.finish(command.output().expect("run modelreg"))
    }

    /// `modelreg ARGS` in `dir` with the harness's hermetic environment plus `env`, not yet started:
    /// for tests that run it in the background (to kill it, or to race several).
    pub fn command(&self, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_modelreg"));
        self.hermetic(&mut command);
        command.current_dir(dir).args(args).envs(env.iter().copied());
        command
    }

    /// `modelreg ARGS` in `dir` with a tmpfs of `size` (`1m`) mounted at `mount`: a disk that fills up.
    /// Returns the run and the files left on that disk afterwards (relative paths). The mount lives in
    /// a private user and mount namespace (`unshare -rm`), so it vanishes with the command and needs
    /// no privileges; where namespaces are unavailable the run fails with unshare's reason.
    pub fn modelreg_on_small_disk(&self, dir: &Path, mount: &Path, size: &str, args: &[&str]) -> (Run, Vec<String>) {
        const LEFT: &str = "--- left on the small disk:";
        let mut command = Command::new("unshare");
        self.hermetic(&mut command);
        let script = format!(
            r#"mount -t tmpfs -o size="$0" tmpfs "$1" || exit 99; disk=$1; shift; "$@"; rc=$?; echo "{LEFT}"; cd "$disk" && find . -type f; exit $rc"#
        );
        command.current_dir(dir).args(["-rm", "sh", "-c", &script, size]).arg(mount);
        command.arg(env!("CARGO_BIN_EXE_modelreg")).args(args);
        let mut run = self.finish(command.output().expect("run unshare (util-linux)"));
        assert_ne!(run.code, 99, "cannot mount a tmpfs in a private namespace:\n{}", run.snapshot());
        let (stdout, left) = run.stdout.split_once(LEFT).unwrap_or((&run.stdout, ""));
        let left = left.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect();
        run.stdout = stdout.to_owned();
        (run, left)
    }

    fn finish(&self, output: Output) -> Run {
        let clean = |bytes: &[u8]| {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let temp = self.path().to_string_lossy().into_owned();
            let canonical = self.path().canonicalize().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
            text.replace(&canonical, "[TEMP]").replace(&temp, "[TEMP]")
        };
        Run { stdout: clean(&output.stdout), stderr: clean(&output.stderr), code: output.status.code().unwrap_or(-1) }
    }

    /// `git ARGS` in `dir`; panics on failure and returns stdout.
    #[track_caller]
    pub fn git(&self, dir: &Path, args: &[&str]) -> String {
        let run = self.git_run(dir, args);
        assert_eq!(run.code, 0, "git {args:?} failed:\n{}", run.snapshot());
        run.stdout
    }

    pub fn git_run(&self, dir: &Path, args: &[&str]) -> Run {
        let mut command = Command::new("git");
        self.hermetic(&mut command);
        command.current_dir(dir).args(args);
        self.finish(command.output().expect("run git"))
    }

    /// A new git repository at `name` with an author configured.
    pub fn git_repo(&self, name: &str) -> PathBuf {
        let dir = self.path().join(name);
        std::fs::create_dir_all(&dir).expect("repo dir");
        self.git(&dir, &["init", "-q", "-b", "main"]);
        self.git(&dir, &["config", "user.name", "Alice"]);
        self.git(&dir, &["config", "user.email", "alice@example.com"]);
        dir
    }

    /// A registry initialised with alice's key as the first admin; returns its path.
    pub fn registry(&self) -> PathBuf {
        let dir = self.git_repo("registry");
        let alice = self.key("alice");
        self.modelreg(&dir, &["init", "--key", alice.to_str().unwrap()]).success();
        dir
    }

    /// Writes files (relative path, contents) under `name` and returns the directory.
    pub fn files(&self, name: &str, files: &[(&str, &[u8])]) -> PathBuf {
        let dir = self.path().join(name);
        for (rel, contents) in files {
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).expect("dir");
            std::fs::write(&path, contents).expect("write");
        }
        dir
    }

    /// Registers `model` from `dir` with alice's key; extra args are appended.
    pub fn register(&self, registry: &Path, model: &str, dir: &Path, extra: &[&str]) -> Run {
        let alice = self.key("alice");
        let mut args = vec!["register", model, dir.to_str().unwrap(), "--key", alice.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.modelreg(registry, &args)
    }
}

pub fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
}

/// Every file under `dir` with its bytes, sorted: compare before and after to prove nothing changed.
pub fn tree_state(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let rel = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            // The write lock is an empty file that exists to be locked, and .git/modelreg/ holds caches
            // (the last HEAD whose trust history was verified): neither is repository content.
            if rel.ends_with("modelreg.lock") || rel.starts_with(".git/modelreg/") || rel == ".git/modelreg" {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push((rel, std::fs::read(&path).unwrap_or_default()));
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Remotes, clones and pushes: the git side of the hook tests.
impl TestEnv {
    /// A bare repository at `name` (default branch `main`) with the server hook installed by
    /// `modelreg hooks install --server --git-dir`; returns its path.
    pub fn bare_remote(&self, name: &str) -> PathBuf {
        let remote = self.path().join(name);
        self.git(self.path(), &["init", "-q", "--bare", "-b", "main", remote.to_str().unwrap()]);
        self.modelreg(self.path(), &["hooks", "install", "--server", "--git-dir", remote.to_str().unwrap()]).success();
        remote
    }

    /// A bare remote with the server hook (`remote.git`), seeded with an initialised registry on `main`.
    pub fn seeded_remote(&self) -> PathBuf {
        let remote = self.bare_remote("remote.git");
        let seed = self.registry();
        self.git(&seed, &["remote", "add", "origin", remote.to_str().unwrap()]);
        self.git(&seed, &["push", "-q", "origin", "main"]);
        remote
    }

    /// A clone of `remote` at `name` whose git user is `name <name@example.com>`.
    pub fn clone_of(&self, remote: &Path, name: &str) -> PathBuf {
        let dir = self.path().join(name);
        self.git(self.path(), &["clone", "-q", remote.to_str().unwrap(), dir.to_str().unwrap()]);
        self.git(&dir, &["config", "user.name", name]);
        self.git(&dir, &["config", "user.email", &format!("{name}@example.com")]);
        dir
    }

    /// The commit `rev` names in `repo` (a clone or a bare remote).
    #[track_caller]
    pub fn rev(&self, repo: &Path, rev: &str) -> String {
        self.git(repo, &["rev-parse", rev]).trim().to_owned()
    }

    /// `git push ARGS` in `dir`. The hooks it triggers (client and server) inherit the hermetic
    /// environment and run the binary by the absolute path baked in at install. Git pads relayed
    /// `remote:` lines with spaces; they are trimmed so snapshots stay readable.
    pub fn push(&self, dir: &Path, args: &[&str]) -> Run {
        self.push_with(dir, args, &[])
    }

    /// [`TestEnv::push`] with extra environment variables (e.g. a later `MODELREG_TIMESTAMP`).
    pub fn push_with(&self, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = Command::new("git");
        self.hermetic(&mut command);
        command.current_dir(dir).arg("push").args(args);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut run = self.finish(command.output().expect("run git push"));
        run.stderr = run.stderr.lines().map(|line| format!("{}\n", line.trim_end())).collect();
        run
    }

    /// `git add -A` then `git commit -q --no-verify -m MESSAGE`: a commit that skips the
    /// client hooks, as someone bypassing them would make it.
    #[track_caller]
    pub fn commit_no_verify(&self, dir: &Path, message: &str) {
        self.git(dir, &["add", "-A"]);
        self.git(dir, &["commit", "-q", "--no-verify", "-m", message]);
    }

    /// Signs `file` with the fixture key `key` using stock `ssh-keygen -Y sign -n modelreg`, and
    /// returns the armored signature (the `.sig` that ssh-keygen writes is removed).
    pub fn ssh_sign(&self, key: &str, file: &Path) -> Vec<u8> {
        let key = self.key(key);
        let output = Command::new("ssh-keygen")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .args(["-Y", "sign", "-n", "modelreg", "-f"])
            .arg(&key)
            .arg(file)
            .output()
            .expect("ssh-keygen is installed");
        assert!(output.status.success(), "ssh-keygen -Y sign: {}", String::from_utf8_lossy(&output.stderr));
        let mut sig = file.as_os_str().to_owned();
        sig.push(".sig");
        let bytes = std::fs::read(&sig).expect("ssh-keygen wrote a signature");
        std::fs::remove_file(&sig).expect("remove ssh-keygen's .sig");
        bytes
    }
}
