//! Unit tests of the `.dockerignore` matcher (`dockerignore.rs`).

use super::*;

fn m(text: &str) -> Matcher {
    Matcher::parse(text.as_bytes()).unwrap()
}

fn ex(rules: &Matcher, path: &str) -> bool {
    rules.excludes(path.as_bytes())
}

#[test]
fn documented_examples() {
    // The examples of Docker's .dockerignore reference.
    let rules = m("# comment\n*/temp*\n*/*/temp*\ntemp?\n");
    assert!(ex(&rules, "somedir/temporary.txt"));
    assert!(ex(&rules, "somedir/temp"));
    assert!(ex(&rules, "somedir/subdir/temporary.txt"));
    assert!(ex(&rules, "tempa"));
    assert!(!ex(&rules, "temp"));
    assert!(!ex(&rules, "temporary.txt"));
    assert!(!ex(&rules, "a/b/c/temp"));

    let rules = m("*.md\n!README.md\n");
    assert!(ex(&rules, "CHANGES.md"));
    assert!(!ex(&rules, "README.md"));

    let rules = m("*.md\n!README*.md\nREADME-secret.md\n");
    assert!(ex(&rules, "README-secret.md"));
    assert!(!ex(&rules, "README-public.md"));

    let rules = m("*.md\nREADME-secret.md\n!README*.md\n");
    assert!(!ex(&rules, "README-secret.md"));
}

#[test]
fn an_exception_on_a_directory_does_not_reach_what_a_pattern_matched_below_it() {
    // Docker keeps these out: `!docs` never matched `docs/a.md` itself, and
    // `**/*.md` did.
    let rules = m("**/*.md\n!docs\n");
    assert!(ex(&rules, "docs/a.md"));
    assert!(!ex(&rules, "docs"));
    assert!(!ex(&rules, "docs/a.txt"));
    let rules = m("**/.env\n!deploy\n");
    assert!(ex(&rules, "deploy/.env"), "a secret Docker excludes");
}

#[test]
fn a_pattern_not_tried_on_a_directory_does_not_carry_down() {
    // `**/node_modules` is not tried on `node_modules` (already excluded there), so
    // nothing carries; below the exception it does not match the path itself.
    let rules = m("node_modules\n!node_modules/keep\n**/node_modules\n");
    assert!(!ex(&rules, "node_modules/keep/index.js"));
    assert!(!ex(&rules, "node_modules/keep"));
    assert!(ex(&rules, "node_modules/other.js"));
    assert!(ex(&rules, "web/node_modules/x"));
    // A literal example of the same rule.
    let rules = m("a\n!a/b\na\n");
    assert!(!ex(&rules, "a/b/c"));
}

#[test]
fn verdicts_name_the_deciding_pattern() {
    let rules = m("docs\n!docs/keep.md\n");
    let v = rules.verdicts(b"docs/keep.md");
    assert_eq!(
        v[0].1,
        Verdict {
            excluded: true,
            by: Some(0)
        }
    );
    assert_eq!(
        v[1].1,
        Verdict {
            excluded: false,
            by: Some(1)
        }
    );
    assert_eq!(rules.describe(1), ("!docs/keep.md".into(), Origin::Line(2)));
}

#[test]
fn anchored_at_the_root_and_parents_exclude_children() {
    let rules = m("node_modules\n");
    assert!(ex(&rules, "node_modules"));
    assert!(ex(&rules, "node_modules/x/y.js"));
    assert!(!ex(&rules, "web/node_modules"));
    let rules = m("/target/\n./build//out/\n");
    assert!(ex(&rules, "target/debug/msv"));
    assert!(ex(&rules, "build/out/a"));
    assert!(!ex(&rules, "build/in"));
}

#[test]
fn exceptions_and_descending() {
    let rules = m("docs\n!docs/keep.md\n");
    assert!(ex(&rules, "docs/other.md"));
    assert!(!ex(&rules, "docs/keep.md"));
    assert!(rules.has_exceptions());
    assert!(rules.must_descend(b"docs"));
    assert!(!rules.must_descend(b"doc"));
    let rules = m("*\n!src\n");
    assert!(!ex(&rules, "src/a/b.rs"));
    assert!(ex(&rules, "target/a"));
}

#[test]
fn keep_overrides_exclusion() {
    let mut rules = m("*\n");
    assert!(ex(&rules, "Dockerfile"));
    rules.keep(b"Dockerfile");
    rules.keep(b".dockerignore");
    assert!(!ex(&rules, "Dockerfile"));
    assert!(!ex(&rules, ".dockerignore"));
    assert!(ex(&rules, "src"));
    let (_, origin) = rules.describe(rules.len() - 1);
    assert_eq!(origin, Origin::BuildFile);
}

