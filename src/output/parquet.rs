//! Parquet output: one row per event, the columns named with their sysdig field names, the
//! values taken from replay's field registry (process, fd, user and container context
//! resolved as `casefile read` shows them).
//!
//! The schema is documented, with its version, in `docs/parquet-schema.md`; the version is
//! stored in each file's key-value metadata under [`SCHEMA_VERSION_KEY`]. Columns are only
//! ever added at the end (and the version raised); a column never changes name or type.
//!
//! Files are `part-00000.parquet`, `part-00001.parquet`, ... in one directory, zstd-compressed,
//! with dictionary encoding for every column (Parquet falls back to plain encoding for a
//! column chunk whose dictionary grows too large, e.g. `fd.name` with many distinct paths),
//! and row groups of [`ParquetOptions::row_group_rows`] rows.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::thread;

use arrow_array::builder::{
    BinaryBuilder, BooleanBuilder, Int32Builder, Int64Builder, StringBuilder,
    TimestampNanosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field as ArrowField, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::filter::{Registry, Source, Val};
use crate::output::args::{ARG_COLUMNS, ARG_PREFIX, Arg, ArgRow, ArgType};
use crate::replay::context::{EventCtx, val_text};
use crate::replay::fields::{Fid, Field, Fields};

/// Version of the column layout (docs/parquet-schema.md).
pub const SCHEMA_VERSION: &str = "2";
/// Key of the schema version in the files' key-value metadata.
pub const SCHEMA_VERSION_KEY: &str = "casefile.parquet.schema_version";

/// How a column is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColType {
    /// `INT64`.
    Int64,
    /// `INT32`.
    Int32,
    /// `BYTE_ARRAY` UTF-8 string.
    Str,
    /// `BOOLEAN`.
    Bool,
    /// `BYTE_ARRAY` raw bytes.
    Binary,
    /// `INT64` timestamp, nanoseconds, UTC.
    TimeNs,
}

/// The columns, in file order: name (a field of the registry) and storage type.
pub const COLUMNS: &[(&str, ColType)] = &[
    ("evt.num", ColType::Int64),
    ("evt.time", ColType::TimeNs),
    ("evt.type", ColType::Str),
    ("evt.category", ColType::Str),
    ("evt.cpu", ColType::Int32),
    ("evt.dir", ColType::Str),
    ("evt.res", ColType::Str),
    ("evt.rawres", ColType::Int64),
    ("evt.latency", ColType::Int64),
    ("evt.failed", ColType::Bool),
    ("evt.info", ColType::Str),
    ("evt.buflen", ColType::Int64),
    ("evt.buffer", ColType::Binary),
    ("proc.pid", ColType::Int64),
    ("proc.name", ColType::Str),
    ("proc.exe", ColType::Str),
    ("proc.cmdline", ColType::Str),
    ("proc.ppid", ColType::Int64),
    ("proc.pname", ColType::Str),
    ("proc.cwd", ColType::Str),
    ("thread.tid", ColType::Int64),
    ("user.uid", ColType::Int64),
    ("user.name", ColType::Str),
    ("fd.num", ColType::Int64),
    ("fd.type", ColType::Str),
    ("fd.name", ColType::Str),
    ("fd.cip", ColType::Str),
    ("fd.sip", ColType::Str),
    ("fd.cport", ColType::Int32),
    ("fd.sport", ColType::Int32),
    ("fd.l4proto", ColType::Str),
    ("container.id", ColType::Str),
    ("container.name", ColType::Str),
    ("container.image", ColType::Str),
    ("k8s.pod.name", ColType::Str),
    ("k8s.ns.name", ColType::Str),
    ("host.name", ColType::Str),
    // Version 2.
    ("fs.path.name", ColType::Str),
    ("fs.path.source", ColType::Str),
    ("fs.path.target", ColType::Str),
];

