//! Empty: this package only names the crates of the real-code corpus (Cargo.toml).
