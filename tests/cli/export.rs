//! The exports' argument and path columns (`evt.arg.*`, `fs.path.*`) read back by DuckDB, and
//! the distributed path: Apache Spark in local mode reading two hosts' Parquet exports laid out
//! as `host=NAME/date=YYYY-MM-DD/` partitions, its answers checked against `casefile info` and
//! DuckDB.

use std::borrow::Cow;
use std::path::Path;
use std::process::Command;

use capture_format::schema::syscalls::by_name;
use capture_format::schema::{Body, Container, Event, Params, Process, Syscall, Value};
use capture_format::{HeaderInfo, Writer, WriterOptions};

use crate::read::{casefile, stderr, stdout};
use crate::util::{Dir, repo};

/// 2026-03-01T00:00:00Z.
const T0: u64 = 1_772_323_200_000_000_000;
const DATE: &str = "2026-03-01";

fn bytes(s: &str) -> Value<'static> {
    Value::Bytes(Cow::Owned(s.as_bytes().to_vec()))
}

/// One host's capture, built event by event.
struct Host {
    name: &'static str,
    state: Vec<Event<'static>>,
    events: Vec<Event<'static>>,
    ts: u64,
}

impl Host {
    fn new(name: &'static str) -> Host {
        Host {
            name,
            state: Vec::new(),
            events: Vec::new(),
            ts: T0 + 1_000_000,
        }
    }

    fn process(&mut self, pid: u32, comm: &str, cwd: &str, container: u32) {
        self.state.push(Event {
            ts: T0,
            tid: pid,
            pid,
            cpu: 0,
            container,
            body: Body::Process(Process {
                tid: pid,
                pid,
                ppid: 1,
                comm: Cow::Owned(comm.as_bytes().to_vec()),
                exe: Cow::Owned(format!("/usr/bin/{comm}").into_bytes()),
                cwd: Cow::Owned(cwd.as_bytes().to_vec()),
                ..Process::default()
            }),
        });
    }

    fn container(&mut self, name: &str) {
        self.state.push(Event {
            ts: T0,
            tid: 0,
            pid: 0,
            cpu: 0,
            container: 1,
            body: Body::Container(Container {
                id: Cow::Owned(format!("{name:0>12}").into_bytes()),
                name: Cow::Owned(name.as_bytes().to_vec()),
                image: Cow::Borrowed(b"docker.io/library/busybox:1.36"),
                runtime: Cow::Borrowed(b"containerd"),
                ..Container::default()
            }),
        });
    }

    fn sys(&mut self, pid: u32, container: u32, name: &str, ret: i64, params: Vec<Value<'static>>) {
        self.ts += 1_000_000;
        self.events.push(Event {
            ts: self.ts,
            tid: pid,
            pid,
            cpu: 0,
            container,
            body: Body::Syscall(Syscall {
                nr: by_name(name).expect("syscall"),
                ret,
                latency: 2_000,
                params: Params::from_vec(params),
            }),
        });
    }

    fn write(&self, dir: &Dir) -> String {
        let path = dir.join(format!("{}.case", self.name));
        let info = HeaderInfo {
            created_ns: T0,
            hostname: self.name.into(),
            kernel: "6.18.0".into(),
            cpus: 2,
            source: "synthetic".into(),
            ..HeaderInfo::default()
        };
        let mut w = Writer::create(&path, &info, WriterOptions::default()).expect("create");
        w.write_state(&self.state).expect("state");
        for e in &self.events {
            w.append(e).expect("append");
        }
        w.finish().expect("finish");
        path.display().to_string()
    }
}

