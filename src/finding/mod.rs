//! What a scan reports: [`Finding`] and the value types it is made of, including what it
//! carries about AWS credentials ([`aws`]).

pub mod aws;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use sha1::Digest as _;

/// A secret value as found in the scanned content.
///
/// `Debug` and `Display` never show the value: they print a redacted form. Reading the
/// value takes an explicit call to [`Secret::expose`]. The type is deliberately not
/// `Serialize`: a reporter decides, per the user's choice, whether to write
/// [`Secret::redacted`] or the exposed value.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret {
    value: String,
    /// `value` is a redacted preview, not the secret ([`Secret::from_preview`]).
    preview: bool,
}

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret { value: value.into(), preview: false }
    }

    /// A secret known only by its redacted preview (what [`Secret::redacted`] gave when it was
    /// found), as a datastore keeps it: [`Secret::redacted`] returns the preview unchanged
    /// (redacting it again would shorten it), and [`Secret::expose`] returns it too, since
    /// there is no secret to show.
    pub fn from_preview(preview: impl Into<String>) -> Secret {
        Secret { value: preview.into(), preview: true }
    }

    /// Whether this is a preview only ([`Secret::from_preview`]).
    pub fn is_preview(&self) -> bool {
        self.preview
    }

    /// The secret in full. Call only where the user asked to see secrets. For a preview
    /// ([`Secret::from_preview`]), the preview.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// Length in bytes of the secret (of the preview, for a preview).
    pub fn len(&self) -> usize {
        self.value.len()
    }

    /// Whether the secret is empty (a rule whose secret group matched nothing).
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    /// A redacted form that is safe to print: a short prefix followed by asterisks.
    ///
    /// AWS key ids keep their four-character prefix (`AKIA`, `ASIA`, …), which says what kind
    /// of key it is without identifying it. Other secrets keep at most four characters and never
    /// more than a quarter of the value, so short secrets reveal almost nothing. A preview
    /// ([`Secret::from_preview`]) is returned as it is.
    pub fn redacted(&self) -> String {
        let v = &self.value;
        if self.preview {
            return v.clone();
        }
        let keep = if is_aws_key_id(v) { 4 } else { (v.len() / 4).min(4) };
        // Never cut inside a UTF-8 character.
        let keep = (0..=keep).rev().find(|&k| v.is_char_boundary(k)).unwrap_or(0);
        let hidden = v[keep..].chars().count().clamp(1, 16);
        format!("{}{}", &v[..keep], "*".repeat(hidden))
    }
}

fn is_aws_key_id(s: &str) -> bool {
    s.len() == 20
        && ["AKIA", "ASIA", "ABIA", "ACCA"].iter().any(|p| s.starts_with(p))
        && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Identifies a finding independently of where it was seen: a hash of the rule id and the
/// secret. It never depends on the line, the path or the commit, so it survives edits, moves,
/// rebases and squashes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The fingerprint of `secret` found by rule `rule_id`: the first 16 bytes of
    /// SHA-256(`rule_id` NUL `secret`), in lowercase hex.
    pub fn new(rule_id: &str, secret: &Secret) -> Fingerprint {
        Fingerprint(short_sha256(&[rule_id.as_bytes(), secret.expose().as_bytes()]))
    }

    /// A fingerprint as reports and datastores write it: 32 hex digits (lowercased); `None`
    /// for anything else.
    pub fn parse(hex: &str) -> Option<Fingerprint> {
        (hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Fingerprint(hex.to_ascii_lowercase()))
    }

    /// The fingerprint as hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The Git blob id of some content: SHA-1 of `blob <len>\0<content>`.
///
/// A file in the working tree and its committed copy have the same id, so findings from both
/// can be recognised as one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId([u8; 20]);

impl BlobId {
    /// Computes the blob id of `content` the way `git hash-object` does.
    pub fn of(content: &[u8]) -> BlobId {
        let mut h = sha1::Sha1::new();
        h.update(format!("blob {}\0", content.len()).as_bytes());
        h.update(content);
        BlobId(h.finalize().into())
    }

    /// A blob id known from elsewhere (a git object id).
    pub fn from_bytes(bytes: [u8; 20]) -> BlobId {
        BlobId(bytes)
    }

    /// A blob id written as 40 hex digits (either case); `None` for anything else.
    pub fn parse(hex: &str) -> Option<BlobId> {
        let hex = hex.as_bytes();
        if hex.len() != 40 {
            return None;
        }
        let digit = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
        let mut out = [0u8; 20];
        for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
            *o = digit(pair[0])? << 4 | digit(pair[1])?;
        }
        Some(BlobId(out))
    }

    /// The raw 20 bytes.
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// The id in lowercase hex, as Git prints it.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({})", self.to_hex())
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for BlobId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

/// Bytes in lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Lowercase hex of the first 16 bytes of SHA-256 over `parts`, NUL-separated: the hash of
/// fingerprints, baseline fingerprints and the reports' own ids. (A NUL cannot occur in a rule
/// id or a path, so different parts never hash alike.)
pub(crate) fn short_sha256(parts: &[&[u8]]) -> String {
    let mut h = sha2::Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0u8]);
        }
        h.update(p);
    }
    hex(&h.finalize()[..16])
}

