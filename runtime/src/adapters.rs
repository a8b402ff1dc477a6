//! The adapter boundary: which adapters run, what a handler receives, and the
//! finalize contract.
//!
//! A handler never sees raw snapshot bytes or a `Path`: it gets a [`Record`] (the visible
//! version of one user key, already routed to a [`Family`]) and writes through the output
//! tree at finalize.

use crate::keys::{AdapterId, Family, KeyError, ValueError};
use crate::options::AdapterOptions;
use crate::output::OutputTree;
use crate::spill::SpillContext;
use crate::sqs::SqsAdapter;
use crate::warnings::Warnings;

/// The four real adapters in finalize order (DynamoDB, S3, Redis, SQS; core.md §2.7).
pub const ADAPTERS: [AdapterId; 4] = [
    AdapterId::Dynamodb,
    AdapterId::S3,
    AdapterId::Redis,
    AdapterId::Sqs,
];

/// The set of adapters selected with `--adapter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdapterSet {
    enabled: [bool; 4],
}

impl Default for AdapterSet {
    fn default() -> Self {
        AdapterSet::all()
    }
}

impl AdapterSet {
    /// Every adapter.
    pub fn all() -> Self {
        AdapterSet { enabled: [true; 4] }
    }

    fn index(id: AdapterId) -> Option<usize> {
        ADAPTERS.iter().position(|a| *a == id)
    }

    /// True when `id` is a real adapter and was selected.
    pub fn contains(&self, id: AdapterId) -> bool {
        Self::index(id).is_some_and(|i| self.enabled[i])
    }

    /// Selected adapters in finalize order.
    pub fn iter(&self) -> impl Iterator<Item = AdapterId> + '_ {
        ADAPTERS.into_iter().filter(|a| self.contains(*a))
    }

    /// Parses an `--adapter` value with upstream's rules (core.md §8.1): a comma list of
    /// `dynamodb`, `s3`, `redis`, `sqs` (case-sensitive, items trimmed, empty items ignored);
    /// `""` or `all` alone selects all four; a list selecting nothing is an error.
    pub fn parse(value: &str) -> Result<Self, AdapterListError> {
        let trimmed = value.trim();
        if trimmed.is_empty() || trimmed == "all" {
            return Ok(AdapterSet::all());
        }
        let mut set = AdapterSet {
            enabled: [false; 4],
        };
        for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let id = ADAPTERS
                .into_iter()
                .find(|a| a.name() == item)
                .ok_or_else(|| AdapterListError::Unknown(item.to_string()))?;
            set.enabled[Self::index(id).expect("real adapter")] = true;
        }
        if set.enabled.iter().all(|e| !e) {
            return Err(AdapterListError::Empty);
        }
        Ok(set)
    }
}

/// A bad `--adapter` value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AdapterListError {
    #[error("{0}: unknown adapter name (expected dynamodb, s3, redis, sqs or all)")]
    Unknown(String),
    #[error("--adapter selected zero adapters")]
    Empty,
}

/// The visible version of one user key, routed to a family of this adapter.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// The user key (MVCC timestamp suffix removed), prefix included.
    pub user_key: &'a [u8],
    /// The value body (MVCC flags and expireAt header removed).
    pub body: &'a [u8],
    /// Commit timestamp of this version.
    pub commit_ts: u64,
    /// MVCC expiry (HLC), 0 = none. The version is visible at the read timestamp.
    pub expire_at: u64,
}

