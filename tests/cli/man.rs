//! The committed man pages are exactly what the clap definitions generate.
//! Regenerate with `cargo run -- man man/` after changing a command.

use crate::util::{Dir, TestCommand, repo};

#[test]
fn committed_man_pages_match_the_cli() {
    let d = Dir::new("man");
    TestCommand::new(["man", d.path.to_str().expect("utf8")]).stdout();
    let committed = repo().join("man");
    let mut generated: Vec<_> = std::fs::read_dir(&d.path)
        .expect("read generated")
        .map(|e| e.expect("entry").file_name())
        .collect();
    generated.sort();
    assert!(generated.len() > 3, "{generated:?}");
    for name in &generated {
        let want = std::fs::read(d.path.join(name)).expect("generated page");
        let have = std::fs::read(committed.join(name)).unwrap_or_default();
        assert!(
            want == have,
            "man/{} is stale or missing: run `cargo run -- man man/` and commit the result",
            name.to_string_lossy()
        );
    }
    // Nothing stale left behind: every committed .1 page is still generated.
    for e in std::fs::read_dir(&committed).expect("man/") {
        let name = e.expect("entry").file_name();
        if name.to_string_lossy().ends_with(".1") {
            assert!(
                generated.contains(&name),
                "man/{} has no command any more",
                name.to_string_lossy()
            );
        }
    }
}
