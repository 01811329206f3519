//! Context beyond the line (issue 16, point 3) through the binary: a key id and its secret as
//! neighbouring arguments of an SDK call are one credential; a value whose name stands on
//! another line — an XML `<name>` and its `<value>`, a plist `<key>` and its `<string>`, a
//! properties continuation line, YAML and JSON parents — is named by the file's structure;
//! look-alikes stay quiet, and hostile structures stay bounded. Every credential is synthetic,
//! built at run time.

use std::time::{Duration, Instant};

use crate::common;

use serde_json::Value;

use common::TestEnv;
use common::aws::{key_id, secret};
use common::secrets::password_value;
use common::{findings_of as of, only_finding as only};

/// A realistic 12-digit account for test number `n`.
fn acct(n: u64) -> u64 {
    400_000_000_000 + n * 1_000_033
}

/// `scan --show-secrets --format json .` and its findings.
fn scan(env: &TestEnv) -> Vec<Value> {
    env.scan_json(&["--show-secrets", "."]).findings()
}

/// Asserts that `f` is key `id` paired with `secret`, found on line `line` (1-based).
#[track_caller]
fn assert_paired(f: &Value, id: &str, secret: &str, line: u64) {
    assert_eq!(f["rule_id"], "aws.access_key_id", "{f:#}");
    assert_eq!(f["aws"]["key_id"], id, "{f:#}");
    assert_eq!(f["aws"]["paired_secret"]["value"], secret, "{f:#}");
    assert_eq!(f["aws"]["paired_secret"]["line"], line, "{f:#}");
}

/// Asserts that `f` is `rule`'s finding of `value`, at the value's place in `text`.
#[track_caller]
fn assert_at_value(f: &Value, rule: &str, value: &str, text: &str) {
    assert_eq!(f["rule_id"], rule, "{f:#}");
    assert_eq!(f["secret"], value, "{f:#}");
    let at = text.find(value).expect("the value is in the text");
    let line = text[..at].matches('\n').count() + 1;
    let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    assert_eq!(f["location"]["line"], line as u64, "{f:#}");
    assert_eq!(f["location"]["column"], column as u64, "{f:#}");
}

/// A random-looking API key, not of any provider's shape.
fn api_key() -> String {
    ["q8Wv2mZr", "4Tn6xYp3", "Lk7JdR9s"].concat()
}

#[test]
fn sdk_arguments_on_neighbouring_lines_are_one_credential() {
    let env = TestEnv::new();
    let (k1, s1) = (key_id("AKIA", acct(1), 1), secret(1));
    let top = format!(
        "import boto3\n\ns3 = boto3.client(\"s3\", aws_access_key_id=\"{k1}\",\n                  \
         aws_secret_access_key=\"{s1}\")\n"
    );
    env.write("top.py", &top);
    // In a function body the continued argument is indented under the call's line, not a
    // block of its own.
    let (k2, s2) = (key_id("AKIA", acct(2), 2), secret(2));
    env.write(
        "fn.py",
        format!(
            "import boto3\n\n\ndef client():\n    return boto3.client(\"s3\", \
             aws_access_key_id=\"{k2}\",\n                        \
             aws_secret_access_key=\"{s2}\")\n"
        ),
    );
    let (k3, s3) = (key_id("AKIA", acct(3), 3), secret(3));
    env.write(
        "Store.java",
        format!(
            "class Store {{\n    AmazonS3 client() {{\n        AWSCredentials c = new \
             BasicAWSCredentials(\"{k3}\",\n                \"{s3}\");\n        return new \
             AmazonS3Client(c);\n    }}\n}}\n"
        ),
    );
    let (k4, s4) = (key_id("AKIA", acct(4), 4), secret(4));
    env.write(
        "creds.js",
        format!(
            "function creds() {{\n  return new AWS.Credentials({{accessKeyId: \"{k4}\",\n    \
             secretAccessKey: \"{s4}\"}});\n}}\n"
        ),
    );
    let f = scan(&env);
    assert_paired(only(&f, "top.py"), &k1, &s1, 4);
    assert_paired(only(&f, "fn.py"), &k2, &s2, 6);
    assert_paired(only(&f, "Store.java"), &k3, &s3, 4);
    assert_paired(only(&f, "creds.js"), &k4, &s4, 3);
    let human = env.run(&["scan", "."]);
    assert!(!human.stdout.contains("no key id paired"), "{}", human.stdout);
}

