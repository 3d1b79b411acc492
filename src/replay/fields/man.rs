//! The casefile-filter(7) man page, from the filter grammar and the field table: printed by
//! `casefile fields --man`, written by `casefile man DIR`, committed as `man/casefile-filter.7`.

use std::fmt::Write as _;

use super::FIELDS;
use crate::filter::GRAMMAR;

/// Escapes text for roff: backslashes, and a leading `.` or `'`.
fn roff(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

const OPERATORS: &[(&str, &str)] = &[
    (
        "= or ==, !=",
        "Equal, not equal. Text compares bytes exactly; numbers as integers.",
    ),
    (
        "<, <=, >, >=",
        "Numeric comparison (number fields and syscall arguments); on strings, byte order (as Falco).",
    ),
    (
        "contains",
        "Substring. On rendered flag arguments, tests a flag: evt.arg.flags contains O_TRUNC.",
    ),
    ("icontains", "Substring, ignoring ASCII case."),
    (
        "bcontains, bstartswith",
        "The bytes given in hex occur in (start) the value: evt.buffer bcontains CAFEBABE.",
    ),
    ("startswith, endswith", "Prefix, suffix."),
    (
        "glob, iglob",
        "The whole value matches a glob (* ? [a-z] [!x]); * also crosses /. iglob ignores case.",
    ),
    (
        "in (a, b, ...)",
        "The value equals one of the list (booleans too: evt.is_io in (true)).",
    ),
    (
        "intersects (a, b, ...)",
        "Like in; for multi-valued fields (proc.aname, fd.ip), any value in common.",
    ),
    (
        "pmatch (p, q, ...)",
        "Path prefix by whole components: /var/run matches /var/run and /var/run/x.pid, not /var/run_x. Components may be globs.",
    ),
    ("exists", "The field has a value for this event."),
    (
        "op oneof|anyof|allof (a, b, ...)",
        "A comparison operator (=, !=, contains, startswith, glob, regex, ...) against each item of the list: anyof holds when it holds for at least one item, allof for every item, oneof for exactly one. An empty list matches nothing. Single-valued fields only: proc.name startswith anyof (kube, etcd).",
    ),
    (
        "regex",
        "The whole value matches a regular expression (as Falco: anchored at both ends). The syntax is Rust's regex crate, a superset of the POSIX syntax Falco uses; a backslash for the regex is written twice inside a quoted string: '[0-9]+\\\\.log'.",
    ),
    (
        "and, or, not, ( )",
        "Boolean logic. not binds tighter than and, and tighter than or.",
    ),
];

/// The functions: what each takes and gives.
const FUNCTIONS: &[(&str, &str)] = &[
    (
        "tolower(x), toupper(x)",
        "The string in ASCII lower (upper) case: tolower(proc.name) = bash.",
    ),
    (
        "b64(x)",
        "The base64 decoding of the string (missing when it is not base64).",
    ),
    (
        "basename(x)",
        "What follows the last / (the whole string without one).",
    ),
    (
        "len(x)",
        "A number: the length of a string, or the number of values of a list (proc.aname).",
    ),
    (
        "join(sep, list)",
        "The values of a list joined by sep: join('/', (container.name, proc.name)).",
    ),
    ("concat(a, b, ...)", "The strings one after another."),
    (
        "getopt(args, optstring)[c]",
        "Short options of an argument list read as getopt(3) does: stops at -- or the first non-option, skips long options, an unknown option gives ?. With [c], the value of option c (its letter for an option without value; missing when absent); without, every option and value in order.",
    ),
    (
        "val(field)",
        "On the right of an operator: the value of another field of the same event, compared as if it had been written there: proc.name = val(proc.pname).",
    ),
];

pub(crate) const EXAMPLES: &[(&str, &str)] = &[
    (
        "proc.name = nginx and fd.name startswith /etc",
        "nginx touching /etc.",
    ),
    (
        "evt.type in (open, openat, openat2) and evt.failed = true",
        "Failed opens.",
    ),
    (
        "evt.type = connect and fd.sip = 10.0.0.0/8 and fd.sport = 5432",
        "Connections to PostgreSQL on the private network.",
    ),
    (
        "proc.pname = bash and not user.name = root",
        "Commands run by an interactive shell of a non-root user.",
    ),
    (
        "container.id != host and k8s.ns.name = shop",
        "Everything in the Kubernetes namespace shop.",
    ),
    (
        "evt.buffer contains 'HTTP/1.1 5'",
        "HTTP responses with a 5xx status.",
    ),
    (
        "fd.name pmatch (/etc/ssh, /root/.ssh)",
        "SSH configuration and keys.",
    ),
    (
        "proc.aname[2] = sshd",
        "Processes whose grandparent is sshd.",
    ),
    (
        "evt.is_open_write = true and fd.name pmatch (/etc, /usr/bin)",
        "Files opened for writing under /etc or /usr/bin.",
    ),
    (
        "proc.name = val(proc.pname) and len(proc.aname) > 3",
        "Processes named like their parent, at least three levels deep.",
    ),
    (
        "fd.snet != 10.0.0.0/8 and evt.type = connect",
        "Connections leaving the private network.",
    ),
];

/// The casefile-filter(7) man page.
pub fn filter_man_page() -> String {
    let mut m = String::new();
    m.push_str(".\\\" Generated by `casefile fields --man`; do not edit.\n");
    m.push_str(".TH CASEFILE-FILTER 7 \"\" \"casefile\" \"casefile manual\"\n");
    m.push_str(".SH NAME\ncasefile\\-filter \\- the event filter language of casefile\n");
    m.push_str(".SH SYNOPSIS\n.B casefile read\n.I FILE\n.B \\-f\n.I FILTER\n.br\n.B casefile check\n.I FILE\n.B \\-f\n.I FILTER\n");
    m.push_str(".SH DESCRIPTION\n");
    m.push_str(
        "Filters select events by comparing fields of each event, seen in its context (the \
         process, thread, file descriptor, container and user it belongs to), with values. \
         The syntax, operators and field names follow sysdig and Falco, so their filters work \
         unchanged where casefile has the fields.\n.PP\n\
         A comparison on a field that the event does not have is false, whatever the operator; \
         use \\fBexists\\fR to test presence and \\fBnot\\fR to negate. Numbers are decimal or \
         0x hex and must fit the field (a port takes 0 to 65535; none more than 64 signed \
         bits): a number out of range is an error, not a wrapped value. Booleans are true and \
         false. IP fields take an address or a network (10.0.0.0/8); fd.net, fd.cnet, \
         fd.snet, fd.lnet and fd.rnet are the same addresses under Falco's network names. \
         Strings are bare (any run of characters other than white space, parentheses, comma, \
         = and quotes) or quoted with \" or ' and Falco's backslash escapes: \\e\\e, \\e/, \
         the quote around the string (\\e\" inside \"...\", \\e' inside '...'), \\en, \\et, \\er, \
         \\eb, \\ef, \\exHH, and \\e followed by a space, which stands for a backslash.\n.PP\n\
         fd.cip.name, fd.sip.name, fd.lip.name and fd.rip.name know only the names the \
         capture's own DNS answers gave (replies read on UDP or TCP port 53, as far as the \
         snaplen kept them), the latest before the event; an address nobody looked up while \
         recording has no name. thread.cap_*, proc.is_exe_*, proc.vpgid and \
         container.mount* have no value in captures written before casefile recorded them. \
         A field without a value (Falco would show <NA>) makes a comparison false and \
         \\fBexists\\fR false.\n.PP\n\
         Errors name the column where they start, show the filter with a caret line under the \
         problem, and suggest the nearest field name for a misspelt one. Every error of a \
         filter is reported at once.\n",
    );
    m.push_str(".SH GRAMMAR\n.nf\n");
    for line in GRAMMAR.lines() {
        let _ = writeln!(m, "{}", roff(line));
    }
    m.push_str(
        ".fi\n.PP\nKeywords (and, or, not) and word operators must be followed by white space, \
         ( or ). Parentheses, not and function calls nest at most 100 levels deep (as in \
         Falco); a deeper filter is an error at the column where it goes too deep.\n",
    );
    m.push_str(".SH OPERATORS\n");
    for (op, what) in OPERATORS {
        let _ = writeln!(m, ".TP\n.B {}\n{}", roff(op), roff(what));
    }
    m.push_str(".SH FUNCTIONS\n");
    m.push_str(
        "Functions (Falco's transformers) compute a value from fields; a function of a \
         missing value is missing. The name is followed directly by (. They stand on the \
         left of an operator, or on the right in place of a value; functions nest.\n",
    );
    for (f, what) in FUNCTIONS {
        let _ = writeln!(m, ".TP\n.B {}\n{}", roff(f), roff(what));
    }
    m.push_str(".SH FIELDS\n");
    m.push_str(
        "Types: num (integer; times and durations in nanoseconds), str (text), bool, ip, \
         bytes (payload snippets), any (a syscall argument: compared as a number when both \
         sides are numbers, as text otherwise). \\fBcasefile fields\\fR prints this list.\n",
    );
    let mut class = "";
    for d in FIELDS {
        let c = d.name.split('.').next().unwrap_or("");
        if c != class {
            let _ = writeln!(m, ".SS {c}");
            class = c;
        }
        let name = d.usage();
        let _ = writeln!(
            m,
            ".TP\n.BR {} \" ({})\"\n{}",
            roff(&name),
            d.ty.short(),
            roff(d.doc)
        );
    }
    m.push_str(".SH BLOCK SKIPPING\n");
    m.push_str(
        "A capture is stored in blocks, each with a summary of the event types, processes \
         and containers it holds. Before decompressing a block, casefile asks whether the \
         filter can match any of its events: evt.type, evt.category, evt.is_io (and _read, \
         _write, evt.is_wait), proc.pid and the container and k8s fields are decided from the \
         summary, combined through and, or and not. Blocks that \
         cannot match are skipped; the state they would have changed is caught up from the \
         nearest keyframe when a later block is read, so results never depend on skipping. \
         \\fBcasefile read \\-\\-no\\-skip\\fR turns skipping off.\n",
    );
    m.push_str(".SH EXAMPLES\n");
    for (f, what) in EXAMPLES {
        let _ = writeln!(m, ".TP\n.B {}\n{}", roff(f), roff(what));
    }
    m.push_str(".SH SEE ALSO\n.BR casefile (1),\n.BR sysdig (8)\n");
    m
}
