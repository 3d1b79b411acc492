//! `casefile rules`: Falco rules files over the committed captures; exit 1 when a rule fires,
//! 0 when none does, 2 on errors.

use std::fmt::Write as _;

use crate::eqnice;
use crate::read::{casefile, fixture, stderr, stdout};
use crate::util::Dir;

fn rules(name: &str) -> String {
    crate::util::fixture(&format!("rules/{name}.yaml"))
        .display()
        .to_string()
}

fn state() -> String {
    fixture("state").display().to_string()
}

fn container_scap() -> String {
    crate::util::fixture("scap/falco_run_as_user_0_container.scap")
        .display()
        .to_string()
}

#[test]
fn each_rule_fires_where_expected_and_exit_is_1() {
    let o = casefile(&["rules", "-r", &rules("basic"), &state()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    eqnice!(
        "\
00:00:00.000007000: Notice Program run by a shell (cmd=cat /etc/passwd parent=bash exe=/bin/cat)
00:00:00.000013000: Error Write to /etc/passwd by bash (tid=101 bytes=3)
00:00:00.000016000: Warning Sensitive file opened (file=/etc/shadow res=ENOENT proc=bash pid=100 user=alice)
00:00:00.000018000: Informational Outbound connection (proc=bash connection=10.0.0.2:40000->93.184.216.34:443)
00:00:00.000026000: Debug Accepted (container=shop-web image=docker.io/library/nginx:1.25 pod=shop-web-7d9f client=10.0.0.7)
",
        stdout(&o)
    );
    eqnice!(
        "\
casefile rules: 5 alerts from 5 rules of 6 run (7 defined, 1 not selected); 28 events; 1 block read, 0 skipped by their summaries
         1  Warning        Read sensitive file
         1  Error          Write to a passwd file
         1  Notice         Shell spawned a program
         1  Informational  Outbound connection
         1  Debug          Container accepted a connection
",
        stderr(&o)
    );
}

#[test]
fn appends_and_overrides_in_a_later_file_change_what_fires() {
    let o = casefile(&[
        "rules",
        "-r",
        &rules("basic"),
        "-r",
        &rules("overrides"),
        &state(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // /etc/passwd joined the sensitive list (but cat is excepted by the appended condition),
    // the outbound connection became a known host, the write rule is Critical with a new
    // output, the disabled read rule runs and the container rule does not.
    eqnice!(
        "\
00:00:00.000000000: Warning Sensitive file opened (file=/etc/passwd res=SUCCESS proc=bash pid=100 user=alice)
00:00:00.000002000: Debug read by bash
00:00:00.000005000: Debug read by bash
00:00:00.000007000: Notice Program run by a shell (cmd=cat /etc/passwd parent=bash exe=/bin/cat)
00:00:00.000008000: Debug read by cat
00:00:00.000010000: Debug read by bash
00:00:00.000011000: Debug read by bash
00:00:00.000013000: Critical Passwd file written: /etc/passwd by bash[100] in host
00:00:00.000016000: Warning Sensitive file opened (file=/etc/shadow res=ENOENT proc=bash pid=100 user=alice)
",
        stdout(&o)
    );
    assert!(
        stderr(&o).contains("overrides.yaml:4: 'append' is deprecated in Falco"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_first_matching_rule_fires_unless_all_matches() {
    let o = casefile(&["rules", "-r", &rules("basic"), &container_scap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    eqnice!(
        "22:31:12.095933116: Notice Program run by a shell (cmd=ls parent=bash exe=ls)\n",
        stdout(&o)
    );
    let o = casefile(&[
        "rules",
        "--all-matches",
        "-r",
        &rules("basic"),
        &container_scap(),
    ]);
    eqnice!(
        "\
22:31:12.095933116: Notice Program run by a shell (cmd=ls parent=bash exe=ls)
22:31:12.095933116: Critical Program in container (container=697956520d89 name=hopeful_taussig image=nginx cmd=ls)
",
        stdout(&o)
    );
}

#[test]
fn several_captures_are_merged_and_tags_select_rules() {
    let o = casefile(&[
        "rules",
        "-r",
        &rules("basic"),
        "-t",
        "container",
        &state(),
        &container_scap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("Debug Accepted (container=shop-web"), "{out}");
    assert!(
        out.contains("Critical Program in container (container=697956520d89"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 2, "{out}");
}

#[test]
fn disabled_tags_names_and_min_priority_leave_rules_out() {
    let o = casefile(&[
        "rules",
        "-r",
        &rules("basic"),
        "-T",
        "network",
        "-D",
        "passwd",
        "--min-priority",
        "notice",
        &state(),
    ]);
    eqnice!(
        "\
00:00:00.000007000: Notice Program run by a shell (cmd=cat /etc/passwd parent=bash exe=/bin/cat)
00:00:00.000016000: Warning Sensitive file opened (file=/etc/shadow res=ENOENT proc=bash pid=100 user=alice)
",
        stdout(&o)
    );
    assert!(stderr(&o).contains("of 3 run (7 defined, 4 not selected)"));
    let o = casefile(&[
        "rules",
        "-r",
        &rules("basic"),
        "-t",
        "a",
        "-T",
        "b",
        &state(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = casefile(&[
        "rules",
        "-r",
        &rules("basic"),
        "--min-priority",
        "loud",
        &state(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown priority 'loud'"));
}

#[test]
fn json_alerts_have_falcos_shape() {
    let o = casefile(&["rules", "--json", "-r", &rules("basic"), &state()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let first = out.lines().nth(1).expect("two alerts");
    eqnice!(
        r#"{"hostname":"fixture","output":"00:00:00.000013000: Error Write to /etc/passwd by bash (tid=101 bytes=3)","output_fields":{"evt.rawres":3,"evt.time":1767225600000013000,"fd.name":"/etc/passwd","proc.name":"bash","thread.tid":101},"priority":"Error","rule":"Write to a passwd file","source":"syscall","tags":["filesystem"],"time":"2026-01-01T00:00:00.000013000Z"}"#,
        first
    );
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        let keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "hostname",
                "output",
                "output_fields",
                "priority",
                "rule",
                "source",
                "tags",
                "time"
            ]
        );
        assert!(v["output_fields"]["evt.time"].is_u64());
    }
}

#[test]
fn nothing_fires_exits_0_and_blocks_no_rule_can_match_are_skipped() {
    let dir = Dir::new("rules-skip");
    let r = dir.write(
        "sshd.yaml",
        "- rule: sshd ran\n  desc: d\n  condition: proc.name = sshd and evt.type = execve\n  output: sshd %proc.cmdline\n  priority: info\n",
    );
    let synth = fixture("synth").display().to_string();
    let o = casefile(&["rules", "-r", &r.display().to_string(), &synth]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    eqnice!("", stdout(&o));
    eqnice!(
        "casefile rules: 0 alerts from 0 rules of 1 run (1 defined, 0 not selected); 6000 events; 26 blocks read, 49 skipped by their summaries\n",
        stderr(&o)
    );
    let o = casefile(&["rules", "--no-skip", "-r", &r.display().to_string(), &synth]);
    assert!(
        stderr(&o).contains("75 blocks read, 0 skipped"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_damaged_block_and_no_alert_exits_2() {
    let dir = Dir::new("rules-damage");
    let r = dir.write(
        "r.yaml",
        "- rule: never\n  desc: d\n  condition: proc.name = nosuchprogram\n  output: x\n  priority: info\n",
    );
    let bad = crate::util::fixture("captures/v1/corrupt-middle.case");
    let o = casefile(&[
        "rules",
        "-r",
        &r.display().to_string(),
        &bad.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("block body checksum mismatch"));
}

#[test]
fn unsupported_rules_are_errors_naming_rule_field_and_line() {
    let o = casefile(&["rules", "-r", &rules("unsupported"), &state()]);
    assert_eq!(o.status.code(), Some(2));
    eqnice!(
        "casefile: fixtures/rules/unsupported.yaml:5: rule 'Admin writes below etc': unknown field 'proc.sname' (did you mean 'proc.name'?) (in macro 'cap_admin')\n",
        stderr(&o).replace(&rules("unsupported"), "fixtures/rules/unsupported.yaml")
    );
}

#[test]
fn skip_unsupported_warns_for_each_rule_and_runs_the_rest() {
    let o = casefile(&[
        "rules",
        "--skip-unsupported",
        "-r",
        &rules("unsupported"),
        &state(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    eqnice!(
        "00:00:00.000016000: Notice failed open of /etc/shadow by bash (exe=<NA>)\n",
        stdout(&o)
    );
    let err = stderr(&o).replace(&rules("unsupported"), "unsupported.yaml");
    eqnice!(
        "\
casefile: warning: 2 rules skipped: they use what casefile cannot evaluate:
  unsupported.yaml:5: rule 'Admin writes below etc': unknown field 'proc.sname' (did you mean 'proc.name'?) (in macro 'cap_admin')
  unsupported.yaml:15: rule 'Odd name': operator 'bcontains' does not apply to proc.name, which is a string
casefile: warning: unsupported.yaml:19: rule 'Failed open': output uses unknown field 'proc.exe_ino'; shown as <NA>
casefile rules: 1 alert from 1 rule of 1 run (3 defined, 0 not selected, 2 skipped as unsupported); 28 events; 1 block read, 0 skipped by their summaries
         1  Notice         Failed open
",
        err
    );
}

/// Runs `rules` over the state fixture with a rules file holding `text`; returns stderr
/// with the temporary path replaced by `r.yaml`, after checking the exit status is 2.
fn load_error(text: &str) -> String {
    let dir = Dir::new("rules-err");
    let r = dir.write("r.yaml", text);
    let o = casefile(&["rules", "-r", &r.display().to_string(), &state()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    stderr(&o).replace(&r.display().to_string(), "r.yaml")
}

#[test]
fn broken_files_give_file_and_line() {
    let o = casefile(&["rules", "-r", &rules("broken"), &state()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).ends_with("broken.yaml:8: illegal placement of ':' indicator\n"),
        "{}",
        stderr(&o)
    );
    const RULE: &str = "- rule: r\n  desc: d\n  output: o\n  priority: info\n";
    eqnice!(
        "casefile: r.yaml:5: undefined macro 'nosuch' used in rule 'r'\n",
        load_error(&format!("{RULE}  condition: nosuch and evt.type = open\n"))
    );
    eqnice!(
        "casefile: r.yaml:6: macros use each other in a cycle: a -> b -> a\n",
        load_error(&format!(
            "- macro: a\n  condition: evt.type = open\n- macro: b\n  condition: a\n- macro: a\n  condition: b\n{RULE}  condition: a\n"
        ))
    );
    eqnice!(
        "casefile: r.yaml:4: invalid priority 'loud' (emergency, alert, critical, error, warning, notice, informational, debug)\n",
        load_error(
            "- rule: r\n  desc: d\n  output: o\n  priority: loud\n  condition: evt.type = open\n"
        )
    );
    eqnice!(
        "casefile: r.yaml:1: rule 'r' has 'append' but no rule by that name was defined before\n",
        load_error("- rule: r\n  condition: and proc.name = x\n  append: true\n")
            .lines()
            .last()
            .map(|l| format!("{l}\n"))
            .unwrap_or_default()
    );
    eqnice!(
        "casefile: r.yaml:1: a rules file is a sequence of items (- list:, - macro:, - rule:), not a mapping\n",
        load_error("rule: r\n")
    );
}

#[test]
fn hostile_files_are_refused_quickly() {
    // Macros that use each other eight times over, fourteen levels deep.
    let mut laughs = String::from("- macro: m0\n  condition: proc.name = lol\n");
    for i in 1..14 {
        let p = format!("m{}", i - 1);
        let _ = writeln!(
            laughs,
            "- macro: m{i}\n  condition: {p} or {p} or {p} or {p} or {p} or {p} or {p} or {p}"
        );
    }
    laughs.push_str("- rule: r\n  desc: d\n  output: o\n  priority: info\n  condition: m13\n");
    let e = load_error(&laughs);
    assert!(e.contains("expands to more than 1024 KiB"), "{e}");
    // YAML aliases of aliases.
    let mut yaml = String::from("- list: l0\n  items: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = format!("*a{}", i - 1);
        let _ = writeln!(
            yaml,
            "- list: l{i}\n  items: &a{i} [{p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}]"
        );
    }
    let e = load_error(&yaml);
    assert!(e.contains("aliases expand to more than"), "{e}");
    let e = load_error(&format!(
        "- rule: r\n  desc: d\n  output: o\n  priority: info\n  condition: {}evt.type = open{}\n",
        "(".repeat(5000),
        ")".repeat(5000)
    ));
    assert!(e.contains("nests deeper than 256 levels"), "{e}");
}

#[test]
fn a_directory_of_rules_files_loads_in_name_order() {
    let dir = Dir::new("rules-dir");
    dir.write(
        "10-base.yaml",
        "- rule: cat ran\n  desc: d\n  condition: evt.type = execve and proc.name = cat\n  output: cat ran (%proc.cmdline)\n  priority: info\n",
    );
    // Loaded second: replaces the priority of the rule the first file defined.
    dir.write(
        "20-local.yml",
        "- rule: cat ran\n  priority: alert\n  override:\n    priority: replace\n",
    );
    dir.write("notes.txt", "not a rules file");
    let o = casefile(&["rules", "-r", &dir.path.display().to_string(), &state()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    eqnice!(
        "00:00:00.000007000: Alert cat ran (cat /etc/passwd)\n",
        stdout(&o)
    );
}

#[test]
fn skip_if_unknown_filter_skips_that_rule_without_the_flag() {
    let dir = Dir::new("rules-skip-if");
    let r = dir.write(
        "r.yaml",
        "- rule: new field\n  desc: d\n  condition: proc.sname = sshd\n  output: o\n  priority: info\n  skip-if-unknown-filter: true\n\
         - rule: cat ran\n  desc: d\n  condition: evt.type = execve and proc.name = cat\n  output: cat ran\n  priority: info\n",
    );
    let o = casefile(&["rules", "-r", &r.display().to_string(), &state()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    eqnice!("00:00:00.000007000: Informational cat ran\n", stdout(&o));
    assert!(
        stderr(&o).contains("1 rule skipped: it uses what casefile cannot evaluate:\n")
            && stderr(&o).contains("r.yaml:3: rule 'new field': unknown field 'proc.sname'"),
        "{}",
        stderr(&o)
    );
}