#[test]
fn xml_elements_name_their_values() {
    let env = TestEnv::new();
    let (k, s) = (key_id("AKIA", acct(5), 5), secret(5));
    env.write(
        "core-site.xml",
        format!(
            "<?xml version=\"1.0\"?>\n<configuration>\n  <property>\n    \
             <name>fs.s3a.access.key</name>\n    <value>{k}</value>\n  </property>\n  \
             <property>\n    <name>fs.s3a.secret.key</name>\n    <value>{s}</value>\n  \
             </property>\n</configuration>\n"
        ),
    );
    let lone = secret(6);
    let lone_xml = format!(
        "<configuration>\n  <property>\n    <name>fs.s3a.bucket.logs.secret.key</name>\n    \
         <value>{lone}</value>\n    <description>rotated</description>\n  </property>\n\
         </configuration>\n"
    );
    env.write("lone-site.xml", &lone_xml);
    let pw = password_value();
    let hive = format!(
        "<configuration>\n  <property>\n    <name>javax.jdo.option.ConnectionUserName</name>\n    \
         <value>hive</value>\n  </property>\n  <property>\n    \
         <name>javax.jdo.option.ConnectionPassword</name>\n    <value>{pw}</value>\n  \
         </property>\n</configuration>\n"
    );
    env.write("hive-site.xml", &hive);
    let (pk, ps) = (key_id("AKIA", acct(7), 7), secret(7));
    env.write(
        "Aws.plist",
        format!(
            "<plist version=\"1.0\">\n<dict>\n\t<key>AWSAccessKeyId</key>\n\t<string>{pk}</string>\n\
             \t<key>AWSRegion</key>\n\t<string>us-east-1</string>\n\t<key>AWSSecretKey</key>\n\
             \t<string>{ps}</string>\n</dict>\n</plist>\n"
        ),
    );
    let api = api_key();
    let plist = format!(
        "<plist version=\"1.0\">\n<dict>\n\t<key>ServerURL</key>\n\t\
         <string>https://api.example.com</string>\n\t<key>ApiKey</key>\n\t<string>{api}</string>\n\
         </dict>\n</plist>\n"
    );
    env.write("Info.plist", &plist);
    let config = format!(
        "<configuration>\n  <appSettings>\n    <add key=\"Region\" value=\"eu-west-1\" />\n    \
         <add key=\"ServiceApiKey\" value=\"{api}\" />\n  </appSettings>\n</configuration>\n"
    );
    env.write("web.config", &config);
    let (dk, ds) = (key_id("AKIA", acct(8), 8), secret(8));
    env.write(
        "App.config",
        format!(
            "<configuration>\n  <appSettings>\n    <add key=\"AWSAccessKey\" value=\"{dk}\" />\n    \
             <add key=\"AWSSecretKey\" value=\"{ds}\" />\n  </appSettings>\n</configuration>\n"
        ),
    );
    // A value alone in an element named for it (Spring and Tomcat datasources, Maven's
    // settings.xml servers).
    let ds_pw = password_value();
    let datasource = format!(
        "<datasource>\n  <user>app</user>\n  <password>{ds_pw}</password>\n</datasource>\n"
    );
    env.write("datasource.xml", &datasource);
    let f = scan(&env);
    assert_at_value(only(&f, "datasource.xml"), "generic.secret", &ds_pw, &datasource);
    let core = only(&f, "core-site.xml");
    assert_paired(core, &k, &s, 9);
    assert_eq!(core["aws"]["paired_secret"]["by"], "block", "{core:#}");
    assert_eq!(core["location"]["line"], 5, "{core:#}");
    assert_at_value(only(&f, "lone-site.xml"), "aws.secret_access_key", &lone, &lone_xml);
    assert_at_value(only(&f, "hive-site.xml"), "generic.secret", &pw, &hive);
    assert_paired(only(&f, "Aws.plist"), &pk, &ps, 8);
    assert_at_value(only(&f, "Info.plist"), "generic.secret", &api, &plist);
    assert_at_value(only(&f, "web.config"), "generic.secret", &api, &config);
    assert_paired(only(&f, "App.config"), &dk, &ds, 4);
}