/// Columns written without min/max statistics: long values (paths, command lines, payloads)
/// whose range over a row group is nearly everything, so they let a reader skip nothing, and
/// comparing every value to find it took a quarter of the export's time.
pub const NO_STATISTICS: &[&str] = &[
    "evt.info",
    "evt.buffer",
    "proc.exe",
    "proc.cmdline",
    "proc.cwd",
    "fd.name",
    "container.image",
    "fs.path.name",
    "fs.path.source",
    "fs.path.target",
];

/// Errors while exporting to Parquet.
#[derive(Debug, thiserror::Error)]
pub enum ParquetExportError {
    /// A file could not be created or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The Parquet writer failed.
    #[error("{path}: {source}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// Why.
        source: ParquetError,
    },
    /// Building a batch failed (a bug: the columns do not match the schema).
    #[error("building a record batch: {0}")]
    Arrow(#[from] ArrowError),
}

/// How the files are cut.
#[derive(Clone, Copy, Debug)]
pub struct ParquetOptions {
    /// Rows per row group.
    pub row_group_rows: usize,
    /// Row groups per file.
    pub row_groups_per_file: usize,
    /// zstd level.
    pub zstd_level: i32,
}

impl Default for ParquetOptions {
    fn default() -> Self {
        ParquetOptions {
            row_group_rows: 1 << 20,
            row_groups_per_file: 16,
            zstd_level: 3,
        }
    }
}

/// Rows buffered before they become a record batch.
const BATCH_ROWS: usize = 64 * 1024;

enum Builder {
    Int64(Int64Builder),
    Int32(Int32Builder),
    Str(StringBuilder),
    Bool(BooleanBuilder),
    Binary(BinaryBuilder),
    TimeNs(TimestampNanosecondBuilder),
}

impl Builder {
    fn new(ty: ColType) -> Builder {
        match ty {
            ColType::Int64 => Builder::Int64(Int64Builder::with_capacity(BATCH_ROWS)),
            ColType::Int32 => Builder::Int32(Int32Builder::with_capacity(BATCH_ROWS)),
            ColType::Str => Builder::Str(StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 16)),
            ColType::Bool => Builder::Bool(BooleanBuilder::with_capacity(BATCH_ROWS)),
            ColType::Binary => Builder::Binary(BinaryBuilder::with_capacity(BATCH_ROWS, 1024)),
            ColType::TimeNs => Builder::TimeNs(
                TimestampNanosecondBuilder::with_capacity(BATCH_ROWS).with_timezone("UTC"),
            ),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Int64(b) => Arc::new(b.finish()),
            Builder::Int32(b) => Arc::new(b.finish()),
            Builder::Str(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Binary(b) => Arc::new(b.finish()),
            Builder::TimeNs(b) => Arc::new(b.finish()),
        }
    }
}

/// The Arrow schema of the export, with the version in its metadata.
pub fn schema() -> SchemaRef {
    let fields: Vec<ArrowField> = all_columns()
        .into_iter()
        .map(|(name, ty)| {
            let dt = match ty {
                ColType::Int64 => DataType::Int64,
                ColType::Int32 => DataType::Int32,
                ColType::Str => DataType::Utf8,
                ColType::Bool => DataType::Boolean,
                ColType::Binary => DataType::Binary,
                ColType::TimeNs => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            };
            let required = matches!(name.as_str(), "evt.num" | "evt.time" | "evt.type");
            ArrowField::new(name, dt, !required)
        })
        .collect();
    let meta = [
        (SCHEMA_VERSION_KEY.to_string(), SCHEMA_VERSION.to_string()),
        (
            "casefile.version".to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        ),
    ];
    Arc::new(Schema::new_with_metadata(
        fields,
        meta.into_iter()
            .collect::<std::collections::HashMap<_, _>>(),
    ))
}

