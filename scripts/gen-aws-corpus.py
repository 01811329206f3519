#!/usr/bin/env python3
"""Writes keysentry's labelled AWS test corpus: synthetic credentials planted in 30+ file
formats, and look-alikes that no scanner should report.

    scripts/gen-aws-corpus.py OUT_DIR [--seed N] [--per-format N]

OUT_DIR/tree/ holds the files; OUT_DIR/labels.json lists every planted credential (file,
format, key id, secret, session token, and the encoded forms they are written in) and every
look-alike file (kind, value). Nothing is committed: the corpus is made at run time.

Every key id is well formed (prefix + 16 base32 characters) and encodes a random 12-digit
account the way AWS does (../shared/docs/aws.md section 3), so keysentry's account decoding
applies; none was ever issued by AWS. Secrets and tokens are random characters.
"""

import argparse
import base64
import json
import os
import random
import sys
import urllib.parse

B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def account(self):
        return self.r.randrange(10**11, 10**12)

    def key_id(self, prefix="AKIA", account=None):
        account = self.account() if account is None else account
        key = self.r.getrandbits(39)
        top48 = (1 << 47) | (account << 7) | (key >> 32)
        v = (top48 << 32) | (key & 0xFFFFFFFF)
        return prefix + "".join(B32[(v >> (5 * i)) & 31] for i in range(15, -1, -1))

    def secret(self):
        while True:
            s = "".join(self.r.choice(B64) for _ in range(40))
            if any(c.isupper() for c in s) and any(c.islower() for c in s) and any(c.isdigit() for c in s):
                return s

    def token(self):
        head = self.r.choice(["FwoGZXIvYXdz", "IQoJb3JpZ2luX2Vj"])
        return head + "".join(self.r.choice(B64) for _ in range(self.r.randrange(250, 420)))

    def word(self):
        return self.r.choice(["alpha", "bucket", "region", "timeout", "retries", "service", "owner",
                              "team", "build", "cache", "queue", "mode", "level", "zone", "path"])

    def filler(self, n, fmt="{k} = {v}"):
        return "".join(fmt.format(k=f"{self.word()}_{i}", v=self.word()) + "\n" for i in range(n))


def pct(s):
    return urllib.parse.quote(s, safe="")


def b64(s):
    return base64.b64encode(s.encode()).decode()


# Each format: (name, extension, function(gen, kid, sec, tok) -> text, needs) where needs says
# which parts are planted: "ks" key + secret, "kst" key + secret + token (ASIA), "kt" key +
# token (presigned URL), "k" key alone.
def f_ini(g, k, s, t):
    return f"[default]\nregion = us-east-1\n\n[{g.word()}]\naws_access_key_id = {k}\naws_secret_access_key = {s}\nregion = eu-west-1\n"

def f_ini_session(g, k, s, t):
    return f"[profile {g.word()}]\naws_access_key_id={k}\naws_secret_access_key={s}\naws_session_token={t}\nregion=us-west-2\n"

def f_csv(g, k, s, t):
    return f"Access key ID,Secret access key\n{k},{s}\n"

def f_csv_console(g, k, s, t):
    return f"User name,Password,Access key ID,Secret access key,Console login link\n{g.word()},,{k},{s},https://123456789012.signin.aws.amazon.com/console\n"

def f_create_key(g, k, s, t):
    return json.dumps({"AccessKey": {"UserName": g.word(), "AccessKeyId": k, "Status": "Active",
                                     "SecretAccessKey": s, "CreateDate": "2026-01-02T03:04:05+00:00"}}, indent=4) + "\n"

def f_assume_role(g, k, s, t):
    return json.dumps({"Credentials": {"AccessKeyId": k, "SecretAccessKey": s, "SessionToken": t,
                                       "Expiration": "2026-01-02T04:04:05+00:00"},
                       "AssumedRoleUser": {"AssumedRoleId": g.key_id("AROA") + ":ci", "Arn": "arn:aws:sts::123456789012:assumed-role/ci/ci"}}, indent=4) + "\n"

