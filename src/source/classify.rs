//! Telling text from binary content, by bytes and by file name.

use crate::detect::Code;
use crate::detect::decode::{utf16_order, utf16_to_utf8};

/// What to do with some content.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Classified {
    /// Scan it as it is.
    Text,
    /// Scan this copy instead (same line structure).
    Transformed(Vec<u8>),
    /// A known binary format: skip it.
    Binary,
}

/// Tells text from binary content, so that one NUL byte hides nothing:
///
/// - content without a NUL among its first [`BINARY_PROBE`] bytes is text (as it is);
/// - UTF-16 (a byte order mark, or a NUL in every other byte) is transcoded to UTF-8;
/// - a file with a text name ([`has_text_name`]: `.env`, `credentials`, `*.json`, source
///   code, …) is scanned as it is, NULs and all;
/// - content that starts like a known binary format ([`has_binary_magic`]) is skipped;
/// - anything else has its printable runs scanned: a copy where control bytes other than
///   tab, LF and CR become spaces, so offsets and line numbers stay those of the file.
pub(crate) fn classify(content: &[u8], name: &[u8]) -> Classified {
    let probe = &content[..content.len().min(BINARY_PROBE)];
    if memchr::memchr(0, probe).is_none() {
        return Classified::Text;
    }
    if utf16_order(probe).is_some() {
        return Classified::Transformed(utf16_file_to_utf8(content));
    }
    if has_text_name(name) {
        return Classified::Text;
    }
    if has_binary_magic(content) {
        return Classified::Binary;
    }
    Classified::Transformed(printable_runs(content))
}

/// File names that are text whatever bytes they hold: they are never skipped as binary.
pub const TEXT_NAMES: &[&str] = &[
    ".env",
    ".envrc",
    ".netrc",
    ".npmrc",
    ".pypirc",
    ".pgpass",
    ".git-credentials",
    ".htpasswd",
    "credentials",
    "config",
    "dockerfile",
    "makefile",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
];

/// File name extensions of text formats: never skipped as binary.
pub const TEXT_EXTENSIONS: &[&str] = &[
    "env",
    "tfstate",
    "tfvars",
    "tf",
    "hcl",
    "json",
    "jsonc",
    "yaml",
    "yml",
    "toml",
    "ini",
    "xml",
    "properties",
    "conf",
    "cfg",
    "config",
    "cnf",
    "txt",
    "md",
    "csv",
    "tsv",
    "log",
    "sql",
    "pem",
    "key",
    "crt",
    "cer",
    "pub",
    "ppk",
    "sh",
    "bash",
    "zsh",
    "fish",
    "ps1",
    "psm1",
    "bat",
    "cmd",
    "py",
    "rb",
    "pl",
    "php",
    "js",
    "mjs",
    "cjs",
    "ts",
    "tsx",
    "jsx",
    "java",
    "kt",
    "kts",
    "scala",
    "groovy",
    "gradle",
    "go",
    "rs",
    "c",
    "h",
    "cc",
    "cpp",
    "hpp",
    "cs",
    "swift",
    "m",
    "dart",
    "lua",
    "r",
    "ex",
    "exs",
    "erl",
    "clj",
    "html",
    "htm",
    "vue",
    "svelte",
    "css",
    "scss",
    "ipynb",
    "tpl",
    "j2",
    "erb",
    "cfn",
    "plist",
    "service",
];

/// Whether a path names a text file ([`TEXT_NAMES`], [`TEXT_EXTENSIONS`], `*.env.*`
/// variants such as `prod.env.local`), compared case-insensitively.
pub fn has_text_name(path: &[u8]) -> bool {
    let name = path.rsplit(|&b| b == b'/' || b == b'\\').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    if TEXT_NAMES.iter().any(|n| n.as_bytes() == lower) || lower.starts_with(b".env.") {
        return true;
    }
    lower
        .split(|&b| b == b'.')
        .skip(1)
        .any(|ext| TEXT_EXTENSIONS.iter().any(|e| e.as_bytes() == ext))
}

/// Whether content starts like a common binary format: PNG, JPEG, GIF, BMP, TIFF, ICO, WebP,
/// PSD, ZIP (JAR, DOCX, …), gzip, bzip2, xz, zstd, 7z, RAR, `ar`, ELF, Mach-O, PE, Java
/// class, WebAssembly, SQLite, PDF, fonts (TrueType, OpenType, WOFF), media (MP4/MOV, Ogg,
/// FLAC, RIFF, MP3, Matroska), gettext `.mo` catalogues.
pub fn has_binary_magic(content: &[u8]) -> bool {
    const PREFIXES: &[&[u8]] = &[
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8\xff",
        b"GIF87a",
        b"GIF89a",
        b"II*\0",
        b"MM\0*",
        b"\0\0\x01\0",
        b"8BPS",
        b"PK\x03\x04",
        b"PK\x05\x06",
        b"PK\x07\x08",
        b"\x1f\x8b",
        b"BZh",
        b"\xfd7zXZ\0",
        b"\x28\xb5\x2f\xfd",
        b"7z\xbc\xaf\x27\x1c",
        b"Rar!\x1a\x07",
        b"!<arch>\n",
        b"\x7fELF",
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
        b"\xca\xfe\xba\xbe",
        b"MZ",
        b"\0asm",
        b"SQLite format 3\0",
        b"%PDF-",
        b"\0\x01\0\0",
        b"OTTO",
        b"wOFF",
        b"wOF2",
        b"OggS",
        b"fLaC",
        b"RIFF",
        b"ID3",
        b"\x1a\x45\xdf\xa3",
        b"\xde\x12\x04\x95",
        b"\x95\x04\x12\xde",
    ];
    PREFIXES.iter().any(|p| content.starts_with(p))
        || content.get(4..8).is_some_and(|b| b == b"ftyp")
        || content.starts_with(b"BM") && content.len() > 14
}