/// Every column in file order: [`COLUMNS`], then the argument columns
/// ([`crate::output::args::ARG_COLUMNS`], named `evt.arg.NAME`).
pub fn all_columns() -> Vec<(String, ColType)> {
    COLUMNS
        .iter()
        .map(|&(n, t)| (n.to_owned(), t))
        .chain(ARG_COLUMNS.iter().map(|&(n, t)| {
            let ty = match t {
                ArgType::Int => ColType::Int64,
                ArgType::Str => ColType::Str,
            };
            (format!("{ARG_PREFIX}{n}"), ty)
        }))
        .collect()
}

/// Writes events as Parquet files into a directory. Rows are gathered into record batches
/// here; a second thread encodes, compresses and writes them ([`Parts`]), so the two halves of
/// the work run side by side.
pub struct ParquetSink {
    schema: SchemaRef,
    fields: Vec<(Field, ColType, Fid)>,
    builders: Vec<Builder>,
    /// The argument columns' builders, in [`ARG_COLUMNS`] order.
    arg_builders: Vec<Builder>,
    /// Rows each argument builder holds in the current batch.
    arg_len: Vec<usize>,
    args: ArgRow,
    rows_in_batch: usize,
    scratch: String,
    /// Batches to the writer thread; `None` once it has been joined.
    tx: Option<mpsc::SyncSender<RecordBatch>>,
    writer: Option<thread::JoinHandle<Result<Parts, ParquetExportError>>>,
    /// Files written (complete after [`ParquetSink::finish`]).
    pub files: Vec<PathBuf>,
    /// Rows written (complete after [`ParquetSink::finish`]).
    pub rows: u64,
}

/// The writer thread's side: the part files of the directory.
struct Parts {
    dir: PathBuf,
    opts: ParquetOptions,
    schema: SchemaRef,
    rows_in_file: usize,
    file_index: usize,
    writer: Option<(PathBuf, ArrowWriter<File>)>,
    files: Vec<PathBuf>,
    rows: u64,
}

impl ParquetSink {
    /// A sink writing into `dir` (created when missing).
    pub fn new(dir: &Path, opts: ParquetOptions) -> Result<ParquetSink, ParquetExportError> {
        let io_err = |source| ParquetExportError::Io {
            path: dir.to_owned(),
            source,
        };
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(dir).map_err(io_err)?;
        let fields = COLUMNS
            .iter()
            .map(|&(name, ty)| {
                // Every column is a field of the registry (a unit test holds this).
                let spec = Fields.resolve(name, None).map_err(|_| {
                    ArrowError::SchemaError(format!("{name} is not a replay field"))
                })?;
                Ok((spec.id.clone(), ty, spec.id.fid))
            })
            .collect::<Result<Vec<_>, ArrowError>>()?;
        let mut files = Parts {
            dir: dir.to_owned(),
            opts,
            schema: schema(),
            rows_in_file: 0,
            file_index: 0,
            writer: None,
            files: Vec::new(),
            rows: 0,
        };
        // Two batches in flight: enough to keep both threads busy, little memory.
        let (tx, rx) = mpsc::sync_channel::<RecordBatch>(2);
        let writer = thread::Builder::new()
            .name("parquet-writer".into())
            .spawn(move || {
                for batch in rx {
                    files.write(&batch)?;
                }
                Ok(files)
            })
            .map_err(|source| ParquetExportError::Io {
                path: dir.to_owned(),
                source,
            })?;
        Ok(ParquetSink {
            schema: schema(),
            builders: COLUMNS.iter().map(|&(_, ty)| Builder::new(ty)).collect(),
            arg_builders: ARG_COLUMNS
                .iter()
                .map(|&(_, ty)| {
                    Builder::new(match ty {
                        ArgType::Int => ColType::Int64,
                        ArgType::Str => ColType::Str,
                    })
                })
                .collect(),
            arg_len: vec![0; ARG_COLUMNS.len()],
            args: ArgRow::new(),
            fields,
            rows_in_batch: 0,
            scratch: String::with_capacity(256),
            tx: Some(tx),
            writer: Some(writer),
            files: Vec::new(),
            rows: 0,
        })
    }