def f_session_token(g, k, s, t):
    return json.dumps({"Credentials": {"SecretAccessKey": s, "SessionToken": t, "Expiration": "2026-01-02T04:04:05Z", "AccessKeyId": k}}) + "\n"

def f_tfstate(g, k, s, t):
    attrs = {"id": k, "user": g.word(), "status": "Active", "pgp_key": None,
             **{f"tag_{i}": g.word() for i in range(12)}, "secret": s, "encrypted_secret": None}
    return json.dumps({"version": 4, "resources": [{"mode": "managed", "type": "aws_iam_access_key", "name": "ci",
                                                    "instances": [{"attributes": attrs}]}]}, indent=2) + "\n"

def f_tfvars(g, k, s, t):
    return f'region = "us-east-1"\naws_access_key = "{k}"\naws_secret_key = "{s}"\n'

def f_hcl_provider(g, k, s, t):
    return f'provider "aws" {{\n  region     = "us-east-1"\n  access_key = "{k}"\n  secret_key = "{s}"\n}}\n'

def f_dotenv(g, k, s, t):
    return f"AWS_ACCESS_KEY_ID={k}\nAWS_SECRET_ACCESS_KEY={s}\nAWS_DEFAULT_REGION=us-east-1\n"

def f_dotenv_far(g, k, s, t):
    return f"AWS_ACCESS_KEY_ID={k}\n" + g.filler(40, "{k}={v}").upper() + f"AWS_SECRET_ACCESS_KEY={s}\n"

def f_shell(g, k, s, t):
    return f"#!/bin/sh\nset -e\nexport AWS_ACCESS_KEY_ID=\"{k}\"\nexport AWS_SECRET_ACCESS_KEY=\"{s}\"\naws s3 sync . s3://{g.word()}\n"

def f_dockerfile(g, k, s, t):
    return f"FROM alpine:3\nENV AWS_ACCESS_KEY_ID={k} \\\n    AWS_SECRET_ACCESS_KEY={s}\nRUN apk add aws-cli\n"

def f_compose(g, k, s, t):
    return f"services:\n  app:\n    image: app\n    environment:\n      - AWS_ACCESS_KEY_ID={k}\n      - AWS_SECRET_ACCESS_KEY={s}\n"

def f_yaml_far(g, k, s, t):
    return f"storage:\n  s3:\n    access_key: {k}\n" + g.filler(25, "    {k}: {v}") + f"    secret_key: {s}\nlogging:\n  level: info\n"

def f_json_far(g, k, s, t):
    inner = {"keyId": k, **{f"opt{i}": i for i in range(25)}, "secretKey": s}
    return json.dumps({"aws": inner, "name": g.word()}, indent=2) + "\n"

def f_k8s(g, k, s, t):
    return (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {g.word()}\ntype: Opaque\ndata:\n"
            f"  AWS_ACCESS_KEY_ID: {b64(k)}\n  region: {b64('us-east-1')}\n  AWS_SECRET_ACCESS_KEY: {b64(s)}\n")

def f_k8s_string(g, k, s, t):
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {g.word()}\nstringData:\n  aws_access_key_id: {k}\n  aws_secret_access_key: {s}\n"

def f_notebook(g, k, s, t):
    src = ["import boto3\n", f"s3 = boto3.client('s3', aws_access_key_id='{k}',\n", f"                  aws_secret_access_key='{s}')\n"]
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": src, "outputs": []}], "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1).replace("/", "\\/") + "\n"

def f_url(g, k, s, t):
    return f"curl 'https://sync.example.com/run?aws_access_key_id={k}&aws_secret_access_key={pct(s)}&bucket={g.word()}'\n"

def f_presigned(g, k, s, t):
    return (f"https://{g.word()}.s3.amazonaws.com/report.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={k}%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"
            f"&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-Security-Token={pct(t)}&X-Amz-SignedHeaders=host"
            f"&X-Amz-Signature={''.join(g.r.choice('0123456789abcdef') for _ in range(64))}\n")