/// Where scanned content came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A file on disk.
    File {
        /// The path as the walk produced it (relative when the user gave a relative root).
        /// Serialized as text; bytes that are not UTF-8 become U+FFFD.
        #[serde(serialize_with = "serialize_path_lossy")]
        path: PathBuf,
    },
    /// Standard input.
    Stdin,
    /// A file in a git commit.
    Commit {
        /// Path of the file in the commit's tree (lossily decoded).
        path: String,
        /// The commit: in a history scan, the one that introduced the content at `path`.
        commit: Arc<CommitInfo>,
    },
    /// The message of a git commit.
    CommitMessage {
        /// The commit.
        commit: Arc<CommitInfo>,
    },
    /// The message of an annotated git tag.
    TagMessage {
        /// The tag's name.
        tag: String,
        /// The tag object's id.
        id: String,
    },
    /// A blob that a ref reaches without a commit: a tag (lightweight or annotated, possibly
    /// through other tags) of a blob, or a file in a tagged tree.
    Ref {
        /// The ref's name (`keyblob`, `origin/notes`, …).
        name: String,
        /// Path of the file in the tagged tree; empty for a tagged blob.
        path: String,
    },
    /// A file staged in the git index (about to be committed).
    Staged {
        /// Path of the file in the index (lossily decoded).
        path: String,
    },
    /// Content of one repository among many (an organisation audit's datastore): the
    /// repository, and where in it. Serialized as the inner origin's object with two more
    /// fields, `repository` (its name) and `repository_id` (its identity), so a reader of
    /// `kind` and `path` reads it as it reads any other origin.
    #[serde(untagged, serialize_with = "serialize_in_repository")]
    InRepository {
        /// The repository's identity (`RepoSpec::id`: a URL without credentials, or a
        /// canonical path).
        repo_id: String,
        /// The repository's name for people (`acme/api`).
        repo: String,
        /// Where in the repository (never itself `InRepository`).
        inner: Box<Origin>,
    },
}

fn serialize_in_repository<S: serde::Serializer>(
    repo_id: &str,
    repo: &str,
    inner: &Origin,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::Error as _;
    // Through a JSON value: flattening a recursive type into a map is beyond serde's derive.
    let mut value = serde_json::to_value(inner).map_err(S::Error::custom)?;
    if let serde_json::Value::Object(map) = &mut value {
        map.insert("repository".to_owned(), repo.into());
        map.insert("repository_id".to_owned(), repo_id.into());
    }
    value.serialize(s)
}

/// Who made a git commit, when, and why.
///
/// `Debug` shows the id and date only: the author and the message are scanned text and may
/// hold a secret (a key pasted into a commit message).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CommitInfo {
    /// The commit id in hex.
    pub id: String,
    /// Author name.
    pub author: String,
    /// Author email.
    pub email: String,
    /// Author date, RFC 3339 with the author's UTC offset.
    pub date: String,
    /// First line of the message.
    pub summary: String,
}

