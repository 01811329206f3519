//! Fields written apart (issue 16, point 3): a value whose name is not beside it on its line,
//! but which the file's structure names all the same.
//!
//! - XML elements: a Hadoop, Hive or Spark `<property>` (`<name>N</name>` then `<value>V</value>`,
//!   usually on the next line), a property list's `<key>N</key>` then `<string>V</string>`, and
//!   .NET's `<add key="N" value="V" />`;
//! - Java properties continuation lines: `N=\`, the value on the next line(s);
//! - YAML and indented JSON parents: the leaf `secret: V` under `aws:` and `  static:`, or
//!   `"value": "V"` under `"credentials": {`, is written with its path of parent names,
//!   `aws/static/secret: V` (joined by `/`, which no generic name matches: only rules that
//!   name a parent, such as AWS's, read the path).
//!
//! This pass makes the substitutions that write each such field `N = V` on one line; `decode`
//! builds the view that every rule then scans, and a finding in it is reported at the value.
//! Only the fields at or after the keyword hits of the plain scan (or on the line before one)
//! are read, each line at most once, and every look back or ahead is bounded: the work is
//! linear in the content.

use std::ops::Range;

use super::decode::Subs;
use super::view::{Chain, Code};

/// The longest element name or value read (a value longer than this is not a credential).
const MAX_TEXT: usize = 4 * 1024;
/// Blanks allowed between a name element's end and its value element's start.
const MAX_GAP: usize = 256;
/// Lines a continued properties value may span.
const MAX_CONTINUED: usize = 64;
/// Lines looked back for the parents of a YAML or JSON line.
const MAX_BACK: usize = 256;
/// Lines read from a keyword hit on for the fields of one block.
const MAX_AHEAD: usize = 64;
/// Parent names a path keeps (the nearest ones).
const MAX_PATH: usize = 8;

/// The substitutions that put the fields at or around `near` (keyword hits, in increasing
/// order) on one line each; without `near`, of every line.
pub(super) fn subs(content: &[u8], near: Option<&[usize]>, subs: &mut Subs) {
    let all: Vec<usize>;
    let near = match near {
        Some(near) => near,
        None => {
            all = std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', content).map(|i| i + 1))
                .filter(|&i| i < content.len())
                .collect();
            &all
        }
    };
    let mut found: Vec<(Range<usize>, Vec<u8>)> = Vec::new();
    // Lines before these offsets were read already, by each reader.
    let (mut xml_done, mut cont_done, mut tree_done) = (0, 0, 0);
    for &p in near {
        // Hits on lines every reader has read already (most hits of a keyword-dense line).
        if p >= content.len() || p < xml_done.min(cont_done).min(tree_done) {
            continue;
        }
        let line = line_of(content, p);
        if line.start >= xml_done {
            xml_done = line.end;
            xml_fields(content, line.clone(), &mut found);
        }
        if line.start >= cont_done {
            cont_done = continued(content, line.clone(), &mut found).max(line.end);
        }
        if line.start >= tree_done {
            tree_done = tree_paths(content, line, &mut found);
        }
    }
    found.sort_by_key(|(r, _)| (r.start, r.end));
    let chain = Chain::of(Code::Structure);
    let mut upto = 0;
    for (range, bytes) in found {
        // Two readings of one place (an XML line read from two hits): the first stands.
        if range.start >= upto {
            upto = range.end;
            subs.push(range, &bytes, chain);
        }
    }
}

/// The line holding `at`, without its line end (nor a CR before it).
fn line_of(content: &[u8], at: usize) -> Range<usize> {
    let Range { start, end } = super::decode::line_around(content, at);
    let end = if end > start && content[end - 1] == b'\r' { end - 1 } else { end };
    start..end
}

/// The line before the one starting at `start`, if any.
fn line_before(content: &[u8], start: usize) -> Option<Range<usize>> {
    (start > 0).then(|| line_of(content, start - 1))
}