#[test]
fn yaml_json_and_ini_parents_name_a_secret() {
    let env = TestEnv::new();
    let s1 = secret(11);
    let yaml = format!(
        "providers:\n  aws:\n    region: us-west-2\n    static:\n      secret: {s1}\nlogging:\n  \
         level: info\n"
    );
    env.write("deploy.yaml", &yaml);
    let s2 = secret(12);
    let json = format!(
        "{{\n  \"aws\": {{\n    \"production\": {{\n      \"region\": \"us-east-1\",\n      \
         \"credentials\": {{\n        \"value\": \"{s2}\"\n      }}\n    }}\n  }}\n}}\n"
    );
    env.write("settings.json", &json);
    let (k3, s3) = (key_id("AKIA", acct(13), 13), secret(13));
    env.write(
        "app.yaml",
        format!("aws:\n  s3:\n    credentials:\n      id: {k3}\n      key: {s3}\nother: 1\n"),
    );
    let (k4, s4, k5, s5) =
        (key_id("AKIA", acct(14), 14), secret(14), key_id("AKIA", acct(15), 15), secret(15));
    env.write(
        "credentials",
        format!(
            "[default]\naws_access_key_id = {k4}\nregion = eu-west-1\naws_secret_access_key = {s4}\n\n\
             [profile x]\naws_secret_access_key = {s5}\naws_access_key_id = {k5}\n"
        ),
    );
    let f = scan(&env);
    let lone = only(&f, "deploy.yaml");
    assert_at_value(lone, "aws.secret_access_key", &s1, &yaml);
    assert!(lone["aws"]["key_id"].is_null(), "{lone:#}");
    assert_at_value(only(&f, "settings.json"), "aws.secret_access_key", &s2, &json);
    assert_paired(only(&f, "app.yaml"), &k3, &s3, 5);
    let ini = of(&f, "credentials");
    assert_eq!(ini.len(), 2, "{ini:#?}");
    assert_paired(ini[0], &k4, &s4, 4);
    assert_paired(ini[1], &k5, &s5, 7);
    assert_eq!(ini[1]["aws"]["paired_secret"]["by"], "section", "{:#}", ini[1]);
}

#[test]
fn properties_continuation_lines_are_one_value() {
    let env = TestEnv::new();
    let (k, s) = (key_id("AKIA", acct(21), 21), secret(21));
    env.write(
        "aws.properties",
        format!(
            "app.name=uploader\naws.credentials.accessKeyId=\\\n    {k}\n\
             aws.credentials.secretKey=\\\n    {s}\n"
        ),
    );
    let lone = secret(22);
    // The value itself continued over two lines.
    let text = format!("aws.secretKey=\\\n    {}\\\n    {}\n", &lone[..20], &lone[20..]);
    env.write("lone.properties", &text);
    let f = scan(&env);
    assert_paired(only(&f, "aws.properties"), &k, &s, 5);
    let g = only(&f, "lone.properties");
    assert_eq!(g["rule_id"], "aws.secret_access_key", "{g:#}");
    assert_eq!(g["secret"], lone, "{g:#}");
    assert_eq!(
        (g["location"]["line"].as_u64(), g["location"]["column"].as_u64()),
        (Some(2), Some(5))
    );
}