    /// Adds one event as a row.
    pub fn event(&mut self, ctx: &mut EventCtx<'_, '_>) -> Result<(), ParquetExportError> {
        for ((field, _, fid), b) in self.fields.iter().zip(&mut self.builders) {
            match b {
                Builder::TimeNs(b) => b.append_value(ctx.ev.ts as i64),
                Builder::Binary(b) => match ctx.buffer() {
                    Some(v) => b.append_value(v),
                    None => b.append_null(),
                },
                Builder::Str(b) => {
                    if matches!(fid, Fid::EvtInfo | Fid::EvtArgs) {
                        self.scratch.clear();
                        ctx.write_text(field, &mut self.scratch);
                        b.append_value(&self.scratch);
                        continue;
                    }
                    match ctx.get(field) {
                        Some(Val::Str(s)) => match std::str::from_utf8(&s) {
                            Ok(t) => b.append_value(t),
                            Err(_) => b.append_value(String::from_utf8_lossy(&s)),
                        },
                        Some(v) => {
                            self.scratch.clear();
                            val_text(&v, &mut self.scratch);
                            b.append_value(&self.scratch);
                        }
                        None => b.append_null(),
                    }
                }
                Builder::Int64(b) => match ctx.get(field) {
                    Some(Val::Num(n)) => b.append_value(n),
                    _ => b.append_null(),
                },
                Builder::Int32(b) => match ctx.get(field) {
                    Some(Val::Num(n)) => match i32::try_from(n) {
                        Ok(v) => b.append_value(v),
                        Err(_) => b.append_null(),
                    },
                    _ => b.append_null(),
                },
                Builder::Bool(b) => match ctx.get(field) {
                    Some(Val::Bool(v)) => b.append_value(v),
                    _ => b.append_null(),
                },
            }
        }
        // An event has a few of the argument columns: each column takes the nulls of the rows
        // since its last value in one step, when it gets a value or at the end of the batch.
        self.args.fill(ctx.ev);
        let row = self.rows_in_batch;
        for c in self.args.columns() {
            if self.arg_len[c] > row {
                continue;
            }
            let gap = row - self.arg_len[c];
            match (&mut self.arg_builders[c], self.args.get(c)) {
                (Builder::Int64(b), Some(Arg::Int(n))) => {
                    b.append_nulls(gap);
                    b.append_value(n);
                }
                (Builder::Str(b), Some(Arg::Str(t))) => {
                    b.append_nulls(gap);
                    b.append_value(t);
                }
                _ => continue,
            }
            self.arg_len[c] = row + 1;
        }
        self.rows_in_batch += 1;
        if self.rows_in_batch >= BATCH_ROWS {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn flush_batch(&mut self) -> Result<(), ParquetExportError> {
        if self.rows_in_batch == 0 {
            return Ok(());
        }
        for (b, len) in self.arg_builders.iter_mut().zip(&mut self.arg_len) {
            let gap = self.rows_in_batch - *len;
            match b {
                Builder::Int64(b) => b.append_nulls(gap),
                Builder::Str(b) => b.append_nulls(gap),
                _ => unreachable!("argument columns are Int64 or Str"),
            }
            *len = 0;
        }
        let cols: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .chain(&mut self.arg_builders)
            .map(Builder::finish)
            .collect();
        let batch = RecordBatch::try_new(self.schema.clone(), cols)?;
        self.rows_in_batch = 0;
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(batch).is_ok());
        if !sent {
            // The writer stopped: its error says why.
            self.join()?;
        }
        Ok(())
    }

    /// Ends the writer thread and takes its result.
    fn join(&mut self) -> Result<Parts, ParquetExportError> {
        self.tx = None;
        let handle = self.writer.take().ok_or_else(|| {
            ParquetExportError::Arrow(ArrowError::ComputeError(
                "parquet writer already ended".into(),
            ))
        })?;
        match handle.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// Writes the last rows and closes the file. An export of no events still writes one
    /// file (with the schema and no rows), so readers of the directory find the columns.
    pub fn finish(mut self) -> Result<ParquetSink, ParquetExportError> {
        self.flush_batch()?;
        let mut files = self.join()?;
        if files.files.is_empty() {
            // No events: an empty file with the schema.
            files.open()?;
        }
        files.close()?;
        self.files = files.files;
        self.rows = files.rows;
        Ok(self)
    }
}

impl Parts {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), ParquetExportError> {
        if self.writer.is_none() {
            self.open()?;
        }
        if let Some((path, w)) = &mut self.writer {
            w.write(batch)
                .map_err(|source| ParquetExportError::Parquet {
                    path: path.clone(),
                    source,
                })?;
        }
        self.rows += batch.num_rows() as u64;
        self.rows_in_file += batch.num_rows();
        if self.rows_in_file >= self.opts.row_group_rows * self.opts.row_groups_per_file {
            self.close()?;
        }
        Ok(())
    }

    /// Starts the next part file.
    fn open(&mut self) -> Result<(), ParquetExportError> {
        let path = self
            .dir
            .join(format!("part-{:05}.parquet", self.file_index));
        self.file_index += 1;
        let f = crate::outfile::create_new(&path).map_err(|source| ParquetExportError::Io {
            path: path.clone(),
            source,
        })?;
        let w =
            ArrowWriter::try_new(f, self.schema.clone(), Some(self.props())).map_err(|source| {
                ParquetExportError::Parquet {
                    path: path.clone(),
                    source,
                }
            })?;
        self.files.push(path.clone());
        self.writer = Some((path, w));
        self.rows_in_file = 0;
        Ok(())
    }

    /// Writer properties: zstd, dictionaries, row group size, and the schema version in the
    /// file's key-value metadata.
    fn props(&self) -> WriterProperties {
        let level = ZstdLevel::try_new(self.opts.zstd_level).unwrap_or_default();
        let mut b = WriterProperties::builder();
        for &col in NO_STATISTICS {
            b = b.set_column_statistics_enabled(ColumnPath::from(col), EnabledStatistics::None);
        }
        // Paths and strings given to calls: long, and their range skips nothing either.
        for &(name, ty) in ARG_COLUMNS {
            if ty == ArgType::Str {
                b = b.set_column_statistics_enabled(
                    ColumnPath::from(format!("{ARG_PREFIX}{name}")),
                    EnabledStatistics::None,
                );
            }
        }
        b.set_compression(Compression::ZSTD(level))
            .set_dictionary_enabled(true)
            .set_max_row_group_row_count(Some(self.opts.row_group_rows))
            .set_created_by(format!("casefile {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata(Some(
                self.schema
                    .metadata()
                    .iter()
                    .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
                    .collect(),
            ))
            .build()
    }

    fn close(&mut self) -> Result<(), ParquetExportError> {
        if let Some((path, w)) = self.writer.take() {
            w.close()
                .map_err(|source| ParquetExportError::Parquet { path, source })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::Registry;

    #[test]
    fn every_column_is_a_registry_field_of_a_fitting_type() {
        use crate::filter::FieldType;
        for &(name, ty) in COLUMNS {
            let spec = Fields.resolve(name, None).expect(name);
            let ok = match ty {
                ColType::Int64 | ColType::Int32 => spec.ty == FieldType::Num,
                ColType::Bool => spec.ty == FieldType::Bool,
                // Times, buffers and IPs are stored in their own forms.
                ColType::TimeNs | ColType::Binary | ColType::Str => true,
            };
            assert!(ok, "{name}: {:?} stored as {ty:?}", spec.ty);
        }
        assert_eq!(schema().fields().len(), COLUMNS.len() + ARG_COLUMNS.len());
    }
}