/// The line after the one ending at `end` (its line end excluded), if any.
fn line_after(content: &[u8], end: usize) -> Option<Range<usize>> {
    let next = end + memchr::memchr(b'\n', &content[end..])? + 1;
    (next < content.len()).then(|| line_of(content, next))
}

/// Offset of the first byte at or after `at` that is not a blank (nor a line end), within
/// `limit` bytes.
fn skip_blanks(content: &[u8], at: usize, limit: usize) -> usize {
    let end = (at + limit).min(content.len());
    at + content[at..end].iter().take_while(|b| b.is_ascii_whitespace()).count()
}

/// Offset of the last byte before `at` that is not a blank, plus one, within `limit` bytes.
fn skip_blanks_back(content: &[u8], at: usize, limit: usize) -> usize {
    let start = at.saturating_sub(limit);
    at - content[start..at].iter().rev().take_while(|b| b.is_ascii_whitespace()).count()
}

/// The element pairs whose name element starts on `line` or whose value element starts on it
/// (the name on the line before): Hadoop's `<name>`/`<value>`, plist's `<key>`/`<string>`;
/// and .NET's `<add key="…" value="…"` on `line`.
fn xml_fields(content: &[u8], line: Range<usize>, out: &mut Vec<(Range<usize>, Vec<u8>)>) {
    const PAIRS: [(&[u8], &[u8]); 2] = [(b"name", b"value"), (b"key", b"string")];
    let text = &content[line.clone()];
    if memchr::memchr(b'<', text).is_none() {
        return;
    }
    let from = line_before(content, line.start).map_or(line.start, |l| l.start);
    for (name, value) in PAIRS {
        let open = [b"<", name, b">"].concat();
        for at in memchr::memmem::find_iter(&content[from..line.end], &open) {
            if let Some(f) = element_pair(content, from + at, name, value) {
                // A pair starting on the line before counts only if its value is on `line`.
                if from + at >= line.start || f.value.start >= line.start {
                    f.write(content, out);
                }
            }
        }
    }
    add_attributes(content, line.clone(), out);
    simple_elements(content, line, out, &PAIRS);
}

/// Elements holding their value alone on `line`, `<password>V</password>`, written
/// `password = V` (the element's name is the value's name); not the names and values of
/// `pairs`, which [`element_pair`] reads.
fn simple_elements(
    content: &[u8],
    line: Range<usize>,
    out: &mut Vec<(Range<usize>, Vec<u8>)>,
    pairs: &[(&[u8], &[u8])],
) {
    let text = &content[line.clone()];
    let is_name = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':');
    for at in memchr::memchr_iter(b'<', text) {
        let open = line.start + at;
        let name_len = text[at + 1..].iter().take_while(|b| is_name(b)).count();
        let name = &content[open + 1..open + 1 + name_len];
        let gt = open + 1 + name_len;
        if name_len == 0 || content.get(gt) != Some(&b'>') {
            continue;
        }
        if pairs.iter().any(|(n, v)| name == *n || name == *v) {
            continue;
        }
        // Not inside another element's text on the line (`<password><b>x</b></password>`,
        // `<string>a<b>c</b></string>`): the nearest tag before it is no start tag.
        if let Some(lt) = memchr::memrchr(b'<', &content[line.start..open]) {
            let tag = &content[line.start + lt..open];
            let gt = memchr::memchr(b'>', tag).map_or(tag, |i| &tag[..=i]);
            let done = gt.starts_with(b"</") || gt.ends_with(b"/>");
            if !done && !gt.starts_with(b"<?") && !gt.starts_with(b"<!") {
                continue;
            }
        }
        let start = gt + 1;
        let Some(len) = text_until_tag(content, start, name) else { continue };
        if len == 0 {
            continue;
        }
        let close = start + len..start + len + name_len + 3;
        let ends_line = matches!(content.get(close.end), None | Some(b'\n' | b'\r'));
        out.push((open..open + 1, Vec::new()));
        out.push((gt..start, b" = ".to_vec()));
        out.push((close, if ends_line { Vec::new() } else { b" ".to_vec() }));
    }
}