#[test]
fn look_alikes_stay_quiet() {
    let env = TestEnv::new();
    let hex40 = "3b18e512dba79e4c8300dd08aeb37f8e728b8dad";
    env.write(
        "core-site.xml",
        format!(
            "<configuration>\n  <property>\n    <name>fs.s3a.access.key</name>\n    \
             <value>${{env.AWS_ACCESS_KEY_ID}}</value>\n  </property>\n  <property>\n    \
             <name>fs.s3a.secret.key</name>\n    <value>${{env.AWS_SECRET_ACCESS_KEY}}</value>\n  \
             </property>\n  <property>\n    <name>build.commit</name>\n    \
             <value>{hex40}</value>\n  </property>\n  <property>\n    \
             <name>db.password</name>\n    <value>changeme</value>\n  </property>\n  \
             <property>\n    <name>api.secret</name>\n    <value><your-secret></value>\n  \
             </property>\n</configuration>\n"
        ),
    );
    env.write(
        "Info.plist",
        format!(
            "<plist version=\"1.0\">\n<dict>\n\t<key>CFBundleIdentifier</key>\n\t\
             <string>com.example.uploader</string>\n\t<key>BuildHash</key>\n\t\
             <string>{hex40}</string>\n\t<key>AWSSecretKey</key>\n\t<string>$(AWS_SECRET_KEY)</string>\n\
             </dict>\n</plist>\n"
        ),
    );
    env.write(
        "settings.xml",
        "<servers>\n  <server>\n    <id>releases</id>\n    <username>deploy</username>\n    \
         <password>${env.DEPLOY_PASSWORD}</password>\n    <passphrase></passphrase>\n    \
         <privateKeyPassword>changeme</privateKeyPassword>\n    \
         <token><![CDATA[]]></token>\n  </server>\n</servers>\n",
    );
    env.write(
        "web.config",
        "<configuration>\n  <appSettings>\n    <add key=\"AWSProfileName\" value=\"development\" />\n    \
         <add key=\"AWSSecretKey\" value=\"\" />\n  </appSettings>\n</configuration>\n",
    );
    env.write(
        "env.py",
        "import os\nimport boto3\n\ns3 = boto3.client(\n    \"s3\",\n    \
         aws_access_key_id=os.environ[\"AWS_ACCESS_KEY_ID\"],\n    \
         aws_secret_access_key=os.environ[\"AWS_SECRET_ACCESS_KEY\"],\n)\n",
    );
    env.write(
        "Env.java",
        "AWSCredentials c = new BasicAWSCredentials(\n        System.getenv(\"AWS_ACCESS_KEY_ID\"),\n\
         \x20       System.getenv(\"AWS_SECRET_ACCESS_KEY\"));\n",
    );
    env.write(
        "env.js",
        "AWS.config.credentials = new AWS.Credentials(\n  process.env.AWS_ACCESS_KEY_ID,\n  \
         process.env.AWS_SECRET_ACCESS_KEY\n);\n",
    );
    let sha256 = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
    env.write(
        "values.yaml",
        format!(
            "aws:\n  s3:\n    credentials:\n      id: ${{AWS_ACCESS_KEY_ID}}\n      \
             key: ${{AWS_SECRET_ACCESS_KEY}}\n      checksum: {hex40}\n      digest: {sha256}\n  \
             identity:\n    user_id: {}\n    role_id: {}\n",
            key_id("AIDA", acct(31), 31),
            key_id("AROA", acct(32), 32)
        ),
    );
    env.write(
        "build.json",
        format!("{{\n  \"aws\": {{\n    \"build\": {{\n      \"commit\": \"{hex40}\"\n    }}\n  }}\n}}\n"),
    );
    env.write(
        "aws.properties",
        "aws.credentials.accessKeyId=\\\n    ${AWS_ACCESS_KEY_ID}\naws.credentials.secretKey=\\\n    \
         ${AWS_SECRET_ACCESS_KEY}\n",
    );
    let f = scan(&env);
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn hostile_structures_stay_bounded() {
    let env = TestEnv::new();
    // Five megabytes of name / value pairs whose names call for a look (placeholders only).
    let pair =
        "  <property>\n    <name>db.password</name>\n    <value>changeme</value>\n  </property>\n";
    let mut xml = String::from("<configuration>\n");
    while xml.len() < 5 << 20 {
        xml.push_str(pair);
    }
    xml.push_str("</configuration>\n");
    env.write("big-site.xml", &xml);
    // The same on one line, and an unterminated value.
    env.write("one-line.xml", pair.replace('\n', "").repeat(20_000));
    env.write("open.xml", "<name>db.password</name>\n<value>".repeat(10_000));
    // Ten thousand levels of indentation, each a parent naming a secret.
    let mut deep = String::new();
    for d in 0..10_000 {
        deep.push_str(&" ".repeat(d));
        deep.push_str("secret:\n");
    }
    env.write("deep.yaml", &deep);
    // A properties file ending in a backslash, and lines of backslashes.
    env.write("end.properties", "aws.secretKey=\\");
    env.write("slashes.properties", "password=\\\n".repeat(50_000));
    let start = Instant::now();
    let run = env.scan_json(&["."]);
    run.assert_code(0);
    assert!(run.findings().is_empty(), "{:#?}", run.findings());
    // Generous for a debug build on a busy machine; quadratic work would take minutes.
    assert!(start.elapsed() < Duration::from_secs(60), "{:?}", start.elapsed());
}
