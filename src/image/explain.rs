//! What a build context holds and why, without contacting the engine: the size and file
//! count of each top-level entry, the largest files, and for one path the `.dockerignore`
//! line that excluded or re-included it.
//!
//! The walk is the one the build sends ([`super::context::walk`]); the decisions here are
//! pure functions of what it found and of the patterns, so they are tested without a tree.

use serde::Serialize;

use super::dockerignore::{Matcher, Origin, Verdict};
use super::glob::clean;

/// One top-level entry of the context (a file, or a directory with what is sent below it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopEntry {
    pub name: String,
    pub files: u64,
    pub bytes: u64,
}

/// A file sent, with its size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentFile {
    pub path: String,
    pub bytes: u64,
}

/// What the context holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holdings {
    pub files: u64,
    pub bytes: u64,
    /// Top-level entries, largest first (then by name).
    pub entries: Vec<TopEntry>,
    /// The largest files, largest first (then by path).
    pub largest: Vec<SentFile>,
}

/// Sums what was sent by top-level entry and keeps the `top` largest files. `sent` holds
/// every entry sent: its path relative to the context and its size (regular files only;
/// `None` for directories, links and the like, which count as entries but not as files).
pub fn holdings<'a>(
    sent: impl IntoIterator<Item = (&'a str, Option<u64>)>,
    top: usize,
) -> Holdings {
    let mut entries: Vec<TopEntry> = Vec::new();
    let mut largest: Vec<SentFile> = Vec::new();
    let (mut files, mut bytes) = (0, 0);
    for (path, size) in sent {
        let name = path.split('/').next().unwrap_or(path);
        let at = match entries.iter().position(|e| e.name == name) {
            Some(at) => at,
            None => {
                entries.push(TopEntry {
                    name: name.to_string(),
                    files: 0,
                    bytes: 0,
                });
                entries.len() - 1
            }
        };
        let Some(size) = size else { continue };
        files += 1;
        bytes += size;
        entries[at].files += 1;
        entries[at].bytes += size;
        largest.push(SentFile {
            path: path.to_string(),
            bytes: size,
        });
        // Keep the list short while walking a large tree.
        if largest.len() > top * 4 + 16 {
            sort_largest(&mut largest);
            largest.truncate(top);
        }
    }
    sort_largest(&mut largest);
    largest.truncate(top);
    entries.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));
    Holdings {
        files,
        bytes,
        entries,
        largest,
    }
}

fn sort_largest(files: &mut [SentFile]) {
    files.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.path.cmp(&b.path)));
}

/// The pattern behind a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// `.dockerignore line N`, or the rule msv adds.
    pub source: String,
    pub pattern: String,
    pub exception: bool,
    /// The path the pattern matched: the path itself or one of its parent directories,
    /// whose result carries down.
    pub matched: String,
}

/// Why one path is or is not sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathReport {
    pub path: String,
    pub sent: bool,
    /// The last pattern that matched; none means no pattern matched and the path is sent.
    pub rule: Option<Rule>,
    /// The excluded directory above the path that the walk does not enter (no exception
    /// names anything below it), whatever the patterns say about the path itself.
    pub pruned_at: Option<String>,
}

/// Explains `path` (relative to the context; `./` and a trailing `/` are ignored).
pub fn explain_path(matcher: &Matcher, path: &str) -> PathReport {
    let cleaned = clean(path.trim_start_matches("./").as_bytes());
    let verdicts = matcher.verdicts(&cleaned);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let last = verdicts.len() - 1;
    for (at, (prefix, verdict)) in verdicts.iter().enumerate().take(last) {
        if verdict.excluded && !(matcher.has_exceptions() && matcher.must_descend(prefix)) {
            return PathReport {
                path: text(&cleaned),
                sent: false,
                rule: rule(matcher, &verdicts[..=at], *verdict),
                pruned_at: Some(text(prefix)),
            };
        }
    }
    let verdict = verdicts[last].1;
    PathReport {
        path: text(&cleaned),
        sent: !verdict.excluded,
        rule: rule(matcher, &verdicts, verdict),
        pruned_at: None,
    }
}

/// The rule behind `verdict`, the last of `chain`: where its pattern first matched on the
/// way down.
fn rule(matcher: &Matcher, chain: &[(&[u8], Verdict)], verdict: Verdict) -> Option<Rule> {
    let index = verdict.by?;
    let (pattern, origin) = matcher.describe(index);
    let matched = chain
        .iter()
        .map(|(prefix, _)| *prefix)
        .find(|prefix| matcher.pattern_matches(index, prefix))
        .unwrap_or(chain[chain.len() - 1].0);
    Some(Rule {
        source: match origin {
            Origin::Line(n) => format!(".dockerignore line {n}"),
            Origin::StateDir => "msv (its own .msv/ state is never sent)".into(),
            Origin::BuildFile => {
                "msv, as the docker CLI (the Dockerfile and .dockerignore are always sent)".into()
            }
        },
        exception: pattern.starts_with('!') && origin != Origin::StateDir,
        pattern,
        matched: String::from_utf8_lossy(matched).into_owned(),
    })
}