/// Where a name element and its value element stand.
struct ElementPair {
    /// `<name>` (or the container's start tag, when the pair is all it holds).
    open: Range<usize>,
    /// The name's text.
    name: Range<usize>,
    /// The value's text.
    value: Range<usize>,
    /// `</value>` (and the container's end tag).
    close: Range<usize>,
}

impl ElementPair {
    /// The substitutions writing the pair as `name = value`.
    fn write(&self, content: &[u8], out: &mut Vec<(Range<usize>, Vec<u8>)>) {
        out.push((self.open.clone(), Vec::new()));
        out.push((self.name.end..self.value.start, b" = ".to_vec()));
        // The value must end where rules look for its end: at a line end or a blank.
        let ends_line = matches!(content.get(self.close.end), None | Some(b'\n' | b'\r'));
        out.push((self.close.clone(), if ends_line { Vec::new() } else { b" ".to_vec() }));
    }
}

/// The pair `<name>N</name>` (at `at`) then `<value>V</value>`, blanks between; the container
/// element (`<property>`) included when it holds the pair alone, so that the pair becomes a
/// line of the container's parent, as its siblings do.
fn element_pair(content: &[u8], at: usize, name: &[u8], value: &[u8]) -> Option<ElementPair> {
    let open_len = name.len() + 2;
    let name_start = at + open_len;
    let name_end = name_start + text_until_tag(content, name_start, name)?;
    let close_name = name_end + name.len() + 3;
    let value_open = skip_blanks(content, close_name, MAX_GAP);
    let tag = [b"<", value, b">"].concat();
    if !content[value_open..].starts_with(&tag) {
        return None;
    }
    let value_start = value_open + tag.len();
    let value_end = value_start + text_until_tag(content, value_start, value)?;
    if value_end == value_start {
        return None;
    }
    let mut open = at..name_start;
    let mut close = value_end..value_end + value.len() + 3;
    // `<property>` … `</property>` around the pair alone.
    let before = skip_blanks_back(content, at, MAX_GAP);
    if before > 0 && content[before - 1] == b'>' {
        let lt = memchr::memrchr(b'<', &content[before.saturating_sub(64)..before])
            .map(|i| before.saturating_sub(64) + i);
        if let Some(lt) = lt {
            let container = &content[lt + 1..before - 1];
            if !container.is_empty() && container.iter().all(|b| b.is_ascii_alphanumeric()) {
                let end_tag = [b"</", container, b">"].concat();
                let after = skip_blanks(content, close.end, MAX_GAP);
                if content[after..].starts_with(&end_tag) {
                    open = lt..name_start;
                    close = value_end..after + end_tag.len();
                }
            }
        }
    }
    Some(ElementPair { open, name: name_start..name_end, value: value_start..value_end, close })
}

/// The length of the text from `start` to `</tag>`, if that end tag comes within
/// [`MAX_TEXT`] bytes, with no other tag and no line end before it.
fn text_until_tag(content: &[u8], start: usize, tag: &[u8]) -> Option<usize> {
    let end = (start + MAX_TEXT).min(content.len());
    let n = content[start..end].iter().position(|&b| b == b'<' || b == b'\n')?;
    let rest = &content[start + n..];
    (rest.len() > tag.len() + 2
        && rest.starts_with(b"</")
        && rest[2..].starts_with(tag)
        && rest[2 + tag.len()] == b'>')
        .then_some(n)
}

