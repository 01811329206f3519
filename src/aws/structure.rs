//! The structural unit around a position of some content: the innermost JSON-like object, the
//! INI section, or the indented YAML block holding it. Two values in one unit belong together
//! (a profile of `~/.aws/credentials`, an `aws iam create-access-key` answer, a Terraform
//! resource, the `data:` of a Kubernetes secret), however far apart they are.

use serde::Serialize;

/// The kind of a structural unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// A `{ … }` object (JSON, HCL, a dictionary in code).
    Object,
    /// An INI or TOML section (`[profile]`).
    Section,
    /// A block of lines indented under one parent line (YAML, Python).
    Block,
}

/// A structural unit: its kind and where it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Unit {
    /// The kind.
    pub kind: UnitKind,
    /// Offset of its first byte.
    pub start: usize,
}

/// The units of one content, computed once.
#[derive(Debug)]
pub struct Structure {
    /// Objects as (start, end) offsets, end exclusive; unclosed objects end at the content end.
    objects: Vec<(usize, usize)>,
    /// Offsets of INI section header lines.
    sections: Vec<usize>,
    /// Offset of each line start in the window.
    lines: Vec<usize>,
    /// Lines before the window.
    base_line: usize,
}

impl Structure {
    /// Analyses all of `content`.
    pub fn new(content: &[u8]) -> Structure {
        Structure::window(content, 0, content.len())
    }

    /// Analyses the part `start..end` of `content` (`start` a line start): one pass for
    /// objects (aware of double-quoted strings), one for lines. Offsets stay those of
    /// `content`; objects opened before the window are not seen.
    pub fn window(content: &[u8], start: usize, end: usize) -> Structure {
        let content = &content[..end.min(content.len())];
        let start = start.min(content.len());
        let mut objects = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        // Jump from one interesting byte to the next: `"` `{` `}` outside strings; the closing
        // `"` (or an escape, or the line end, which ends a broken string) inside them.
        let mut i = start;
        while let Some(off) = memchr::memchr3(b'"', b'{', b'}', &content[i..]) {
            let at = i + off;
            match content[at] {
                b'{' => stack.push(at),
                b'}' => {
                    if let Some(s) = stack.pop() {
                        objects.push((s, at + 1));
                    }
                }
                _ => {
                    let mut j = at + 1;
                    loop {
                        match memchr::memchr3(b'"', b'\\', b'\n', &content[j..]) {
                            Some(o) if content[j + o] == b'\\' => j += o + 2,
                            Some(o) => {
                                j += o;
                                break;
                            }
                            None => {
                                j = content.len();
                                break;
                            }
                        }
                        if j >= content.len() {
                            break;
                        }
                    }
                    i = (j + 1).min(content.len());
                    continue;
                }
            }
            i = at + 1;
        }
        objects.extend(stack.into_iter().map(|s| (s, content.len())));
        objects.sort_unstable();
        let mut lines = vec![start];
        lines.extend(memchr::memchr_iter(b'\n', &content[start..]).map(|i| start + i + 1));
        // Section headers: only lines whose first non-blank byte is `[` can be one, and in
        // most files those are few; testing every line cost more than the rest of the step.
        let mut sections: Vec<usize> = Vec::new();
        for at in memchr::memchr_iter(b'[', &content[start..]).map(|i| start + i) {
            let line_start = memchr::memrchr(b'\n', &content[..at]).map_or(0, |n| n + 1);
            if content[line_start..at].iter().all(|b| *b == b' ' || *b == b'\t')
                && sections.last() != Some(&line_start)
                && is_section_header(line_at(content, line_start))
            {
                sections.push(line_start);
            }
        }
        let base_line = memchr::memchr_iter(b'\n', &content[..start]).count();
        Structure { objects, sections, lines, base_line }
    }

    /// 0-based line of offset `pos`.
    pub fn line_of(&self, pos: usize) -> usize {
        self.base_line + self.line_index(pos)
    }