/// Host web: nginx in a container and logrotate on the host delete files (one delete is
/// refused), rename a log, and do some I/O. Host db: postgres deletes a WAL segment by a path
/// relative to its working directory, makes a symlink and a hard link.
fn hosts(dir: &Dir) -> (String, String) {
    let mut web = Host::new("web");
    web.container("shop-web");
    web.process(100, "nginx", "/var/www", 1);
    web.process(200, "logrotate", "/var/log", 0);
    web.sys(
        200,
        0,
        "openat",
        3,
        vec![
            Value::Int(-100),
            bytes("/var/log/app.log"),
            Value::Int(1),
            Value::Int(0),
        ],
    );
    for i in 0..40 {
        web.sys(
            200,
            0,
            "write",
            64,
            vec![Value::Int(3), bytes("line"), Value::Int(64 + i)],
        );
        web.sys(
            100,
            1,
            "read",
            512,
            vec![Value::Int(9), bytes("GET /"), Value::Int(4096)],
        );
    }
    web.sys(
        200,
        0,
        "rename",
        0,
        vec![bytes("/var/log/app.log"), bytes("/var/log/app.log.1")],
    );
    web.sys(200, 0, "unlink", 0, vec![bytes("/var/log/app.log.3")]);
    web.sys(
        200,
        0,
        "unlinkat",
        0,
        vec![Value::Int(-100), bytes("app.log.2"), Value::Int(0)],
    );
    web.sys(200, 0, "unlink", -13, vec![bytes("/etc/shadow")]);
    web.sys(
        100,
        1,
        "unlinkat",
        0,
        vec![Value::Int(-100), bytes("cache/x"), Value::Int(0)],
    );
    let mut db = Host::new("db");
    db.process(300, "postgres", "/var/lib/postgresql", 0);
    for i in 0..25 {
        db.sys(
            300,
            0,
            "pwrite64",
            8192,
            vec![
                Value::Int(5),
                bytes("page"),
                Value::Int(8192),
                Value::Int(i * 8192),
            ],
        );
    }
    db.sys(
        300,
        0,
        "unlinkat",
        0,
        vec![Value::Int(-100), bytes("pg_wal/000001"), Value::Int(0)],
    );
    db.sys(
        300,
        0,
        "symlink",
        0,
        vec![bytes("/etc/pg.conf"), bytes("/tmp/pg.conf")],
    );
    db.sys(300, 0, "link", 0, vec![bytes("/data/a"), bytes("/data/b")]);
    db.sys(
        300,
        0,
        "unlinkat",
        -2,
        vec![Value::Int(-100), bytes("pg_wal/missing"), Value::Int(0)],
    );
    (web.write(dir), db.write(dir))
}

/// A Python with DuckDB: under CI=true its absence fails the test; elsewhere it skips loudly.
fn duckdb_python() -> bool {
    python_has("duckdb", "pip install duckdb")
}

fn python_has(module: &str, how: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but python3 cannot import {module} (.ci/run installs it)"
    );
    eprintln!("SKIPPED: python3 cannot import {module} ({how}); this test did not run");
    false
}