/// .NET's `<add key="N" value="V"` on `line`, written `<add N="V"`.
fn add_attributes(content: &[u8], line: Range<usize>, out: &mut Vec<(Range<usize>, Vec<u8>)>) {
    let text = &content[line.clone()];
    for at in memchr::memmem::find_iter(text, b"<add ") {
        let rest = &text[at + 5..];
        let k = rest.iter().take_while(|b| **b == b' ').count();
        let Some(quoted) = rest[k..].strip_prefix(b"key=") else { continue };
        let Some(&quote) = quoted.first().filter(|q| matches!(q, b'"' | b'\'')) else { continue };
        let Some(n) = memchr::memchr(quote, &quoted[1..]) else { continue };
        let key_attr = line.start + at + 5 + k;
        let name_start = key_attr + 5;
        let name_end = name_start + n;
        let after = name_end + 1;
        let v = skip_blanks(content, after, 16);
        if v == after || !content[v..line.end].starts_with(b"value=") {
            continue;
        }
        out.push((key_attr..name_start, Vec::new()));
        out.push((name_end..v + 6, b"=".to_vec()));
    }
}

/// Whether `line` ends in a continuation: an odd number of backslashes.
fn continues(content: &[u8], line: &Range<usize>) -> bool {
    let n = content[line.clone()].iter().rev().take_while(|&&b| b == b'\\').count();
    n % 2 == 1
}

/// A properties value continued over lines (`name=\`, then the value indented on the next):
/// the continuation (backslash, line end, leading blanks) removed, from the first line of the
/// logical line holding `line` on. Returns the end of the last line read.
fn continued(content: &[u8], line: Range<usize>, out: &mut Vec<(Range<usize>, Vec<u8>)>) -> usize {
    // The logical line may have started a few lines before (the keyword on the value's line).
    let mut first = line.clone();
    for _ in 0..MAX_CONTINUED {
        match line_before(content, first.start) {
            Some(prev) if continues(content, &prev) => first = prev,
            _ => break,
        }
    }
    // A property is `name=value` or `name: value`; a lone backslash line is not one.
    let key = &content[first.clone()];
    if !key.iter().any(|b| matches!(b, b'=' | b':')) {
        return line.end;
    }
    let mut at = first;
    let mut joined = 0;
    while continues(content, &at) && joined < MAX_CONTINUED {
        let Some(next) = line_after(content, at.end) else {
            // A backslash at the end of the content continues nothing.
            break;
        };
        let value = skip_blanks(content, next.start, next.len()).min(next.end);
        out.push((at.end - 1..value, Vec::new()));
        at = next;
        joined += 1;
    }
    at.end
}

/// A YAML or indented JSON line that names something: its indentation, the name (without
/// quotes) and the range of the name as written (quotes included), and whether it opens a
/// block (no value after the name, or `{`).
struct Entry {
    indent: usize,
    name: Range<usize>,
    written: Range<usize>,
    opens: bool,
}

