//! The Prometheus text exposition format (version 0.0.4, and the OpenMetrics text that
//! client libraries serve on the same path): only the samples — name, labels, value — as
//! analysis needs them; `# HELP`/`# TYPE` lines, timestamps and exemplars are skipped.
//!
//! Written here rather than taken from a crate: the parsers on crates.io are unmaintained
//! single releases or pull in a regex engine and a date library for what is a line format
//! of a page. This one is small and unit-tested on the shapes the four templates' client
//! libraries write (labels, `le` buckets, `+Inf`, exponents, timestamps, exemplars); a
//! seeded mutation test here and the `prom` fuzz target (fuzz/) check that whatever parses
//! renders back to the same samples.

use std::fmt;

/// One sample line: `name{label="value",...} value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Sample {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A line that is not a sample, with its number (from 1).
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub line: usize,
    pub problem: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.problem)
    }
}

impl std::error::Error for ParseError {}

/// Every sample of a scrape. The first line that is not a comment, blank, or a sample is
/// an error naming it; a scrape is all or nothing, so that a truncated page is never read
/// as fewer requests.
pub fn parse(text: &str) -> Result<Vec<Sample>, ParseError> {
    let mut samples = vec![];
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_matches([' ', '\t', '\r']);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let sample = sample(line).map_err(|problem| ParseError {
            line: i + 1,
            problem,
        })?;
        samples.push(sample);
    }
    Ok(samples)
}

fn sample(line: &str) -> Result<Sample, String> {
    let name_end = line
        .find(['{', ' ', '\t'])
        .ok_or_else(|| format!("{:?} has a name but no value", short(line)))?;
    let name = &line[..name_end];
    if !valid_name(name) {
        return Err(format!("{:?} is not a metric name", short(name)));
    }
    let mut rest = &line[name_end..];
    let mut labels = vec![];
    if let Some(after) = rest.strip_prefix('{') {
        let (parsed, remaining) = label_set(after)?;
        labels = parsed;
        rest = remaining;
    }
    // The value, then an optional timestamp (and, in OpenMetrics, ` # exemplar`).
    let rest = rest.split(" # ").next().unwrap_or_default();
    let mut fields = rest.split_ascii_whitespace();
    let raw = fields
        .next()
        .ok_or_else(|| format!("{name} has no value"))?;
    let value = number(raw).ok_or_else(|| format!("{name} has the value {raw:?}, not a number"))?;
    if let Some(ts) = fields.next()
        && ts.parse::<f64>().is_err()
    {
        return Err(format!("{name} has the timestamp {ts:?}, not a number"));
    }
    if let Some(extra) = fields.next() {
        return Err(format!(
            "{name} has {extra:?} after its value and timestamp"
        ));
    }
    Ok(Sample {
        name: name.to_string(),
        labels,
        value,
    })
}

/// `label="value",...}` up to and including the closing brace; returns what follows it.
type Labels = Vec<(String, String)>;

fn label_set(mut s: &str) -> Result<(Labels, &str), String> {
    let mut labels = vec![];
    loop {
        s = s.trim_start();
        if let Some(rest) = s.strip_prefix('}') {
            return Ok((labels, rest));
        }
        let eq = s.find('=').ok_or("a label without `=`")?;
        let key = s[..eq].trim();
        if !valid_label(key) {
            return Err(format!("{:?} is not a label name", short(key)));
        }
        let after = s[eq + 1..].trim_start();
        let body = after
            .strip_prefix('"')
            .ok_or_else(|| format!("the value of label {key} is not quoted"))?;
        let (value, rest) =
            quoted(body).ok_or_else(|| format!("the value of label {key} has no closing quote"))?;
        labels.push((key.to_string(), value));
        s = rest.trim_start();
        if let Some(rest) = s.strip_prefix(',') {
            s = rest;
        } else if !s.starts_with('}') {
            return Err(format!("expected `,` or `}}` after label {key}"));
        }
    }
}

