#!/usr/bin/env python3
"""Writes keysentry's labelled corpus of secrets as people encode and write them ("in the wild",
issue 16), and of look-alikes that no scanner should report.

    scripts/gen-wild-corpus.py OUT_DIR [--seed N] [--per-case N]

Six categories, each with cases that must be reported (positives) and look-alikes that must not
(negatives), in about equal numbers:

- base64: `Authorization: Basic`, base64 values in JSON, cloud-init `encoding: b64`, Kubernetes
  Secret `data:`, data URLs, base64 inside base64 (RFC 4648, RFC 7617); look-alikes: images and
  fonts in data URLs, hashes, npm integrity strings, SSH public keys, CA bundles, base64 of text.
- utf16: PowerShell scripts, .reg exports, files saved as "Unicode" by Windows editors and
  written by Windows PowerShell's `>` (UTF-16LE with a BOM), UTF-16BE and UTF-16LE without one;
  look-alikes: .rc, .resx, .strings, .inf and .reg files without secrets.
- escapes: JSON `\\/` (PHP json_encode) and `\\u002B` (System.Text.Json) escapes, JavaScript
  `\\uXXXX` literals, percent-encoding (RFC 3986) in URLs, form bodies and curl commands;
  look-alikes: ordinary escaped JSON and URL-encoded queries without secrets.
- code-split: key ids, secrets and tokens split by `+`, adjacent literals or `.join("")` in C,
  C++, Python, JavaScript, Java, Go and shell; PEM private keys (RFC 7468) written one quoted
  string per line, as one string with `\\n` escapes, in YAML block scalars and JSON strings;
  look-alikes: certificates and public keys written the same ways, concatenated SQL and log text.
- context: a secret whose name is elsewhere: SDK calls with one argument per line, Hadoop
  `<name>`/`<value>`, plist `<key>`/`<string>`, .NET `<add key value>`, YAML and JSON parents,
  INI sections, Java properties continuation lines; look-alikes: the same shapes with
  placeholders, environment lookups, hashes, ids and ARNs.
- generic: random secrets assigned to password / api_key / client_secret / token names in many
  languages; look-alikes: code that only names secrets (expressions, calls, members, types,
  templates, placeholders, paths, URLs, comments, the AWS Signature Version 4 documentation
  example).

OUT_DIR/tree/ holds the files, OUT_DIR/labels.json one entry per file: `file`, `category`,
`case`, `expect` (`positive` or `negative`), `kind` (`aws`, `github`, `slack`, `private_key`,
`generic`: what a finding must be to count), `encoding` of the file, `lines` (first and last
line, 1-based, where the secret is written: a finding must touch them to count as found) and
`zone` (every line range that belongs to the planted credential: a finding elsewhere is a false
positive). For a look-alike, `lines` spans the whole file.

Every value is synthetic and made from --seed: AWS key ids are well formed and encode a random
account (../shared/docs/aws.md section 3, made by scripts/gen-aws-corpus.py's generator), GitHub
tokens follow the documented `ghp_` + 30 + 6-character checksum shape, Slack bot tokens the
`xoxb-` shape, private keys are real (random) EC P-256 and RSA keys made here, certificates
carry a real public key and a random signature. Nothing is committed: the corpus is made at
run time.
"""

import argparse
import base64
import importlib.util
import json
import os
import sys
import urllib.parse
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("gen_aws_corpus", os.path.join(HERE, "gen-aws-corpus.py"))
_aws = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_aws)

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


# ---- values ---------------------------------------------------------------------------------
class Gen(_aws.Gen):
    def chars(self, n, alphabet=ALNUM):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def rand_bytes(self, n):
        return bytes(self.r.getrandbits(8) for _ in range(n))

    def hexs(self, n):
        return self.chars(n, "0123456789abcdef")

    def uuid(self):
        h = self.hexs(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def secret_with(self, chars="/+"):
        """An AWS secret access key that holds at least one of `chars` (so escaping changes it)."""
        while True:
            s = self.secret()
            if any(c in s for c in chars):
                return s

    def github_pat(self):
        # ghp_ + 30 random base62 characters + a 6-character base62 CRC32 of them.
        body = self.chars(30)
        crc = zlib.crc32(body.encode())
        check = ""
        for _ in range(6):
            crc, d = divmod(crc, 62)
            check = BASE62[d] + check
        return "ghp_" + body + check

    def slack_bot(self):
        return f"xoxb-{self.r.randrange(10**10, 10**13)}-{self.r.randrange(10**10, 10**13)}-{self.chars(24)}"

    def password(self, n=None):
        # No '#' or '%' (comments and interpolation in YAML, INI, shell), and a letter or digit
        # first, so that the value means itself in every format it is written into.
        n = n or self.r.randrange(18, 30)
        while True:
            s = self.chars(1) + self.chars(n - 1, ALNUM + "!*-_.")
            if any(c.isupper() for c in s) and any(c.islower() for c in s) and any(c.isdigit() for c in s):
                return s

    def api_key(self):
        while True:
            s = self.chars(self.r.choice([32, 36, 40]))
            if any(c.isupper() for c in s) and any(c.islower() for c in s) and any(c.isdigit() for c in s):
                return s


def b64(x):
    return base64.b64encode(x.encode() if isinstance(x, str) else x).decode()


def b64url(x):
    return base64.urlsafe_b64encode(x.encode() if isinstance(x, str) else x).decode().rstrip("=")


def pct(s):
    return urllib.parse.quote(s, safe="")


def ini_credentials(k, s, profile="default"):
    return f"[{profile}]\naws_access_key_id = {k}\naws_secret_access_key = {s}\n"


# ---- DER, keys and PEM (RFC 7468) -------------------------------------------------------------
def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, body):
    return bytes([tag]) + der_len(len(body)) + body


def der_int(v):
    b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")
    return tlv(0x02, b)


def seq(*parts):
    return tlv(0x30, b"".join(parts))


def oid(dotted):
    p = [int(x) for x in dotted.split(".")]
    out = bytes([40 * p[0] + p[1]])
    for v in p[2:]:
        enc = [v & 0x7F]
        v >>= 7
        while v:
            enc.append(0x80 | (v & 0x7F))
            v >>= 7
        out += bytes(reversed(enc))
    return tlv(0x06, out)


# NIST P-256 (SEC 2).
P256_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
P256_A = P256_P - 3
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P256_G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
          0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)


def ec_add(p, q):
    if p is None:
        return q
    if q is None:
        return p
    if p[0] == q[0] and (p[1] + q[1]) % P256_P == 0:
        return None
    if p == q:
        lam = (3 * p[0] * p[0] + P256_A) * pow(2 * p[1], -1, P256_P) % P256_P
    else:
        lam = (q[1] - p[1]) * pow(q[0] - p[0], -1, P256_P) % P256_P
    x = (lam * lam - p[0] - q[0]) % P256_P
    return x, (lam * (p[0] - x) - p[1]) % P256_P


def ec_mul(k, pt):
    out = None
    while k:
        if k & 1:
            out = ec_add(out, pt)
        pt = ec_add(pt, pt)
        k >>= 1
    return out


OID_P256 = "1.2.840.10045.3.1.7"
OID_EC = "1.2.840.10045.2.1"
OID_RSA = "1.2.840.113549.1.1.1"


def ec_key(g):
    d = g.r.randrange(1, P256_N)
    x, y = ec_mul(d, P256_G)
    pub = b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")
    return d, pub


def ec_spki(pub):
    return seq(seq(oid(OID_EC), oid(OID_P256)), tlv(0x03, b"\x00" + pub))


SMALL_PRIMES = [p for p in range(3, 2000, 2) if all(p % q for q in range(3, int(p ** 0.5) + 1, 2))]