/// The entry on `line`, if it is one: `name: value`, `- name: value`, `"name": value`.
fn entry(content: &[u8], line: &Range<usize>) -> Option<Entry> {
    let text = &content[line.clone()];
    let mut i = text.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    if text.get(i..i + 2) == Some(b"- ") {
        i += 2;
    }
    let indent = i;
    let quoted = matches!(text.get(i), Some(b'"' | b'\''));
    let name_start = i + usize::from(quoted);
    let n = text[name_start..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        .count();
    if n == 0 {
        return None;
    }
    let name_end = name_start + n;
    let mut j = name_end;
    if quoted {
        if text.get(j) != text.get(i) {
            return None;
        }
        j += 1;
    }
    let written = line.start + i..line.start + j;
    if text.get(j) != Some(&b':') {
        return None;
    }
    let rest = text[j + 1..].trim_ascii();
    // A value that is a comment opens a block too: `aws: # credentials below`.
    let opens = rest.is_empty() || rest == b"{" || rest.starts_with(b"#");
    if !opens && !text[j + 1..].first().is_some_and(u8::is_ascii_whitespace) {
        // `http://…`, `a:b`: not a name and its value.
        return None;
    }
    Some(Entry { indent, name: line.start + name_start..line.start + name_end, written, opens })
}

/// The indentation of a line that holds something (not blank, not a comment).
fn indentation(content: &[u8], line: &Range<usize>) -> Option<usize> {
    let text = &content[line.clone()];
    let n = text.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    match text.get(n) {
        None | Some(b'#') => None,
        Some(_) => Some(n),
    }
}

/// The paths of the YAML or JSON leaves from `line` on, within [`MAX_AHEAD`] lines and as long
/// as the lines are indented under `line`'s parents: each leaf's name written with the names
/// of its parents. Returns the end of the last line read.
fn tree_paths(content: &[u8], line: Range<usize>, out: &mut Vec<(Range<usize>, Vec<u8>)>) -> usize {
    // Only a line that is itself an entry has parents worth reading: the keyword lines of
    // code (`let token = next()?;`) are not, and cost nothing more.
    if entry(content, &line).is_none() {
        return line.end;
    }
    let Some(here) = indentation(content, &line) else { return line.end };
    // The parents of `line`: each earlier entry that opens a block and is indented less than
    // the one found before it, nearest first.
    let mut parents: Vec<(usize, Range<usize>)> = Vec::new();
    let mut below = here;
    let mut back = line.clone();
    for _ in 0..MAX_BACK {
        if below == 0 || parents.len() == MAX_PATH {
            break;
        }
        let Some(prev) = line_before(content, back.start) else { break };
        back = prev;
        let Some(indent) = indentation(content, &back) else { continue };
        if indent >= below {
            continue;
        }
        match entry(content, &back) {
            Some(e) if e.opens => {
                below = indent;
                parents.push((e.indent, e.name));
            }
            // Indented less but names nothing (a list, code): the tree ends there.
            _ => break,
        }
    }
    parents.reverse();
    let mut stack = parents;
    let first = line.start;
    let mut at = line;
    for _ in 0..MAX_AHEAD {
        if let Some(indent) = indentation(content, &at) {
            while stack.last().is_some_and(|(i, _)| *i >= indent) {
                stack.pop();
            }
            if stack.is_empty() && indent == 0 && at.start > first {
                // Back at the top: the block is read.
                break;
            }
            if let Some(e) = entry(content, &at) {
                if e.opens {
                    stack.push((e.indent, e.name));
                    if stack.len() > 4 * MAX_PATH {
                        stack.remove(0);
                    }
                } else if !stack.is_empty() {
                    let skip = stack.len().saturating_sub(MAX_PATH);
                    let mut path = Vec::new();
                    for (_, name) in &stack[skip..] {
                        path.extend_from_slice(&content[name.clone()]);
                        path.push(b'/');
                    }
                    path.extend_from_slice(&content[e.name]);
                    out.push((e.written, path));
                }
            }
        }
        match line_after(content, at.end) {
            Some(next) => at = next,
            None => break,
        }
    }
    at.end
}

#[cfg(test)]
mod tests {
    use crate::detect::decode::views;

    /// The text of the views made by this pass.
    fn fields(content: &str) -> Vec<String> {
        let mut out = Vec::new();
        views(content.as_bytes(), &mut out);
        out.iter()
            .filter(|v| v.encoding == "structure")
            .map(|v| String::from_utf8_lossy(&v.bytes).into_owned())
            .collect()
    }

    fn one(content: &str) -> String {
        let v = fields(content);
        assert_eq!(v.len(), 1, "{content:?} gave {v:?}");
        v[0].clone()
    }

    #[test]
    fn hadoop_properties_become_lines_of_their_configuration() {
        let xml = "<configuration>\n  <property>\n    <name>fs.s3a.secret.key</name>\n    \
                   <value>abc/DEF+ghi</value>\n  </property>\n</configuration>\n";
        assert_eq!(
            one(xml),
            "<configuration>\n  fs.s3a.secret.key = abc/DEF+ghi\n</configuration>\n"
        );
        // With a description the container stays; the value still ends its line.
        let xml = "<property>\n  <name>db.password</name>\n  <value>pw</value>\n  \
                   <description>d</description>\n</property>\n";
        assert!(one(xml).contains("\n  db.password = pw\n"), "{}", one(xml));
    }

    #[test]
    fn plist_keys_and_dotnet_settings() {
        let plist = "<dict>\n\t<key>ApiKey</key>\n\t<string>v1</string>\n\t<key>Url</key>\n\t\
                     <string>v2</string>\n</dict>\n";
        assert!(one(plist).contains("\tApiKey = v1\n\tUrl = v2\n"), "{}", one(plist));
        let config = "<appSettings>\n  <add key=\"ApiKey\" value=\"v1\" />\n</appSettings>\n";
        assert!(one(config).contains("<add ApiKey=\"v1\" />"), "{}", one(config));
    }

    #[test]
    fn elements_holding_their_value_alone() {
        let xml =
            "<datasource>\n  <user>app</user>\n  <password>p4ss</password> <x/>\n</datasource>\n";
        assert!(one(xml).contains("\n  user = app\n  password = p4ss  <x/>\n"), "{}", one(xml));
        assert!(one("<!-- db --> <password>p4ss</password>").contains("password = p4ss"));
        // Names and values of pairs are the pairs' (no `name = …` line of its own).
        let pair = "<property>\n  <name>db.password</name>\n  <value>pw</value>\n</property>\n";
        assert!(!one(pair).contains("name ="), "{}", one(pair));
        // Empty, nested, unterminated and mismatched elements are left alone.
        for xml in [
            "<password></password>",
            "<password><b>x</b></password>",
            "<password>x",
            "<password>x</passwd>",
            "<pass word>x</pass word>",
        ] {
            assert!(fields(xml).is_empty(), "{xml:?} gave {:?}", fields(xml));
        }
    }

    #[test]
    fn broken_elements_are_left_alone() {
        for xml in [
            "<name>a.secret</name>\n<value>unterminated\n",
            "<name>a.secret</name>\n<value></value>\n",
            "<name>a.secret</name>\n<other/>\n",
            "<name>a.secret\n</name><value>x</value>\n",
            "<key>k</key><string>a<b>c</b></string>",
        ] {
            assert!(fields(xml).is_empty(), "{xml:?} gave {:?}", fields(xml));
        }
    }

    #[test]
    fn properties_continuations_join() {
        let p = "a=1\naws.secretKey=\\\n    abc/DEF\\\n    +ghi\nb=2\n";
        assert!(one(p).contains("aws.secretKey=abc/DEF+ghi\nb=2"), "{}", one(p));
        // An escaped backslash continues nothing; a final backslash neither.
        assert!(fields("path=C:\\\\\nnext=1\n").is_empty());
        assert!(fields("key=\\").is_empty());
        assert!(fields("\\\n  x\n").is_empty());
    }

    #[test]
    fn yaml_and_json_leaves_get_their_paths() {
        let yaml = "aws:\n  static:\n    # note\n    secret: v1\nother:\n  secret: v2\nflat: 3\n";
        let v = one(yaml);
        assert!(v.contains("    aws/static/secret: v1\n"), "{v}");
        assert!(v.contains("  other/secret: v2\nflat: 3"), "{v}");
        let json =
            "{\n  \"aws\": {\n    \"credentials\": {\n      \"value\": \"v1\"\n    }\n  }\n}\n";
        assert!(one(json).contains("      aws/credentials/value: \"v1\"\n"), "{}", one(json));
        // Nothing to add: no parents, or not a tree.
        assert!(fields("secret: v1\nkey: v2\n").is_empty());
        assert!(fields("url = http://x\n  a:b\n").is_empty());
    }

    #[test]
    fn deep_trees_keep_the_nearest_parents() {
        let mut yaml = String::new();
        for d in 0..2_000 {
            yaml.push_str(&" ".repeat(d));
            yaml.push_str(&format!("n{d}:\n"));
        }
        yaml.push_str(&" ".repeat(2_000));
        yaml.push_str("secret: v\n");
        let v = fields(&yaml);
        assert!(
            v.iter()
                .any(|t| t.contains("n1992/n1993/n1994/n1995/n1996/n1997/n1998/n1999/secret: v"))
        );
    }
}