impl fmt::Debug for CommitInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommitInfo")
            .field("id", &self.id)
            .field("date", &self.date)
            .finish_non_exhaustive()
    }
}

/// The redacted form of a value that may be a secret (a key id held as text), for `Debug`.
pub(crate) fn redacted(value: &str) -> String {
    Secret::new(value).redacted()
}

impl CommitInfo {
    /// The abbreviated commit id people read: its first 10 hex digits.
    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(10)]
    }
}

fn serialize_path_lossy<S: serde::Serializer>(
    path: &std::path::Path,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.to_string_lossy())
}

impl Origin {
    /// A short human-readable name: the path, or `<stdin>`.
    pub fn display_name(&self) -> String {
        match self {
            Origin::File { path } => path.display().to_string(),
            Origin::Stdin => "<stdin>".to_owned(),
            Origin::Commit { path, commit } if path.is_empty() => {
                format!("commit {}", commit.short_id())
            }
            Origin::Commit { path, commit } => format!("{path} @ {}", commit.short_id()),
            Origin::Ref { name, path } if path.is_empty() => format!("blob of ref {name}"),
            Origin::Ref { name, path } => format!("{path} @ ref {name}"),
            Origin::CommitMessage { commit } => format!("commit {} message", commit.short_id()),
            Origin::TagMessage { tag, .. } => format!("tag {tag} message"),
            Origin::Staged { path } => format!("{path} (staged)"),
            Origin::InRepository { repo, inner, .. } => {
                format!("{repo}: {}", inner.display_name())
            }
        }
    }

    /// The repository's name, for content of one repository among many
    /// ([`Origin::InRepository`]).
    pub fn repository(&self) -> Option<&str> {
        match self {
            Origin::InRepository { repo, .. } => Some(repo),
            _ => None,
        }
    }

    /// Where in its repository: the inner origin of [`Origin::InRepository`], else itself.
    pub fn within_repository(&self) -> &Origin {
        match self {
            Origin::InRepository { inner, .. } => inner.within_repository(),
            other => other,
        }
    }

    /// The path of the file this content is, when it is a file: on disk (as the walk produced
    /// it), in a commit, staged, or in a tagged tree; `None` for standard input, messages and
    /// a tagged blob. Reports, filters and the binary check all take a finding's path from here.
    pub fn path_bytes(&self) -> Option<&[u8]> {
        match self {
            Origin::File { path } => Some(path.as_os_str().as_encoded_bytes()),
            Origin::Commit { path, .. } | Origin::Staged { path } => Some(path.as_bytes()),
            Origin::Ref { path, .. } if !path.is_empty() => Some(path.as_bytes()),
            Origin::InRepository { inner, .. } => inner.path_bytes(),
            Origin::Ref { .. }
            | Origin::Stdin
            | Origin::CommitMessage { .. }
            | Origin::TagMessage { .. } => None,
        }
    }

    /// The commit this content belongs to, if any.
    pub fn commit(&self) -> Option<&CommitInfo> {
        match self {
            Origin::Commit { commit, .. } | Origin::CommitMessage { commit } => Some(commit),
            Origin::InRepository { inner, .. } => inner.commit(),
            _ => None,
        }
    }
}

/// Position of a finding in its content. Lines and columns are 1-based; columns count bytes;
/// byte offsets are 0-based and `end` is exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// Line of the first byte of the secret.
    pub line: usize,
    /// Column (byte) of the first byte of the secret.
    pub column: usize,
    /// Line of the last byte of the secret.
    pub end_line: usize,
    /// Column (byte) just past the last byte of the secret on `end_line`.
    pub end_column: usize,
    /// Offset of the first byte of the secret.
    pub byte_start: usize,
    /// Offset just past the last byte of the secret.
    pub byte_end: usize,
}

