//! The quarantine file: one JSON object per rejected record, with file, line, field, value
//! and reason.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::normalize::Rejection;

pub struct Quarantine {
    path: PathBuf,
    writer: BufWriter<File>,
}

impl Quarantine {
    /// Starts a new quarantine file at `path`, replacing an older one: each run reads the
    /// folder from the start, so it rejects the same records again.
    pub fn create(path: &Path) -> std::io::Result<Quarantine> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let file =
            owner_only(OpenOptions::new().create(true).write(true).truncate(true)).open(path)?;
        Ok(Quarantine {
            path: path.to_path_buf(),
            writer: BufWriter::new(file),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn write(&mut self, rejections: &[Rejection]) -> std::io::Result<()> {
        for rejection in rejections {
            serde_json::to_writer(&mut self.writer, rejection)?;
            self.writer.write_all(b"\n")?;
        }
        self.writer.flush()
    }
}

/// Sets owner-only permissions on files csmon creates, because they hold customer data.
pub fn owner_only(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600)
    }
    #[cfg(not(unix))]
    {
        options
    }
}
