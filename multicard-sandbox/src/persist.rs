//! A sandbox that outlives its process: what it holds, kept in a state file
//! ([`SandboxConfig::state_file`](crate::SandboxConfig::state_file)).
//!
//! The file is JSON, `{"format": 1, "saved_by": "multicard-sandbox 0.1.0",
//! "world": {...}}`: the world as its types write themselves (`world/`),
//! its clock's time (`clock.rs`) and what is scheduled (`world/schedule.rs`).
//! A format this code does not read is refused, never guessed at.
//!
//! Loading: a missing file starts an empty sandbox (and writes the file at
//! once, so a folder that cannot be written to stops the start); a file
//! that cannot be read, is not JSON, is of another format or does not
//! decode stops the start with a [`StateFileError`] naming the file and
//! the place (line and column), and is never written over. A file written
//! by a sandbox on another URL has the links that sandbox wrote (checkout,
//! receipts, app pages) rewritten to the new URL. How the sandbox behaves
//! (the clock's mode and offset, stale reads, the registries' lag, limits)
//! comes from its configuration, not from the file.
//!
//! Saving ([`Keeper`]): every change counts (`Keeper::touch`); a task the
//! sandbox runs writes the file within a second of a change, and the
//! sandbox writes it when it stops. Each write is whole: a temporary file
//! in the same folder, synced, then renamed over the file, so a crash
//! leaves the old file or the new one, never half of one.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::SandboxConfig;
use crate::world::World;

/// The format of the state files this code writes and reads.
pub(crate) const FORMAT: u64 = 1;

/// Why a state file cannot be used. The file is left as it is.
#[derive(Debug)]
#[non_exhaustive]
pub enum StateFileError {
    /// The file exists but cannot be read.
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The file is not JSON, or not a state file's JSON.
    Invalid {
        /// The file.
        path: PathBuf,
        /// Where (1-based; 0 when the place is not known).
        line: usize,
        /// Where on that line.
        column: usize,
        /// What is wrong there.
        reason: String,
    },
    /// The file is a state file of a format this sandbox does not read.
    Format {
        /// The file.
        path: PathBuf,
        /// Its `format`, as written (`null` when it has none).
        found: String,
    },
    /// The file cannot be written.
    Unwritable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

impl std::fmt::Display for StateFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateFileError::Unreadable { path, source } => {
                write!(f, "the sandbox state file {} cannot be read: {source}", path.display())
            }
            StateFileError::Invalid { path, line, column, reason } => {
                write!(f, "the sandbox state file {} is not a state file", path.display())?;
                if *line > 0 {
                    write!(f, " (line {line}, column {column})")?;
                }
                write!(f, ": {reason}; it was left as it is (move it away to start an empty sandbox)")
            }
            StateFileError::Format { path, found } => write!(
                f,
                "the sandbox state file {} is of format {found}, and this sandbox reads format {FORMAT}; it was \
                 left as it is (a sandbox of the version that wrote it reads it; move it away to start an empty one)",
                path.display()
            ),
            StateFileError::Unwritable { path, source } => {
                write!(f, "the sandbox state file {} cannot be written: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for StateFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StateFileError::Unreadable { source, .. } | StateFileError::Unwritable { source, .. } => Some(source),
            StateFileError::Invalid { .. } | StateFileError::Format { .. } => None,
        }
    }
}

impl From<StateFileError> for io::Error {
    fn from(error: StateFileError) -> Self {
        let kind = match &error {
            StateFileError::Unreadable { source, .. } | StateFileError::Unwritable { source, .. } => source.kind(),
            StateFileError::Invalid { .. } | StateFileError::Format { .. } => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, error)
    }
}

/// The start of a state file: its format, read before anything else.
#[derive(Deserialize)]
struct Head {
    #[serde(default)]
    format: Value,
}

/// A state file as it is read.
#[derive(Deserialize)]
struct Stored {
    world: World,
}

/// A state file as it is written.
#[derive(Serialize)]
struct Saving<'a> {
    format: u64,
    saved_by: &'static str,
    world: &'a World,
}