/// A label value after its opening quote, with `\\`, `\"` and `\n` unescaped; returns it
/// and what follows the closing quote.
fn quoted(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// Go's `strconv.ParseFloat` as the format uses it: decimal and exponent forms, `NaN`,
/// `+Inf`, `-Inf`.
fn number(raw: &str) -> Option<f64> {
    match raw {
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        "NaN" | "nan" => Some(f64::NAN),
        _ => raw.parse::<f64>().ok().filter(|v| v.is_finite()),
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn valid_label(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn short(s: &str) -> String {
    s.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_client_libraries_serve() {
        // The shapes of prometheus (Rust), client_golang, prom-client and prometheus_client
        // (Python): HELP/TYPE comments, labels, buckets with le, +Inf, exponents.
        let text = "# HELP http_requests_total HTTP requests handled.\n\
# TYPE http_requests_total counter\n\
http_requests_total{method=\"GET\",route=\"/api/v1/items/{id}\",status=\"200\"} 1027\n\
http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 3 1700000000000\n\
http_request_duration_seconds_bucket{le=\"0.005\",method=\"GET\",status=\"200\"} 9.0\n\
http_request_duration_seconds_bucket{le=\"+Inf\",method=\"GET\",status=\"200\"} 1.027e+03\n\
http_request_duration_seconds_sum{method=\"GET\",status=\"200\"} 4.2\n\
process_start_time_seconds 1.7e9\n\
go_gc_duration_seconds{quantile=\"NaN\"} NaN\n\n";
        let s = parse(text).unwrap();
        assert_eq!(s.len(), 7);
        assert_eq!(s[0].name, "http_requests_total");
        assert_eq!(s[0].label("route"), Some("/api/v1/items/{id}"));
        assert_eq!(s[0].value, 1027.0);
        assert_eq!(s[1].value, 3.0);
        assert_eq!(s[3].label("le"), Some("+Inf"));
        assert_eq!(s[3].value, 1027.0);
        assert_eq!(s[5].labels, vec![]);
        assert!(s[6].value.is_nan());
    }

    #[test]
    fn label_values_unescape_and_may_hold_any_character() {
        let s = parse(r#"m{path="/a,b}\"c\\d\ne", x = "1" , } 2"#).unwrap();
        assert_eq!(s[0].label("path"), Some("/a,b}\"c\\d\ne"));
        assert_eq!(s[0].label("x"), Some("1"));
        assert_eq!(s[0].value, 2.0);
    }

    #[test]
    fn openmetrics_exemplars_and_eof_are_skipped() {
        let text =
            "# TYPE r counter\nr_total{a=\"b\"} 5 # {trace_id=\"abc\"} 1.0 1700000000\n# EOF\n";
        let s = parse(text).unwrap();
        assert_eq!((s[0].name.as_str(), s[0].value), ("r_total", 5.0));
    }

    #[test]
    fn a_broken_line_is_an_error_naming_it() {
        for (text, line, problem) in [
            (
                "ok 1\nbad{a=\"1\" 2\n",
                2,
                "expected `,` or `}` after label a",
            ),
            ("x{a=1} 2", 1, "the value of label a is not quoted"),
            ("x{a=\"1} 2", 1, "the value of label a has no closing quote"),
            ("x 1 2 3", 1, "x has \"3\" after its value and timestamp"),
            ("x abc", 1, "x has the value \"abc\", not a number"),
            ("x", 1, "\"x\" has a name but no value"),
            ("9x 1", 1, "\"9x\" is not a metric name"),
            ("x{9=\"1\"} 1", 1, "\"9\" is not a label name"),
            (
                "x 1 yesterday",
                1,
                "x has the timestamp \"yesterday\", not a number",
            ),
        ] {
            let err = parse(text).unwrap_err();
            assert_eq!((err.line, err.problem.as_str()), (line, problem), "{text}");
        }
    }

    /// Seeded, so a failure reproduces: mutated expositions (the fuzz target's seeds) give
    /// an error or samples that render back to the same samples, and analysis computes
    /// counts and a p99 from any of them without a panic. fuzz/ runs the same longer.
    #[test]
    fn mutated_expositions_parse_or_fail_cleanly_and_round_trip() {
        use crate::analysis::{Counts, Names};
        let seeds = [
            include_str!("../../fuzz/seeds/prom/templates.prom"),
            include_str!("../../fuzz/seeds/prom/openmetrics.prom"),
        ];
        let tokens = [
            "{",
            "}",
            "\"",
            "\\",
            "=",
            ",",
            " ",
            "\n",
            "+Inf",
            "NaN",
            "1e308",
            "#",
            "le=\"0.1\"",
        ];
        let names = Names {
            duration_metric: "http_request_duration_seconds".into(),
            requests_metric: "http_requests_total".into(),
            status_label: "status".into(),
            exclude_routes: vec!["/healthz".into()],
        };
        let render = |samples: &[Sample]| -> String {
            samples
                .iter()
                .map(|s| {
                    let labels: Vec<String> = s
                        .labels
                        .iter()
                        .map(|(k, v)| {
                            let v = v
                                .replace('\\', "\\\\")
                                .replace('"', "\\\"")
                                .replace('\n', "\\n");
                            format!("{k}=\"{v}\"")
                        })
                        .collect();
                    let value = match s.value {
                        v if v.is_nan() => "NaN".to_string(),
                        f64::INFINITY => "+Inf".to_string(),
                        f64::NEG_INFINITY => "-Inf".to_string(),
                        v => format!("{v:?}"),
                    };
                    format!("{}{{{}}} {value}\n", s.name, labels.join(","))
                })
                .collect()
        };
        let mut rng = fastrand::Rng::with_seed(0x5eed);
        let mut parsed = 0;
        for _ in 0..10_000 {
            let mut text: Vec<char> = seeds[rng.usize(..seeds.len())].chars().collect();
            for _ in 0..rng.usize(1..5) {
                let at = rng.usize(..=text.len());
                match rng.u8(..3) {
                    0 if at < text.len() => {
                        text.remove(at);
                    }
                    1 => text
                        .splice(at..at, tokens[rng.usize(..tokens.len())].chars())
                        .for_each(drop),
                    _ => text.insert(at, char::from(rng.u8(32..127))),
                }
            }
            let text: String = text.into_iter().collect();
            let Ok(samples) = parse(&text) else { continue };
            parsed += 1;
            let again = parse(&render(&samples)).expect("rendered samples parse");
            assert_eq!(samples.len(), again.len(), "{text:?}");
            for (a, b) in samples.iter().zip(&again) {
                assert_eq!((&a.name, &a.labels), (&b.name, &b.labels), "{text:?}");
                assert_eq!(a.value.to_bits(), b.value.to_bits(), "{text:?}");
            }
            let c = Counts::of(&samples, &names);
            let _ = c.quantile(0.99);
            let _ = c.since(&Counts::default()).error_ratio();
        }
        assert!(
            parsed > 1_000,
            "only {parsed} mutants parsed: the test would check little"
        );
    }
}
