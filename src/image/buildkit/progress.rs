//! BuildKit's progress, as the engine streams it (`moby.buildkit.trace` messages): which
//! steps (vertices) started, came from the cache, finished or failed, and their logs.
//! Turned into numbered events here; how they are shown is the caller's choice (a bar on
//! a terminal, lines otherwise). Kept: each step's log tail, for the failure report.

use std::collections::HashMap;

use bollard_buildkit_proto::moby::buildkit::v1::StatusResponse;

const LOG_TAIL: usize = 30;

/// Something worth telling about a step, numbered in the order steps appeared.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Started { num: usize, name: String },
    Cached { num: usize, name: String },
    Done { num: usize, seconds: f64 },
    Failed { num: usize, error: String },
    Log { num: usize, line: String },
}

#[derive(Debug, Default)]
struct Vertex {
    num: usize,
    name: String,
    started: bool,
    done: bool,
    cached: bool,
    error: Option<String>,
    log: Vec<String>,
    partial: String,
}

/// The state of a BuildKit build as far as the messages so far tell.
#[derive(Debug, Default)]
pub struct Progress {
    vertices: Vec<Vertex>,
    by_digest: HashMap<String, usize>,
}

impl Progress {
    /// Takes one status message; returns what changed.
    pub fn update(&mut self, status: &StatusResponse) -> Vec<Event> {
        let mut events = Vec::new();
        for v in &status.vertexes {
            let i = self.index(&v.digest);
            let vertex = &mut self.vertices[i];
            if !v.name.is_empty() {
                vertex.name = v.name.clone();
            }
            let num = vertex.num;
            if v.cached && !vertex.cached {
                vertex.cached = true;
                vertex.done = true;
                events.push(Event::Cached {
                    num,
                    name: vertex.name.clone(),
                });
                continue;
            }
            if v.started.is_some() && !vertex.started && !vertex.cached {
                vertex.started = true;
                events.push(Event::Started {
                    num,
                    name: vertex.name.clone(),
                });
            }
            if !v.error.is_empty() && vertex.error.is_none() {
                vertex.error = Some(v.error.clone());
                events.push(Event::Failed {
                    num,
                    error: v.error.clone(),
                });
            } else if let Some(done) = &v.completed
                && !vertex.done
            {
                vertex.done = true;
                let seconds = match &v.started {
                    Some(start) => {
                        (done.seconds - start.seconds) as f64
                            + f64::from(done.nanos - start.nanos) / 1e9
                    }
                    None => 0.0,
                };
                events.push(Event::Done {
                    num,
                    seconds: seconds.max(0.0),
                });
            }
        }
        for log in &status.logs {
            let i = self.index(&log.vertex);
            let vertex = &mut self.vertices[i];
            vertex.partial.push_str(&String::from_utf8_lossy(&log.msg));
            while let Some(end) = vertex.partial.find('\n') {
                let line = vertex.partial[..end].trim_end_matches('\r').to_string();
                vertex.partial.drain(..=end);
                if vertex.log.len() == LOG_TAIL {
                    vertex.log.remove(0);
                }
                vertex.log.push(line.clone());
                events.push(Event::Log {
                    num: vertex.num,
                    line,
                });
            }
        }
        events
    }

    fn index(&mut self, digest: &str) -> usize {
        if let Some(&i) = self.by_digest.get(digest) {
            return i;
        }
        let i = self.vertices.len();
        self.vertices.push(Vertex {
            num: i + 1,
            ..Vertex::default()
        });
        self.by_digest.insert(digest.to_string(), i);
        i
    }

    /// (finished or cached, known) steps, for a progress bar.
    pub fn counts(&self) -> (u64, u64) {
        let done = self.vertices.iter().filter(|v| v.done).count();
        (done as u64, self.vertices.len() as u64)
    }

    /// The name of the step of `num`.
    pub fn name(&self, num: usize) -> &str {
        self.vertices.get(num - 1).map_or("", |v| v.name.as_str())
    }