/// Why an adapter stopped the decode.
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Value(#[from] ValueError),
    #[error(transparent)]
    Output(#[from] crate::output::TreeError),
    /// Boxed: the SQS errors carry their key and context.
    #[error(transparent)]
    Sqs(Box<crate::sqs::SqsError>),
    /// Boxed: the DynamoDB errors carry their key and context.
    #[error(transparent)]
    Dynamodb(Box<crate::dynamodb::DynamodbError>),
    /// Boxed: the S3 errors carry their key and context.
    #[error(transparent)]
    S3(Box<crate::s3::S3Error>),
    /// Boxed: the Redis errors carry their key and context.
    #[error(transparent)]
    Redis(Box<crate::redis::RedisError>),
    #[error("{adapter}: {message}")]
    Invalid {
        adapter: &'static str,
        message: String,
    },
}

impl From<crate::sqs::SqsError> for AdapterError {
    fn from(e: crate::sqs::SqsError) -> Self {
        AdapterError::Sqs(Box::new(e))
    }
}

impl From<crate::dynamodb::DynamodbError> for AdapterError {
    fn from(e: crate::dynamodb::DynamodbError) -> Self {
        AdapterError::Dynamodb(Box::new(e))
    }
}

impl From<crate::s3::S3Error> for AdapterError {
    fn from(e: crate::s3::S3Error) -> Self {
        AdapterError::S3(Box::new(e))
    }
}

/// What an adapter gets at finalize.
pub struct FinalizeContext<'a> {
    pub tree: &'a OutputTree,
    pub warnings: &'a mut Warnings,
}

/// One adapter: buffers what it must, writes at finalize.
pub trait Adapter {
    /// Which adapter this is.
    fn id(&self) -> AdapterId;
    /// Handles the visible version of one key of one of this adapter's families.
    fn handle(&mut self, family: Family, record: &Record<'_>) -> Result<(), AdapterError>;
    /// Writes everything still buffered. Runs once, also after an earlier error.
    fn finalize(&mut self, ctx: &mut FinalizeContext<'_>) -> Result<(), AdapterError>;
}

/// Builds the adapters of `set`, in finalize order. Each gets its options and the shared
/// spill context (one memory budget for all of them).
pub fn build_adapters(
    set: &AdapterSet,
    options: &AdapterOptions,
    spill: &SpillContext,
) -> Vec<Box<dyn Adapter>> {
    set.iter()
        .map(|id| match id {
            AdapterId::Sqs => {
                Box::new(SqsAdapter::new(options.sqs.clone(), spill.clone())) as Box<dyn Adapter>
            }
            AdapterId::Dynamodb => Box::new(crate::dynamodb::DynamodbAdapter::new(
                options.dynamodb.clone(),
                spill.clone(),
            )) as Box<dyn Adapter>,
            AdapterId::S3 => Box::new(crate::s3::S3Adapter::new(options.s3.clone(), spill.clone()))
                as Box<dyn Adapter>,
            AdapterId::Redis => Box::new(crate::redis::RedisAdapter::new(
                options.redis.clone(),
                spill.clone(),
            )) as Box<dyn Adapter>,
            AdapterId::Internal => unreachable!("an AdapterSet holds only the four real adapters"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(set: &AdapterSet) -> Vec<&'static str> {
        set.iter().map(|a| a.name()).collect()
    }

    // Mirrors upstream TestParseAdapterSet (core.md §9.8).
    #[test]
    fn parse_adapter_list() {
        let all = vec!["dynamodb", "s3", "redis", "sqs"];
        assert_eq!(names(&AdapterSet::parse("").unwrap()), all);
        assert_eq!(names(&AdapterSet::parse("all").unwrap()), all);
        assert_eq!(names(&AdapterSet::parse("redis").unwrap()), vec!["redis"]);
        assert_eq!(
            names(&AdapterSet::parse("redis,sqs").unwrap()),
            vec!["redis", "sqs"]
        );
        assert_eq!(names(&AdapterSet::parse("redis,").unwrap()), vec!["redis"]);
        assert_eq!(
            names(&AdapterSet::parse(" sqs , dynamodb ").unwrap()),
            vec!["dynamodb", "sqs"]
        );
        assert_eq!(
            AdapterSet::parse("bogus"),
            Err(AdapterListError::Unknown("bogus".into()))
        );
        assert_eq!(
            AdapterSet::parse("redis,bogus"),
            Err(AdapterListError::Unknown("bogus".into()))
        );
        assert_eq!(AdapterSet::parse(" ,,"), Err(AdapterListError::Empty));
        assert_eq!(
            AdapterSet::parse("redis,all"),
            Err(AdapterListError::Unknown("all".into()))
        );
        assert_eq!(
            AdapterSet::parse("Redis"),
            Err(AdapterListError::Unknown("Redis".into()))
        );
    }
}