/// UTF-16 content as UTF-8 (lossily; a byte order mark is dropped), in the byte order its
/// first [`BINARY_PROBE`] bytes show. Line ends stay line ends, so line numbers are those of
/// the file.
fn utf16_file_to_utf8(content: &[u8]) -> Vec<u8> {
    let order = utf16_order(&content[..content.len().min(BINARY_PROBE)]).unwrap_or(Code::Utf16Le);
    utf16_to_utf8(content, order)
}

/// A copy of `content` where control bytes other than tab, LF and CR are spaces: the
/// printable runs, at the offsets (and on the lines) where the file has them.
fn printable_runs(content: &[u8]) -> Vec<u8> {
    content
        .iter()
        .map(|&b| match b {
            b'\t' | b'\n' | b'\r' => b,
            0..=0x1f | 0x7f => b' ',
            _ => b,
        })
        .collect()
}

/// File name extensions of binary formats (images, fonts, media, archives, compiled code,
/// compiled message catalogues). Files so named are skipped as binary without being read:
/// in a git history, reading means inflating the whole blob, and in a Django history a third
/// of all blob bytes are `.mo` catalogues. SVG, PDF-like text formats and anything unknown
/// are read and judged by their content.
pub const BINARY_EXTENSIONS: &[&str] = &[
    "7z", "a", "avi", "bin", "bmp", "bz2", "class", "dll", "dylib", "eot", "exe", "flac", "gif",
    "gz", "ico", "jar", "jpeg", "jpg", "lib", "mkv", "mo", "mov", "mp3", "mp4", "o", "obj", "ogg",
    "otf", "png", "psd", "pyc", "pyo", "rar", "so", "tgz", "tif", "tiff", "ttf", "war", "wasm",
    "wav", "webm", "webp", "woff", "woff2", "xz", "zip", "zst",
];

/// Whether a path's extension names a binary format (see [`BINARY_EXTENSIONS`]).
pub fn has_binary_extension(path: &[u8]) -> bool {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    let Some(dot) = memchr::memrchr(b'.', name) else { return false };
    let ext = &name[dot + 1..];
    dot > 0
        && ext.len() <= 5
        && BINARY_EXTENSIONS.iter().any(|e| e.as_bytes().eq_ignore_ascii_case(ext))
}

/// The number of leading bytes examined to tell binary content from text.
pub const BINARY_PROBE: usize = 8 * 1024;

/// Whether content looks binary: a NUL byte among its first [`BINARY_PROBE`] bytes.
pub fn is_binary(content: &[u8]) -> bool {
    memchr::memchr(0, &content[..content.len().min(BINARY_PROBE)]).is_some()
}

#[cfg(test)]
mod tests {
    use super::is_binary;

    #[test]
    fn binary_extensions() {
        use super::has_binary_extension as bin;
        assert!(bin(b"logo.png") && bin(b"a/b/Photo.JPG") && bin(b"locale/de/django.mo"));
        assert!(!bin(b"main.rs") && !bin(b"icon.svg") && !bin(b".png") && !bin(b"png"));
        assert!(!bin(b"dir.png/readme.txt") && !bin(b"archive.zip.txt"));
    }

    #[test]
    fn issue_12_a_nul_does_not_hide_text() {
        use super::{Classified, classify};
        let env = b"AWS_ACCESS_KEY_ID=x\n\0";
        assert_eq!(classify(env, b"prod.env"), Classified::Text);
        assert_eq!(classify(env, b"dir/.env"), Classified::Text);
        assert_eq!(classify(env, b"main.tfstate"), Classified::Text);
        // Unknown content: the printable runs, at the same offsets.
        let Classified::Transformed(runs) = classify(b"key=a\n\0\x01key=b\n", b"blob.dat") else {
            panic!("printable runs expected")
        };
        assert_eq!(runs, b"key=a\n  key=b\n");
        // Known binary formats are still skipped.
        assert_eq!(classify(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", b"x.dat"), Classified::Binary);
        assert_eq!(classify(b"PK\x03\x04\x14\0\0\0", b"a.jar"), Classified::Binary);
        assert_eq!(classify(b"\x7fELF\x02\x01\x01\0", b"tool"), Classified::Binary);
        // UTF-16, with or without a byte order mark, is transcoded.
        let utf16: Vec<u8> =
            "\u{feff}K=V\r\nX\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(classify(&utf16, b"a.ps1"), Classified::Transformed(b"K=V\r\nX\n".to_vec()));
        let be: Vec<u8> = "KEY=VALUE\n".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(classify(&be, b"a"), Classified::Transformed(b"KEY=VALUE\n".to_vec()));
    }

    #[test]
    fn binary_probe() {
        assert!(!is_binary(b"plain text\n"));
        assert!(is_binary(b"PK\x03\x04\x00\x00"));
        let mut late = vec![b'a'; super::BINARY_PROBE];
        late.push(0);
        assert!(!is_binary(&late));
    }
}