    /// The failure report: the step that failed, its error and the end of its log.
    pub fn failure(&self, error: &str) -> String {
        let Some(failed) = self.vertices.iter().find(|v| v.error.is_some()) else {
            return format!("the build failed: {error}");
        };
        let mut report = format!(
            "the build failed at step #{} {}: {error}",
            failed.num, failed.name
        );
        if !failed.log.is_empty() {
            report.push_str("\nits output, last lines:");
            for line in &failed.log {
                report.push_str("\n  ");
                report.push_str(line);
            }
        }
        report
    }
}

/// One line per event, as shown without a terminal or with -v.
pub fn line(event: &Event, progress: &Progress) -> String {
    match event {
        Event::Started { num, name } => format!("#{num} {name}"),
        Event::Cached { num, name } => format!("#{num} CACHED {name}"),
        Event::Done { num, seconds } => format!("#{num} DONE {seconds:.1}s"),
        Event::Failed { num, error } => {
            format!("#{num} ERROR {}: {error}", progress.name(*num))
        }
        Event::Log { num, line } => format!("#{num} {line}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard_buildkit_proto::google::protobuf::Timestamp;
    use bollard_buildkit_proto::moby::buildkit::v1::{Vertex as V, VertexLog};

    fn vertex(digest: &str, name: &str) -> V {
        V {
            digest: digest.into(),
            name: name.into(),
            ..V::default()
        }
    }

    #[test]
    fn steps_are_numbered_started_cached_done_and_logged() {
        let mut p = Progress::default();
        let mut a = vertex("a", "[1/2] FROM base");
        a.cached = true;
        let mut b = vertex("b", "[2/2] RUN make");
        b.started = Some(Timestamp {
            seconds: 10,
            nanos: 0,
        });
        let events = p.update(&StatusResponse {
            vertexes: vec![a, b.clone()],
            ..StatusResponse::default()
        });
        assert_eq!(
            events,
            [
                Event::Cached {
                    num: 1,
                    name: "[1/2] FROM base".into()
                },
                Event::Started {
                    num: 2,
                    name: "[2/2] RUN make".into()
                }
            ]
        );
        // Logs arrive in pieces; lines are whole.
        let log = |msg: &str| VertexLog {
            vertex: "b".into(),
            msg: msg.as_bytes().to_vec(),
            ..VertexLog::default()
        };
        let events = p.update(&StatusResponse {
            logs: vec![log("compil"), log("ing\nlinked\n")],
            ..StatusResponse::default()
        });
        assert_eq!(
            events,
            [
                Event::Log {
                    num: 2,
                    line: "compiling".into()
                },
                Event::Log {
                    num: 2,
                    line: "linked".into()
                }
            ]
        );
        b.completed = Some(Timestamp {
            seconds: 12,
            nanos: 500_000_000,
        });
        let events = p.update(&StatusResponse {
            vertexes: vec![b.clone()],
            ..StatusResponse::default()
        });
        assert_eq!(
            events,
            [Event::Done {
                num: 2,
                seconds: 2.5
            }]
        );
        assert_eq!(p.counts(), (2, 2));
        assert_eq!(line(&events[0], &p), "#2 DONE 2.5s");
        // The same message again changes nothing.
        assert!(
            p.update(&StatusResponse {
                vertexes: vec![b],
                ..StatusResponse::default()
            })
            .is_empty()
        );
    }

    #[test]
    fn the_failure_names_the_step_and_its_last_lines() {
        let mut p = Progress::default();
        let mut v = vertex("x", "[2/3] RUN exit 3");
        p.update(&StatusResponse {
            vertexes: vec![v.clone()],
            logs: vec![VertexLog {
                vertex: "x".into(),
                msg: b"boom-output\n".to_vec(),
                ..VertexLog::default()
            }],
            ..StatusResponse::default()
        });
        v.error = "exit code: 3".into();
        let events = p.update(&StatusResponse {
            vertexes: vec![v],
            ..StatusResponse::default()
        });
        assert_eq!(
            line(&events[0], &p),
            "#1 ERROR [2/3] RUN exit 3: exit code: 3"
        );
        let report = p.failure("executor failed");
        assert!(report.contains("step #1 [2/3] RUN exit 3"), "{report}");
        assert!(report.contains("boom-output"), "{report}");
    }
}