/// Walks the context of `dir` as a build would send it and sums what it holds.
pub fn survey(dir: &std::path::Path, matcher: &Matcher, top: usize) -> anyhow::Result<Holdings> {
    let mut sent: Vec<(String, Option<u64>)> = Vec::new();
    super::context::walk(dir, matcher, |entry| {
        let size = entry.meta.is_file().then_some(entry.meta.len());
        sent.push((entry.rel.to_string_lossy().into_owned(), size));
        Ok(())
    })?;
    Ok(holdings(sent.iter().map(|(p, s)| (p.as_str(), *s)), top))
}

/// `1536` as `1.5 KiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} B"),
        _ => format!("{value:.1} {}", UNITS[unit]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(text: &str) -> Matcher {
        let mut m = Matcher::parse(text.as_bytes()).unwrap();
        m.exclude_first(".msv");
        m.keep(b"Dockerfile");
        m
    }

    #[test]
    fn holdings_sum_by_top_level_entry_and_keep_the_largest() {
        let sent = [
            ("Dockerfile", Some(20)),
            ("src", None),
            ("src/a.rs", Some(100)),
            ("src/b.rs", Some(300)),
            ("big.bin", Some(1000)),
            ("link", None),
        ];
        let h = holdings(sent, 2);
        assert_eq!((h.files, h.bytes), (4, 1420));
        let names: Vec<(&str, u64, u64)> = h
            .entries
            .iter()
            .map(|e| (e.name.as_str(), e.files, e.bytes))
            .collect();
        assert_eq!(
            names,
            [
                ("big.bin", 1, 1000),
                ("src", 2, 400),
                ("Dockerfile", 1, 20),
                ("link", 0, 0)
            ]
        );
        let largest: Vec<&str> = h.largest.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(largest, ["big.bin", "src/b.rs"]);
    }

    #[test]
    fn holdings_of_many_files_keep_the_true_largest() {
        let paths: Vec<String> = (0..500).map(|i| format!("d/f{i}")).collect();
        let sent = paths
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_str(), Some((i * 7 % 500) as u64)));
        let h = holdings(sent, 3);
        let sizes: Vec<u64> = h.largest.iter().map(|f| f.bytes).collect();
        assert_eq!(sizes, [499, 498, 497]);
    }

    #[test]
    fn a_path_excluded_by_a_line_names_it() {
        let m = matcher("# c\n**/*.md\n!docs\n");
        let r = explain_path(&m, "docs/a.md");
        assert!(!r.sent);
        let rule = r.rule.unwrap();
        assert_eq!(rule.source, ".dockerignore line 2");
        assert_eq!(rule.pattern, "**/*.md");
        assert_eq!(rule.matched, "docs/a.md");
        assert!(r.pruned_at.is_none());
    }

    #[test]
    fn a_re_included_path_names_the_exception_and_where_it_matched() {
        let m = matcher("node_modules\n!node_modules/keep\n**/node_modules\n");
        let r = explain_path(&m, "./node_modules/keep/index.js");
        assert!(r.sent);
        assert_eq!(r.path, "node_modules/keep/index.js");
        let rule = r.rule.unwrap();
        assert_eq!(rule.source, ".dockerignore line 2");
        assert!(rule.exception);
        assert_eq!(rule.matched, "node_modules/keep");
    }

    #[test]
    fn a_path_under_a_directory_the_walk_skips_says_so() {
        let m = matcher("docs\n!*/keep\n");
        let r = explain_path(&m, "docs/keep");
        assert!(!r.sent);
        assert_eq!(r.pruned_at.as_deref(), Some("docs"));
        assert_eq!(r.rule.unwrap().pattern, "docs");
    }

    #[test]
    fn unmatched_paths_state_dir_and_build_files() {
        let m = matcher("*\n");
        let r = explain_path(&m, "Dockerfile");
        assert!(r.sent);
        assert!(r.rule.unwrap().source.starts_with("msv, as the docker CLI"));
        let r = explain_path(&m, ".msv/image.json");
        assert!(!r.sent);
        assert!(r.rule.unwrap().source.contains(".msv/"));
        let m = matcher("target\n");
        let r = explain_path(&m, "src/main.rs");
        assert!(r.sent && r.rule.is_none());
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(12), "12 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MiB");
    }
}
