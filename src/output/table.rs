//! Aligned, borderless tables in the style of `kubectl get`.

use comfy_table::{Attribute, Color, ContentArrangement, presets};

use super::sanitize;

/// The meaning of a colored piece of text; the palette is chosen here, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Bad,
    Warn,
    Dim,
    Bold,
}

impl Tone {
    fn style(self) -> console::Style {
        let style = console::Style::new();
        match self {
            Tone::Good => style.green(),
            Tone::Bad => style.red().bold(),
            Tone::Warn => style.yellow(),
            Tone::Dim => style.dim(),
            Tone::Bold => style.bold(),
        }
    }

    /// Wraps `text` in this tone's escape codes when `color` is on.
    pub fn paint(self, text: &str, color: bool) -> String {
        if color {
            self.style().force_styling(true).apply_to(text).to_string()
        } else {
            text.to_string()
        }
    }
}

/// One cell: text (sanitized when rendered) and an optional tone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    pub tone: Option<Tone>,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            tone: None,
        }
    }

    pub fn tone(text: impl Into<String>, tone: Tone) -> Cell {
        Cell {
            text: text.into(),
            tone: Some(tone),
        }
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell::new(text)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::new(text)
    }
}

/// A table with upper-case headers and columns separated by three spaces.
#[derive(Debug, Clone, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new<S: AsRef<str>>(headers: &[S]) -> Table {
        Table {
            headers: headers
                .iter()
                .map(|h| h.as_ref().to_ascii_uppercase())
                .collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn render(&self, color: bool) -> String {
        let mut table = comfy_table::Table::new();
        table
            .load_preset(presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Disabled);
        if color {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        table.set_header(self.headers.iter().map(comfy_table::Cell::new));
        for row in &self.rows {
            table.add_row(row.iter().map(|cell| {
                let c = comfy_table::Cell::new(sanitize(&cell.text));
                match (color, cell.tone) {
                    (true, Some(Tone::Good)) => c.fg(Color::Green),
                    (true, Some(Tone::Bad)) => c.fg(Color::Red).add_attribute(Attribute::Bold),
                    (true, Some(Tone::Warn)) => c.fg(Color::Yellow),
                    (true, Some(Tone::Dim)) => c.add_attribute(Attribute::Dim),
                    (true, Some(Tone::Bold)) => c.add_attribute(Attribute::Bold),
                    _ => c,
                }
            }));
        }
        let columns = table.column_count();
        for (i, column) in table.column_iter_mut().enumerate() {
            column.set_padding((0, if i + 1 == columns { 0 } else { 3 }));
        }
        let mut out = String::new();
        for line in table.lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_like_kubectl() {
        let mut t = Table::new(&["name", "ready"]);
        t.row(vec!["orders".into(), "2/2".into()]);
        t.row(vec!["a\x1b[31m".into(), Cell::tone("0/1", Tone::Bad)]);
        assert_eq!(
            t.render(false),
            "NAME      READY\norders    2/2\na\\e[31m   0/1\n"
        );
    }

    #[test]
    fn color_only_when_asked() {
        let mut t = Table::new(&["h"]);
        t.row(vec![Cell::tone("ok", Tone::Good)]);
        assert!(!t.render(false).contains('\x1b'));
        assert!(t.render(true).contains('\x1b'));
    }
}