#[test]
fn comments_only_start_at_the_first_byte() {
    let rules = m("\u{feff}secret\n\n   # not a comment\n  spaced  \n#real comment\n");
    assert!(ex(&rules, "secret"));
    assert!(ex(&rules, "spaced"));
    assert!(ex(&rules, "# not a comment"));
    assert!(!ex(&rules, "#real comment"));
    assert_eq!(rules.len(), 3);
}

#[test]
fn lines_end_like_go_scanner_lines() {
    let all: Vec<&[u8]> = lines(b"a\r\nb\n\nc").collect();
    assert_eq!(all, [b"a".as_slice(), b"b", b"", b"c"]);
    assert_eq!(lines(b"a\n").count(), 1);
    assert_eq!(lines(b"").count(), 0);
    let rules = m("x\r\n");
    assert!(ex(&rules, "x"));
}

#[test]
fn lines_of_64_kib_are_refused() {
    let ok = format!("ok\n{}\n", "a".repeat(MAX_LINE - 1));
    assert!(Matcher::parse(ok.as_bytes()).is_ok());
    let long = format!("ok\n{}\n", "a".repeat(MAX_LINE));
    let err = Matcher::parse(long.as_bytes()).unwrap_err();
    assert_eq!(err.line, 2);
    assert!(err.to_string().contains("64 KiB"), "{err}");
}

#[test]
fn bad_patterns_name_their_line() {
    let err = Matcher::parse(b"ok\n!\n").unwrap_err();
    assert_eq!(err.line, 2);
    let err = Matcher::parse(b"a\nb\n[abc\n").unwrap_err();
    assert_eq!(err.line, 3);
    let err = Matcher::parse(b"# c\n\nfoo\\q\n").unwrap_err();
    assert_eq!(err.line, 3);
    assert!(err.to_string().contains("\\q"), "{err}");
    assert!(Matcher::parse(b"[z-a]\n").is_err());
    assert!(Matcher::parse(b"trailing\\\n").is_err());
    // moby cleans `!/` to `!`.
    assert!(Matcher::parse(b"!/\n").is_err());
}

#[test]
fn names_and_patterns_are_bytes() {
    let rules = Matcher::parse(b"caf\xe9\n!caf\xe9/keep\n").unwrap();
    assert!(rules.excludes(b"caf\xe9/x"));
    assert!(!rules.excludes(b"caf\xe9/keep"));
    assert!(!rules.excludes("café/x".as_bytes()));
    assert_eq!(trim(b" \xff "), b"\xff");
    assert_eq!(trim(b"  # x"), b"# x");
    assert_eq!(trim("a b\u{2003}".as_bytes()), b"a b");
    assert_eq!(trim(b"\xe2\x80 "), b"\xe2\x80");
    assert_eq!(trim("\u{a0}x\u{3000}".as_bytes()), b"x");
}

#[test]
fn exclusions_put_first_can_be_overridden() {
    let mut rules = m("!.msv/keep\n");
    rules.exclude_first(".msv");
    assert!(ex(&rules, ".msv/image.json"));
    assert!(!ex(&rules, ".msv/keep"));
    assert_eq!(rules.describe(0).1, Origin::StateDir);
}

/// Never panics, whatever the pattern text and path: a small deterministic
/// generator (xorshift) over an alphabet rich in glob and regexp syntax.
#[test]
fn randomized_patterns_never_panic() {
    const ALPHABET: &[&[u8]] = &[
        b"*",
        b"?",
        b"[",
        b"]",
        b"^",
        b"!",
        b"\\",
        b"/",
        b".",
        b"-",
        b":",
        b"d",
        b"p",
        b"Q",
        b"E",
        b"0",
        b"a",
        b" ",
        b"#",
        "é".as_bytes(),
        b"\xff",
        b"x",
        b"{",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..5_000 {
        let mut text = Vec::new();
        let mut path = Vec::new();
        for _ in 0..(next() % 24) {
            if next() % 9 == 0 {
                text.push(b'\n');
            } else {
                text.extend_from_slice(ALPHABET[(next() % ALPHABET.len() as u64) as usize]);
            }
        }
        for _ in 0..(next() % 12) {
            path.extend_from_slice(ALPHABET[(next() % ALPHABET.len() as u64) as usize]);
        }
        if let Ok(mut rules) = Matcher::parse(&text) {
            let _ = rules.excludes(&path);
            let _ = rules.must_descend(&path);
            rules.keep(&path);
            assert!(!rules.excludes(&path) || clean(&path) != path);
        }
    }
}