    /// Index in `lines` of the line holding `pos`.
    fn line_index(&self, pos: usize) -> usize {
        self.lines.partition_point(|&s| s <= pos).saturating_sub(1)
    }

    /// The innermost unit holding `pos`, if any.
    pub fn unit(&self, content: &[u8], pos: usize) -> Option<Unit> {
        // Objects are sorted by start: the innermost holding `pos` is the last one that starts
        // before it and ends after it.
        let upto = self.objects.partition_point(|&(s, _)| s <= pos);
        if let Some(&(start, _)) = self.objects[..upto].iter().rev().find(|&&(_, e)| e > pos) {
            return Some(Unit { kind: UnitKind::Object, start });
        }
        let line = self.line_index(pos);
        let line_start = self.lines[line];
        if !self.sections.is_empty() {
            let i = self.sections.partition_point(|&s| s <= line_start);
            return Some(Unit {
                kind: UnitKind::Section,
                // Lines before the first section form a unit of their own.
                start: if i == 0 { self.lines[0] } else { self.sections[i - 1] },
            });
        }
        let indent = indentation(line_at(content, line_start))?;
        if indent == 0 {
            return None;
        }
        // The parent: the nearest earlier non-blank line indented less.
        self.lines[..line]
            .iter()
            .rev()
            .find(|&&s| indentation(line_at(content, s)).is_some_and(|i| i < indent))
            .map(|&start| Unit { kind: UnitKind::Block, start })
    }
}

/// The line starting at `start`, without its line end.
fn line_at(content: &[u8], start: usize) -> &[u8] {
    let rest = &content[start.min(content.len())..];
    let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    let line = &rest[..end];
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Leading blanks of a line; `None` for a blank line or a comment.
fn indentation(line: &[u8]) -> Option<usize> {
    let n = line.iter().take_while(|b| **b == b' ' || **b == b'\t').count();
    match line.get(n) {
        None | Some(b'#') => None,
        Some(_) => Some(n),
    }
}

/// `[name]` or `[profile name]` alone on a line.
fn is_section_header(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    t.len() > 2
        && t[0] == b'['
        && t[t.len() - 1] == b']'
        && t[1..t.len() - 1].iter().all(|b| b.is_ascii_alphanumeric() || b" _.:/-\"".contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(text: &str, needle: &str) -> Option<Unit> {
        let s = Structure::new(text.as_bytes());
        s.unit(text.as_bytes(), text.find(needle).unwrap())
    }

    #[test]
    fn objects_nest_and_ignore_braces_in_strings() {
        let t = r#"{"a": {"k": "x}y", "v": 1}, "b": {"s": 2}}"#;
        assert_eq!(unit(t, "\"k\"").unwrap().start, 6);
        assert_eq!(unit(t, "\"v\""), unit(t, "\"k\""));
        assert_ne!(unit(t, "\"s\""), unit(t, "\"k\""));
        assert_eq!(unit(t, "\"s\"").unwrap().kind, UnitKind::Object);
    }

    #[test]
    fn ini_sections() {
        let t = "top = 1\n[default]\na = 1\n\nb = 2\n[profile x]\nc = 3\n";
        assert_eq!(unit(t, "a ="), unit(t, "b ="));
        assert_ne!(unit(t, "b ="), unit(t, "c ="));
        assert_ne!(unit(t, "top"), unit(t, "a ="));
        assert_eq!(unit(t, "c =").unwrap().kind, UnitKind::Section);
    }

    #[test]
    fn yaml_blocks() {
        let t = "one:\n  a: 1\n  # note\n\n  b: 2\ntwo:\n  c: 3\nflat: 4\n";
        assert_eq!(unit(t, "a:"), unit(t, "b:"));
        assert_ne!(unit(t, "b:"), unit(t, "c:"));
        assert_eq!(unit(t, "flat"), None);
        let s = Structure::new(t.as_bytes());
        assert_eq!(s.line_of(t.find("c:").unwrap()), 6);
    }
}
