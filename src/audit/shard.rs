//! `--shard K/N`: a deterministic slice of the repositories, by a stable hash of each one's
//! identity, so that N machines (or the pods of a Kubernetes Indexed Job) audit disjoint parts
//! of one list whatever order they listed it in.

use std::fmt;
use std::str::FromStr;

use sha2::Digest as _;

use super::RepoSpec;

/// One shard of N: repositories whose identity hashes to `index` modulo `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 0 to `count - 1` (as Kubernetes numbers its completion indexes).
    pub index: u64,
    /// How many shards there are.
    pub count: u64,
}

/// A `--shard` that cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShardError {
    /// Not `K/N` or `auto/N`.
    #[error("--shard {0}: expected K/N (K from 0 to N-1) or auto/N")]
    Syntax(String),
    /// K is not below N, or N is 0.
    #[error("--shard {index}/{count}: K must be below N, and N at least 1")]
    OutOfRange {
        /// K.
        index: u64,
        /// N.
        count: u64,
    },
    /// `auto/N` without the index in the environment.
    #[error(
        "--shard auto/{0}: JOB_COMPLETION_INDEX is not set (it is set in the pods of a \
         Kubernetes Indexed Job); give the index: --shard K/{0}"
    )]
    NoIndex(u64),
    /// `auto/N` with an index that is not a number.
    #[error("--shard auto/{count}: JOB_COMPLETION_INDEX={value:?} is not a number")]
    BadIndex {
        /// N.
        count: u64,
        /// What the variable held.
        value: String,
    },
}

/// A `--shard` as given: the index, or `auto` (read from `JOB_COMPLETION_INDEX`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardSpec {
    /// `K/N`.
    Fixed(Shard),
    /// `auto/N`.
    Auto {
        /// N.
        count: u64,
    },
}

impl FromStr for ShardSpec {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<ShardSpec, ShardError> {
        let syntax = || ShardError::Syntax(s.to_owned());
        let (k, n) = s.split_once('/').ok_or_else(syntax)?;
        let count: u64 = n.trim().parse().map_err(|_| syntax())?;
        if k.trim() == "auto" {
            if count == 0 {
                return Err(ShardError::OutOfRange { index: 0, count });
            }
            return Ok(ShardSpec::Auto { count });
        }
        let index: u64 = k.trim().parse().map_err(|_| syntax())?;
        Shard::new(index, count).map(ShardSpec::Fixed)
    }
}

impl ShardSpec {
    /// The shard, with `auto`'s index taken from `job_completion_index` (the value of
    /// `JOB_COMPLETION_INDEX`, if set).
    pub fn resolve(self, job_completion_index: Option<&str>) -> Result<Shard, ShardError> {
        match self {
            ShardSpec::Fixed(shard) => Ok(shard),
            ShardSpec::Auto { count } => {
                let value = job_completion_index.ok_or(ShardError::NoIndex(count))?;
                let index = value
                    .trim()
                    .parse()
                    .map_err(|_| ShardError::BadIndex { count, value: value.to_owned() })?;
                Shard::new(index, count)
            }
        }
    }
}

impl Shard {
    /// Shard `index` of `count`.
    pub fn new(index: u64, count: u64) -> Result<Shard, ShardError> {
        if count == 0 || index >= count {
            return Err(ShardError::OutOfRange { index, count });
        }
        Ok(Shard { index, count })
    }

    /// Whether `repo` belongs to this shard: the first 8 bytes of SHA-256 of its identity, as
    /// a big-endian number, modulo N. Stable across runs, machines and versions.
    pub fn includes(&self, repo: &RepoSpec) -> bool {
        let digest = sha2::Sha256::digest(repo.id.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first) % self.count == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::RepoLocation;

    fn repo(id: &str) -> RepoSpec {
        RepoSpec {
            id: id.to_owned(),
            location: RepoLocation::Remote(id.to_owned()),
            name: id.to_owned(),
            fork: false,
            archived: false,
        }
    }

    #[test]
    fn issue_15_shards_partition_the_list() {
        let repos: Vec<RepoSpec> =
            (0..500).map(|i| repo(&format!("https://example.test/o/r{i}"))).collect();
        let shards: Vec<Shard> = (0..4).map(|k| Shard::new(k, 4).expect("valid")).collect();
        for r in &repos {
            assert_eq!(shards.iter().filter(|s| s.includes(r)).count(), 1, "{}", r.id);
        }
        for s in &shards {
            let n = repos.iter().filter(|r| s.includes(r)).count();
            assert!((80..170).contains(&n), "shard {s} has {n} of 500");
        }
    }

    #[test]
    fn issue_15_shard_syntax() {
        assert_eq!("2/5".parse(), Ok(ShardSpec::Fixed(Shard { index: 2, count: 5 })));
        assert_eq!("auto/3".parse(), Ok(ShardSpec::Auto { count: 3 }));
        assert!(matches!("5/5".parse::<ShardSpec>(), Err(ShardError::OutOfRange { .. })));
        assert!(matches!("0/0".parse::<ShardSpec>(), Err(ShardError::OutOfRange { .. })));
        assert!(matches!("auto/0".parse::<ShardSpec>(), Err(ShardError::OutOfRange { .. })));
        for bad in ["", "1", "a/2", "1/b", "1/2/3", "-1/2"] {
            assert!(matches!(bad.parse::<ShardSpec>(), Err(ShardError::Syntax(_))), "{bad}");
        }
        let auto = ShardSpec::Auto { count: 3 };
        assert_eq!(auto.resolve(Some("2")), Ok(Shard { index: 2, count: 3 }));
        assert_eq!(auto.resolve(None), Err(ShardError::NoIndex(3)));
        assert!(matches!(auto.resolve(Some("x")), Err(ShardError::BadIndex { .. })));
        assert!(matches!(auto.resolve(Some("3")), Err(ShardError::OutOfRange { .. })));
    }
}
