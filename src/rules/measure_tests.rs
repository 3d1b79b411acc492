//! Measurement helper (ignored by default): prints each rule of the rules files named in
//! `CASEFILE_RULES` (colon-separated, in load order) with its condition expanded as Falco
//! expands it, one JSON object per line, into `CASEFILE_EXPANDED`. Used to compare match
//! counts with sysdig over the same conditions; the upstream files are never committed.
//!
//! `CASEFILE_RULES=a.yaml:b.yaml CASEFILE_EXPANDED=out.jsonl cargo test --bin casefile
//! expanded_conditions -- --ignored`

use super::expand::Expander;
use super::load::Collection;

#[test]
#[ignore = "a measurement helper; needs CASEFILE_RULES and CASEFILE_EXPANDED"]
fn expanded_conditions() {
    let files = std::env::var("CASEFILE_RULES").expect("CASEFILE_RULES");
    let out = std::env::var("CASEFILE_EXPANDED").expect("CASEFILE_EXPANDED");
    let mut coll = Collection::default();
    for f in files.split(':') {
        let text = std::fs::read_to_string(f).expect("rules file");
        coll.load(f, &text).expect("load");
    }
    let ex = Expander::new(&coll).expect("lists");
    let mut lines = String::new();
    for def in &coll.rules {
        let cond = ex.rule(def).expect("expand").text;
        let v = serde_json::json!({"rule": def.name, "enabled": def.enabled, "condition": cond});
        lines.push_str(&v.to_string());
        lines.push('\n');
    }
    std::fs::write(out, lines).expect("write");
}