fn python(script: &str) -> String {
    let o = Command::new("python3")
        .args(["-c", script])
        .output()
        .expect("run python3");
    assert!(
        o.status.success(),
        "python failed: {}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8(o.stdout).expect("utf8")
}

fn export(file: &str, format: &str, out: &Path) {
    let o = casefile(&[
        "export",
        file,
        "--format",
        format,
        "-o",
        &out.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

fn sql_path(p: &Path) -> String {
    p.display().to_string().replace('\'', "''")
}

/// The columns docs/parquet-schema.md lists, in order.
fn documented_columns() -> Vec<String> {
    let doc = std::fs::read_to_string(repo().join("docs/parquet-schema.md")).expect("doc");
    doc.lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells.len() > 3 && cells[1].parse::<u32>().is_ok())
                .then(|| cells[2].trim_matches('`').to_owned())
        })
        .collect()
}

/// "Which files were deleted" is a column query on both exports, Parquet and JSON lines; the
/// columns are the same in every export and are the documented ones.
#[test]
fn deleted_files_are_a_column_query_in_parquet_and_jsonl() {
    let dir = Dir::new("export-args");
    let (web, db) = hosts(&dir);
    for (file, name) in [(&web, "web"), (&db, "db")] {
        export(file, "parquet", &dir.join(format!("{name}-pq")));
        export(file, "jsonl", &dir.join(format!("{name}.jsonl")));
    }
    if !duckdb_python() {
        return;
    }
    let pq = |n: &str| sql_path(&dir.join(format!("{n}-pq/part-00000.parquet")));
    let js = |n: &str| sql_path(&dir.join(format!("{n}.jsonl")));
    let script = format!(
        r#"
import duckdb
c = duckdb.connect()
pq_types = dict((r[0], r[1]) for r in c.execute("describe select * from read_parquet('{wp}')").fetchall())
def js(f):
    # A JSON-lines file has the argument keys its events have: the Parquet schema gives the rest.
    cols = dict((r[0], r[1]) for r in c.execute(f"describe select * from read_json('{{f}}')").fetchall())
    cols.update((k, v) for k, v in pq_types.items() if k.startswith(('evt.arg.', 'fs.path.')))
    spec = ', '.join(f"'{{k}}': '{{v}}'" for k, v in cols.items())
    return f"read_json('{{f}}', columns = {{{{{{spec}}}}}})"
for src in ["read_parquet('{wp}')", js('{wj}'), "read_parquet('{dp}')", js('{dj}')]:
    rows = c.execute(f'''select "evt.type", "fs.path.name", "evt.arg.name", "evt.arg.path", "evt.arg.res"
                         from {{src}} where "evt.type" in ('unlink', 'unlinkat') order by "evt.num"''').fetchall()
    print(rows)
    print(c.execute(f'''select "fs.path.source", "fs.path.target", "evt.arg.oldpath", "evt.arg.newpath",
                         "evt.arg.target", "evt.arg.linkpath"
                         from {{src}} where "fs.path.source" is not null order by "evt.num"''').fetchall())
    print(c.execute(f'''select count(*), count("evt.arg.fd"), sum("evt.arg.size"), min("evt.arg.fd"), max("evt.arg.dirfd")
                         from {{src}}''').fetchall())
for src in ["read_parquet('{wp}')", "read_parquet('{dp}')", "read_json('{wj}')", "read_json('{dj}')"]:
    print(','.join(r[0] for r in c.execute(f"describe select * from {{src}}").fetchall()))
print(dict((r[0], r[1]) for r in c.execute("describe select * from read_parquet('{wp}')").fetchall()))
"#,
        wp = pq("web"),
        wj = js("web"),
        dp = pq("db"),
        dj = js("db"),
    );
    let got = python(&script);
    let l: Vec<&str> = got.lines().collect();
    // Parquet and JSON lines give the same answers.
    assert_eq!(l[0], l[3], "{got}");
    assert_eq!(l[1], l[4], "{got}");
    assert_eq!(l[2], l[5], "{got}");
    assert_eq!(l[6], l[9], "{got}");
    assert_eq!(l[7], l[10], "{got}");
    assert_eq!(l[8], l[11], "{got}");
    // Deleted: absolute paths, relative ones resolved against the process's working directory
    // (on the host and in the container); the refused unlink has no fs.path.name (as in Falco)
    // but keeps its arguments and result.
    assert_eq!(
        l[0],
        "[('unlink', '/var/log/app.log.3', None, '/var/log/app.log.3', 0), \
         ('unlinkat', '/var/log/app.log.2', 'app.log.2', None, 0), \
         ('unlink', None, None, '/etc/shadow', -13), \
         ('unlinkat', '/var/www/cache/x', 'cache/x', None, 0)]",
        "{got}"
    );
    // rename: source old, target new.
    assert_eq!(
        l[1],
        "[('/var/log/app.log', '/var/log/app.log.1', '/var/log/app.log', '/var/log/app.log.1', None, None)]",
        "{got}"
    );
    // 1 open + 40 writes + 40 reads (80 with an fd argument) + rename + 4 deletes; writes of
    // 64..=103 bytes and reads
    // of 4096 bytes asked.
    let size: i64 = (64..104).sum::<i64>() + 40 * 4096;
    assert_eq!(l[2], format!("[(86, 80, {size}, 3, -100)]"), "{got}");
    assert_eq!(
        l[6],
        "[('unlinkat', '/var/lib/postgresql/pg_wal/000001', 'pg_wal/000001', None, 0), \
         ('unlinkat', None, 'pg_wal/missing', None, -2)]",
        "{got}"
    );
    // symlink: source the link, target what it points to; link: source the new name, target
    // the existing file (libs' fs.path.* mapping).
    assert_eq!(
        l[7],
        "[('/tmp/pg.conf', '/etc/pg.conf', None, None, '/etc/pg.conf', '/tmp/pg.conf'), \
         ('/data/b', '/data/a', '/data/a', '/data/b', None, None)]",
        "{got}"
    );
    // The same columns in every export, in the documented order.
    let documented = documented_columns().join(",");
    assert!(documented.contains("evt.arg.fd,") && documented.contains("fs.path.target"));
    assert_eq!(l[12], documented, "{got}");
    assert_eq!(l[13], documented, "{got}");
    // JSON lines: the path keys on every line, the argument keys of the arguments present;
    // every key is read --json's or a documented column.
    for n in [14, 15] {
        let keys: Vec<&str> = l[n].split(',').collect();
        for col in [
            "fs.path.name",
            "fs.path.source",
            "fs.path.target",
            "evt.arg.res",
            "evt.arg.name",
        ] {
            assert!(keys.contains(&col), "{col} not in {}", l[n]);
        }
        for k in keys
            .iter()
            .filter(|k| k.starts_with("evt.arg.") || k.starts_with("fs.path."))
        {
            assert!(documented.split(',').any(|c| c == *k), "{k} undocumented");
        }
    }
    // Typed: integers and text.
    for (col, ty) in [
        ("evt.arg.fd", "BIGINT"),
        ("evt.arg.flags", "BIGINT"),
        ("evt.arg.res", "BIGINT"),
        ("evt.arg.name", "VARCHAR"),
        ("evt.arg.tuple", "VARCHAR"),
        ("fs.path.name", "VARCHAR"),
    ] {
        assert!(
            l[16].contains(&format!("'{col}': '{ty}'")),
            "{col}: {}",
            l[16]
        );
    }
}

/// Spark's Python package and a Java runtime: under CI=true their absence fails the test;
/// elsewhere it skips loudly.
fn spark_available() -> bool {
    let java = Command::new("java")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !java {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but there is no java (.ci/run installs openjdk-17-jre-headless)"
        );
        eprintln!(
            "SKIPPED: no java (apt-get install openjdk-17-jre-headless); the Spark test did not run"
        );
        return false;
    }
    python_has("pyspark", "pip install pyspark")
}