def f_boto3(g, k, s, t):
    return f"import boto3\n\nsession = boto3.Session(\n    aws_access_key_id=\"{k}\",\n    aws_secret_access_key=\"{s}\",\n    region_name=\"us-east-1\",\n)\n"

def f_js(g, k, s, t):
    return f"const AWS = require('aws-sdk');\nAWS.config.update({{\n  accessKeyId: '{k}',\n  secretAccessKey: '{s}',\n  region: 'us-east-1'\n}});\n"

def f_properties(g, k, s, t):
    return f"app.name={g.word()}\naws.accessKeyId={k}\naws.secretKey={s}\n"

def f_go(g, k, s, t):
    return f"package main\n\nvar creds = credentials.NewStaticCredentials(\"{k}\", \"{s}\", \"\")\n"

def f_ruby(g, k, s, t):
    return f"require 'aws-sdk-s3'\ncreds = Aws::Credentials.new('{k}', '{s}')\n"

def f_php(g, k, s, t):
    return f"<?php\nreturn [\n    's3' => [\n        'key'    => '{k}',\n        'secret' => '{s}',\n        'region' => 'us-east-1',\n    ],\n];\n"

def f_csharp(g, k, s, t):
    return f"var credentials = new BasicAWSCredentials(\"{k}\", \"{s}\");\nvar client = new AmazonS3Client(credentials, RegionEndpoint.USEast1);\n"

def f_xml(g, k, s, t):
    return f"<configuration>\n  <aws>\n    <AccessKeyId>{k}</AccessKeyId>\n    <SecretAccessKey>{s}</SecretAccessKey>\n  </aws>\n</configuration>\n"

def f_log(g, k, s, t):
    return g.filler(5, "2026-01-01T00:00:00Z INFO {k}={v}") + f"2026-01-01T00:00:01Z DEBUG auth access_key={k} secret={s}\n" + g.filler(5, "2026-01-01T00:00:02Z INFO {k}={v}")

def f_gha(g, k, s, t):
    return f"name: deploy\non: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    env:\n      AWS_ACCESS_KEY_ID: {k}\n      AWS_SECRET_ACCESS_KEY: {s}\n    steps:\n      - run: aws s3 ls\n"

def f_markdown(g, k, s, t):
    return f"# Setup\n\nConfigure the CLI:\n\n```\n$ aws configure\nAWS Access Key ID [None]: {k}\nAWS Secret Access Key [None]: {s}\nDefault region name [None]: us-east-1\n```\n"

def f_s3cfg(g, k, s, t):
    return f"[default]\naccess_key = {k}\nsecret_key = {s}\nhost_base = s3.amazonaws.com\n"

def f_rclone(g, k, s, t):
    return f"[{g.word()}]\ntype = s3\nprovider = AWS\naccess_key_id = {k}\nsecret_access_key = {s}\nregion = us-east-1\n"

def f_python_dict(g, k, s, t):
    return f"CONFIG = {{\n    'key': '{k}',\n    'name': '{g.word()}',\n    'secret': '{s}',\n}}\n"

def f_lone_key(g, k, s, t):
    return f"# rotated on 2026-01-01\nold_key = {k}\n"

