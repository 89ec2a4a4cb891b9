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
    /// Opens the quarantine file at `path`: appended to with `append`, else replaced.
    pub fn create(path: &Path, append: bool) -> std::io::Result<Quarantine> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut options = OpenOptions::new();
        options.create(true);
        if append {
            options.append(true);
        } else {
            options.write(true).truncate(true);
        }
        let file = owner_only(&mut options).open(path)?;
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