/// The world kept in `path`, ready to serve on `base_url` with `config`;
/// `None` when there is no such file.
pub(crate) fn load(path: &Path, base_url: &str, config: &SandboxConfig) -> Result<Option<World>, StateFileError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StateFileError::Unreadable { path: path.into(), source }),
    };
    let invalid = |error: serde_json::Error| StateFileError::Invalid {
        path: path.into(),
        line: error.line(),
        column: error.column(),
        reason: error.to_string(),
    };
    let head: Head = serde_json::from_slice(&bytes).map_err(invalid)?;
    if head.format.as_u64() != Some(FORMAT) {
        return Err(StateFileError::Format { path: path.into(), found: head.format.to_string() });
    }
    let mut world = serde_json::from_slice::<Stored>(&bytes).map_err(invalid)?.world;
    if world.base_url != base_url {
        world = rebased(&world, base_url).map_err(|error| StateFileError::Invalid {
            path: path.into(),
            line: 0,
            column: 0,
            reason: format!("its links could not be moved to {base_url}: {error}"),
        })?;
    }
    let fresh = World::new(base_url, config);
    world.clock.configure(config.real_time, config.clock_offset);
    world.tokens.max = fresh.tokens.max;
    world.deliveries.max = fresh.deliveries.max;
    world.set_stale_reads(config.stale_reads);
    world.replica.registry_lag = config.registry_lag;
    Ok(Some(world))
}

/// `world` with every link to its old URL (a string that is the URL, or
/// starts with it and a `/`) pointing to `base_url` instead.
fn rebased(world: &World, base_url: &str) -> serde_json::Result<World> {
    let old = world.base_url.clone();
    let mut value = serde_json::to_value(world)?;
    relink(&mut value, &old, base_url);
    serde_json::from_value(value)
}