/// The Spark SQL statements of the README (each `spark.sql("""...""")`).
fn readme_spark_queries() -> Vec<String> {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    readme
        .split("spark.sql(\"\"\"")
        .skip(1)
        .map(|rest| rest[..rest.find("\"\"\"").expect("closing quotes")].to_owned())
        .collect()
}

/// The distributed path, run: Spark in local mode reads two hosts' Parquet exports laid out as
/// `host=NAME/date=YYYY-MM-DD/` partitions, as the README shows, and runs the README's
/// queries. Its row counts per host are `casefile info`'s event counts and DuckDB's; its
/// answers are DuckDB's.
#[test]
fn spark_reads_two_hosts_partitioned_exports() {
    let dir = Dir::new("export-spark");
    let (web, db) = hosts(&dir);
    let root = dir.join("exports");
    for (file, name) in [(&web, "web"), (&db, "db")] {
        export(
            file,
            "parquet",
            &root.join(format!("host={name}/date={DATE}")),
        );
    }
    let mut info = std::collections::BTreeMap::new();
    for (file, name) in [(&web, "web"), (&db, "db")] {
        let o = casefile(&["info", "--json", file]);
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("info json");
        info.insert(name.to_owned(), v["events"].as_u64().expect("events"));
    }
    let queries = readme_spark_queries();
    assert_eq!(queries.len(), 2, "{queries:?}");
    if !duckdb_python() || !spark_available() {
        return;
    }
    let root_s = root.display().to_string();
    // One Spark session for every query: its start-up is most of the time.
    let script = format!(
        r#"
import json
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[2]").appName("casefile-test")
         .config("spark.ui.enabled", "false")
         .config("spark.sql.shuffle.partitions", "2")
         .config("spark.sql.legacy.parquet.nanosAsLong", "true")
         .getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
df = spark.read.parquet({root_s:?})
df.createOrReplaceTempView("events")
counts = {{r[0]: r[1] for r in spark.sql("select host, count(*) from events group by host").collect()}}
print(json.dumps(counts, sort_keys=True))
print(json.dumps([[r[0], str(r[1])] for r in spark.sql("select distinct host, date from events order by 1").collect()]))
print(dict(df.dtypes)["evt.time"], dict(df.dtypes)["evt.arg.fd"], dict(df.dtypes)["fs.path.name"])
for q in {queries:?}:
    print(json.dumps([list(r) for r in spark.sql(q).collect()]))
spark.stop()
"#,
    );
    let got = python(&script);
    let l: Vec<&str> = got.lines().collect();
    assert!(l.len() >= 5, "{got}");
    let spark_counts: std::collections::BTreeMap<String, u64> =
        serde_json::from_str(l[0]).expect("counts");
    eprintln!("Spark rows per host: {spark_counts:?}; casefile info events: {info:?}");
    assert_eq!(
        spark_counts, info,
        "Spark's rows against casefile info's events"
    );
    assert_eq!(
        l[1],
        format!(r#"[["db", "{DATE}"], ["web", "{DATE}"]]"#),
        "{got}"
    );
    // Nanosecond times read as integers (nanosAsLong), typed argument columns.
    assert_eq!(l[2], "bigint bigint string", "{got}");

    // DuckDB on the same layout: the same counts, and the same answers to the same questions.
    let glob = sql_path(&root.join("*/*/*.parquet"));
    let duck = python(&format!(
        r#"
import duckdb, json
c = duckdb.connect()
src = "read_parquet('{glob}', hive_partitioning = true)"
print(json.dumps({{r[0]: r[1] for r in c.execute(f"select host, count(*) from {{src}} group by host").fetchall()}}, sort_keys=True))
print(json.dumps([list(r) for r in c.execute(f'''select host, "proc.name", count(*) as events from {{src}}
                   group by all order by events desc, 1, 2 limit 10''').fetchall()]))
print(json.dumps([list(r) for r in c.execute(f'''select host, "container.name", "proc.name", "fs.path.name" from {{src}}
                   where "evt.type" in ('unlink', 'unlinkat') and "fs.path.name" is not null
                   order by "evt.time"''').fetchall()]))
"#
    ));
    let d: Vec<&str> = duck.lines().collect();
    assert_eq!(d[0], l[0], "DuckDB's rows per host against Spark's");
    // The README's questions: processes by events over both hosts, and the files deleted.
    assert_eq!(
        l[3], r#"[["web", "logrotate", 45], ["web", "nginx", 41], ["db", "postgres", 29]]"#,
        "{got}"
    );
    assert_eq!(l[3], d[1], "Spark and DuckDB agree");
    assert_eq!(
        l[4],
        r#"[["db", "host", "postgres", "/var/lib/postgresql/pg_wal/000001"], ["web", "host", "logrotate", "/var/log/app.log.3"], ["web", "host", "logrotate", "/var/log/app.log.2"], ["web", "shop-web", "nginx", "/var/www/cache/x"]]"#,
        "{got}"
    );
    assert_eq!(l[4], d[2], "Spark and DuckDB agree");
}