FORMATS = [
    ("ini_credentials", "credentials", f_ini, "ks"),
    ("ini_config_session", "config", f_ini_session, "kst"),
    ("console_csv", "csv", f_csv, "ks"),
    ("console_csv_users", "csv", f_csv_console, "ks"),
    ("iam_create_access_key", "json", f_create_key, "ks"),
    ("sts_assume_role", "json", f_assume_role, "kst"),
    ("sts_session_token_oneline", "json", f_session_token, "kst"),
    ("terraform_state", "tfstate", f_tfstate, "ks"),
    ("terraform_tfvars", "tfvars", f_tfvars, "ks"),
    ("terraform_provider", "tf", f_hcl_provider, "ks"),
    ("dotenv", "env", f_dotenv, "ks"),
    ("dotenv_far_apart", "env", f_dotenv_far, "ks"),
    ("shell_exports", "sh", f_shell, "ks"),
    ("dockerfile", "Dockerfile", f_dockerfile, "ks"),
    ("docker_compose", "yml", f_compose, "ks"),
    ("yaml_far_apart", "yaml", f_yaml_far, "ks"),
    ("json_far_apart", "json", f_json_far, "ks"),
    ("kubernetes_secret_base64", "yaml", f_k8s, "ks"),
    ("kubernetes_secret_stringdata", "yaml", f_k8s_string, "ks"),
    ("jupyter_notebook", "ipynb", f_notebook, "ks"),
    ("url_percent_encoded", "txt", f_url, "ks"),
    ("presigned_url", "txt", f_presigned, "kt"),
    ("python_boto3", "py", f_boto3, "ks"),
    ("javascript_sdk", "js", f_js, "ks"),
    ("java_properties", "properties", f_properties, "ks"),
    ("go_static_credentials", "go", f_go, "ks"),
    ("ruby_sdk", "rb", f_ruby, "ks"),
    ("php_array", "php", f_php, "ks"),
    ("csharp_sdk", "cs", f_csharp, "ks"),
    ("xml_config", "xml", f_xml, "ks"),
    ("log_line", "log", f_log, "ks"),
    ("github_actions", "yml", f_gha, "ks"),
    ("markdown_aws_configure", "md", f_markdown, "ks"),
    ("s3cmd_config", "s3cfg", f_s3cfg, "ks"),
    ("rclone_config", "conf", f_rclone, "ks"),
    ("python_dict", "py", f_python_dict, "ks"),
    ("lone_key_id", "txt", f_lone_key, "k"),
]


