//! Every configuration error, and the accepted edge cases.

use std::error::Error;

use poolside_core::internals::PoolConfig;
use poolside_core::ConfigError;

#[test]
fn defaults_are_valid() {
    let config = PoolConfig::builder().build().unwrap();
    assert_eq!(config, PoolConfig::default());
    assert_eq!(config.max_idle(), PoolConfig::DEFAULT_MAX_IDLE);
    assert_eq!(config.thread_cache(), PoolConfig::DEFAULT_THREAD_CACHE);
    assert_eq!(config.max_idle_bytes(), None);
    assert_eq!(config.prewarm(), 0);
}

#[test]
fn zero_max_idle_is_an_error() {
    let err = PoolConfig::builder().max_idle(0).build();
    assert_eq!(err, Err(ConfigError::ZeroMaxIdle));
}

#[test]
fn max_idle_of_usize_max_is_an_error() {
    let err = PoolConfig::builder().max_idle(usize::MAX).build();
    assert_eq!(
        err,
        Err(ConfigError::MaxIdleTooLarge {
            max_idle: usize::MAX,
            limit: PoolConfig::MAX_IDLE_LIMIT
        })
    );
    assert!(PoolConfig::builder()
        .max_idle(PoolConfig::MAX_IDLE_LIMIT)
        .build()
        .is_ok());
}

#[test]
fn zero_idle_bytes_is_an_error_but_none_and_usize_max_are_fine() {
    assert_eq!(
        PoolConfig::builder().max_idle_bytes(Some(0)).build(),
        Err(ConfigError::ZeroMaxIdleBytes)
    );
    assert!(PoolConfig::builder().max_idle_bytes(None).build().is_ok());
    let c = PoolConfig::builder()
        .max_idle_bytes(Some(usize::MAX))
        .build()
        .unwrap();
    assert_eq!(c.max_idle_bytes(), Some(usize::MAX));
}

#[test]
fn thread_cache_above_max_idle_is_an_error() {
    assert_eq!(
        PoolConfig::builder().max_idle(4).thread_cache(5).build(),
        Err(ConfigError::ThreadCacheAboveMaxIdle {
            thread_cache: 5,
            max_idle: 4
        })
    );
    // Unset, the thread cache follows a small max_idle down instead of failing.
    let small = PoolConfig::builder().max_idle(4).build().unwrap();
    assert_eq!(small.thread_cache(), 4);
    let no_cache = PoolConfig::builder().thread_cache(0).build().unwrap();
    assert_eq!(no_cache.thread_cache(), 0);
}

#[test]
fn thread_cache_above_its_maximum_is_an_error() {
    let max = PoolConfig::MAX_THREAD_CACHE;
    assert!(PoolConfig::builder().thread_cache(max).build().is_ok());
    for too_many in [max + 1, usize::MAX] {
        assert_eq!(
            PoolConfig::builder().thread_cache(too_many).build(),
            Err(ConfigError::ThreadCacheTooLarge {
                thread_cache: too_many,
                limit: max
            })
        );
    }
}

#[test]
fn prewarm_above_max_idle_is_an_error() {
    assert_eq!(
        PoolConfig::builder()
            .max_idle(8)
            .thread_cache(8)
            .prewarm(9)
            .build(),
        Err(ConfigError::PrewarmAboveMaxIdle {
            prewarm: 9,
            max_idle: 8
        })
    );
    assert!(PoolConfig::builder()
        .max_idle(8)
        .prewarm(8)
        .thread_cache(8)
        .build()
        .is_ok());
}

#[test]
fn errors_describe_themselves_and_are_std_errors() {
    let errors = [
        ConfigError::ZeroMaxIdle,
        ConfigError::MaxIdleTooLarge {
            max_idle: 1 << 30,
            limit: 1 << 24,
        },
        ConfigError::ZeroMaxIdleBytes,
        ConfigError::ThreadCacheAboveMaxIdle {
            thread_cache: 5,
            max_idle: 4,
        },
        ConfigError::PrewarmAboveMaxIdle {
            prewarm: 9,
            max_idle: 8,
        },
        ConfigError::ClassTooLarge { size: usize::MAX },
        ConfigError::TooManyClasses {
            count: 200,
            limit: 128,
        },
        ConfigError::ThreadSpawn {
            kind: std::io::ErrorKind::OutOfMemory,
        },
        ConfigError::ZeroMaxLive,
        ConfigError::ZeroSlots,
        ConfigError::ZeroWorkers,
        ConfigError::ZeroInterval,
        ConfigError::ThreadCacheTooLarge {
            thread_cache: 65,
            limit: 64,
        },
        ConfigError::MaxIdleBytesBelowClasses {
            max_idle_bytes: 3,
            classes: 15,
        },
        ConfigError::NoClasses,
        ConfigError::ZeroClass,
        ConfigError::PercentileOutOfRange,
        ConfigError::ZeroCalibration,
        ConfigError::CapacitiesOutOfOrder,
        ConfigError::ZeroSlotSize,
        ConfigError::RingTooLarge,
        ConfigError::OutOfMemory,
        ConfigError::TooManyWorkers {
            workers: 5000,
            limit: 4096,
        },
        ConfigError::ZeroQueue,
        ConfigError::QueueTooLarge {
            queue: 1 << 21,
            limit: 1 << 20,
        },
        ConfigError::NameHasNul,
    ];
    let texts: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(texts[0].contains("max_idle is 0"));
    assert!(texts[1].contains("1073741824") && texts[1].contains("16777216"));
    assert!(texts[2].contains("max_idle_bytes is 0"));
    assert!(texts[3].contains("thread_cache (5)") && texts[3].contains("max_idle (4)"));
    assert!(texts[4].contains("prewarm (9)"));
    assert!(texts[5].contains(&usize::MAX.to_string()));
    assert!(texts[6].contains("200") && texts[6].contains("128"));
    assert!(texts[7].contains("thread"));
    // Every pool's reason reads differently.
    let distinct: std::collections::BTreeSet<&String> = texts.iter().collect();
    assert_eq!(distinct.len(), texts.len(), "{texts:#?}");
    for e in errors {
        let boxed: Box<dyn Error + Send + Sync> = Box::new(e);
        assert!(boxed.source().is_none());
    }
}