/// One secret found at one location.
///
/// `Debug` never shows the secret in clear: the secret is redacted, and the line it was found
/// on is left out.
#[derive(Clone)]
pub struct Finding {
    /// Stable id of the rule that matched (`provider.name`).
    pub rule_id: String,
    /// What the rule detects, for people.
    pub description: String,
    /// How much it matters: the rule's severity (reports lower it for AWS examples).
    pub severity: crate::rules::Severity,
    /// Where the content came from.
    pub origin: Origin,
    /// Where in the content the secret is.
    pub location: Location,
    /// The secret itself (redacting).
    pub secret: Secret,
    /// Hash of rule id and secret.
    pub fingerprint: Fingerprint,
    /// Git blob id of the scanned content.
    pub blob_id: BlobId,
    /// Shannon entropy of the secret, in bits per byte.
    pub entropy: f64,
    /// The line the secret starts on, without its line terminator, lossily decoded, and cut to
    /// a bounded width around the secret for very long lines.
    pub line_text: String,
    /// Byte range of the secret within `line_text` (clipped to it).
    pub line_secret_range: (usize, usize),
    /// Byte ranges of other secrets found in the same content that show in `line_text`: a
    /// redacted report must hide them too.
    pub line_other_secrets: Vec<(usize, usize)>,
    /// How the secret was written, when it was found decoded (`base64`, `escape`, `percent`,
    /// `base64/utf-16le` for a UTF-16 script inside base64, outermost first): the location is
    /// the encoded text's, the secret the decoded text. `None` for a secret written as it is.
    pub encoding: Option<String>,
    /// What is known offline about an AWS finding (key type, account, paired secret, tags);
    /// `None` for other findings.
    pub aws: Option<aws::AwsInfo>,
}