def is_probable_prime(n, g):
    for p in SMALL_PRIMES:
        if n % p == 0:
            return n == p
    if pow(2, n - 1, n) != 1:
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(24):
        x = pow(g.r.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def rsa_key(g, bits=2048):
    e = 65537
    while True:
        ps = []
        while len(ps) < 2:
            c = g.r.getrandbits(bits // 2) | (3 << (bits // 2 - 2)) | 1
            if is_probable_prime(c, g) and (c - 1) % e:
                ps.append(c)
        p, q = ps
        if p != q:
            break
    n, phi = p * q, (p - 1) * (q - 1)
    d = pow(e, -1, phi)
    return n, e, d, p, q


def private_key_pem(g, form):
    """A real random private key as PEM: form is pkcs8-ec, sec1, pkcs1 or pkcs8-rsa."""
    if form in ("pkcs8-ec", "sec1"):
        d, pub = ec_key(g)
        sec1 = seq(der_int(1), tlv(0x04, d.to_bytes(32, "big")), tlv(0xA0, oid(OID_P256)), tlv(0xA1, tlv(0x03, b"\x00" + pub)))
        if form == "sec1":
            return pem("EC PRIVATE KEY", sec1)
        return pem("PRIVATE KEY", seq(der_int(0), seq(oid(OID_EC), oid(OID_P256)), tlv(0x04, sec1)))
    n, e, d, p, q = rsa_key(g)
    pkcs1 = seq(*(der_int(v) for v in (0, n, e, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p))))
    if form == "pkcs1":
        return pem("RSA PRIVATE KEY", pkcs1)
    return pem("PRIVATE KEY", seq(der_int(0), seq(oid(OID_RSA), b"\x05\x00"), tlv(0x04, pkcs1)))


def public_key_pem(g):
    return pem("PUBLIC KEY", ec_spki(ec_key(g)[1]))


def certificate_pem(g, cn="service.example.test"):
    """An X.509 v3 certificate's shape: a real EC public key, a random serial and signature."""
    name = seq(tlv(0x31, seq(oid("2.5.4.3"), tlv(0x0C, cn.encode()))))
    validity = seq(tlv(0x17, b"260101000000Z"), tlv(0x17, b"360101000000Z"))
    alg = seq(oid("1.2.840.10045.4.3.2"))
    tbs = seq(tlv(0xA0, der_int(2)), der_int(g.r.getrandbits(120)), alg, name, validity, name, ec_spki(ec_key(g)[1]))
    sig = tlv(0x03, b"\x00" + seq(der_int(g.r.getrandbits(255)), der_int(g.r.getrandbits(255))))
    return pem("CERTIFICATE", seq(tbs, alg, sig))


def pem(label, der):
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def pem_lines(p):
    return p.rstrip("\n").split("\n")


# PEM written as code: each returns the code text.
def pem_c_lines(p, name):
    return f"static const char {name}[] =\n" + "\n".join(f'    "{l}\\n"' for l in pem_lines(p)) + ";\n"


def pem_c_backslash(p, name):
    return f"static const char *{name} = \"\\\n" + "".join(f"{l}\\n\\\n" for l in pem_lines(p)) + "\";\n"


def pem_plus(p, quote='"', indent="    "):
    ls = pem_lines(p)
    return (" +\n").join(f"{indent}{quote}{l}\\n{quote}" for l in ls)


def pem_python_implicit(p, name, prefix=""):
    return f"{name} = (\n" + "".join(f'    {prefix}"{l}\\n"\n' for l in pem_lines(p)) + ")\n"


def pem_one_string(p):
    return "\\n".join(pem_lines(p)) + "\\n"


def pem_yaml_block(p, indent):
    return "".join(f"{indent}{l}\n" for l in pem_lines(p))


def pem_needles(p):
    """The lines of a PEM block as they appear in any of the code forms above."""
    return pem_lines(p)


# ---- image and font bytes (for look-alikes) -----------------------------------------------------
def png_bytes(g, n=600):
    ihdr = b"IHDR" + (32).to_bytes(4, "big") + (32).to_bytes(4, "big") + b"\x08\x06\x00\x00\x00"
    chunk = lambda t: len(t[4:]).to_bytes(4, "big") + t + zlib.crc32(t).to_bytes(4, "big")
    idat = b"IDAT" + zlib.compress(g.rand_bytes(n), 1)
    return b"\x89PNG\r\n\x1a\n" + chunk(ihdr) + chunk(idat) + chunk(b"IEND")


def jpeg_bytes(g, n=700):
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb\x00\x43\x00" + g.rand_bytes(n) + b"\xff\xd9"


def gif_bytes(g, n=300):
    return b"GIF89a\x10\x00\x10\x00\xf0\x00\x00" + g.rand_bytes(n) + b"\x00;"


def woff2_bytes(g, n=1500):
    return b"wOF2\x00\x01\x00\x00" + (n + 48).to_bytes(4, "big") + g.rand_bytes(n)


def wrap76(s):
    return "\n".join(s[i:i + 76] for i in range(0, len(s), 76))


LOREM = ("The service reads its settings at start-up and reloads them when the file changes. "
         "Passwords and tokens are never stored here: they come from the secret manager at run time. "
         "See the operations guide for how to rotate the access key of the upload user.")


# ---- the cases ------------------------------------------------------------------------------------
# A case is a function g -> dict: text, ext, and for positives kind and must (substrings whose
# lines a finding must touch) and optionally also (more substrings of the planted credential,
# where a finding is not a false positive). enc: utf-8 (default), utf-16le-bom, utf-16le,
# utf-16be; crlf: write CRLF line ends.
POS, NEG = {}, {}


def case(cat, expect):
    def deco(fn):
        (POS if expect == "positive" else NEG).setdefault(cat, []).append(fn)
        return fn
    return deco


# 1. base64 ------------------------------------------------------------------------------------
@case("base64", "positive")
def basic_auth_aws_pair(g):
    k, s = g.key_id(), g.secret()
    v = b64(f"{k}:{s}")
    return dict(kind="aws", ext="http", must=[v], text=(
        "GET /v1/buckets/backups/objects?prefix=2026 HTTP/1.1\nHost: storage.example.com\n"
        f"User-Agent: uploader/2.3\nAuthorization: Basic {v}\nAccept: application/json\n\n"))


@case("base64", "positive")
def basic_auth_github_token(g):
    v = b64(f"{g.word()}-bot:{g.github_pat()}")
    return dict(kind="github", ext="sh", must=[v], text=(
        "#!/bin/sh\n# list the releases of the private repository\n"
        f"curl -fsS -H \"Authorization: Basic {v}\" \\\n  https://api.github.com/repos/example/app/releases\n"))


@case("base64", "positive")
def json_value_credentials_file(g):
    v = b64(ini_credentials(g.key_id(), g.secret()))
    return dict(kind="aws", ext="json", must=[v], text=json.dumps(
        {"name": f"{g.word()}-sync", "schedule": "0 3 * * *", "awsCredentialsFile": v, "region": "eu-west-1"}, indent=2) + "\n")


@case("base64", "positive")
def cloud_init_write_files_b64(g):
    v = b64(ini_credentials(g.key_id(), g.secret()))
    return dict(kind="aws", ext="yaml", must=[v], text=(
        "#cloud-config\npackage_update: true\npackages:\n  - awscli\nwrite_files:\n"
        "  - path: /root/.aws/credentials\n    owner: root:root\n    permissions: '0600'\n"
        f"    encoding: b64\n    content: {v}\nruncmd:\n  - aws s3 cp s3://artifacts/app.tar.gz /opt/\n"))


@case("base64", "positive")
def k8s_secret_aws_env(g):
    k, s = g.key_id(), g.secret()
    return dict(kind="aws", ext="yaml", must=[b64(s)], also=[b64(k)], text=(
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {g.word()}-aws\n  namespace: jobs\ntype: Opaque\ndata:\n"
        f"  AWS_ACCESS_KEY_ID: {b64(k)}\n  AWS_SECRET_ACCESS_KEY: {b64(s)}\n  AWS_REGION: {b64('us-east-2')}\n"))


@case("base64", "positive")
def k8s_secret_credentials_file(g):
    v = b64(ini_credentials(g.key_id(), g.secret()))
    return dict(kind="aws", ext="yaml", must=[v], text=(
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: aws-credentials\ntype: Opaque\ndata:\n  credentials: {v}\n"))


@case("base64", "positive")
def k8s_secret_github_token(g):
    v = b64(g.github_pat())
    return dict(kind="github", ext="yaml", must=[v], text=(
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: github-token\n  labels:\n    app: {g.word()}\ntype: Opaque\n"
        f"data:\n  username: {b64('ci-bot')}\n  token: {v}\n"))


@case("base64", "positive")
def k8s_secret_slack_token(g):
    v = b64(g.slack_bot())
    return dict(kind="slack", ext="yaml", must=[v], text=(
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: alertmanager-slack\ntype: Opaque\ndata:\n  SLACK_BOT_TOKEN: {v}\n"))


@case("base64", "positive")
def k8s_secret_tls_private_key(g):
    crt, key = b64(certificate_pem(g)), b64(private_key_pem(g, g.r.choice(["pkcs8-ec", "sec1"])))
    return dict(kind="private_key", ext="yaml", must=[key], text=(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ingress-tls\ntype: kubernetes.io/tls\ndata:\n"
        f"  tls.crt: {crt}\n  tls.key: {key}\n"))


@case("base64", "positive")
def data_url_dotenv(g):
    v = b64(f"AWS_ACCESS_KEY_ID={g.key_id()}\nAWS_SECRET_ACCESS_KEY={g.secret()}\n")
    return dict(kind="aws", ext="html", must=[v], text=(
        "<!doctype html>\n<html><body>\n<p>Your environment file is ready.</p>\n"
        f"<a download=\".env\" href=\"data:text/plain;base64,{v}\">Download .env</a>\n</body></html>\n"))


@case("base64", "positive")
def k8s_dockerconfigjson_nested(g):
    auth = b64(f"ci-bot:{g.github_pat()}")
    cfg = json.dumps({"auths": {"ghcr.io": {"auth": auth}}})
    v = b64(cfg)
    return dict(kind="github", ext="yaml", must=[v], text=(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ghcr-pull\ntype: kubernetes.io/dockerconfigjson\n"
        f"data:\n  .dockerconfigjson: {v}\n"))


@case("base64", "positive")
def k8s_secret_double_encoded(g):
    v = b64(b64(ini_credentials(g.key_id(), g.secret())))
    return dict(kind="aws", ext="yaml", must=[v], text=(
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {g.word()}-creds\ntype: Opaque\ndata:\n  credentials.b64: {v}\n"))


@case("base64", "positive")
def urlsafe_unpadded_config_param(g):
    v = b64url(json.dumps({"channel": "#deploys", "slack_token": g.slack_bot(), "notify": True}))
    return dict(kind="slack", ext="log", must=[v], text=(
        f"10.0.3.7 - - [02/Dec/2026:10:11:12 +0000] \"GET /hooks/setup?config={v} HTTP/1.1\" 200 512\n"))


@case("base64", "positive")
def json_value_private_key(g):
    v = b64(private_key_pem(g, "pkcs1"))
    return dict(kind="private_key", ext="json", must=[v], text=json.dumps(
        {"host": "deploy.example.com", "user": "deploy", "sshPrivateKeyBase64": v}, indent=2) + "\n")


@case("base64", "negative")
def png_data_url(g):
    return dict(ext="html", text=f"<img alt=\"logo\" width=\"32\" src=\"data:image/png;base64,{b64(png_bytes(g))}\">\n")


@case("base64", "negative")
def jpeg_data_url_css(g):
    return dict(ext="css", text=f".hero {{\n  background-image: url(\"data:image/jpeg;base64,{b64(jpeg_bytes(g))}\");\n}}\n")


@case("base64", "negative")
def gif_data_url(g):
    return dict(ext="md", text=f"Spinner: ![loading](data:image/gif;base64,{b64(gif_bytes(g))})\n")


@case("base64", "negative")
def woff2_font_css(g):
    return dict(ext="css", text=(
        "@font-face {\n  font-family: \"Inter\";\n  font-weight: 400;\n"
        f"  src: url(data:font/woff2;base64,{b64(woff2_bytes(g))}) format(\"woff2\");\n}}\n"))


@case("base64", "negative")
def base64_plain_text(g):
    return dict(ext="json", text=json.dumps({"id": g.r.randrange(1000), "readme_b64": b64(LOREM)}, indent=2) + "\n")


@case("base64", "negative")
def npm_integrity(g):
    lock = {"name": "app", "lockfileVersion": 3, "packages": {f"node_modules/{g.word()}-{i}": {
        "version": f"1.{i}.0", "resolved": f"https://registry.example.org/pkg-{i}/-/pkg-{i}-1.{i}.0.tgz",
        "integrity": "sha512-" + b64(g.rand_bytes(64))} for i in range(4)}}
    return dict(ext="json", text=json.dumps(lock, indent=2) + "\n")


@case("base64", "negative")
def hex_and_base64_hashes(g):
    return dict(ext="txt", text=(
        f"{g.hexs(64)}  app-1.4.2-linux-x86_64.tar.gz\n{g.hexs(64)}  app-1.4.2-darwin-arm64.tar.gz\n"
        f"sha1: {g.hexs(40)}\nsha256-b64: {b64(g.rand_bytes(32))}\nmd5: {b64(g.rand_bytes(16))}\n"
        f"image: registry.example.org/app@sha256:{g.hexs(64)}\n"))


@case("base64", "negative")
def unsigned_jwt_example(g):
    head = b64url(json.dumps({"alg": "none", "typ": "JWT"}))
    claims = b64url(json.dumps({"sub": g.word(), "iat": 1764000000, "scope": "read"}))
    return dict(ext="md", text=(
        "An unsecured JWT (RFC 7519 section 6) has an empty signature:\n\n"
        f"```\n{head}.{claims}.\n```\n"))


@case("base64", "negative")
def k8s_configmap_plain(g):
    return dict(ext="yaml", text=(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {g.word()}-config\ndata:\n"
        "  LOG_LEVEL: info\n  app.properties: |\n    server.port=8080\n    cache.size=512\n"
        "    auth.password.min-length=12\n    token.ttl.seconds=3600\n"))


@case("base64", "negative")
def k8s_secret_non_secret_values(g):
    return dict(ext="yaml", text=(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-endpoint\ntype: Opaque\ndata:\n"
        f"  host: {b64('postgres.internal.example.com')}\n  port: {b64('5432')}\n  database: {b64('orders')}\n"
        f"  sslmode: {b64('verify-full')}\n"))


@case("base64", "negative")
def basic_auth_rfc7617_example(g):
    return dict(ext="txt", text=(
        "RFC 7617 section 2: user-id \"Aladdin\", password \"open sesame\":\n\n"
        f"    Authorization: Basic {b64('Aladdin:open sesame')}\n"))


@case("base64", "negative")
def ssh_authorized_keys(g):
    blob = lambda: b64(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + g.rand_bytes(32))
    return dict(ext="txt", text=f"ssh-ed25519 {blob()} alice@laptop\nssh-ed25519 {blob()} deploy@ci\n")


@case("base64", "negative")
def webhook_ca_bundle(g):
    return dict(ext="yaml", text=(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n"
        "  name: policy\nwebhooks:\n  - name: policy.example.com\n    clientConfig:\n"
        f"      caBundle: {b64(certificate_pem(g, 'policy-ca'))}\n      service:\n        name: policy\n        namespace: system\n"))


@case("base64", "negative")
def cloud_init_b64_config(g):
    conf = "server {\n    listen 80;\n    location / { proxy_pass http://127.0.0.1:8080; }\n}\n"
    return dict(ext="yaml", text=(
        "#cloud-config\nwrite_files:\n  - path: /etc/nginx/conf.d/app.conf\n    encoding: b64\n"
        f"    content: {b64(conf)}\n    permissions: '0644'\n"))


# 2. UTF-16 --------------------------------------------------------------------------------------
@case("utf16", "positive")
def powershell_env_utf16le_bom(g):
    k, s = g.key_id(), g.secret()
    return dict(kind="aws", ext="ps1", enc="utf-16le-bom", crlf=True, must=[s], also=[k], text=(
        "# Deploys the site to S3.\n"
        f"$env:AWS_ACCESS_KEY_ID = \"{k}\"\n$env:AWS_SECRET_ACCESS_KEY = \"{s}\"\n"
        "$env:AWS_DEFAULT_REGION = \"us-east-1\"\naws s3 sync .\\public s3://www-example-com --delete\n"))


@case("utf16", "positive")
def powershell_set_awscredential(g):
    k, s = g.key_id(), g.secret()
    return dict(kind="aws", ext="ps1", enc="utf-16le-bom", crlf=True, must=[s], also=[k], text=(
        "Import-Module AWS.Tools.S3\n"
        f"Set-AWSCredential -AccessKey {k} -SecretKey {s} -StoreAs {g.word()}\n"
        "Get-S3Bucket | Select-Object BucketName\n"))


@case("utf16", "positive")
def reg_export_keys(g):
    k, s = g.key_id(), g.secret()
    return dict(kind="aws", ext="reg", enc="utf-16le-bom", crlf=True, must=[s], also=[k], text=(
        "Windows Registry Editor Version 5.00\n\n[HKEY_CURRENT_USER\\Software\\ExampleCorp\\Uploader]\n"
        f"\"AccessKeyId\"=\"{k}\"\n\"SecretAccessKey\"=\"{s}\"\n\"Region\"=\"us-east-1\"\n\"Retries\"=dword:00000003\n"))


@case("utf16", "positive")
def utf16be_no_bom_env(g):
    t = g.github_pat()
    return dict(kind="github", ext="env", enc="utf-16be", must=[t], text=f"APP_ENV=production\nGITHUB_TOKEN={t}\nLOG_LEVEL=warn\n")


@case("utf16", "positive")
def notepad_unicode_credentials(g):
    k, s = g.key_id(), g.secret()
    return dict(kind="aws", ext="credentials", enc="utf-16le-bom", crlf=True, must=[s], also=[k], text=ini_credentials(k, s))


@case("utf16", "positive")
def powershell_redirect_pem(g):
    p = private_key_pem(g, g.r.choice(["pkcs8-ec", "sec1", "pkcs1"]))
    return dict(kind="private_key", ext="pem", enc="utf-16le-bom", crlf=True, must=pem_needles(p), text=p)


@case("utf16", "positive")
def powershell_redirect_sts_json(g):
    k, s, t = g.key_id("ASIA"), g.secret(), g.token()
    doc = json.dumps({"Credentials": {"AccessKeyId": k, "SecretAccessKey": s, "SessionToken": t,
                                      "Expiration": "2026-12-02T12:00:00+00:00"}}, indent=4) + "\n"
    return dict(kind="aws", ext="json", enc="utf-16le-bom", crlf=True, must=[s], also=[k, t], text=doc)


@case("utf16", "positive")
def utf16le_no_bom_app_config(g):
    t = g.slack_bot()
    return dict(kind="slack", ext="config", enc="utf-16le", crlf=True, must=[t], text=(
        "<?xml version=\"1.0\" encoding=\"utf-16\"?>\n<configuration>\n  <appSettings>\n"
        f"    <add key=\"SlackBotToken\" value=\"{t}\" />\n    <add key=\"Channel\" value=\"#ops\" />\n"
        "  </appSettings>\n</configuration>\n"))


@case("utf16", "positive")
def utf16_web_config_connection_string(g):
    p = g.password()
    return dict(kind="generic", ext="config", enc="utf-16le-bom", crlf=True, must=[p], text=(
        "<?xml version=\"1.0\" encoding=\"utf-16\"?>\n<configuration>\n  <connectionStrings>\n"
        f"    <add name=\"Orders\" connectionString=\"Server=sql01;Database=orders;User Id=app;Password={p};\" />\n"
        "  </connectionStrings>\n</configuration>\n"))


@case("utf16", "positive")
def powershell_encoded_command(g):
    # -EncodedCommand takes base64 of the script in UTF-16LE: UTF-16 inside base64.
    script = f"$env:AWS_ACCESS_KEY_ID='{g.key_id()}'; $env:AWS_SECRET_ACCESS_KEY='{g.secret()}'; aws s3 ls"
    v = b64(script.encode("utf-16-le"))
    return dict(kind="aws", ext="cmd", must=[v], crlf=True, text=f"@echo off\npowershell.exe -NoProfile -EncodedCommand {v}\n")


@case("utf16", "positive")
def powershell_utf16_base64_payload(g):
    # base64 inside a UTF-16LE file: a credentials file written out by the script.
    v = b64(ini_credentials(g.key_id(), g.secret()))
    return dict(kind="aws", ext="ps1", enc="utf-16le-bom", crlf=True, must=[v], text=(
        f"$b64 = \"{v}\"\n"
        "New-Item -ItemType Directory -Force \"$HOME\\.aws\" | Out-Null\n"
        "[IO.File]::WriteAllBytes(\"$HOME\\.aws\\credentials\", [Convert]::FromBase64String($b64))\n"))


@case("utf16", "negative")
def powershell_encoded_command_harmless(g):
    script = f"Get-Process | Where-Object {{ $_.CPU -gt {g.r.randrange(10, 99)} }} | Select-Object Name, Id"
    return dict(ext="cmd", crlf=True, text=f"@echo off\npowershell.exe -NoProfile -EncodedCommand {b64(script.encode('utf-16-le'))}\n")


@case("utf16", "negative")
def powershell_utf16_icon_base64(g):
    return dict(ext="ps1", enc="utf-16le-bom", crlf=True, text=(
        f"$iconB64 = \"{b64(png_bytes(g, 300))}\"\n"
        "$form.Icon = [Drawing.Icon]::FromHandle(([Drawing.Bitmap][IO.MemoryStream][Convert]::FromBase64String($iconB64)).GetHicon())\n"))


@case("utf16", "negative")
def rc_stringtable(g):
    return dict(ext="rc", enc="utf-16le-bom", crlf=True, text=(
        "#include \"resource.h\"\n\nSTRINGTABLE\nBEGIN\n    IDS_APP_TITLE           \"Example Uploader\"\n"
        "    IDS_PASSWORD_PROMPT     \"Enter your password:\"\n    IDS_TOKEN_EXPIRED       \"Your session token has expired.\"\n"
        "    IDS_SECRET_KEY_LABEL    \"Secret access key\"\nEND\n"))


@case("utf16", "negative")
def resx_strings(g):
    return dict(ext="resx", enc="utf-16le-bom", crlf=True, text=(
        "<?xml version=\"1.0\" encoding=\"utf-16\"?>\n<root>\n"
        "  <data name=\"PasswordLabel\" xml:space=\"preserve\"><value>Password</value></data>\n"
        "  <data name=\"ApiKeyHelp\" xml:space=\"preserve\"><value>Paste the API key from your account page.</value></data>\n"
        "  <data name=\"TokenMissing\" xml:space=\"preserve\"><value>No token was given.</value></data>\n</root>\n"))


@case("utf16", "negative")
def apple_strings_utf16(g):
    return dict(ext="strings", enc=g.r.choice(["utf-16le-bom", "utf-16be"]), text=(
        "/* Login screen */\n\"login.password.placeholder\" = \"Password\";\n"
        "\"login.password.hint\" = \"At least 12 characters\";\n\"settings.api_key.title\" = \"API key\";\n"))


@case("utf16", "negative")
def reg_export_settings(g):
    return dict(ext="reg", enc="utf-16le-bom", crlf=True, text=(
        "Windows Registry Editor Version 5.00\n\n[HKEY_CURRENT_USER\\Software\\ExampleCorp\\Uploader]\n"
        f"\"InstallPath\"=\"C:\\\\Program Files\\\\Uploader\"\n\"ClientId\"=\"{{{g.uuid()}}}\"\n"
        "\"RememberPassword\"=dword:00000000\n\"TokenLifetime\"=dword:00000e10\n"))


@case("utf16", "negative")
def powershell_prompt_credentials(g):
    return dict(ext="ps1", enc="utf-16le-bom", crlf=True, text=(
        "$cred = Get-Credential -Message \"Enter the service account password\"\n"
        "$token = Read-Host -Prompt \"API token\" -AsSecureString\n"
        "$secret = (Get-SECSecretValue -SecretId \"prod/orders/db\").SecretString\n"
        "$env:AWS_PROFILE = \"production\"\n"))


@case("utf16", "negative")
def utf16be_text_password_words(g):
    return dict(ext="txt", enc="utf-16be", text=(
        "Password policy\n\nA password must be at least twelve characters long. Tokens expire after\n"
        "one hour; secret keys are rotated every ninety days by the platform team.\n"))


@case("utf16", "negative")
def inf_driver_guids(g):
    return dict(ext="inf", enc="utf-16le-bom", crlf=True, text=(
        "[Version]\nSignature=\"$WINDOWS NT$\"\nClass=USB\n"
        f"ClassGuid={{{g.uuid()}}}\nProvider=%ManufacturerName%\nCatalogFile=example.cat\n"
        "DriverVer=12/02/2026,1.0.0.0\n\n[Strings]\nManufacturerName=\"Example Devices\"\n"))


@case("utf16", "negative")
def utf16_ini_placeholders(g):
    return dict(ext="ini", enc="utf-16le", crlf=True, text=(
        "[database]\nserver=sql01\nuser=app\npassword=\n\n[api]\nkey=<your-api-key>\ntoken=%API_TOKEN%\n"))


# 3. escapes and percent-encoding -----------------------------------------------------------------
@case("escapes", "positive")
def php_json_encode_slash(g):
    k, s = g.key_id(), g.secret_with("/")
    es = s.replace("/", "\\/")
    return dict(kind="aws", ext="json", must=[es], also=[k], text=(
        "{\"storage\":{\"driver\":\"s3\",\"endpoint\":\"https:\\/\\/s3.eu-west-1.amazonaws.com\","
        f"\"key\":\"{k}\",\"secret\":\"{es}\",\"bucket\":\"{g.word()}\"}}}}\n"))


@case("escapes", "positive")
def php_json_slack_webhook(g):
    url = f"https:\\/\\/hooks.slack.com\\/services\\/T{g.chars(8, BASE62[10:36])}\\/B{g.chars(10, BASE62[10:36])}\\/{g.chars(24)}"
    return dict(kind="slack", ext="json", must=[url], text=f"{{\"notify\":{{\"slack\":{{\"webhook_url\":\"{url}\",\"channel\":\"#deploys\"}}}}}}\n")


@case("escapes", "positive")
def system_text_json_u002b(g):
    k, s = g.key_id(), g.secret_with("+")
    es = s.replace("+", "\\u002B")
    return dict(kind="aws", ext="json", must=[es], also=[k], text=(
        "{\n  \"Aws\": {\n    \"Region\": \"us-west-2\",\n"
        f"    \"AccessKeyId\": \"{k}\",\n    \"SecretAccessKey\": \"{es}\"\n  }}\n}}\n"))


@case("escapes", "positive")
def js_unicode_escaped_key_id(g):
    k = g.key_id()
    ek = "".join(f"\\u{ord(c):04x}" for c in k)
    return dict(kind="aws", ext="js", must=[ek], text=f"// generated\nvar _0x1f = \"{ek}\";\nmodule.exports = {{ id: _0x1f }};\n")


@case("escapes", "positive")
def json_u_escaped_github_token(g):
    t = g.github_pat()
    et = "".join(f"\\u{ord(c):04x}" if c.isalpha() and g.r.random() < 0.5 else c for c in t)
    return dict(kind="github", ext="json", must=[et], text=json.dumps({"ci": {"provider": "github"}})[:-1] + f", \"token\": \"{et}\"}}\n")


@case("escapes", "positive")
def url_query_percent_secret(g):
    k, s = g.key_id(), g.secret_with("/+")
    return dict(kind="aws", ext="txt", must=[pct(s)], also=[k], text=(
        f"https://sync.example.com/v2/start?access_key={k}&secret_key={pct(s)}&bucket={g.word()}&region=us-east-1\n"))


@case("escapes", "positive")
def form_body_client_secret(g):
    p = g.password()
    return dict(kind="generic", ext="http", must=[pct(p)], text=(
        "POST /oauth2/token HTTP/1.1\nHost: login.example.com\nContent-Type: application/x-www-form-urlencoded\n\n"
        f"grant_type=client_credentials&client_id={g.uuid()}&client_secret={pct(p + '/+=')}&scope=api\n"))


@case("escapes", "positive")
def curl_data_password(g):
    p = g.password() + "@!"
    return dict(kind="generic", ext="sh", must=[pct(p)], text=(
        f"curl -X POST https://app.example.com/session \\\n  -d 'username=deploy&password={pct(p)}'\n"))


@case("escapes", "positive")
def database_url_percent_password(g):
    p = g.password() + "@/:"
    userinfo = "orders:" + pct(p)
    return dict(kind="generic", ext="env", must=[pct(p)], text=f"DATABASE_URL=postgresql://{userinfo}@db.example.com:5432/orders\n")


@case("escapes", "positive")
def nested_url_slack_token(g):
    inner = f"https://api.example.com/hooks/slack?token={g.slack_bot()}"
    return dict(kind="slack", ext="log", must=[pct(inner)], text=(
        f"redirect to https://app.example.com/login?next={pct(inner)}&lang=en\n"))


@case("escapes", "positive")
def percent_encoded_json_payload(g):
    payload = pct(json.dumps({"accessKeyId": g.key_id(), "secretAccessKey": g.secret()}))
    return dict(kind="aws", ext="log", must=[payload], text=(
        f"2026-12-02T10:00:00Z INFO GET /api/connect?payload={payload}&v=2 200\n"))


@case("escapes", "negative")
def ordinary_escaped_json(g):
    return dict(ext="json", text=(
        "{\"path\":\"C:\\\\Program Files\\\\Example\\\\app.exe\",\"api\":\"https:\\/\\/api.example.com\\/v1\\/\","
        "\"greeting\":\"Caf\\u00e9 cr\\u00e8me\",\"notes\":\"line one\\nline two\\ttabbed\",\"quote\":\"\\\"ok\\\"\"}\n"))


@case("escapes", "negative")
def php_json_hash_and_urls(g):
    return dict(ext="json", text=(
        f"{{\"commit\":\"{g.hexs(40)}\",\"avatar\":\"https:\\/\\/cdn.example.com\\/u\\/{g.r.randrange(10**6)}.png\","
        f"\"etag\":\"\\\"{g.hexs(32)}\\\"\",\"token_url\":\"https:\\/\\/login.example.com\\/oauth2\\/token\"}}\n"))


@case("escapes", "negative")
def urlencoded_search_query(g):
    return dict(ext="log", text=(
        "GET /search?q=password%20reset%20not%20working&lang=en&page=2 HTTP/1.1\n"
        "GET /docs?topic=api%20key%20rotation&ref=https%3A%2F%2Fexample.com%2Fhelp HTTP/1.1\n"))


@case("escapes", "negative")
def oauth_authorize_url(g):
    return dict(ext="txt", text=(
        f"https://login.example.com/authorize?response_type=code&client_id={g.uuid()}"
        f"&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&scope=openid%20profile"
        f"&code_challenge={b64url(g.rand_bytes(32))}&code_challenge_method=S256&state={g.hexs(16)}\n"))


@case("escapes", "negative")
def js_unicode_text(g):
    return dict(ext="js", text=(
        "const messages = {\n  passwordLabel: \"Mot de passe \\u00e0 usage unique\",\n"
        "  tokenHelp: \"\\u2192 Copy the token from the settings page\",\n  arrow: \"\\x3e\\x3e\",\n};\n"))


@case("escapes", "negative")
def double_escaped_json_config(g):
    inner = json.dumps({"region": "us-east-1", "timeout": 30, "retry": {"max": 3}, "secretName": "prod/app"})
    return dict(ext="json", text=json.dumps({"config": inner, "version": 2}) + "\n")


@case("escapes", "negative")
def percent_encoded_placeholder(g):
    return dict(ext="txt", text=(
        "jdbc:postgresql://db.example.com/app?user=app&password=%24%7BDB_PASSWORD%7D\n"
        "https://example.com/hook?token=%3Cyour-token%3E\n"))


@case("escapes", "negative")
def sigv4_presigned_example(g):
    return dict(ext="txt", text=(
        "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404\n"))


# 4. secrets written as code ---------------------------------------------------------------------
def cut(s, n=None):
    n = n or len(s) // 2
    return s[:n], s[n:]


@case("code-split", "positive")
def c_adjacent_literals(g):
    k, s = g.key_id(), g.secret()
    (k1, k2), (s1, s2) = cut(k, 4), cut(s)
    return dict(kind="aws", ext="c", must=[s1, s2], also=[k1 + '" "' + k2], text=(
        "#include <stdio.h>\n\n"
        f"static const char *kAccessKeyId = \"{k1}\" \"{k2}\";\nstatic const char *kSecretKey = \"{s1}\" \"{s2}\";\n"))


@case("code-split", "positive")
def cpp_string_plus(g):
    k, s = g.key_id(), g.secret()
    (k1, k2), (s1, s2) = cut(k, 8), cut(s, 15)
    return dict(kind="aws", ext="cpp", must=[s1, s2], also=[k1, k2], text=(
        "#include <string>\n\nconst std::string access_key_id = std::string(\"" + k1 + "\") + \"" + k2 + "\";\n"
        "const std::string secret_access_key = std::string(\"" + s1 + "\") +\n    \"" + s2 + "\";\n"))


@case("code-split", "positive")
def python_implicit_concat(g):
    k, s = g.key_id(), g.secret()
    (k1, k2), (s1, s2) = cut(k, 4), cut(s)
    return dict(kind="aws", ext="py", must=[s1, s2], also=[k1, k2], text=(
        f"AWS_ACCESS_KEY_ID = (\"{k1}\"\n                     \"{k2}\")\n"
        f"AWS_SECRET_ACCESS_KEY = (\"{s1}\"\n                         \"{s2}\")\n"))


@case("code-split", "positive")
def js_plus_concat(g):
    k, s = g.key_id(), g.secret()
    (k1, k2), (s1, s2) = cut(k, 4), cut(s, 22)
    return dict(kind="aws", ext="js", must=[s1, s2], also=[k1, k2], text=(
        f"const accessKeyId = '{k1}' + '{k2}';\nconst secretAccessKey = '{s1}' +\n  '{s2}';\n"
        "module.exports = { accessKeyId, secretAccessKey };\n"))


@case("code-split", "positive")
def js_array_join(g):
    k = g.key_id()
    parts = [k[:4], k[4:12], k[12:]]
    lit = "[" + ", ".join(f'"{p}"' for p in parts) + "].join(\"\")"
    return dict(kind="aws", ext="ts", must=[lit], text=f"// split so that scanners do not see it\nexport const KEY_ID: string = {lit};\n")


@case("code-split", "positive")
def java_plus_lines(g):
    k, s = g.key_id(), g.secret()
    (k1, k2), (s1, s2) = cut(k, 10), cut(s, 20)
    return dict(kind="aws", ext="java", must=[s1, s2], also=[k1, k2], text=(
        "class Creds {\n"
        f"    static final String ACCESS_KEY = \"{k1}\" +\n            \"{k2}\";\n"
        f"    static final String SECRET_KEY = \"{s1}\" +\n            \"{s2}\";\n}}\n"))


@case("code-split", "positive")
def go_plus_lines(g):
    k, s = g.key_id(), g.secret()
    (k1, k2), (s1, s2) = cut(k, 4), cut(s, 25)
    return dict(kind="aws", ext="go", must=[s1, s2], also=[k1, k2], text=(
        "package config\n\nconst (\n"
        f"\taccessKeyID     = \"{k1}\" + \"{k2}\"\n\tsecretAccessKey = \"{s1}\" +\n\t\t\"{s2}\"\n)\n"))


@case("code-split", "positive")
def shell_adjacent_quotes(g):
    k, s = g.key_id(), g.secret()
    (k1, k2), (s1, s2) = cut(k, 4), cut(s, 18)
    return dict(kind="aws", ext="sh", must=[s1 + "'\"" + s2], also=[k1 + '""' + k2], text=(
        f"#!/bin/bash\nexport AWS_ACCESS_KEY_ID=\"{k1}\"\"{k2}\"\nexport AWS_SECRET_ACCESS_KEY='{s1}'\"{s2}\"\n"
        "aws sts get-caller-identity\n"))


@case("code-split", "positive")
def python_github_token_plus(g):
    t = g.github_pat()
    t1, t2 = cut(t, 4)
    return dict(kind="github", ext="py", must=[f'"{t1}" + "{t2}"'], text=f"import requests\n\nTOKEN = \"{t1}\" + \"{t2}\"\nrequests.get(URL, headers={{\"Authorization\": f\"token {{TOKEN}}\"}})\n")


@case("code-split", "positive")
def pem_c_quoted_lines(g):
    p = private_key_pem(g, "pkcs8-rsa")
    return dict(kind="private_key", ext="c", must=pem_needles(p), text="/* test key */\n" + pem_c_lines(p, "kTestKey"))


@case("code-split", "positive")
def pem_c_backslash_continuation(g):
    p = private_key_pem(g, "sec1")
    return dict(kind="private_key", ext="h", must=pem_needles(p), text="#pragma once\n" + pem_c_backslash(p, "kEcKey"))


@case("code-split", "positive")
def pem_go_plus(g):
    p = private_key_pem(g, "pkcs1")
    return dict(kind="private_key", ext="go", must=pem_needles(p), text=(
        "package tlsutil\n\nconst testRSAKey = " + pem_plus(p, '"', "\t").lstrip("\t") + "\n"))


@case("code-split", "positive")
def pem_java_plus(g):
    p = private_key_pem(g, "pkcs8-ec")
    return dict(kind="private_key", ext="java", must=pem_needles(p), text=(
        "class Keys {\n    static final String EC_KEY =\n" + pem_plus(p, '"', "        ") + ";\n}\n"))


@case("code-split", "positive")
def pem_js_plus(g):
    p = private_key_pem(g, "sec1")
    return dict(kind="private_key", ext="js", must=pem_needles(p), text="const key =\n" + pem_plus(p, "'", "  ") + ";\nmodule.exports = key;\n")


@case("code-split", "positive")
def pem_python_bytes_implicit(g):
    p = private_key_pem(g, "pkcs1")
    return dict(kind="private_key", ext="py", must=pem_needles(p), text=pem_python_implicit(p, "RSA_KEY_PEM", "b"))


@case("code-split", "positive")
def pem_one_string_escapes(g):
    p = private_key_pem(g, "pkcs8-ec")
    v = pem_one_string(p)
    return dict(kind="private_key", ext="py", must=[v], text=f"KEY = \"{v}\"\n")


@case("code-split", "positive")
def pem_yaml_block_scalar(g):
    p = private_key_pem(g, "sec1")
    return dict(kind="private_key", ext="yaml", must=pem_needles(p), text=(
        "server:\n  port: 8443\n  tls:\n    key: |\n" + pem_yaml_block(p, "      ") + "    ciphers: modern\n"))


@case("code-split", "positive")
def pem_json_string(g):
    p = private_key_pem(g, "pkcs8-rsa")
    v = pem_one_string(p)
    return dict(kind="private_key", ext="json", must=[v], text=f"{{\n  \"name\": \"signer\",\n  \"signing_key\": \"{v}\"\n}}\n")


@case("code-split", "negative")
def cert_c_quoted_lines(g):
    return dict(ext="c", text="/* CA certificate */\n" + pem_c_lines(certificate_pem(g), "kRootCert"))


@case("code-split", "negative")
def cert_go_plus(g):
    return dict(ext="go", text="package tlsutil\n\nconst rootPEM = " + pem_plus(certificate_pem(g), '"', "\t").lstrip("\t") + "\n")


@case("code-split", "negative")
def public_key_java_plus(g):
    return dict(ext="java", text="class Keys {\n    static final String PUBLIC_KEY =\n" + pem_plus(public_key_pem(g), '"', "        ") + ";\n}\n")


@case("code-split", "negative")
def cert_js_plus(g):
    return dict(ext="js", text="const ca =\n" + pem_plus(certificate_pem(g), "'", "  ") + ";\n")


@case("code-split", "negative")
def public_key_python_implicit(g):
    return dict(ext="py", text=pem_python_implicit(public_key_pem(g), "VERIFY_KEY", "b"))


@case("code-split", "negative")
def cert_json_string(g):
    return dict(ext="json", text=f"{{\"ca\": \"{pem_one_string(certificate_pem(g))}\"}}\n")


@case("code-split", "negative")
def cert_yaml_block(g):
    return dict(ext="yaml", text="tls:\n  ca: |\n" + pem_yaml_block(certificate_pem(g), "    ") + "  verify: true\n")


@case("code-split", "negative")
def sql_concat(g):
    return dict(ext="java", text=(
        "String sql = \"SELECT id, password_hash FROM users \" +\n    \"WHERE username = '\" + username + \"' \" +\n"
        "    \"AND api_token_expires > now()\";\n"))


@case("code-split", "negative")
def log_concat(g):
    return dict(ext="py", text=(
        "log.info(\"refreshed access token for \" + user.name + \" (expires \" + str(expiry) + \")\")\n"
        "log.debug(\"secret key \" \"rotation scheduled\")\n"))


@case("code-split", "negative")
def split_words(g):
    return dict(ext="js", text=(
        "const label = 'pass' + 'word';\nconst field = \"secret\" + \"_access_\" + \"key\";\n"
        "if (id.startsWith('AK' + 'IA')) { kind = 'long-term'; }\n"))


@case("code-split", "negative")
def aws_identifier_split(g):
    v = g.key_id("AIDA")
    return dict(ext="py", text=f"USER_ID = (\"{v[:4]}\"\n           \"{v[4:]}\")  # IAM user id, not a key\n")


@case("code-split", "negative")
def hex_digest_test_vector(g):
    h = g.hexs(64)
    return dict(ext="c", text=f"/* SHA-256 test vector */\nstatic const char kExpected[] =\n    \"{h[:32]}\"\n    \"{h[32:]}\";\n")


# 5. context beyond the line -------------------------------------------------------------------
@case("context", "positive")
def boto3_client_split_args(g):
    k, s = g.key_id(), g.secret()
    return dict(kind="aws", ext="py", must=[s], also=[k], text=(
        f"import boto3\n\ns3 = boto3.client(\"s3\", aws_access_key_id=\"{k}\",\n"
        f"                  aws_secret_access_key=\"{s}\")\n"))


@case("context", "positive")
def boto3_session_positional(g):
    k, s = g.key_id(), g.secret()
    return dict(kind="aws", ext="py", must=[s], also=[k], text=(
        f"import boto3\n\nsession = boto3.session.Session(\n    \"{k}\",\n    \"{s}\",\n    region_name=\"eu-west-1\",\n)\n"))


@case("context", "positive")
def java_basic_aws_credentials_lines(g):
    k, s = g.key_id(), g.secret()
    return dict(kind="aws", ext="java", must=[s], also=[k], text=(
        "AWSCredentials credentials = new BasicAWSCredentials(\n"
        f"        \"{k}\",\n        \"{s}\");\nAmazonS3 s3 = new AmazonS3Client(credentials);\n"))


@case("context", "positive")
def java_sdk2_static_credentials(g):
    k, s = g.key_id(), g.secret()
    return dict(kind="aws", ext="java", must=[s], also=[k], text=(
        "S3Client s3 = S3Client.builder()\n    .credentialsProvider(StaticCredentialsProvider.create(\n"
        f"        AwsBasicCredentials.create(\n            \"{k}\",\n            \"{s}\")))\n    .build();\n"))


@case("context", "positive")
def js_credentials_constructor(g):
    k, s = g.key_id(), g.secret()
    return dict(kind="aws", ext="js", must=[s], also=[k], text=(
        f"AWS.config.credentials = new AWS.Credentials(\n  '{k}',\n  '{s}'\n);\n"))


@case("context", "positive")
def hadoop_core_site(g):
    k, s = g.key_id(), g.secret()
    b = g.r.choice(["", f"bucket.{g.word()}."])
    return dict(kind="aws", ext="xml", must=[s], also=[k], text=(
        "<?xml version=\"1.0\"?>\n<configuration>\n"
        f"  <property>\n    <name>fs.s3a.{b}access.key</name>\n    <value>{k}</value>\n  </property>\n"
        f"  <property>\n    <name>fs.s3a.{b}secret.key</name>\n    <value>{s}</value>\n  </property>\n</configuration>\n"))


@case("context", "positive")
def hadoop_secret_only(g):
    s = g.secret()
    return dict(kind="aws", ext="xml", must=[s], text=(
        "<configuration>\n  <property>\n    <name>fs.s3a.endpoint</name>\n    <value>s3.eu-west-1.amazonaws.com</value>\n  </property>\n"
        f"  <property>\n    <name>fs.s3a.secret.key</name>\n    <value>{s}</value>\n    <description>rotated 2026-11</description>\n  </property>\n</configuration>\n"))


@case("context", "positive")
def plist_key_string(g):
    k, s = g.key_id(), g.secret()
    return dict(kind="aws", ext="plist", must=[s], also=[k], text=(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
        "<plist version=\"1.0\">\n<dict>\n\t<key>AWSRegion</key>\n\t<string>us-east-1</string>\n"
        f"\t<key>AWSAccessKeyId</key>\n\t<string>{k}</string>\n\t<key>AWSSecretKey</key>\n\t<string>{s}</string>\n</dict>\n</plist>\n"))


@case("context", "positive")
def dotnet_app_settings(g):
    k, s = g.key_id(), g.secret()
    return dict(kind="aws", ext="config", must=[s], also=[k], text=(
        "<configuration>\n  <appSettings>\n    <add key=\"AWSRegion\" value=\"us-east-1\" />\n"
        f"    <add key=\"AWSAccessKey\" value=\"{k}\" />\n    <add key=\"AWSSecretKey\" value=\"{s}\" />\n"
        "  </appSettings>\n</configuration>\n"))


@case("context", "positive")
def yaml_parent_keys(g):
    k, s = g.key_id(), g.secret()
    return dict(kind="aws", ext="yaml", must=[s], also=[k], text=(
        f"aws:\n  s3:\n    uploads:\n      bucket: {g.word()}-uploads\n      credentials:\n        id: {k}\n        key: {s}\n"
        "logging:\n  level: info\n"))


@case("context", "positive")
def yaml_parent_secret_only(g):
    s = g.secret()
    return dict(kind="aws", ext="yaml", must=[s], text=(
        f"providers:\n  aws:\n    region: us-west-2\n    profile: {g.word()}\n    static:\n      secret: {s}\n"))


@case("context", "positive")
def json_parent_keys(g):
    k, s = g.key_id(), g.secret()
    doc = {"aws": {"production": {"region": "us-east-1", "credentials": {"id": k, "value": s}}}, "name": g.word()}
    return dict(kind="aws", ext="json", must=[s], also=[k], text=json.dumps(doc, indent=2) + "\n")


@case("context", "positive")
def ini_section_aws(g):
    k, s = g.key_id(), g.secret()
    return dict(kind="aws", ext="ini", must=[s], also=[k], text=(
        f"[app]\nname = {g.word()}\n\n[aws]\nregion = eu-central-1\nid = {k}\nkey = {s}\n"))


@case("context", "positive")
def java_properties_continuation(g):
    k, s = g.key_id(), g.secret()
    return dict(kind="aws", ext="properties", must=[s], also=[k], text=(
        f"app.name={g.word()}\naws.credentials.accessKeyId=\\\n    {k}\naws.credentials.secretKey=\\\n    {s}\n"))


@case("context", "positive")
def hive_site_password(g):
    p = g.password()
    return dict(kind="generic", ext="xml", must=[p], text=(
        "<configuration>\n  <property>\n    <name>javax.jdo.option.ConnectionUserName</name>\n    <value>hive</value>\n  </property>\n"
        f"  <property>\n    <name>javax.jdo.option.ConnectionPassword</name>\n    <value>{p}</value>\n  </property>\n</configuration>\n"))


@case("context", "positive")
def plist_api_key(g):
    v = g.api_key()
    return dict(kind="generic", ext="plist", must=[v], text=(
        "<plist version=\"1.0\">\n<dict>\n\t<key>ServerURL</key>\n\t<string>https://api.example.com</string>\n"
        f"\t<key>APIKey</key>\n\t<string>{v}</string>\n</dict>\n</plist>\n"))


@case("context", "negative")
def hadoop_placeholders(g):
    return dict(ext="xml", text=(
        "<configuration>\n  <property>\n    <name>fs.s3a.access.key</name>\n    <value>${env.AWS_ACCESS_KEY_ID}</value>\n  </property>\n"
        "  <property>\n    <name>fs.s3a.secret.key</name>\n    <value>${env.AWS_SECRET_ACCESS_KEY}</value>\n  </property>\n"
        "  <property>\n    <name>hadoop.security.credential.provider.path</name>\n    <value>jceks://hdfs/user/etl/aws.jceks</value>\n  </property>\n</configuration>\n"))


@case("context", "negative")
def hadoop_hash_values(g):
    return dict(ext="xml", text=(
        f"<configuration>\n  <property>\n    <name>fs.s3a.server-side-encryption.key</name>\n"
        f"    <value>arn:aws:kms:us-east-1:{g.account()}:key/{g.uuid()}</value>\n  </property>\n"
        f"  <property>\n    <name>build.commit</name>\n    <value>{g.hexs(40)}</value>\n  </property>\n</configuration>\n"))


@case("context", "negative")
def plist_ids_and_hashes(g):
    return dict(ext="plist", text=(
        "<plist version=\"1.0\">\n<dict>\n\t<key>CFBundleIdentifier</key>\n\t<string>com.example.uploader</string>\n"
        f"\t<key>BuildHash</key>\n\t<string>{g.hexs(40)}</string>\n\t<key>AWSSecretKey</key>\n\t<string>$(AWS_SECRET_KEY)</string>\n</dict>\n</plist>\n"))


@case("context", "negative")
def dotnet_app_settings_profile(g):
    return dict(ext="config", text=(
        "<configuration>\n  <appSettings>\n    <add key=\"AWSProfileName\" value=\"development\" />\n"
        "    <add key=\"AWSRegion\" value=\"us-east-1\" />\n    <add key=\"AWSSecretKey\" value=\"\" />\n  </appSettings>\n</configuration>\n"))


@case("context", "negative")
def boto3_client_from_env(g):
    return dict(ext="py", text=(
        "import os\nimport boto3\n\ns3 = boto3.client(\n    \"s3\",\n    aws_access_key_id=os.environ[\"AWS_ACCESS_KEY_ID\"],\n"
        "    aws_secret_access_key=os.environ[\"AWS_SECRET_ACCESS_KEY\"],\n)\n"))


@case("context", "negative")
def java_credentials_from_env(g):
    return dict(ext="java", text=(
        "AWSCredentials credentials = new BasicAWSCredentials(\n        System.getenv(\"AWS_ACCESS_KEY_ID\"),\n"
        "        System.getenv(\"AWS_SECRET_ACCESS_KEY\"));\n"))


@case("context", "negative")
def js_credentials_from_env(g):
    return dict(ext="js", text="AWS.config.credentials = new AWS.Credentials(\n  process.env.AWS_ACCESS_KEY_ID,\n  process.env.AWS_SECRET_ACCESS_KEY\n);\n")


@case("context", "negative")
def yaml_parent_non_secret(g):
    return dict(ext="yaml", text=(
        f"aws:\n  s3:\n    uploads:\n      credentials:\n        id: ${{AWS_ACCESS_KEY_ID}}\n        key: ${{AWS_SECRET_ACCESS_KEY}}\n"
        f"      checksum: {g.hexs(40)}\n      kms_key_id: {g.uuid()}\n"))


@case("context", "negative")
def json_parent_hashes(g):
    doc = {"aws": {"build": {"commit": g.hexs(40), "etag": g.hexs(32), "role": f"arn:aws:iam::{g.account()}:role/deploy"}}}
    return dict(ext="json", text=json.dumps(doc, indent=2) + "\n")


@case("context", "negative")
def ini_section_role(g):
    return dict(ext="ini", text=(
        f"[profile deploy]\nrole_arn = arn:aws:iam::{g.account()}:role/deploy\nsource_profile = default\n"
        "region = us-east-1\n\n[profile sso]\ncredential_process = /usr/local/bin/aws-sso-helper --profile sso\n"))


@case("context", "negative")
def properties_continuation_placeholder(g):
    return dict(ext="properties", text="aws.credentials.accessKeyId=\\\n    ${AWS_ACCESS_KEY_ID}\naws.credentials.secretKey=\\\n    ${AWS_SECRET_ACCESS_KEY}\n")


@case("context", "negative")
def yaml_role_ids(g):
    return dict(ext="yaml", text=(
        f"aws:\n  identity:\n    user_id: {g.key_id('AIDA')}\n    role_id: {g.key_id('AROA')}\n"
        f"    account: \"{g.account()}\"\n"))


# 6. generic rule on code ------------------------------------------------------------------------
def gen_pos(ext, kind_of_value, template):
    def fn(g):
        v = g.password() if kind_of_value == "password" else g.api_key()
        return dict(kind="generic", ext=ext, must=[v], text=template.format(v=v, w=g.word()))
    return fn


GENERIC_POSITIVES = [
    ("python_password", "py", "password", "import psycopg2\n\nDB_PASSWORD = \"{v}\"\nconn = psycopg2.connect(host=\"db\", password=DB_PASSWORD)\n"),
    ("js_api_key", "js", "key", "const apiKey = \"{v}\";\nfetch(url, {{ headers: {{ \"X-Api-Key\": apiKey }} }});\n"),
    ("java_client_secret", "java", "key", "class OAuth {{\n    private static final String CLIENT_SECRET = \"{v}\";\n}}\n"),
    ("go_token", "go", "key", "package main\n\nfunc main() {{\n\ttoken := \"{v}\"\n\tclient.SetToken(token)\n}}\n"),
    ("compose_password", "yml", "password", "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: {v}\n"),
    ("json_client_secret", "json", "key", "{{\n  \"client_id\": \"{w}-web\",\n  \"client_secret\": \"{v}\"\n}}\n"),
    ("toml_api_key", "toml", "key", "[service]\nname = \"{w}\"\napi_key = \"{v}\"\n"),
    ("dotenv_token", "env", "key", "NODE_ENV=production\nAPI_TOKEN={v}\n"),
    ("php_password", "php", "password", "<?php\n$config = [\n    'db' => ['user' => 'app', 'password' => '{v}'],\n];\n"),
    ("ruby_api_key", "rb", "key", "Example.configure do |config|\n  config.api_key = \"{v}\"\nend\n"),
    ("terraform_password", "tf", "password", "resource \"aws_db_instance\" \"main\" {{\n  username = \"admin\"\n  password = \"{v}\"\n}}\n"),
    ("xml_password", "xml", "password", "<datasource>\n  <user>app</user>\n  <password>{v}</password>\n</datasource>\n"),
    ("csharp_client_secret", "cs", "key", "var clientSecret = \"{v}\";\nvar app = ConfidentialClientApplicationBuilder.Create(id).WithClientSecret(clientSecret).Build();\n"),
    ("shell_password", "sh", "password", "#!/bin/sh\nexport DATABASE_PASSWORD='{v}'\npsql -h db -U app\n"),
    ("ini_secret", "cfg", "password", "[smtp]\nhost = smtp.example.com\nuser = mailer\npassword = {v}\n"),
]
for _name, _ext, _kv, _tpl in GENERIC_POSITIVES:
    _fn = gen_pos(_ext, _kv, _tpl)
    _fn.__name__ = _name
    case("generic", "positive")(_fn)


def gen_neg(ext, text):
    return lambda g: dict(ext=ext, text=text)


GENERIC_NEGATIVES = [
    ("c_length_member", "c", "static int derive(const struct params *params) {\n    size_t shared_secret_len = params->shared_secret_len;\n    size_t secret_len = params->x;\n    return shared_secret_len + secret_len;\n}\n"),
    ("python_call", "py", "secret = get_secret(name)\napi_key = config.get(\"api_key\")\nclient_secret = os.environ[\"CLIENT_SECRET\"]\n"),
    ("python_member", "py", "class Client:\n    def auth(self):\n        token = self.token\n        password = self.settings.password\n        return token, password\n"),
    ("compose_env_var", "yml", "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: ${DB_PASSWORD}\n      API_TOKEN: ${API_TOKEN:-}\n"),
    ("helm_template", "yaml", "apiVersion: v1\nkind: Secret\nstringData:\n  password: {{ .Values.password }}\n  token: {{ .Values.auth.token | quote }}\n"),
    ("python_percent_format", "py", "DSN = \"postgresql://%(user)s:%(password)s@%(host)s/app\" % settings\n"),
    ("configparser_interpolation", "cfg", "[db]\npassword = %(db_password)s\napi_key = %(API_KEY)s\n"),
    ("angle_placeholder", "md", "```\napi_key = \"<your-api-key>\"\nclient_secret = \"<client-secret>\"\n```\n"),
    ("changeme", "env", "DB_PASSWORD=changeme\nADMIN_PASSWORD=change_me\nSECRET_KEY=replace-me\n"),
    ("x_placeholder", "yml", "auth:\n  token: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n  password: \"********\"\n"),
    ("aws_credentials_path", "py", "CREDENTIALS_PATH = \"~/.aws/credentials\"\nconfig_file = os.path.expanduser(\"~/.aws/config\")\n"),
    ("url_without_credentials", "yml", "oauth:\n  token_url: https://login.example.com/oauth2/v2.0/token\n  secret_manager: https://vault.example.com/v1/secret/data/app\n"),
    ("sigv4_doc_example", "txt", "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7\n"),
    ("comment_naming_secret", "c", "/* shared_secret = client_key XOR server_key (RFC 5246 section 8.1) */\n// password: see the vault entry for this service\n"),
    ("java_header_lookup", "java", "String token = request.getHeader(\"Authorization\");\nString password = passwordEncoder.encode(form.getPassword());\n"),
    ("typed_fields", "ts", "interface Config {\n  apiKey: string;\n  clientSecret?: string;\n}\ntype Token = { token: string; expiresAt: Date };\n"),
    ("go_struct_tags", "go", "type Credentials struct {\n\tToken    string `json:\"token\"`\n\tPassword string `json:\"password,omitempty\"`\n}\n"),
    ("value_equals_name", "json", "{\n  \"Token\": \"token\",\n  \"password\": \"password\",\n  \"api_key\": \"your_api_key_here\"\n}\n"),
    ("arithmetic", "py", "token_len = header_len + payload_len * 2\nsecret_bytes = key_size // 8\n"),
    ("c_sizeof_secret", "c", "uint8_t shared_secret[EVP_MAX_MD_SIZE];\nsize_t shared_secret_len = sizeof(shared_secret);\nif (!EVP_PKEY_derive(ctx, shared_secret, &shared_secret_len)) {\n    goto err;\n}\n"),
    ("c_getenv", "c", "const char *password = getenv(\"DB_PASSWORD\");\nconst char *api_key = config_lookup(cfg, \"api_key\");\n"),
    ("github_actions_secrets", "yml", "jobs:\n  release:\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          token: ${{ secrets.GITHUB_TOKEN }}\n      - run: ./publish\n        env:\n          NPM_TOKEN: ${{ secrets.NPM_TOKEN }}\n"),
    ("ansible_vault_vars", "yml", "db_user: app\ndb_password: \"{{ vault_db_password }}\"\napi_token: \"{{ lookup('env', 'API_TOKEN') }}\"\n"),
    ("python_runtime_generated", "py", "import secrets\n\nclient_secret = secrets.token_urlsafe(32)\ntoken = jwt.encode(payload, SIGNING_KEY, algorithm=\"HS256\")\n"),
    ("python_settings_reference", "py", "SECRET_KEY = settings.SECRET_KEY\napi_key = kwargs.get(\"api_key\") or DEFAULT_API_KEY\npassword = hashlib.sha256(password.encode()).hexdigest()\n"),
    ("shell_secret_file", "sh", "#!/bin/sh\nPASSWORD=\"$(cat /run/secrets/db_password)\"\nTOKEN=$(vault kv get -field=token secret/ci)\n"),
    ("java_bean_field", "java", "public class Account {\n    private String password;\n    public String getPassword() { return this.password; }\n    public void setApiKey(String apiKey) { this.apiKey = apiKey; }\n}\n"),
    ("i18n_strings", "json", "{\n  \"password_reset_title\": \"Reset your password\",\n  \"token_expired\": \"Your session has expired, sign in again\"\n}\n"),
]
for _name, _ext, _text in GENERIC_NEGATIVES:
    _fn = gen_neg(_ext, _text)
    _fn.__name__ = _name
    case("generic", "negative")(_fn)

CATEGORIES = ["base64", "utf16", "escapes", "code-split", "context", "generic"]


# ---- writing ----------------------------------------------------------------------------------------
def line_ranges(text, needles):
    out = []
    for n in needles:
        i = text.find(n)
        if i < 0:
            raise AssertionError(f"needle not in text: {n[:40]!r}")
        first = text.count("\n", 0, i) + 1
        out.append([first, first + n.count("\n")])
    return out


def merge(ranges):
    out = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def encode(text, enc, crlf):
    if crlf:
        text = text.replace("\n", "\r\n")
    if enc == "utf-8":
        return text.encode()
    if enc == "utf-16le-bom":
        return b"\xff\xfe" + text.encode("utf-16-le")
    if enc == "utf-16le":
        return text.encode("utf-16-le")
    if enc == "utf-16be":
        return text.encode("utf-16-be")
    raise ValueError(enc)


def build(seed, per_case):
    """(labels, {file: bytes}): the whole corpus, from the seed alone."""
    g = Gen(seed)
    labels = {"seed": seed, "per_case": per_case, "items": []}
    files, texts = {}, set()
    for cat in CATEGORIES:
        pos, neg = POS[cat], NEG[cat]
        # As many look-alikes as positives: the shorter list is cycled.
        n = max(len(pos), len(neg)) * per_case
        for expect, cases in (("positive", pos), ("negative", neg)):
            for i in range(n):
                fn = cases[i % len(cases)]
                c = fn(g)
                # Neutral names: a scanner that weighs paths learns nothing from them.
                fname = f"{cat}/{len(labels['items']):03d}.{c['ext']}"
                enc = c.get("enc", "utf-8")
                text = c["text"]
                # A case without random values repeats itself: a trailing blank line keeps every
                # file distinct, so that no scanner can report one copy for two files.
                while text in texts:
                    text += "\n"
                texts.add(text)
                nlines = text.count("\n") + (0 if text.endswith("\n") else 1)
                item = {"file": fname, "category": cat, "case": fn.__name__, "expect": expect, "encoding": enc}
                if expect == "positive":
                    must = line_ranges(text, c["must"])
                    item["kind"] = c["kind"]
                    item["lines"] = [min(r[0] for r in must), max(r[1] for r in must)]
                    item["zone"] = merge(must + line_ranges(text, c.get("also", [])))
                else:
                    item["kind"] = None
                    item["lines"] = [1, nlines]
                    item["zone"] = []
                files[fname] = encode(text, enc, c.get("crlf", False))
                labels["items"].append(item)
    return labels, files


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--per-case", type=int, default=2, help="instances of the longer list of cases per category")
    a = ap.parse_args()
    labels, files = build(a.seed, a.per_case)
    tree = os.path.join(a.out, "tree")
    for fname, data in files.items():
        path = os.path.join(tree, fname)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
    with open(os.path.join(a.out, "labels.json"), "w") as fh:
        json.dump(labels, fh, indent=1)
    items = labels["items"]
    npos = sum(i["expect"] == "positive" for i in items)
    print(f"{len(items)} items ({npos} positives, {len(items) - npos} look-alikes) in {len(CATEGORIES)} categories, "
          f"{sum(len(POS[c]) + len(NEG[c]) for c in CATEGORIES)} cases -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