fn relink(value: &mut Value, old: &str, new: &str) {
    match value {
        Value::String(text) => {
            if let Some(rest) = text.strip_prefix(old).filter(|rest| rest.is_empty() || rest.starts_with('/')) {
                *text = format!("{new}{rest}");
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| relink(item, old, new)),
        Value::Object(fields) => fields.values_mut().for_each(|field| relink(field, old, new)),
        _ => {}
    }
}

/// `world` as a state file holds it.
fn snapshot(world: &World) -> serde_json::Result<Vec<u8>> {
    let saved_by = concat!("multicard-sandbox ", env!("CARGO_PKG_VERSION"));
    let mut bytes = serde_json::to_vec(&Saving { format: FORMAT, saved_by, world })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Writes `bytes` to `path` whole: a temporary file in the same folder
/// (readable by its owner only), synced, renamed over `path`, and the
/// folder synced.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| io::Error::other("the path names no file"))?;
    let temporary = folder.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let written = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written?;
    // The rename itself reaches the disk with the folder (where this works).
    if let Ok(folder) = File::open(folder) {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// Keeps a sandbox's state file up to date: counts changes, writes the
/// world when it changed since the last write, and remembers why the last
/// write failed.
#[derive(Debug)]
pub(crate) struct Keeper {
    path: Option<PathBuf>,
    /// Changes made so far.
    changes: AtomicU64,
    /// The count of changes the file holds; held while writing.
    written: tokio::sync::Mutex<u64>,
    /// Why the last write failed (`None` once one succeeds).
    problem: Mutex<Option<String>>,
}

impl Keeper {
    /// A keeper of `path` (`None`: nothing is kept).
    pub(crate) fn new(path: Option<PathBuf>) -> Self {
        Self { path, changes: AtomicU64::new(0), written: tokio::sync::Mutex::new(0), problem: Mutex::new(None) }
    }

    /// Whether it keeps a file.
    pub(crate) fn keeps(&self) -> bool {
        self.path.is_some()
    }

    /// Something the file holds changed.
    pub(crate) fn touch(&self) {
        self.changes.fetch_add(1, Ordering::SeqCst);
    }

    /// Why the last write failed, if it did.
    pub(crate) fn problem(&self) -> Option<String> {
        self.problem.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Writes `world` to the file now, whatever changed (at start).
    pub(crate) fn write_now(&self, world: &World) -> Result<(), StateFileError> {
        let Some(path) = &self.path else { return Ok(()) };
        let bytes = snapshot(world).map_err(|e| StateFileError::Unwritable { path: path.clone(), source: e.into() })?;
        write(path, &bytes).map_err(|source| StateFileError::Unwritable { path: path.clone(), source })
    }

    /// Writes the world to the file if it changed since the last write.
    pub(crate) async fn save(&self, world: &Mutex<World>) -> Result<(), StateFileError> {
        let Some(path) = &self.path else { return Ok(()) };
        let mut written = self.written.lock().await;
        let changes = self.changes.load(Ordering::SeqCst);
        if changes == *written {
            return Ok(());
        }
        let unwritable = |source: io::Error| StateFileError::Unwritable { path: path.clone(), source };
        let bytes = snapshot(&world.lock().unwrap_or_else(|p| p.into_inner())).map_err(|e| unwritable(e.into()));
        let result = match bytes {
            Ok(bytes) => {
                let target = path.clone();
                match tokio::task::spawn_blocking(move || write(&target, &bytes)).await {
                    Ok(result) => result.map_err(unwritable),
                    Err(joined) => Err(unwritable(io::Error::other(joined.to_string()))),
                }
            }
            Err(error) => Err(error),
        };
        self.record(&result);
        if result.is_ok() {
            *written = changes;
        }
        result
    }

    /// [`Keeper::save`] without a runtime (when the sandbox is dropped);
    /// skipped while another write is under way.
    pub(crate) fn save_blocking(&self, world: &Mutex<World>) {
        let Some(path) = &self.path else { return };
        let Ok(mut written) = self.written.try_lock() else { return };
        let changes = self.changes.load(Ordering::SeqCst);
        if changes == *written {
            return;
        }
        let bytes = snapshot(&world.lock().unwrap_or_else(|p| p.into_inner())).map_err(io::Error::from);
        let result = bytes
            .and_then(|bytes| write(path, &bytes))
            .map_err(|source| StateFileError::Unwritable { path: path.clone(), source });
        self.record(&result);
        if result.is_ok() {
            *written = changes;
        }
    }

    fn record(&self, result: &Result<(), StateFileError>) {
        let problem = result.as_ref().err().map(ToString::to_string);
        if let Some(problem) = &problem {
            tracing::error!("{problem}");
        }
        *self.problem.lock().unwrap_or_else(|p| p.into_inner()) = problem;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("multicard-persist-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir.join("state.json")
    }

    #[test]
    fn links_to_the_old_url_move_and_nothing_else_does() {
        let mut value = serde_json::json!({"a": "http://127.0.0.1:1/sandbox/receipt/u", "b": ["http://127.0.0.1:1"],
            "c": "http://127.0.0.1:12/x", "d": "see http://127.0.0.1:1/x"});
        relink(&mut value, "http://127.0.0.1:1", "http://127.0.0.1:2");
        assert_eq!(
            value,
            serde_json::json!({"a": "http://127.0.0.1:2/sandbox/receipt/u", "b": ["http://127.0.0.1:2"],
                "c": "http://127.0.0.1:12/x", "d": "see http://127.0.0.1:1/x"})
        );
    }

    #[test]
    fn a_file_that_is_not_a_state_file_is_refused_with_its_place_and_left_as_it_is() {
        let config = SandboxConfig::default();
        let path = scratch("bad");
        for (text, expected) in [
            ("{\"format\": 1,\n  \"world\": {\"base_url\": 5", "line 2, column"),
            ("{\"format\": 2, \"world\": {}}", "of format 2, and this sandbox reads format 1"),
            ("{\"world\": {}}", "of format null"),
            ("", "line 1, column 0"),
            ("{\"format\": 1, \"world\": {\"base_url\": \"x\"}}", "missing field"),
        ] {
            fs::write(&path, text).unwrap();
            let error = load(&path, "http://127.0.0.1:1", &config).err().expect(text).to_string();
            assert!(error.contains(expected) && error.contains(&path.display().to_string()), "{text}: {error}");
            assert_eq!(fs::read_to_string(&path).unwrap(), text, "left as it is");
        }
    }

    #[test]
    fn a_world_written_and_read_again_is_the_same_and_no_temporary_file_stays() {
        let config = SandboxConfig::default();
        let path = scratch("round");
        assert!(load(&path, "http://127.0.0.1:1", &config).unwrap().is_none(), "no file: nothing to load");
        let mut world = World::new("http://127.0.0.1:1", &config);
        let id = world.id();
        Keeper::new(Some(path.clone())).write_now(&world).unwrap();
        let loaded = load(&path, "http://127.0.0.1:1", &config).unwrap().expect("a world");
        let without_clock = |world: &World| {
            let mut value = serde_json::to_value(world).unwrap();
            value.as_object_mut().unwrap().remove("clock");
            value
        };
        assert_eq!(without_clock(&loaded), without_clock(&world));
        world = loaded;
        assert_eq!(world.id(), id + 1, "the id sequence goes on");
        let names: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, [std::ffi::OsString::from("state.json")]);
    }
}