def lookalikes(g):
    """(kind, text, value) of things that are not AWS credentials."""
    hexs = lambda n: "".join(g.r.choice("0123456789abcdef") for _ in range(n))
    return [
        ("role_id", lambda: (lambda v: (f'"RoleId": "{v}"\n', v))(g.key_id("AROA"))),
        ("user_id", lambda: (lambda v: (f'"UserId": "{v}",\n"Arn": "arn:aws:iam::123456789012:user/x"\n', v))(g.key_id("AIDA"))),
        ("assumed_role_id", lambda: (lambda v: (f"caller: {v}:session-1\n", v))(g.key_id("AROA"))),
        ("arn", lambda: (lambda v: (f"role_arn = {v}\n", v))(f"arn:aws:iam::{g.account()}:role/{g.word()}")),
        ("account_id", lambda: (lambda v: (f"aws_account_id = {v}\n", v))(str(g.account()))),
        ("git_sha", lambda: (lambda v: (f"aws_secret_access_key = {v}\n", v))(hexs(40))),
        ("git_sha_log", lambda: (lambda v: (f"commit {v}\nAuthor: x <x@example.com>\n", v))(hexs(40))),
        ("npm_integrity", lambda: (lambda v: (f'"integrity": "sha512-{v}"\n', v))(base64.b64encode(os.urandom(64)).decode())),
        ("npm_integrity_sha1", lambda: (lambda v: (f'"integrity": "sha1-{v}"\n', v))(base64.b64encode(os.urandom(20)).decode())),
        ("base64_image", lambda: (lambda v: (f'<img src="data:image/png;base64,{v}">\n', v))(base64.b64encode(os.urandom(300)).decode())),
        ("placeholder_x", lambda: ("aws_access_key_id = AKIAXXXXXXXXXXXXXXXX\naws_secret_access_key = XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n", "AKIAXXXXXXXXXXXXXXXX")),
        ("placeholder_var", lambda: ("aws_access_key_id = ${AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}\n", "${AWS_ACCESS_KEY_ID}")),
        ("near_miss_19", lambda: (lambda v: (f"aws_access_key_id = {v}\n", v))(g.key_id()[:19])),
        ("near_miss_21", lambda: (lambda v: (f"aws_access_key_id = {v}\n", v))(g.key_id() + "Q")),
        ("lowercase", lambda: (lambda v: (f"aws_access_key_id = {v}\n", v))(g.key_id().lower())),
        ("digits_in_body", lambda: (lambda v: (f"aws_access_key_id = {v}\n", v))("AKIA" + "".join(g.r.choice("0189ABCDEFGH") for _ in range(16)))),
        ("a3t_prefix", lambda: (lambda v: (f"key = {v}\n", v))("A3T" + g.key_id()[3:])),
        ("doc_example", lambda: ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", "AKIAIOSFODNN7EXAMPLE")),
        ("doc_example_suffix", lambda: (lambda v: (f"AWS_ACCESS_KEY_ID={v}\n", v))("AKIA" + "".join(g.r.choice(B32) for _ in range(9)) + "EXAMPLE")),
        ("lone_40_chars", lambda: (lambda v: (f"checksum: {v}\n", v))(g.secret())),
        ("sha1_base64_padded", lambda: (lambda v: (f"digest = {v}\n", v))(base64.b64encode(os.urandom(30)).decode())),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=20261129)
    ap.add_argument("--per-format", type=int, default=10)
    ap.add_argument("--per-lookalike", type=int, default=11)
    a = ap.parse_args()
    g = Gen(a.seed)
    # os.urandom above would make the corpus differ run to run: route it through the seed.
    os.urandom = lambda n: bytes(g.r.getrandbits(8) for _ in range(n))
    tree = os.path.join(a.out, "tree")
    os.makedirs(tree, exist_ok=True)
    labels = {"seed": a.seed, "credentials": [], "lookalikes": []}
    for name, ext, fn, needs in FORMATS:
        for i in range(a.per_format):
            prefix = "ASIA" if "t" in needs else g.r.choice(["AKIA", "AKIA", "AKIA", "ASIA"]) if needs == "k" else "AKIA"
            k, s, t = g.key_id(prefix), g.secret(), g.token()
            text = g.filler(g.r.randrange(0, 4), "# {k} {v}") if ext in ("sh", "env", "txt", "py", "yaml", "yml", "properties", "conf", "credentials", "config", "s3cfg") and name not in ("kubernetes_secret_base64", "kubernetes_secret_stringdata", "docker_compose", "github_actions") else ""
            text += fn(g, k, s, t)
            fname = f"{name}/{i:02d}.{ext}" if ext[0].islower() else f"{name}/{i:02d}/{ext}"
            path = os.path.join(tree, fname)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as fh:
                fh.write(text)
            cred = {"file": fname, "format": name, "key_id": k}
            if "s" in needs:
                cred["secret"] = s
                cred["secret_forms"] = sorted({s, pct(s), b64(s), s.replace("/", "\\/")})
            if "t" in needs:
                cred["session_token"] = t
                cred["token_forms"] = sorted({t, pct(t)})
            cred["key_forms"] = sorted({k, b64(k)})
            labels["credentials"].append(cred)
    for kind, make in lookalikes(g):
        for i in range(a.per_lookalike):
            text, value = make()
            fname = f"lookalike/{kind}/{i:02d}.txt"
            path = os.path.join(tree, fname)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as fh:
                fh.write(text)
            labels["lookalikes"].append({"file": fname, "kind": kind, "value": value})
    with open(os.path.join(a.out, "labels.json"), "w") as fh:
        json.dump(labels, fh, indent=1)
    n_sec = sum(1 for c in labels["credentials"] if "secret" in c)
    print(f"{len(labels['credentials'])} credentials ({n_sec} with a secret) in {len(FORMATS)} formats, "
          f"{len(labels['lookalikes'])} look-alikes in {len(lookalikes(g))} kinds -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