impl fmt::Debug for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Finding")
            .field("rule_id", &self.rule_id)
            .field("origin", &self.origin)
            .field("location", &self.location)
            .field("secret", &self.secret)
            .field("fingerprint", &self.fingerprint)
            .field("blob_id", &self.blob_id)
            .field("entropy", &self.entropy)
            .field("encoding", &self.encoding)
            .field("aws", &self.aws)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_and_display_redact() {
        // Assembled so that this file holds no token-shaped literal.
        let s = Secret::new(["ghp_", "abcdefghijklmnopqrstuvwxyz", "0123456789"].concat());
        assert_eq!(format!("{s}"), "ghp_****************");
        assert!(!format!("{s:?}").contains("abcdef"));
    }

    /// Synthetic, assembled at run time: no token-shaped literal in source.
    fn synthetic_secret() -> String {
        ["Zq9", "Xw7Vv5", "Tt3Rr1Pp"].concat()
    }

    fn finding_with(secret: &str) -> Finding {
        let line_text = format!("TOKEN={secret}");
        let commit = Arc::new(CommitInfo {
            id: "0123456789abcdef".into(),
            author: format!("dev {secret}"),
            email: format!("{secret}@example.com"),
            date: "2026-01-01T00:00:00Z".into(),
            summary: format!("oops {secret}"),
        });
        Finding {
            rule_id: "generic.secret".into(),
            description: "A secret".into(),
            severity: crate::rules::Severity::Medium,
            origin: Origin::Commit { path: "a.env".into(), commit },
            location: Location {
                line: 1,
                column: 7,
                end_line: 1,
                end_column: 7 + secret.len(),
                byte_start: 6,
                byte_end: 6 + secret.len(),
            },
            secret: Secret::new(secret),
            fingerprint: Fingerprint::new("generic.secret", &Secret::new(secret)),
            blob_id: BlobId::of(line_text.as_bytes()),
            entropy: 4.0,
            line_secret_range: (6, 6 + secret.len()),
            line_text,
            line_other_secrets: Vec::new(),
            encoding: None,
            aws: None,
        }
    }

    #[test]
    fn issue_12_finding_debug_shows_no_secret() {
        let secret = synthetic_secret();
        let f = finding_with(&secret);
        let debug = format!("{f:?} {f:#?}");
        assert!(!debug.contains(&secret), "{debug}");
        assert!(debug.contains("generic.secret"), "{debug}");
    }

    #[test]
    fn issue_12_commit_info_debug_shows_no_message_or_author() {
        let secret = synthetic_secret();
        let f = finding_with(&secret);
        let c = f.origin.commit().unwrap();
        let debug = format!("{c:?} {:?}", f.origin);
        assert!(!debug.contains(&secret), "{debug}");
        assert!(debug.contains("0123456789abcdef"), "{debug}");
    }

    /// Issue 15: a datastore's preview is redacted once: never shortened again, and the
    /// redactor of reports does not look for it in other text.
    #[test]
    fn issue_15_a_preview_is_not_redacted_twice() {
        let secret = Secret::new(synthetic_secret());
        let preview = Secret::from_preview(secret.redacted());
        assert_eq!(preview.redacted(), secret.redacted());
        assert_eq!(format!("{preview}"), secret.redacted());
        assert!(preview.is_preview() && !secret.is_preview());
        let r = crate::report::Redactor::of_secrets([&preview]);
        assert_eq!(r.text(&format!("x {preview} y")), format!("x {preview} y"));
    }

    /// Issue 15: an origin in a repository names it, and reads as its inner origin otherwise.
    #[test]
    fn issue_15_origin_in_repository() {
        let f = finding_with(&synthetic_secret());
        let o = Origin::InRepository {
            repo_id: "https://git.example/acme/api".into(),
            repo: "acme/api".into(),
            inner: Box::new(f.origin.clone()),
        };
        assert_eq!(o.display_name(), "acme/api: a.env @ 0123456789");
        assert_eq!(o.path_bytes(), Some(&b"a.env"[..]));
        assert_eq!(o.commit().map(|c| c.id.as_str()), Some("0123456789abcdef"));
        assert_eq!(o.repository(), Some("acme/api"));
        assert_eq!(o.within_repository(), &f.origin);
        let json = serde_json::to_value(&o).unwrap();
        assert_eq!(json["kind"], "commit");
        assert_eq!(json["path"], "a.env");
        assert_eq!(json["repository"], "acme/api");
        assert_eq!(json["repository_id"], "https://git.example/acme/api");
        assert_eq!(json["commit"]["id"], "0123456789abcdef");
    }

    #[test]
    fn issue_15_ids_parse_from_hex() {
        let b = BlobId::of(b"hello\n");
        assert_eq!(BlobId::parse(&b.to_hex().to_uppercase()), Some(b));
        assert_eq!(BlobId::parse("zz"), None);
        assert_eq!(BlobId::parse(&"g".repeat(40)), None);
        let fp = Fingerprint::new("r", &Secret::new("x1"));
        assert_eq!(Fingerprint::parse(fp.as_str()), Some(fp));
        assert_eq!(Fingerprint::parse("abc"), None);
    }

    #[test]
    fn aws_key_ids_keep_their_prefix() {
        let s = Secret::new(format!("AKIA{}", "Q".repeat(16)));
        assert_eq!(s.redacted(), format!("AKIA{}", "*".repeat(16)));
    }

    #[test]
    fn short_secrets_reveal_little() {
        assert_eq!(Secret::new("abc").redacted(), "***");
        assert_eq!(Secret::new("abcdefgh").redacted(), "ab******");
    }

    #[test]
    fn redaction_respects_utf8() {
        let s = Secret::new("ééééééééé");
        assert!(s.redacted().ends_with('*'));
    }

    #[test]
    fn blob_id_matches_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(BlobId::of(b"hello\n").to_hex(), "ce013625030ba8dba906f756967f9e9ca394464a");
        // The empty blob.
        assert_eq!(BlobId::of(b"").to_hex(), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    }

    #[test]
    fn fingerprint_depends_on_rule_and_secret_only() {
        let a = Fingerprint::new("r.one", &Secret::new("x1"));
        assert_eq!(a, Fingerprint::new("r.one", &Secret::new("x1")));
        assert_ne!(a, Fingerprint::new("r.two", &Secret::new("x1")));
        assert_ne!(a, Fingerprint::new("r.one", &Secret::new("x2")));
        assert_eq!(a.as_str().len(), 32);
    }
}
